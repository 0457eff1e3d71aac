/**
 * The backup that goes first in a change that can lose the cluster (upgrade, remove-control-plane,
 * add-control-plane, restore): one checkpointed step that takes, verifies and keeps an etcd
 * snapshot and the PKI (take.ts), so a resumed run does not take a second one. When it fails, the
 * change stops there, before anything was changed, with a hint naming --skip-backup.
 *
 * Usage (inside the caller's withRun, before its first changing phase):
 *
 *   if (!options.skipBackup) {
 *     await run.runPhases([preChangeBackupPhase({ reason: 'remove-control-plane', key: node, spec, dir,
 *       topology, ops: () => ops, kubernetesVersion: run.state.current.kubernetesVersion ?? spec.kubernetes.version,
 *       env: host.env, exclude: [deadNode] })]);
 *   } else run.say('--skip-backup: no etcd snapshot is taken before …', 'warning');
 *
 * and in the dry-run plan: `describePhases([preChangeBackupPhase({ …, ops: notConnected })])`.
 * Await assertPreChangeBackupPossible(spec, env, what) before the confirmation so a missing S3
 * credential fails before anything is asked or taken.
 *
 * Options:
 *   reason   backup.json's reason and the first part of the step id ('upgrade', 'remove-control-plane', …)
 *   key      what makes this change's checkpoint its own: the target version, the node's name
 *   spec, dir, topology   the cluster (topology: the control planes to take it from, in order)
 *   ops      the run's SshNodeOps (a thunk, so a plan can pass notConnected)
 *   kubernetesVersion     recorded in backup.json (state.json's kubernetesVersion)
 *   env      for the S3 credentials when spec.backup.s3 is set
 *   exclude  control planes not to take it from (a dead node being removed)
 *   what     the change in words, for the error ("upgrading to v1.37.1"); default the reason
 */
import { BackupRequiredError, BootstrapError, PreflightError } from '../../errors.js';
import type { Phase, Step } from '../../engine/step.js';
import type { ClusterSpec } from '../../config/schema.js';
import type { SshNodeOps } from '../../nodes/ssh-node-ops.js';
import type { Topology } from '../../nodes/topology.js';
import type { ClusterDir } from '../../state/cluster-dir.js';
import { backupStepId } from '../run/step-ids.js';
import type { BackupReason } from './folder.js';
import { backupS3Credentials, takeBackup } from './take.js';

export interface PreChangeBackupOptions {
  reason: BackupReason;
  key: string;
  spec: ClusterSpec;
  dir: ClusterDir;
  topology: Topology;
  ops: () => SshNodeOps;
  kubernetesVersion: string;
  env: NodeJS.ProcessEnv;
  exclude?: string[];
  what?: string;
}

/** The step alone, for a caller that builds its own phase. */
export function preChangeBackupStep(options: PreChangeBackupOptions): Step {
  const { spec, topology } = options;
  const from = topology.controlPlanes.find((node) => !(options.exclude ?? []).includes(node.name));
  const where = spec.backup.s3 ? ` and s3://${spec.backup.s3.bucket}` : '';
  return {
    stepId: backupStepId(options.reason, options.key),
    title: `etcd snapshot and PKI, verified, kept in clusters/${spec.name}/backups/${where}`,
    detail: `etcdctl snapshot save + etcdutl snapshot status on the first healthy control plane; keep the newest ${spec.backup.keep}`,
    tool: 'etcdctl',
    ...(from ? { node: from.name } : {}),
    timeoutMs: 20 * 60_000,
    retries: 1,
    retryable: (error) => !(error instanceof PreflightError),
    run: async (ctx) => {
      try {
        await takeBackup(
          {
            spec,
            dir: options.dir,
            topology,
            ops: options.ops(),
            reason: options.reason,
            kubernetesVersion: options.kubernetesVersion,
            env: options.env,
            ...(options.exclude ? { exclude: options.exclude } : {}),
          },
          ctx,
        );
      } catch (error) {
        if (ctx.signal.aborted || !(error instanceof BootstrapError)) throw error;
        throw new BackupRequiredError('BackupFailed', `No backup could be taken before ${options.what ?? options.reason}: ${error.message}`, {
          cause: error,
          details: error.details,
          hint: `Nothing was changed. ${error.hint ? `${error.hint} ` : ''}To go on without a backup (not recommended), run the same command with --skip-backup.`,
        });
      }
    },
  };
}

export function preChangeBackupPhase(options: PreChangeBackupOptions): Phase {
  return { title: 'Backup', steps: [preChangeBackupStep(options)] };
}

/** Before any confirmation: with spec.backup.s3 set, the credentials must be in the environment. */
export async function assertPreChangeBackupPossible(spec: ClusterSpec, env: NodeJS.ProcessEnv, what: string): Promise<void> {
  await backupS3Credentials(spec, env, what);
}
