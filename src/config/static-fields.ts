/**
 * Fields a static cluster does not use: the host list decides the counts, and machines you
 * already have come with their own disks, sizes and image; SSH and the API are not opened by a
 * cloud firewall (ssh.adminCidrs); there is no cloud whose controllers could run (cloudIntegration). Validation resets them to their defaults, so a value left in
 * an older file is ignored rather than compared or checked, and cluster.yaml leaves them out, so
 * an edit of the host list never contradicts a count written next to it.
 */
import type { ClusterSpec } from './schema.js';

const DEFAULT_DISK_GB = 50;

/** The spec with the fields static hosts ignore set to their defaults (counts: from the hosts). */
export function resetStaticIgnored(spec: ClusterSpec): ClusterSpec {
  if (spec.provider.name !== 'static') return spec;
  const hosts = spec.provider.hosts;
  return {
    ...spec,
    controlPlane: { count: hosts.filter((h) => h.role === 'control-plane').length, diskGb: DEFAULT_DISK_GB },
    workers: { count: hosts.filter((h) => h.role === 'worker').length, diskGb: DEFAULT_DISK_GB, min: spec.workers.min },
    ssh: { ...spec.ssh, adminCidrs: [] },
    image: { build: true },
    cloudIntegration: { ccm: false, csi: false, credentials: 'terraform' },
  };
}

/** What cluster.yaml holds for a static cluster: the spec without the fields above (workers.min stays when set). */
export function withoutStaticIgnored(spec: ClusterSpec): unknown {
  if (spec.provider.name !== 'static') return spec;
  const { controlPlane: _controlPlane, workers, image: _image, ssh, cloudIntegration: _cloudIntegration, ...rest } = spec;
  const { adminCidrs: _adminCidrs, ...sshRest } = ssh;
  return { ...rest, ...(workers.min !== 0 ? { workers: { min: workers.min } } : {}), ssh: sshRest };
}
