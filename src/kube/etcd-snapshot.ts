/**
 * An etcd snapshot as data: where the node script (templates/scripts/etcd-backup.sh) writes it,
 * what it prints, and what the tool accepts as verified. The script runs, in the etcd static pod
 * of a control plane (`kubectl exec etcd-<node> -- …`: the etcd image ships etcdctl and etcdutl
 * and no shell):
 *   etcdctl --endpoints=https://127.0.0.1:2379 --cacert … --cert … --key … endpoint health
 *   etcdctl … snapshot save /var/lib/etcd/k8sb-backup-<stamp>.db
 *   etcdutl snapshot status /var/lib/etcd/k8sb-backup-<stamp>.db -w json
 * The file goes under /var/lib/etcd because that is the pod's hostPath mount (kubeadm's etcd
 * manifest: etcd-data → /var/lib/etcd, etcd-certs → /etc/kubernetes/pki/etcd); a path elsewhere
 * would land in the container's own filesystem. etcd 3.6 removed `etcdctl snapshot status`
 * (etcd-io/etcd CHANGELOG/CHANGELOG-3.6.md, pull/13809): status is etcdutl's. Its JSON is
 * `json.Marshal` of snapshot.Status (etcd-io/etcd etcdutl/snapshot/v3_snapshot.go, printer_json.go):
 * {"hash":uint32,"revision":int64,"totalKey":int,"totalSize":int64,"version":"3.6.0"}.
 * The client certificate is the etcd server pair kubeadm makes (etcd/server.crt: server and
 * client auth), as verifyEtcdMembers already uses (kube/node-commands.ts etcdMemberList).
 */
import { z } from 'zod';
import { ExternalToolError } from '../errors.js';

/** What etcdutl snapshot status -w json prints. */
export const snapshotStatusSchema = z.object({
  hash: z.number().int().nonnegative(),
  revision: z.number().int(),
  totalKey: z.number().int(),
  totalSize: z.number().int(),
  version: z.string(),
});
export type SnapshotStatus = z.infer<typeof snapshotStatusSchema>;

/** The folder and file names inside clusters/<name>/backups/ (the contract of backup and restore). */
export const BACKUP_FILES = { snapshot: 'etcd-snapshot.db', pki: 'pki.tar.gz', record: 'backup.json' } as const;

/**
 * The PKI a restore or rebuild needs, relative to /etc/kubernetes: the cluster CA, the service
 * account signing pair, the front-proxy CA and the etcd CA (kubeadm "Certificate Management":
 * everything else can be made again from these). Files a cluster lacks (an external CA) are left out.
 */
export const PKI_FILES = [
  'pki/ca.crt', 'pki/ca.key', 'pki/sa.key', 'pki/sa.pub',
  'pki/front-proxy-ca.crt', 'pki/front-proxy-ca.key', 'pki/etcd/ca.crt', 'pki/etcd/ca.key',
] as const;

/** Backup folder names: the UTC time, YYYYMMDDTHHMMSSZ. */
export const BACKUP_STAMP = /^\d{8}T\d{6}Z$/;

export function backupStamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/** The stamp as a time (NaN-free: only for names BACKUP_STAMP accepts). */
export function stampTime(stamp: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(stamp);
  if (!m) throw new ExternalToolError('BadBackupName', `${JSON.stringify(stamp)} is not a backup folder name (YYYYMMDDTHHMMSSZ)`);
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

/** Where the snapshot is saved on the node (the etcd pod's /var/lib/etcd is the node's). */
export const nodeSnapshotPath = (stamp: string): string => `/var/lib/etcd/k8sb-backup-${assertStamp(stamp)}.db`;
/** Where the script stages the copies the SSH user downloads (inside the 0700 staging folder). */
export const nodeStagingDir = (stamp: string): string => `/tmp/k8sb/backup-${assertStamp(stamp)}`;

function assertStamp(stamp: string): string {
  if (!BACKUP_STAMP.test(stamp)) throw new ExternalToolError('BadBackupName', `${JSON.stringify(stamp)} is not a backup stamp (YYYYMMDDTHHMMSSZ)`);
  return stamp;
}

/** Exit codes of etcd-backup.sh beyond 0 (kept in step with the script). */
export const BACKUP_SCRIPT_EXIT = { unhealthy: 3, save: 4, status: 5, pki: 6 } as const;

export interface SnapshotTaken {
  status: SnapshotStatus;
  /** sha256 of the snapshot as the node computed it. */
  snapshotSha256: string;
  snapshotBytes: number;
  pkiSha256: string;
  pkiBytes: number;
  /** PKI files the node did not have (left out of the archive). */
  pkiMissing: string[];
  stagingDir: string;
}

const SHA256 = /^[0-9a-f]{64}$/;

/** What etcd-backup.sh printed on success: key=value lines, the status JSON on `status=`. */
export function parseBackupScript(stdout: string, stamp: string): SnapshotTaken {
  const values = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^([a-z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) values.set(m[1]!, m[2]!);
  }
  const bad = (why: string) => new ExternalToolError('BadBackupOutput', `etcd-backup.sh printed something unexpected: ${why}`, { details: stdout.split('\n').slice(-10) });
  const status = parseSnapshotStatus(values.get('status') ?? '');
  const snapshotSha256 = values.get('snapshot_sha256') ?? '';
  const pkiSha256 = values.get('pki_sha256') ?? '';
  if (!SHA256.test(snapshotSha256) || !SHA256.test(pkiSha256)) throw bad('no sha256 of the snapshot or the PKI archive');
  const snapshotBytes = Number(values.get('snapshot_bytes'));
  const pkiBytes = Number(values.get('pki_bytes'));
  if (!Number.isSafeInteger(snapshotBytes) || !Number.isSafeInteger(pkiBytes)) throw bad('no file sizes');
  const pkiMissing = (values.get('pki_missing') ?? '').split(' ').filter((entry) => (PKI_FILES as readonly string[]).includes(entry));
  return { status, snapshotSha256, snapshotBytes, pkiSha256, pkiBytes, pkiMissing, stagingDir: nodeStagingDir(stamp) };
}

/** `etcdutl snapshot status -w json` → its fields (an ExternalToolError on anything else). */
export function parseSnapshotStatus(text: string): SnapshotStatus {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ExternalToolError('BadSnapshotStatus', 'etcdutl snapshot status -w json did not print JSON', { details: [text.slice(0, 300)] });
  }
  const parsed = snapshotStatusSchema.safeParse(value);
  if (!parsed.success) throw new ExternalToolError('BadSnapshotStatus', `etcdutl snapshot status -w json printed unexpected fields: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/**
 * A snapshot of a running cluster has a revision and keys; a zero says the file is not the
 * cluster's data (an empty or foreign database).
 */
export function verificationProblem(status: SnapshotStatus): string | undefined {
  if (status.revision <= 0) return `revision ${status.revision}`;
  if (status.totalKey <= 0) return `${status.totalKey} keys`;
  if (status.totalSize <= 0) return `size ${status.totalSize}`;
  return undefined;
}
