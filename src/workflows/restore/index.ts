/**
 * `restore --from SNAPSHOT`: the cluster's etcd back to a backup (workflows/backup), the
 * documented kubeadm/etcd way (phases.ts lists the steps and the sources).
 *
 * Before anything changes, on this machine: the backup is resolved (folder, stamp or its
 * etcd-snapshot.db) and verified (backup.json, this cluster's name, both files' sha256 and size):
 * a mismatch is a usage error (exit 2). Then the plan, and the confirmation by typed name: a
 * person types the cluster's name; without a person, --confirm-name <cluster> must name it
 * (--yes alone is refused: a restore loses every change made since the backup). A wrong name is
 * exit 2, nothing changed. A dry run prints the plan only.
 *
 * After the confirmation, under the lock: a backup of the current state (reason "restore") unless
 * --skip-backup, then the restore's checkpointed steps. An interrupted restore of the same backup
 * resumes (the run key is kept in state.json's facts until the restore ends).
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describePhases, formatPlan, notConnected } from '../../engine/describe.js';
import { emitTo, type Host, type ResultBase } from '../../engine/host.js';
import { UsageError } from '../../errors.js';
import { BACKUP_FILES } from '../../kube/etcd-snapshot.js';
import { runSecrets } from '../../providers/credentials.js';
import type { Topology } from '../../nodes/topology.js';
import { assertPreChangeBackupPossible, preChangeBackupPhase } from '../backup/pre-change.js';
import { RESTORE_DEFAULTS } from '../defaults.js';
import { loadCluster, topologyOf } from '../run/load-cluster.js';
import type { ClusterRef } from '../run/cluster-ref.js';
import { runNodeOps } from '../run/node-ops.js';
import { withRun } from '../run/session.js';
import { createSshPool } from '../run/ssh-pool.js';
import { restorePhases } from './phases.js';
import { resolveBackupFolder, verifyBackup, type VerifiedBackup } from './verify.js';

export interface RestoreOptions extends ClusterRef {
  /** The backup: a folder clusters/<name>/backups/<stamp>/, its stamp, or its etcd-snapshot.db. */
  from?: string;
  /** The cluster's name, typed ahead: the confirmation without a person. */
  confirmName?: string;
  /** --yes was given (refused without confirmName). */
  yes?: boolean;
  /** No backup of the current state first (not recommended). */
  skipBackup?: boolean;
  dryRun?: boolean;
  timeoutMs?: number;
  sshTimeoutMs?: number;
  apiTimeoutMs?: number;
  readyTimeoutMs?: number;
}

export interface RestoreResult extends ResultBase {
  dryRun: boolean;
  /** The backup restored. */
  stamp: string;
  from: string;
  /** The backup of the state before the restore (unset with --skip-backup or a dry run). */
  preRestoreBackup?: string;
  /** Where the first control plane's old etcd data dir was kept. */
  oldDataDir?: string;
  controlPlanes: string[];
}

const FACT_RUN = 'restore.run';

