/**
 * The backups of a cluster on this machine: clusters/<name>/backups/<YYYYMMDDTHHMMSSZ>/ (0700) with
 * etcd-snapshot.db, pki.tar.gz and backup.json (0600 each). A backup is written into a hidden
 * `.partial-<stamp>` folder and renamed into place only once its files match the node's sha256 and
 * backup.json is written, so a folder with a stamp name is always complete; a failed or
 * interrupted backup leaves at most a `.partial-*` folder, which the next backup removes.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { BACKUP_FILES, BACKUP_STAMP, snapshotStatusSchema, stampTime } from '../../kube/etcd-snapshot.js';
import { writeFileAtomic } from '../../state/atomic.js';
import type { ClusterDir } from '../../state/cluster-dir.js';

export const BACKUP_DIR_MODE = 0o700;
export const BACKUP_FILE_MODE = 0o600;

/** Why a backup was taken (backup.json `reason`). */
export type BackupReason = 'manual' | 'upgrade' | 'remove-control-plane' | 'add-control-plane' | 'restore' | (string & {});

const fileRecord = z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().nonnegative() });

/** backup.json, version 1. Restore reads it (workflows/restore). */
export const backupRecordSchema = z.object({
  version: z.literal(1),
  cluster: z.string(),
  takenAt: z.string(),
  reason: z.string(),
  /** The control plane whose etcd member the snapshot came from. */
  node: z.string(),
  kubernetesVersion: z.string(),
  etcd: snapshotStatusSchema,
  files: z.object({ [BACKUP_FILES.snapshot]: fileRecord, [BACKUP_FILES.pki]: fileRecord }),
  /** PKI files the node did not have (an external CA, say), left out of pki.tar.gz. */
  pkiMissing: z.array(z.string()).default([]),
  s3: z.object({ bucket: z.string(), keys: z.array(z.string()) }).optional(),
});
export type BackupRecord = z.infer<typeof backupRecordSchema>;

export interface BackupEntry {
  stamp: string;
  path: string;
  takenAt: Date;
  record?: BackupRecord;
}

export const backupsDir = (dir: ClusterDir): string => join(dir.root, 'backups');
export const partialDir = (dir: ClusterDir, stamp: string): string => join(backupsDir(dir), `.partial-${stamp}`);
export const backupFolder = (dir: ClusterDir, stamp: string): string => join(backupsDir(dir), stamp);

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A fresh, empty `.partial-<stamp>` (0700) inside backups/ (0700). */
export async function startPartial(dir: ClusterDir, stamp: string): Promise<string> {
  const root = backupsDir(dir);
  await mkdir(root, { recursive: true, mode: BACKUP_DIR_MODE });
  await chmod(root, BACKUP_DIR_MODE);
  const partial = partialDir(dir, stamp);
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { mode: BACKUP_DIR_MODE });
  await chmod(partial, BACKUP_DIR_MODE);
  return partial;
}

export async function writeRecord(folder: string, record: BackupRecord): Promise<void> {
  await writeFileAtomic(join(folder, BACKUP_FILES.record), `${JSON.stringify(record, null, 2)}\n`, BACKUP_FILE_MODE);
}

/** The partial folder becomes backups/<stamp>. */
export async function commitPartial(dir: ClusterDir, stamp: string): Promise<string> {
  const target = backupFolder(dir, stamp);
  await rename(partialDir(dir, stamp), target);
  return target;
}

export async function readRecord(folder: string): Promise<BackupRecord | undefined> {
  try {
    const parsed = backupRecordSchema.safeParse(JSON.parse(await readFile(join(folder, BACKUP_FILES.record), 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Complete backups, newest first (a folder without a readable backup.json is listed without record). */
export async function listBackups(dir: ClusterDir): Promise<BackupEntry[]> {
  let names: string[];
  try {
    names = await readdir(backupsDir(dir));
  } catch {
    return [];
  }
  const entries: BackupEntry[] = [];
  for (const stamp of names.filter((name) => BACKUP_STAMP.test(name)).sort().reverse()) {
    const path = backupFolder(dir, stamp);
    if (!(await stat(path).then((s) => s.isDirectory(), () => false))) continue;
    const record = await readRecord(path);
    entries.push({ stamp, path, takenAt: stampTime(stamp), ...(record ? { record } : {}) });
  }
  return entries;
}

/**
 * Keeps the newest `keep` complete backups and removes the others, and every `.partial-*` folder
 * except `except` (the one being written). Returns the stamps removed.
 */
export async function pruneBackups(dir: ClusterDir, keep: number, except?: string): Promise<string[]> {
  const removed: string[] = [];
  const all = await listBackups(dir);
  for (const entry of all.slice(Math.max(0, keep))) {
    await rm(entry.path, { recursive: true, force: true });
    removed.push(entry.stamp);
  }
  const names = await readdir(backupsDir(dir)).catch(() => [] as string[]);
  for (const name of names) {
    if (name.startsWith('.partial-') && name !== `.partial-${except ?? ''}`) await rm(join(backupsDir(dir), name), { recursive: true, force: true });
  }
  return removed;
}
