/**
 * What the cluster gets from its cloud and for storage, with `auto` and the static provider
 * resolved, so the install, upgrade and status steps ask one place instead of re-deriving it.
 */
import type { ClusterSpec } from './schema.js';

export type ResolvedStorageClass = 'cloud' | 'local-path' | 'rook-ceph' | 'none';

/** The cloud's CCM and CSI: as the spec says on a cloud, never on static hosts (there is no cloud). */
export function cloudIntegrationOn(spec: Pick<ClusterSpec, 'provider' | 'cloudIntegration'>): { ccm: boolean; csi: boolean } {
  if (spec.provider.name === 'static') return { ccm: false, csi: false };
  return { ccm: spec.cloudIntegration.ccm, csi: spec.cloudIntegration.csi };
}

/**
 * The StorageClass marked default. `auto`: the CSI driver's class on a cloud with the CSI on,
 * local-path on static hosts, otherwise none (a cloud without its CSI has nothing to provision).
 */
export function resolvedStorageClass(spec: Pick<ClusterSpec, 'provider' | 'cloudIntegration' | 'storage'>): ResolvedStorageClass {
  const choice = spec.storage.defaultClass;
  if (choice !== 'auto') return choice;
  if (spec.provider.name === 'static') return 'local-path';
  return cloudIntegrationOn(spec).csi ? 'cloud' : 'none';
}
