/**
 * Which backup `restore --from X` means, and whether it is whole: X is a backup folder
 * (clusters/<name>/backups/<stamp>/), its stamp, or its etcd-snapshot.db. The folder must hold
 * backup.json (version 1), of this cluster, and both files with the sha256 and size it records.
 * Everything is checked here, on this machine, before any SSH: a mismatch changes nothing.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { BACKUP_FILES, BACKUP_STAMP, verificationProblem } from '../../kube/etcd-snapshot.js';
import type { ClusterDir } from '../../state/cluster-dir.js';
import { backupFolder, backupRecordSchema, sha256File, type BackupRecord } from '../backup/folder.js';

export interface VerifiedBackup {
  stamp: string;
  folder: string;
  record: BackupRecord;
}

const FIX = 'Pass --from with a backup folder (clusters/<name>/backups/<stamp>), its stamp, or its etcd-snapshot.db; "ls clusters/<name>/backups" lists them.';

/** The backup folder `from` names (not yet verified). */
export async function resolveBackupFolder(from: string, dir: ClusterDir, cwd: string): Promise<string> {
  if (BACKUP_STAMP.test(from)) return backupFolder(dir, from);
  const path = isAbsolute(from) ? from : resolve(cwd, from);
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new UsageError('BackupNotFound', `--from ${from}: no such backup (${path} does not exist)`, { hint: FIX });
  if (info.isDirectory()) return path;
  if (basename(path) === BACKUP_FILES.snapshot) return dirname(path);
  throw new UsageError('BackupNotFound', `--from ${from}: not a backup folder nor its ${BACKUP_FILES.snapshot}`, { hint: FIX });
}

export async function verifyBackup(folder: string, cluster: string): Promise<VerifiedBackup> {
  const refuse = (code: string, why: string, hint = FIX) => new UsageError(code, `Backup ${folder} cannot be restored: ${why}; nothing was changed`, { hint });
  let text: string;
  try {
    text = await readFile(join(folder, BACKUP_FILES.record), 'utf8');
  } catch {
    throw refuse('BackupRecordMissing', `it has no ${BACKUP_FILES.record}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw refuse('BackupRecordInvalid', `${BACKUP_FILES.record} is not JSON`);
  }
  const parsed = backupRecordSchema.safeParse(raw);
  if (!parsed.success) throw refuse('BackupRecordInvalid', `${BACKUP_FILES.record} is not a backup record (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`);
  const record = parsed.data;
  if (record.cluster !== cluster) {
    throw refuse('BackupOfAnotherCluster', `it is a backup of cluster ${record.cluster}, not of ${cluster}`, 'Restore a backup of this cluster (clusters/<name>/backups/ of this cluster folder).');
  }
  const problem = verificationProblem(record.etcd);
  if (problem) throw refuse('BackupNotVerified', `its snapshot was not a cluster's data when taken (${problem})`);
  for (const file of [BACKUP_FILES.snapshot, BACKUP_FILES.pki] as const) {
    const expected = record.files[file];
    const path = join(folder, file);
    const info = await stat(path).catch(() => undefined);
    if (!info) throw refuse('BackupFileMissing', `${file} is missing`);
    const actual = await sha256File(path);
    if (actual !== expected.sha256 || info.size !== expected.bytes) {
      throw refuse('BackupChecksumMismatch', `${file} has sha256 ${actual} (${info.size} bytes), ${BACKUP_FILES.record} records ${expected.sha256} (${expected.bytes} bytes): the file changed since the backup`, 'Use another backup; this one is damaged.');
    }
  }
  const stamp = basename(folder.replace(/\/+$/, ''));
  if (!BACKUP_STAMP.test(stamp)) throw refuse('BadBackupName', `its folder name ${JSON.stringify(stamp)} is not a backup stamp (YYYYMMDDTHHMMSSZ)`);
  return { stamp, folder, record };
}
