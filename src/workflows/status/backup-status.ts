/**
 * status's line about backups, read from the cluster folder only (no SSH): the newest complete
 * backup in clusters/<name>/backups/ (its age, where it is, the bucket when it was uploaded), how
 * many there are, and a warning when there is none or the newest is older than 7 days. Seven days
 * is a plain rule of thumb, not a policy: k8s-bootstrap takes no scheduled backups itself.
 */
import type { ClusterDir } from '../../state/cluster-dir.js';
import { listBackups } from '../backup/folder.js';

export const BACKUP_STALE_DAYS = 7;

export interface BackupStatus {
  count: number;
  newest?: { stamp: string; path: string; takenAt: string; ageHours: number; node?: string; reason?: string; s3?: string };
  warning?: string;
}

export async function backupStatus(dir: ClusterDir, now: number): Promise<BackupStatus> {
  const entries = await listBackups(dir);
  const newest = entries[0];
  if (!newest) return { count: 0, warning: 'no backup yet: run "k8s-bootstrap backup"' };
  const ageHours = Math.max(0, Math.floor((now - newest.takenAt.getTime()) / 3_600_000));
  const s3 = newest.record?.s3 ? `s3://${newest.record.s3.bucket}` : undefined;
  const warning = ageHours >= BACKUP_STALE_DAYS * 24 ? `the newest backup is ${Math.floor(ageHours / 24)} days old: run "k8s-bootstrap backup"` : undefined;
  return {
    count: entries.length,
    newest: {
      stamp: newest.stamp,
      path: newest.path,
      takenAt: newest.takenAt.toISOString(),
      ageHours,
      ...(newest.record ? { node: newest.record.node, reason: newest.record.reason } : {}),
      ...(s3 ? { s3 } : {}),
    },
    ...(warning ? { warning } : {}),
  };
}

const age = (hours: number): string => (hours < 1 ? 'less than an hour' : hours < 48 ? `${hours} h` : `${Math.floor(hours / 24)} days`);

export function formatBackupStatus(view: BackupStatus | undefined): string[] {
  if (!view) return [];
  const lines: string[] = [];
  if (view.newest) {
    const n = view.newest;
    const from = n.node ? ` from ${n.node}${n.reason ? ` (${n.reason})` : ''}` : '';
    lines.push(`  newest backup: ${n.stamp}, ${age(n.ageHours)} ago${from}, in ${n.path}${n.s3 ? ` and ${n.s3}` : ''} (${view.count} kept)`);
  }
  if (view.warning) lines.push(`  warning: ${view.warning}`);
  return lines;
}
