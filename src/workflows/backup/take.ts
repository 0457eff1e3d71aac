/**
 * One backup, start to end, as the steps of backup, upgrade and the control-plane changes run it:
 * the first control plane whose etcd is healthy (in topology order, skipping `exclude`) saves and
 * verifies a snapshot (etcdutl snapshot status: a revision and keys), the snapshot and the PKI
 * archive come here into backups/.partial-<stamp>/, their sha256 must match the node's, then
 * backup.json and the rename to backups/<stamp>/; the node's copies are removed whatever happened.
 * With spec.backup.s3 the three files go to the bucket too; then the newest backup.keep are kept.
 */
import { chmod, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { StepContext } from '../../engine/step.js';
import { ExternalToolError, PreflightError } from '../../errors.js';
import type { ClusterSpec } from '../../config/schema.js';
import { BACKUP_FILES, backupStamp, stampTime, verificationProblem } from '../../kube/etcd-snapshot.js';
import { EtcdBackupOps, EtcdUnhealthyError } from '../../nodes/etcd-backup-ops.js';
import type { SshNodeOps } from '../../nodes/ssh-node-ops.js';
import type { ClusterNode, Topology } from '../../nodes/topology.js';
import type { ClusterDir } from '../../state/cluster-dir.js';
import { ConnectionLostError, SshUnreachableError } from '../../tools/ssh/errors.js';
import { s3Module, s3TargetOf, type S3Credentials } from './s3.js';
import {
  BACKUP_FILE_MODE,
  backupFolder,
  commitPartial,
  pruneBackups,
  readRecord,
  sha256File,
  startPartial,
  writeRecord,
  type BackupReason,
  type BackupRecord,
} from './folder.js';

export interface TakeBackupOptions {
  spec: ClusterSpec;
  dir: ClusterDir;
  topology: Topology;
  ops: SshNodeOps;
  reason: BackupReason;
  /** The cluster's Kubernetes version as recorded (state.json), for backup.json. */
  kubernetesVersion: string;
  /** For the S3 credentials. */
  env: NodeJS.ProcessEnv;
  /** Control planes not to take it from (a dead one being removed). */
  exclude?: string[];
  /** The folder name; default the current UTC time. */
  stamp?: string;
  now?: () => Date;
}

export interface BackupTaken {
  stamp: string;
  path: string;
  record: BackupRecord;
  /** Older backups removed to keep backup.keep. */
  pruned: string[];
}

/** S3 credentials from the environment when spec.backup.s3 is set; a PreflightError naming the variables when missing. */
export async function backupS3Credentials(spec: ClusterSpec, env: NodeJS.ProcessEnv, what = 'Cannot take a backup'): Promise<S3Credentials | undefined> {
  if (!spec.backup.s3) return undefined;
  const present = (name: string) => (env[name] ?? '') !== '';
  const credentials = present('K8SB_BACKUP_S3_ACCESS_KEY_ID') && present('K8SB_BACKUP_S3_SECRET_ACCESS_KEY') ? (await s3Module()).s3CredentialsFromEnv(env) : undefined;
  if (!credentials) {
    throw new PreflightError('BackupS3CredentialsMissing', `${what}: backup.s3 names bucket ${spec.backup.s3.bucket}, but K8SB_BACKUP_S3_ACCESS_KEY_ID and K8SB_BACKUP_S3_SECRET_ACCESS_KEY are not both set`, {
      hint: 'Export K8SB_BACKUP_S3_ACCESS_KEY_ID and K8SB_BACKUP_S3_SECRET_ACCESS_KEY (and K8SB_BACKUP_S3_SESSION_TOKEN for temporary keys) with write access to the bucket, or remove backup.s3 from cluster.yaml.',
    });
  }
  return credentials;
}

/** The object key of one file of a backup, below the target's prefix (which the uploader adds). */
export const s3KeyOf = (cluster: string, stamp: string, file: string): string => `${cluster}/${stamp}/${file}`;

export async function takeBackup(options: TakeBackupOptions, ctx: Pick<StepContext, 'signal' | 'output'>): Promise<BackupTaken> {
  const { spec, dir, topology } = options;
  const credentials = await backupS3Credentials(spec, options.env);
  const candidates = topology.controlPlanes.filter((node) => !(options.exclude ?? []).includes(node.name));
  if (candidates.length === 0) throw new PreflightError('NoControlPlaneForBackup', 'No control plane is left to take the etcd snapshot from');
  const stamp = await freeStamp(dir, options.stamp ?? backupStamp((options.now ?? (() => new Date()))()));
  const eops = new EtcdBackupOps({ ops: options.ops, topology });
  const partial = await startPartial(dir, stamp);
  let committed = false;
  try {
    const { node, taken } = await snapshotOnHealthy(eops, candidates, stamp, ctx);
    try {
      const problem = verificationProblem(taken.status);
      if (problem) {
        throw new ExternalToolError('SnapshotNotVerified', `The snapshot taken on ${node.name} is not a cluster's data (etcdutl snapshot status: ${problem}): it was not kept`, {
          hint: 'Run the command again; if it says the same, look at etcd on that node.',
        });
      }
      await eops.download(node, stamp, partial, ctx);
      for (const [file, expected] of [[BACKUP_FILES.snapshot, taken.snapshotSha256], [BACKUP_FILES.pki, taken.pkiSha256]] as const) {
        const path = join(partial, file);
        await chmod(path, BACKUP_FILE_MODE);
        const actual = await sha256File(path);
        if (actual !== expected) {
          throw new ExternalToolError('BackupChecksumMismatch', `${file} from ${node.name} arrived with sha256 ${actual}, the node's is ${expected}: the copy is not kept`, { hint: 'Run the command again.' });
        }
      }
      const record: BackupRecord = {
        version: 1,
        cluster: spec.name,
        takenAt: new Date().toISOString(),
        reason: options.reason,
        node: node.name,
        kubernetesVersion: options.kubernetesVersion,
        etcd: taken.status,
        files: {
          [BACKUP_FILES.snapshot]: { sha256: taken.snapshotSha256, bytes: (await stat(join(partial, BACKUP_FILES.snapshot))).size },
          [BACKUP_FILES.pki]: { sha256: taken.pkiSha256, bytes: (await stat(join(partial, BACKUP_FILES.pki))).size },
        },
        pkiMissing: taken.pkiMissing,
      };
      await writeRecord(partial, record);
      const path = await commitPartial(dir, stamp);
      committed = true;
      ctx.output(`etcd snapshot of ${node.name}: revision ${taken.status.revision}, ${taken.status.totalKey} keys, ${taken.status.totalSize} bytes; saved in ${path}`, 'info');
      if (taken.pkiMissing.length > 0) ctx.output(`warning: ${node.name} has no ${taken.pkiMissing.join(', ')} (left out of ${BACKUP_FILES.pki})`, 'info');
      const uploaded = credentials ? await uploadBackup(spec, stamp, path, record, credentials, ctx) : record;
      const pruned = await pruneBackups(dir, spec.backup.keep);
      if (pruned.length > 0) ctx.output(`removed ${pruned.length} older backup(s) (backup.keep is ${spec.backup.keep}): ${pruned.join(', ')}`, 'info');
      return { stamp, path, record: uploaded, pruned };
    } finally {
      await eops.cleanup(node, stamp, ctx).catch(() => undefined);
    }
  } finally {
    if (!committed) await rm(partial, { recursive: true, force: true });
  }
}

/** Uploads the three files of a committed backup and records the keys in its backup.json. */
export async function uploadBackup(
  spec: ClusterSpec,
  stamp: string,
  folder: string,
  record: BackupRecord,
  credentials: S3Credentials,
  ctx: Pick<StepContext, 'signal' | 'output'>,
): Promise<BackupRecord> {
  const target = s3TargetOf(spec);
  if (!target) return record;
  const { uploadFileToS3 } = await s3Module();
  const keys: string[] = [];
  for (const file of [BACKUP_FILES.snapshot, BACKUP_FILES.pki]) {
    const result = await uploadFileToS3(target, s3KeyOf(spec.name, stamp, file), join(folder, file), credentials, { signal: ctx.signal, contentType: 'application/octet-stream' });
    keys.push(result.key);
  }
  // backup.json names its own key too, so it is uploaded last, with the list complete.
  const recordKey = s3KeyOf(spec.name, stamp, BACKUP_FILES.record);
  const prefixed = target.prefix ? `${target.prefix.replace(/\/+$/, '')}/${recordKey}` : recordKey;
  const updated: BackupRecord = { ...record, s3: { bucket: target.bucket, keys: [...keys, prefixed] } };
  await writeRecord(folder, updated);
  await uploadFileToS3(target, recordKey, join(folder, BACKUP_FILES.record), credentials, { signal: ctx.signal, contentType: 'application/json' });
  ctx.output(`uploaded to s3://${target.bucket}/${prefixed.replace(/[^/]+$/, '')}`, 'info');
  return updated;
}

/** Tries the control planes in order; the first whose etcd is healthy takes the snapshot. */
async function snapshotOnHealthy(eops: EtcdBackupOps, candidates: ClusterNode[], stamp: string, ctx: Pick<StepContext, 'signal' | 'output'>) {
  const problems: string[] = [];
  for (const node of candidates) {
    try {
      const taken = await eops.take(node, stamp, ctx);
      return { node, taken };
    } catch (error) {
      // Unhealthy or unreachable: the next control plane may do. Anything else is this backup's failure.
      const unreachable = error instanceof ConnectionLostError || error instanceof SshUnreachableError;
      if (!(error instanceof EtcdUnhealthyError) && !unreachable) throw error;
      problems.push(`${node.name}: ${(error as Error).message}`);
      ctx.output(`${node.name}: ${(error as Error).message}; trying the next control plane`, 'info');
    }
  }
  throw new PreflightError('NoHealthyEtcd', `No control plane has a healthy etcd to take the snapshot from (${candidates.map((n) => n.name).join(', ')})`, {
    details: problems,
    hint: 'Run "k8s-bootstrap status" to see the control planes; nothing was changed.',
  });
}

/** The stamp, or the next second's when a backup of that second exists (two backups in one second). */
async function freeStamp(dir: ClusterDir, stamp: string): Promise<string> {
  let time = stampTime(stamp).getTime();
  let candidate = stamp;
  while (await stat(backupFolder(dir, candidate)).then(() => true, () => false)) {
    time += 1000;
    candidate = backupStamp(new Date(time));
  }
  return candidate;
}

/** A backup folder already complete (a resumed step whose earlier attempt got that far). */
export async function existingBackup(dir: ClusterDir, stamp: string): Promise<BackupRecord | undefined> {
  return readRecord(backupFolder(dir, stamp));
}