export async function restoreCluster(host: Host, options: RestoreOptions): Promise<RestoreResult> {
  const startedAt = Date.now();
  if (!options.from) {
    throw new UsageError('RestoreFromRequired', 'restore needs --from: the backup to restore', { hint: 'Pass --from clusters/<name>/backups/<stamp> (or its stamp); "ls clusters/<name>/backups" lists them.' });
  }
  const cluster = await loadCluster(host, options);
  const { spec, dir } = cluster;
  const dryRun = options.dryRun === true;
  // On this machine, before anything is asked or touched.
  const backup = await verifyBackup(await resolveBackupFolder(options.from, dir, host.cwd), spec.name);
  if (!dryRun) checkConfirmation(host, spec.name, options);
  const skipBackup = options.skipBackup === true;
  if (!dryRun && !skipBackup) await assertPreChangeBackupPossible(spec, host.env, 'Cannot restore the cluster');
  const topology = topologyOf(cluster);
  const defaults = RESTORE_DEFAULTS;
  const kubernetesVersion = cluster.state.kubernetesVersion ?? spec.kubernetes.version;
  const backupOptions = (ops: Parameters<typeof preChangeBackupPhase>[0]['ops']) => ({
    reason: 'restore' as const, key: backup.stamp, spec, dir, topology, ops, kubernetesVersion, env: host.env, what: `restoring ${backup.stamp}`,
  });
  const phaseOptions = {
    topology,
    backup,
    dir,
    apiTimeoutMs: options.apiTimeoutMs ?? defaults.apiTimeoutMs,
    readyTimeoutMs: options.readyTimeoutMs ?? defaults.readyTimeoutMs,
    files: () => readFiles(backup),
  };
  const steps = [
    ...(skipBackup ? [] : describePhases([preChangeBackupPhase(backupOptions(notConnected))])),
    ...describePhases(restorePhases({ ...phaseOptions, runKey: 'plan', ops: notConnected })),
  ];
  const record = backup.record;
  const text = [
    `Restore of cluster ${spec.name} to backup ${backup.stamp} (taken ${record.takenAt} from ${record.node}, ${record.reason}; etcd revision ${record.etcd.revision}, ${record.etcd.totalKey} keys)`,
    `Every change made to the cluster since then is lost. Control planes: ${topology.controlPlanes.map((n) => n.name).join(', ')}.`,
    '',
    formatPlan(steps),
  ].join('\n');
  emitTo(host, { type: 'plan', time: Date.now(), command: 'restore', cluster: spec.name, dryRun, steps, text });
  const base = { cluster: spec.name, stamp: backup.stamp, from: backup.folder, controlPlanes: topology.controlPlanes.map((n) => n.name) };
  if (dryRun) return { ...base, dryRun, summary: ['[dry run] nothing was changed.'] };

  if (options.confirmName === undefined) {
    const go = await host.confirm({ command: 'restore', message: `This restores cluster ${spec.name} to ${backup.stamp}.`, doing: `restoring ${spec.name}`, typeToConfirm: spec.name });
    if (!go) throw wrongName(spec.name, undefined);
  }

  // Read now: the backup taken first may prune the oldest backups (backup.keep), this one too.
  const files = await readFiles(backup);
  const timeoutMs = Math.max(1_000, (options.timeoutMs ?? defaults.timeoutMs) - (Date.now() - startedAt));
  let preRestoreBackup: string | undefined;
  let oldDataDir: string | undefined;
  await withRun(host, dir, { command: 'restore', cluster: spec.name, timeoutMs, secrets: runSecrets(spec, host.env) }, async (run) => {
    const pool = createSshPool(run, { spec, dir, topology, concurrency: 4, sshTimeoutMs: options.sshTimeoutMs ?? defaults.sshTimeoutMs, env: host.env });
    try {
      const ops = runNodeOps(host, spec, dir, pool, run.secrets);
      // One key per restore of this backup: a resumed run finds its checkpoints, a later one starts over.
      const saved = run.state.current.facts[FACT_RUN];
      const runKey = typeof saved === 'string' && saved.startsWith(`${backup.stamp}/`) ? saved : `${backup.stamp}/${randomUUID()}`;
      if (runKey !== saved) {
        await run.state.update((state) => {
          state.facts[FACT_RUN] = runKey;
        });
      }
      if (skipBackup) run.say(`--skip-backup: no etcd snapshot of the current state is taken before restoring ${backup.stamp}`, 'warning');
      else {
        const before = Date.now();
        await run.runPhases([preChangeBackupPhase({ ...backupOptions(() => ops), key: runKey })]);
        preRestoreBackup = await newestSince(dir.root, before);
      }
      await run.runPhases(restorePhases({ ...phaseOptions, files: async () => files, runKey, ops: () => ops, oldDataDir: (path) => (oldDataDir = path) }));
      await run.state.update((state) => {
        delete state.facts[FACT_RUN];
      });
    } finally {
      await pool.closeAll();
    }
  });
  return {
    ...base,
    dryRun,
    ...(preRestoreBackup ? { preRestoreBackup } : {}),
    ...(oldDataDir ? { oldDataDir } : {}),
    summary: [
      `Cluster ${spec.name} restored to ${backup.stamp} (etcd revision ${record.etcd.revision}); every node is Ready.`,
      ...(preRestoreBackup ? [`The state before the restore is in backup ${preRestoreBackup}.`] : []),
      ...(oldDataDir ? [`${firstName(topology)}'s previous etcd data dir is kept in ${oldDataDir}.`] : []),
    ],
  };
}

const firstName = (topology: Topology) => topology.controlPlanes[0]?.name ?? 'the first control plane';

/** Without a person, the typed name must come as --confirm-name; --yes alone is not enough. */
export function checkConfirmation(host: Host, name: string, options: RestoreOptions): void {
  if (options.confirmName !== undefined) {
    if (options.confirmName !== name) throw wrongName(name, options.confirmName);
    return;
  }
  if (options.yes || !host.interactive) {
    throw new UsageError('ConfirmNameRequired', `restore replaces cluster ${name}'s etcd with the backup: ${options.yes ? '--yes alone does not confirm it' : 'nobody can type the name here'}; pass --confirm-name ${name}`, {
      hint: `Run it again with --confirm-name ${name} (the cluster's name, typed).`,
    });
  }
}

function wrongName(name: string, typed: string | undefined): UsageError {
  return new UsageError('ConfirmNameMismatch', `${typed === undefined ? 'The name typed' : `--confirm-name ${JSON.stringify(typed)}`} is not the cluster's name (${name}): nothing was restored`, {
    hint: `Type ${name} exactly (or pass --confirm-name ${name}).`,
  });
}

async function readFiles(backup: VerifiedBackup): Promise<{ snapshot: Buffer; pki: Buffer }> {
  return {
    snapshot: await readFile(join(backup.folder, BACKUP_FILES.snapshot)),
    pki: await readFile(join(backup.folder, BACKUP_FILES.pki)),
  };
}

/** The newest backup stamp written since `since` (the pre-restore backup), if any. */
async function newestSince(root: string, since: number): Promise<string | undefined> {
  const { readdir, stat } = await import('node:fs/promises');
  const dirPath = join(root, 'backups');
  const names = (await readdir(dirPath).catch(() => [] as string[])).filter((n) => /^\d{8}T\d{6}Z$/.test(n)).sort().reverse();
  for (const name of names) {
    const info = await stat(join(dirPath, name, BACKUP_FILES.record)).catch(() => undefined);
    if (info && info.mtimeMs >= since - 1000) return name;
  }
  return undefined;
}
