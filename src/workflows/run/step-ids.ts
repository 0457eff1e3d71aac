/**
 * The checkpoint grammar: every step id init, add-workers, remove-workers, upgrade and addons apply record in
 * state.json, in one place. The ids are a file format: state.json files of existing clusters hold
 * them, so a spelling here never changes.
 */
import { CLOUD_STEP_IDS, type CloudStepKind } from '../../kube/cloud-integration.js';

export const stepId = {
  /** Cloud: terraform, packer and the provider's credentials found. */
  preflight: 'preflight',
  image: 'image',
  infrastructure: 'infrastructure',
  /** The nodes answer SSH with their pinned host keys. */
  reach: 'preflight:ssh',
  /** Rook-Ceph: the named disk is free on every worker. */
  rookDisk: 'preflight:rook-disk',
  prepare: (node: string) => `prepare:${node}`,
  loadBalancer: (node: string) => `lb:${node}`,
  init: (node: string) => `init:${node}`,
  cni: (cni: string) => `cni:${cni}`,
  /** cloud:ccm, cloud:csi, cloud:snapshots, cloud:storage-class, static:metallb, static:local-path. */
  cloud: (kind: CloudStepKind) => CLOUD_STEP_IDS[kind],
  /** Nodes initialised by the CCM, the default StorageClass present. */
  verifyCloud: 'verify:cloud',
  /** A node that has this checkpoint is part of the cluster (workers/plan-add.ts). */
  join: (node: string) => `join:${node}`,
  verify: 'verify',
  verifyEtcd: 'verify:etcd',
  verifyNetwork: 'verify:network',
  kubeconfig: 'kubeconfig',
  removeDrain: (node: string) => `remove-drain:${node}`,
  removeReset: (node: string) => `remove-reset:${node}`,
  removeDelete: (node: string) => `remove-delete:${node}`,
  removeVerify: 'remove-workers:verify',
  /** remove-control-plane: `etcdctl member remove` of the node's member, from a healthy member. */
  removeEtcdMember: (node: string) => `remove-etcd-member:${node}`,
  /** remove-/add-control-plane: etcd has one voting member per control plane afterwards (never checkpointed). */
  controlPlaneVerifyEtcd: 'control-plane:verify-etcd',
  /** Helm on the first control plane (add-ons: init, upgrade, addons apply). */
  addonHelm: 'addon:helm',
  /** One add-on's Helm release (kube/addons/pins.ts names): `addon:traefik`. */
  addon: (name: string) => `addon:${name}`,
} as const;

/** Checkpoints about one node, dropped when it leaves: a node of the same name later starts fresh. */
export function nodeStepIds(node: string): string[] {
  // init too: a removed first control plane's name may come back (a cloud's lowest free number) on a new machine.
  return [stepId.prepare(node), stepId.init(node), stepId.join(node), stepId.removeDrain(node), stepId.removeDelete(node), stepId.removeReset(node)];
}

export type UpgradeStage = 'kubeadm' | 'plan' | 'apply' | 'cni' | 'cloud-ccm' | 'cloud-csi' | 'node' | 'drain' | 'kubelet' | 'ready' | 'uncordon' | 'verify';

/** `upgrade:<version>:<stage>[:<node>]`: one stage of one node in one hop. */
export function upgradeStepId(version: string, stage: UpgradeStage, node?: string): string {
  return `upgrade:${version}:${stage}${node ? `:${node}` : ''}`;
}

/**
 * Init recorded a cloud-integration step (cloud:* or static:*): the cluster runs the CCM, CSI or
 * storage its later commands keep up. A cluster bootstrapped before they existed has none.
 */
export function cloudIntegrationInstalled(steps: Readonly<Record<string, unknown>>): boolean {
  return Object.keys(steps).some((id) => id.startsWith('cloud:') || id.startsWith('static:'));
}

/**
 * Safe drains (nodes/drain-ops.ts): the disruption check before a drain and the wait for the moved
 * workloads after it. Upgrade: `upgrade:<version>:disruption:<node>[+<node>…]` and
 * `upgrade:<version>:available:<node>[+<node>…]` (a batch of workers is one step); remove-workers:
 * `remove-disruption:<node>`, `remove-available:<node>`.
 */
export function upgradeDrainStepId(version: string, stage: 'disruption' | 'available', nodes: readonly string[]): string {
  return `upgrade:${version}:${stage}:${nodes.join('+')}`;
}

export const drainStepId = {
  removeDisruption: (node: string) => `remove-disruption:${node}`,
  removeAvailable: (node: string) => `remove-available:${node}`,
} as const;

/** The safe-drain checkpoints of a node, dropped with nodeStepIds when it leaves. */
export function drainNodeStepIds(node: string): string[] {
  return [drainStepId.removeDisruption(node), drainStepId.removeAvailable(node)];
}

/**
 * Backups (workflows/backup): `backup:<reason>:<key>`, one checkpoint per change it protects:
 * backup:upgrade:1.37.1, backup:remove-control-plane:cp-2, backup:manual:<stamp>.
 */
export function backupStepId(reason: string, key: string): string {
  return `backup:${reason}:${key}`;
}

/**
 * Restore (workflows/restore): `restore:<stamp>:<stage>[:<node>]` — prepare, stop:<cp>, swap, start,
 * api, rejoin:<cp>, ready. Their inputs are the restore's run key, so a later restore of the same
 * backup starts over.
 */
export function restoreStepId(stamp: string, stage: string, node?: string): string {
  return `restore:${stamp}:${stage}${node ? `:${node}` : ''}`;
}

/**
 * certs renew (workflows/certs): `certs-renew:<stage>:<node>`, stage renew | restart | ready; the
 * checkpoints carry the run's id as inputs (state fact certs.renew.run), so an interrupted renewal
 * resumes where it stopped and a later one renews again.
 */
export function certsRenewStepId(stage: 'renew' | 'restart' | 'ready', node: string): string {
  return `certs-renew:${stage}:${node}`;
}
