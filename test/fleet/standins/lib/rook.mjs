// Rook-Ceph as an installer can observe it. While the operator (image rook/ceph, a Ready
// Deployment in the CephCluster's namespace) runs, each CephCluster gets a status: every node named
// in spec.storage.nodes whose device (devices[].name) is on that machine as an empty disk
// (FleetNodeSpec.disks, or one that already holds ceph_bluestore) gives one OSD; Ceph is HEALTH_OK
// when there are at least osd_pool_default_size OSDs (spec.cephConfig.global, default 3), else
// HEALTH_WARN with TOO_FEW_OSDS "OSD count N < osd_pool_default_size M" (the mon's health check),
// and a pool of size 1 warns POOL_NO_REDUNDANCY unless mon_warn_on_pool_no_redundancy is "false".
// A CephBlockPool is Ready once its cluster has at least spec.replicated.size OSDs. Without the
// operator nothing gets a status. The RBD CSI (storage.mjs) provisions for a class whose pool is Ready.
import { imageRepository } from './cloud-apps.mjs';
import { workloadsOf } from './ccm.mjs';
import { hostPaths } from './cluster.mjs';
import { readJson } from './lock.mjs';
import { listObjects } from './objects.mjs';

export const ROOK_OPERATOR_IMAGE = 'rook/ceph';
export const ROOK_RBD_PROVISIONER = 'rook-ceph.rbd.csi.ceph.com';

const operatorReady = (api, namespace) =>
  workloadsOf(api, () => true).some((entry) => entry.ready && entry.object.kind === 'Deployment' && entry.object.namespace === namespace && imageRepository(entry.container.image) === ROOK_OPERATOR_IMAGE);

/** The disks a fleet machine declared (node.json), by name. */
function disksOn(host) {
  const info = readJson(`${hostPaths(host).state}/node.json`, {});
  return (info.disks ?? []).map((disk) => (typeof disk === 'string' ? { name: disk } : disk));
}

/** Would Rook's osd-prepare take this device on this node: an empty whole disk, or Ceph's own. */
function osdOn(host, device) {
  const disk = disksOn(host).find((d) => d.name === String(device).replace(/^\/dev\//, ''));
  if (!disk) return false;
  if (disk.fstype === 'ceph_bluestore') return true;
  return !disk.fstype && (disk.partitions ?? []).length === 0;
}

function osdCount(api, cluster) {
  const storage = cluster.body?.spec?.storage ?? {};
  let count = 0;
  for (const node of storage.nodes ?? []) {
    // Rook runs osd-prepare on registered Nodes only (name = kubernetes.io/hostname).
    const registered = Object.values(api.nodes ?? {}).find((entry) => entry.name === node.name) ?? api.nodes?.[node.name];
    if (!registered) continue;
    for (const device of node.devices ?? []) if (osdOn(registered.host ?? node.name, device.name)) count++;
  }
  return count;
}

export function reconcileRook(api) {
  const clusters = listObjects(api, 'CephCluster');
  for (const cluster of clusters) {
    if (!operatorReady(api, cluster.namespace)) continue;
    const osds = osdCount(api, cluster);
    const global = cluster.body?.spec?.cephConfig?.global ?? {};
    const defaultSize = Number(global.osd_pool_default_size ?? 3);
    const details = {};
    if (osds < defaultSize) details.TOO_FEW_OSDS = { message: `OSD count ${osds} < osd_pool_default_size ${defaultSize}`, severity: 'HEALTH_WARN' };
    const pools = listObjects(api, 'CephBlockPool', cluster.namespace);
    const lonely = pools.filter((pool) => Number(pool.body?.spec?.replicated?.size ?? 3) === 1);
    if (lonely.length > 0 && String(global.mon_warn_on_pool_no_redundancy ?? 'true') !== 'false') {
      details.POOL_NO_REDUNDANCY = { message: `${lonely.length} pool(s) have no replicas configured`, severity: 'HEALTH_WARN' };
    }
    const health = Object.keys(details).length === 0 ? 'HEALTH_OK' : 'HEALTH_WARN';
    const status = { phase: 'Ready', state: 'Created', message: 'Cluster created successfully', ceph: { health, ...(health === 'HEALTH_OK' ? {} : { details }) } };
    if (JSON.stringify(cluster.status) !== JSON.stringify(status)) cluster.status = status;
    for (const pool of pools) {
      const size = Number(pool.body?.spec?.replicated?.size ?? 3);
      const phase = osds >= size ? 'Ready' : 'Progressing';
      if (pool.status?.phase !== phase) pool.status = { phase };
    }
  }
}

/** Does the RBD CSI provision for this class: the operator runs and the class's pool (parameters.pool in clusterID) is Ready. */
export function rbdReadyFor(api, storageClass) {
  const params = storageClass.body?.parameters ?? {};
  const namespace = params.clusterID ?? 'rook-ceph';
  if (!operatorReady(api, namespace)) return false;
  return listObjects(api, 'CephBlockPool', namespace).some((pool) => pool.name === params.pool && pool.status?.phase === 'Ready');
}
