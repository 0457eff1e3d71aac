/**
 * The add-ons section of the spec as the other layers read it: which add-ons are on, how Traefik
 * is reached once `auto` is resolved, and where Velero's S3 keys come from. Pure config: the
 * kube layer (kube/addons/plan.ts) and the workflows ask here instead of re-deriving it.
 */
import { ADDON_NAMES, type AddonName } from '../kube/addons/pins.js';
import { cloudIntegrationOn } from './cloud-integration.js';
import type { EnvVarName } from './env-vars.js';
import type { ClusterSpec } from './schema.js';

/** spec.addons, every default applied. */
export type AddonsSpec = ClusterSpec['addons'];
/** One add-on's section, e.g. AddonSpec<'velero'>. */
export type AddonSpec<Name extends AddonName> = AddonsSpec[Name];

export function addonEnabled(spec: Pick<ClusterSpec, 'addons'>, name: AddonName): boolean {
  return spec.addons[name].enabled;
}

/** The enabled add-ons, in apply order (ADDON_NAMES). */
export function enabledAddonNames(spec: Pick<ClusterSpec, 'addons'>): AddonName[] {
  return ADDON_NAMES.filter((name) => addonEnabled(spec, name));
}

/**
 * `spec` with the addons section of `other`: to compare two specs apart from their add-ons, which
 * `addons apply` changes on a built cluster (every other field needs add-workers, upgrade, …).
 */
export function withAddonsOf<Spec extends Pick<ClusterSpec, 'addons'>>(spec: Spec, other: Pick<ClusterSpec, 'addons'>): Spec {
  return { ...spec, addons: other.addons };
}

export type TraefikExposure = 'loadbalancer' | 'hostport' | 'nodeport';

/**
 * Whether a LoadBalancer Service gets an address on this cluster: from the cloud controller
 * manager on aws and openstack, from MetalLB on static hosts. Exoscale's CCM gives a load balancer
 * only to nodes in instance pools (exoscale-cloud-controller-manager docs/service-loadbalancer.md),
 * and this tool's nodes are single instances, so there the Service would stay pending.
 */
export function loadBalancerServicesWork(spec: Pick<ClusterSpec, 'provider' | 'cloudIntegration' | 'loadBalancer'>): boolean {
  switch (spec.provider.name) {
    case 'static':
      return spec.loadBalancer.metallb !== undefined;
    case 'exoscale':
      return false;
    case 'aws':
    case 'openstack':
      return cloudIntegrationOn(spec).ccm;
  }
}

/**
 * addons.traefik.expose with `auto` resolved. A LoadBalancer Service where one gets an address.
 * Otherwise on clouds (Exoscale, or the CCM off) NodePorts 30080/30443: the security groups
 * already admit NodePorts from firewall.nodePortCidrs, where host ports 80/443 would need a new
 * opening. On static hosts host ports 80/443 of the workers (no cloud firewall), except with
 * Cilium, which serves hostPort only with its kube-proxy replacement or the portmap chaining
 * (docs.cilium.io, "Kubernetes without kube-proxy", hostPort section), neither of which cni.ts sets.
 */
export function resolvedTraefikExpose(spec: Pick<ClusterSpec, 'provider' | 'cloudIntegration' | 'loadBalancer' | 'addons'> & { kubernetes: Pick<ClusterSpec['kubernetes'], 'cni'> }): TraefikExposure {
  const choice = spec.addons.traefik.expose;
  if (choice !== 'auto') return choice;
  if (loadBalancerServicesWork(spec)) return 'loadbalancer';
  return spec.provider.name === 'static' && spec.kubernetes.cni !== 'cilium' ? 'hostport' : 'nodeport';
}

/**
 * Velero's S3 keys, by field: the tool's own variables first, then the AWS SDK's (the pair that is
 * complete wins; the two are never mixed). Read at apply time, sent to the cluster's Secret
 * velero/velero-s3 on stdin, never written on this machine.
 */
export const VELERO_S3_VARIABLES = [
  { accessKeyId: 'K8SB_VELERO_S3_ACCESS_KEY_ID', secretAccessKey: 'K8SB_VELERO_S3_SECRET_ACCESS_KEY' } satisfies Record<string, EnvVarName>,
] as const;

export interface VeleroS3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** The variables they came from, for the run's note ("K8SB_VELERO_S3_ACCESS_KEY_ID/…"); never the values. */
  source: string;
}

const present = (env: Record<string, string | undefined>, name: string) => {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
};

/** The first complete pair of VELERO_S3_VARIABLES in `env`, or undefined when neither is complete. */
export function readVeleroS3Credentials(env: Record<string, string | undefined>): VeleroS3Credentials | undefined {
  for (const names of VELERO_S3_VARIABLES) {
    const accessKeyId = present(env, names.accessKeyId);
    const secretAccessKey = present(env, names.secretAccessKey);
    if (accessKeyId !== undefined && secretAccessKey !== undefined) {
      return { accessKeyId, secretAccessKey, source: `${names.accessKeyId}/${names.secretAccessKey}` };
    }
  }
  return undefined;
}
