/** The summary shown before init writes and runs anything: what will be built, in one table. */
import type { ClusterSpec } from './schema.js';

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
      if (p.apiEndpoint) rows.push(['API endpoint', p.apiEndpoint]);
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
  rows.push(['SSH', `${spec.ssh.user}, key ${spec.ssh.privateKey ?? 'generated in the cluster folder'}`]);
  if (p.name !== 'static') rows.push(['Image', spec.image.id ? `existing ${spec.image.id}` : 'built with Packer']);
  return rows;
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
