/**
 * What `kubeconfig --merge` put into which kubeconfig file, kept in the cluster folder as
 * kubeconfig-merged.json (0600): per file (as $KUBECONFIG / ~/.kube/config names it), the
 * entries' names, the server, and SHA-256 fingerprints of the CA and client certificates.
 * A later merge replaces, and destroy removes, only entries that match it.
 *
 *   { "version": 1,
 *     "files": { "/home/me/.kube/config": [
 *       { "cluster": { "name": "demo", "server": "https://203.0.113.10:6443", "caSha256": "sha256:…" },
 *         "user": { "name": "demo-admin", "clientCertificateSha256": "sha256:…" },
 *         "context": { "name": "demo-admin@demo", "cluster": "demo", "user": "demo-admin" },
 *         "mergedAt": "2025-01-02T03:04:05.678Z" } ] } }
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { MergedEntries } from '../kube/kubeconfig.js';
import type { ClusterDir } from './cluster-dir.js';
import { writeFileAtomic } from './atomic.js';
import { readTextIfExists } from './read-optional.js';

export type RecordedEntries = MergedEntries & { mergedAt: string };

export interface MergeRecord {
  version: 1;
  files: Record<string, RecordedEntries[]>;
}

/** A file can list a few claims: the one being written next to the one it replaces. */
const MAX_PER_FILE = 4;

export function mergeRecordFile(dir: ClusterDir): string {
  return join(dir.root, 'kubeconfig-merged.json');
}

/** The record; an absent or unreadable one is empty (the tool then owns nothing it cannot prove). */
export async function loadMergeRecord(dir: ClusterDir): Promise<MergeRecord> {
  const record: MergeRecord = { version: 1, files: {} };
  const text = await readTextIfExists(mergeRecordFile(dir));
  if (text === undefined) return record;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return record;
  }
  const files = (value as { files?: unknown } | null)?.files;
  if (!files || typeof files !== 'object') return record;
  for (const [file, claims] of Object.entries(files as Record<string, unknown>)) {
    if (Array.isArray(claims)) record.files[file] = claims.filter(isRecordedEntries);
  }
  return record;
}

/** Records `entries` for `file`, first; `keep` earlier claims stay listed after it. */
export async function recordMerge(dir: ClusterDir, file: string, entries: MergedEntries, keep: MergedEntries[] = []): Promise<void> {
  const record = await loadMergeRecord(dir);
  const now = new Date().toISOString();
  const claims = [{ ...entries, mergedAt: now }, ...keep.map((claim) => ({ mergedAt: now, ...claim }))];
  const unique = claims.filter((claim, index) => claims.findIndex((other) => sameClaim(other, claim)) === index);
  record.files[file] = unique.slice(0, MAX_PER_FILE);
  await writeFileAtomic(mergeRecordFile(dir), `${JSON.stringify(record, null, 2)}\n`, 0o600);
}

/** Forgets `file` (its entries are gone); the record file goes when no file is left. */
export async function forgetMerge(dir: ClusterDir, file: string): Promise<void> {
  const record = await loadMergeRecord(dir);
  delete record.files[file];
  if (Object.keys(record.files).length === 0) await rm(mergeRecordFile(dir), { force: true });
  else await writeFileAtomic(mergeRecordFile(dir), `${JSON.stringify(record, null, 2)}\n`, 0o600);
}

function sameClaim(a: MergedEntries, b: MergedEntries): boolean {
  return (
    a.cluster.name === b.cluster.name &&
    a.cluster.server === b.cluster.server &&
    a.cluster.caSha256 === b.cluster.caSha256 &&
    a.user.name === b.user.name &&
    a.user.clientCertificateSha256 === b.user.clientCertificateSha256 &&
    a.context.name === b.context.name
  );
}

function isRecordedEntries(value: unknown): value is RecordedEntries {
  const claim = value as Partial<RecordedEntries> | null;
  const strings = (object: unknown, keys: string[]) => !!object && typeof object === 'object' && keys.every((key) => typeof (object as Record<string, unknown>)[key] === 'string');
  return (
    !!claim &&
    strings(claim.cluster, ['name', 'server', 'caSha256']) &&
    strings(claim.user, ['name', 'clientCertificateSha256']) &&
    strings(claim.context, ['name', 'cluster', 'user'])
  );
}
