/**
 * `backup`: an etcd snapshot of the cluster, verified, with the PKI a restore needs, kept in
 * clusters/<name>/backups/<stamp>/ (and in spec.backup.s3's bucket), the newest backup.keep kept.
 * Nothing on the cluster changes (a temporary file on one control plane, removed again), so there
 * is no confirmation; the lock is taken (a backup during an upgrade would race its restarts).
 * A missing S3 credential fails before any SSH. Run again after a failure: a new snapshot is taken
 * (a failed one leaves nothing behind, locally or on the node).
 */
import { randomUUID } from 'node:crypto';
import { describePhases, formatPlan, notConnected } from '../../engine/describe.js';
import { emitTo, type Host, type ResultBase } from '../../engine/host.js';
import { runSecrets } from '../../providers/credentials.js';
import { backupStamp } from '../../kube/etcd-snapshot.js';
import type { Topology } from '../../nodes/topology.js';
import type { SshNodeOps } from '../../nodes/ssh-node-ops.js';
import type { Phase } from '../../engine/step.js';
import type { ClusterSpec } from '../../config/schema.js';
import type { ClusterDir } from '../../state/cluster-dir.js';
import { BACKUP_DEFAULTS } from '../defaults.js';
import { loadCluster, topologyOf } from '../run/load-cluster.js';
import type { ClusterRef } from '../run/cluster-ref.js';
import { runNodeOps } from '../run/node-ops.js';
import { withRun } from '../run/session.js';
import { createSshPool } from '../run/ssh-pool.js';
import { backupStepId } from '../run/step-ids.js';
import { backupS3Credentials, takeBackup, type BackupTaken } from './take.js';
import type { BackupRecord } from './folder.js';

export interface BackupOptions extends ClusterRef {
  /** Show the plan; take nothing. */
  dryRun?: boolean;
  /** The whole command's time limit. */
  timeoutMs?: number;
  /** How long to wait for a control plane to answer SSH. */
  sshTimeoutMs?: number;
}

export interface BackupResult extends ResultBase {
  dryRun: boolean;
  /** The backup folder (absolute); unset for a dry run. */
  path?: string;
  stamp?: string;
  record?: BackupRecord;
  /** Older backups removed to keep backup.keep. */
  pruned: string[];
}

interface PhaseOptions {
  spec: ClusterSpec;
  dir: ClusterDir;
  topology: Topology;
  ops: () => SshNodeOps;
  stamp: string;
  kubernetesVersion: string;
  env: NodeJS.ProcessEnv;
  taken: (backup: BackupTaken) => void;
}

function backupPhase(options: PhaseOptions): Phase {
  const { spec, topology } = options;
  const where = spec.backup.s3 ? ` and s3://${spec.backup.s3.bucket}` : '';
  return {
    title: 'Backup',
    steps: [
      {
        stepId: backupStepId('manual', 'run'),
        title: `etcd snapshot and PKI, verified, kept in clusters/${spec.name}/backups/${where}`,
        detail: `etcdctl snapshot save + etcdutl snapshot status on the first healthy control plane (${topology.controlPlanes.map((n) => n.name).join(', ')}); keep the newest ${spec.backup.keep}`,
        tool: 'etcdctl',
        node: topology.controlPlanes[0]?.name,
        // Every run takes a new one: the checkpoint never matches an earlier run's.
        inputs: `run-${randomUUID()}`,
        timeoutMs: 20 * 60_000,
        run: async (ctx) => {
          options.taken(
            await takeBackup(
              { spec, dir: options.dir, topology, ops: options.ops(), reason: 'manual', kubernetesVersion: options.kubernetesVersion, env: options.env, stamp: options.stamp },
              ctx,
            ),
          );
        },
      },
    ],
  };
}

export async function backupCluster(host: Host, options: BackupOptions): Promise<BackupResult> {
  const cluster = await loadCluster(host, options);
  const { spec, dir } = cluster;
  const dryRun = options.dryRun === true;
  // Before any SSH: a bucket without keys would fail after the snapshot.
  if (!dryRun) await backupS3Credentials(spec, host.env);
  const topology = topologyOf(cluster);
  const kubernetesVersion = cluster.state.kubernetesVersion ?? spec.kubernetes.version;
  const stamp = backupStamp(new Date());
  const base = { spec, dir, topology, stamp, kubernetesVersion, env: host.env };
  const steps = describePhases([backupPhase({ ...base, ops: notConnected, taken: notConnected })]);
  const text = [`Backup of cluster ${spec.name} into ${dir.root}/backups/${stamp}/ (etcd-snapshot.db, pki.tar.gz, backup.json)`, '', formatPlan(steps)].join('\n');
  emitTo(host, { type: 'plan', time: Date.now(), command: 'backup', cluster: spec.name, dryRun, steps, text });
  if (dryRun) return { cluster: spec.name, dryRun, pruned: [], summary: ['[dry run] nothing was taken.'] };

  const defaults = BACKUP_DEFAULTS;
  let taken: BackupTaken | undefined;
  await withRun(host, dir, { command: 'backup', cluster: spec.name, timeoutMs: options.timeoutMs ?? defaults.timeoutMs, secrets: runSecrets(spec, host.env) }, async (run) => {
    const pool = createSshPool(run, { spec, dir, topology, concurrency: 2, sshTimeoutMs: options.sshTimeoutMs ?? defaults.sshTimeoutMs, env: host.env });
    try {
      const ops = runNodeOps(host, spec, dir, pool, run.secrets);
      await run.runPhases([backupPhase({ ...base, ops: () => ops, taken: (backup) => (taken = backup) })]);
    } finally {
      await pool.closeAll();
    }
  });
  const backup = taken!;
  const { etcd } = backup.record;
  const s3 = backup.record.s3 ? ` and s3://${backup.record.s3.bucket}` : '';
  return {
    cluster: spec.name,
    dryRun,
    path: backup.path,
    stamp: backup.stamp,
    record: backup.record,
    pruned: backup.pruned,
    summary: [
      `Backup ${backup.stamp} of ${spec.name} from ${backup.record.node}: etcd revision ${etcd.revision}, ${etcd.totalKey} keys, ${etcd.totalSize} bytes, verified; in ${backup.path}${s3}.`,
      ...(backup.pruned.length > 0 ? [`Removed ${backup.pruned.length} older backup(s) to keep ${spec.backup.keep}.`] : []),
    ],
  };
}
