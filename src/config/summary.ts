/** The summary shown before init writes and runs anything: what will be built, in one table. */
import { enabledAddonNames, resolvedTraefikExpose, type TraefikExposure } from './addons.js';
import { cloudIntegrationOn, resolvedStorageClass } from './cloud-integration.js';
import type { ClusterSpec } from './schema.js';
import { STATIC_HA_PORT } from '../providers/static.js';

export function specSummaryRows(spec: ClusterSpec, credentialsSource?: string): [string, string][] {
  const p = spec.provider;
  const rows: [string, string][] = [['Name', spec.name]];
  switch (p.name) {
    case 'exoscale':
      rows.push(['Provider', `exoscale, zone ${p.zone}`]);
      break;
    case 'aws':
    case 'openstack':
      rows.push(['Provider', `${p.name}, region ${p.region}`]);
      break;
    case 'static':
      rows.push(['Provider', `static, ${p.hosts.length} host${p.hosts.length === 1 ? '' : 's'}`]);
      for (const host of p.hosts) rows.push(['', `${host.address}${host.name ? ` (${host.name})` : ''}: ${host.role}`]);
      rows.push(...staticEndpointRows(p));
      break;
  }
  if (p.name !== 'static' && credentialsSource) rows.push(['Credentials', credentialsSource]);
  rows.push(['Control planes', group(spec.controlPlane.count, spec.controlPlane.type, spec.controlPlane.diskGb, p.name === 'static')]);
  rows.push(['Workers', group(spec.workers.count, spec.workers.type, spec.workers.diskGb, p.name === 'static')]);
  rows.push(['Kubernetes', `${spec.kubernetes.version}, ${spec.kubernetes.runtime}, ${spec.kubernetes.cni}`]);
  rows.push([
    'Networks',
    [spec.network.nodeCidr && `nodes ${spec.network.nodeCidr}`, `pods ${spec.network.podCidr}`, `services ${spec.network.serviceCidr}`]
      .filter(Boolean)
      .join(', '),
  ]);
  if (p.name !== 'static') rows.push(['Admin CIDRs', spec.ssh.adminCidrs.join(', ') || '(none)']);
  // Without a key file static hosts are reached through the ssh-agent; cloud nodes get a generated key.
  const key = spec.ssh.privateKey ? `key ${spec.ssh.privateKey}` : p.name === 'static' ? 'ssh-agent (SSH_AUTH_SOCK)' : 'key generated in the cluster folder';
  rows.push(['SSH', `${spec.ssh.user}, ${key}`]);
  if (p.name !== 'static') rows.push(['Image', spec.image.id ? `existing ${spec.image.id}` : 'built with Packer']);
  rows.push(...integrationRows(spec));
  rows.push(['Add-ons', addonsSummary(spec)]);
  return rows;
}

const EXPOSURE_TEXT: Record<TraefikExposure, string> = {
  loadbalancer: 'LoadBalancer Service',
  hostport: 'ports 80/443 on the workers',
  nodeport: 'NodePort',
};

/** The enabled add-ons with what distinguishes each, e.g. "traefik (LoadBalancer Service)". */
function addonsSummary(spec: ClusterSpec): string {
  const addons = spec.addons;
  const detail = (name: ReturnType<typeof enabledAddonNames>[number]): string | undefined => {
    switch (name) {
      case 'traefik':
        return EXPOSURE_TEXT[resolvedTraefikExpose(spec)];
      case 'cert-manager':
        return addons['cert-manager'].acmeEmail ? `self-signed and ACME for ${addons['cert-manager'].acmeEmail}` : 'self-signed issuer';
      case 'kube-prometheus-stack':
        return addons['kube-prometheus-stack'].domain ? `grafana.${addons['kube-prometheus-stack'].domain}` : undefined;
      case 'fluent-bit':
        return addons['fluent-bit'].output ? `to ${addons['fluent-bit'].output.name}` : undefined;
      case 'velero':
        return addons.velero.bucket ? `bucket ${addons.velero.bucket}, schedule ${addons.velero.schedule}` : undefined;
      default:
        return undefined;
    }
  };
  const names = enabledAddonNames(spec);
  if (names.length === 0) return 'none';
  return names.map((name) => {
    const text = detail(name);
    return text ? `${name} (${text})` : name;
  }).join(', ');
}

/** The cloud's controllers (clouds), MetalLB (static) and the default StorageClass, as resolved. */
function integrationRows(spec: ClusterSpec): [string, string][] {
  const rows: [string, string][] = [];
  if (spec.provider.name !== 'static') {
    const { ccm, csi } = cloudIntegrationOn(spec);
    const parts = [ccm && 'cloud controller manager', csi && 'CSI driver'].filter(Boolean);
    rows.push(['Cloud', parts.length > 0 ? `${spec.provider.name} ${parts.join(' + ')}` : 'no cloud controller manager, no CSI driver']);
  } else {
    const metallb = spec.loadBalancer.metallb;
    rows.push(['Load balancer', metallb ? `MetalLB (L2), ${metallb.addresses.join(', ')}` : 'none (LoadBalancer Services stay pending)']);
  }
  const storage: Record<ReturnType<typeof resolvedStorageClass>, string> = {
    cloud: `default class from the ${spec.provider.name} CSI driver`,
    'local-path': 'default class local-path (node-local; the data is lost with the node)',
    'rook-ceph': `default class rook-ceph, on /dev/${spec.storage.rookCeph?.device ?? '?'} of every worker`,
    none: 'no default class',
  };
  // Labels stay within the widest existing one ("Control planes"), so the table keeps its columns.
  rows.push(['Storage', storage[resolvedStorageClass(spec)]]);
  return rows;
}

type StaticProvider = Extract<ClusterSpec['provider'], { name: 'static' }>;

/** The API endpoint the run will use, the way providers/static.ts derives it, and the VIP that backs it. */
function staticEndpointRows(p: StaticProvider): [string, string][] {
  if (p.apiEndpoint) return [['API endpoint', p.apiEndpoint]];
  const controlPlanes = p.hosts.filter((host) => host.role === 'control-plane');
  if (controlPlanes.length > 1 && p.virtualIp) {
    return [
      ['Virtual IP', `${p.virtualIp} (keepalived on the control planes)`],
      ['API endpoint', `${p.virtualIp}:${STATIC_HA_PORT} (haproxy on the control planes)`],
    ];
  }
  const first = controlPlanes[0];
  return first ? [['API endpoint', `${first.privateAddress ?? first.address}:6443 (the first control plane)`]] : [];
}

/** What saying yes does, for the confirmation: clouds are billed, static hosts are changed. */
export function changeNotice(spec: ClusterSpec): string {
  return spec.provider.name === 'static'
    ? `This changes the hosts: installs packages and runs kubeadm on ${spec.provider.hosts.length === 1 ? 'it' : `all ${spec.provider.hosts.length}`}.`
    : `This creates cloud resources in ${spec.provider.name}, which are billed until destroyed.`;
}

function group(count: number, type: string | undefined, diskGb: number, isStatic: boolean): string {
  if (isStatic) return String(count);
  return `${count} × ${type ?? 'default type'}, ${diskGb} GiB disk`;
}

export function formatSpecSummary(spec: ClusterSpec, credentialsSource?: string): string {
  const rows = specSummaryRows(spec, credentialsSource);
  const width = Math.max(...rows.map(([label]) => label.length));
  return `${rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join('\n')}\n`;
}
