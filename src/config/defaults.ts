/**
 * The defaults that depend on the provider, applied after the schema's own defaults: a cloud
 * gets a node network and instance types, static hosts keep whatever network they are on.
 */
import { DEFAULT_INSTANCE_TYPES, DEFAULT_NETWORK, type ClusterSpec } from './schema.js';

/**
 * Cloud providers create the node network and pick instance types, so those get defaults here;
 * for static hosts the network is whatever the machines are on, so it stays unset unless given.
 */
export function applyProviderDefaults(spec: ClusterSpec): ClusterSpec {
  const provider = spec.provider.name;
  if (provider === 'static') return spec;
  const types = DEFAULT_INSTANCE_TYPES[provider];
  return {
    ...spec,
    network: { ...spec.network, nodeCidr: spec.network.nodeCidr ?? DEFAULT_NETWORK.nodeCidr },
    controlPlane: { ...spec.controlPlane, type: spec.controlPlane.type ?? types.controlPlane },
    workers: { ...spec.workers, type: spec.workers.type ?? types.worker },
  };
}
