/**
 * The person's kubeconfig (the first path of $KUBECONFIG, else ~/.kube/config): merging the
 * cluster's entries into it and taking them out again on destroy. The YAML work and the rule of
 * whose entry is whose are the kube layer's (src/kube/kubeconfig-entries.ts); this file does the
 * file handling: the cluster folder's kubeconfig is checked by the same allow-list as admin.conf
 * before anything of it is merged, kubectl's lock is held while the file is read and written,
 * `<file>.k8sb-backup` (0600) keeps the previous content, ~/.kube is created 0700, the file is
 * written whole and 0600, symlinks are followed, nothing is rewritten when nothing changes, and
 * what was merged is recorded in the cluster folder (kubeconfig-record.ts).
 */
import { chmod, mkdir, readFile, realpath } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { UsageError } from '../errors.js';
import {
  kubeconfigNames,
  mergedEntriesOf,
  mergeKubeconfig,
  readUntrustedKubeconfig,
  removeFromKubeconfig,
  type KubeconfigParts,
  type MergedEntries,
} from '../kube/kubeconfig.js';
import type { ClusterDir } from './cluster-dir.js';
import { writeFileAtomic } from './atomic.js';
import { readTextIfExists } from './read-optional.js';
import { loadJoinMaterial } from './join-material.js';
import { withKubeconfigLock, type KubeconfigLockOptions } from './kubeconfig-lock.js';
import { forgetMerge, loadMergeRecord, recordMerge } from './kubeconfig-record.js';

export const BACKUP_SUFFIX = '.k8sb-backup';

/** The file `kubectl` reads first: $KUBECONFIG's first entry, else ~/.kube/config. */
export function userKubeconfigPath(env: NodeJS.ProcessEnv): string {
  const first = (env.KUBECONFIG ?? '').split(':').find((part) => part.trim() !== '');
  if (first) return first;
  if (!env.HOME) {
    throw new UsageError('NoHome', 'Neither KUBECONFIG nor HOME is set, so there is no kubeconfig to merge into', {
      hint: 'Set KUBECONFIG to the file to merge into.',
    });
  }
  return join(env.HOME, '.kube', 'config');
}

/** What the cluster folder's kubeconfig must point at: the inventory's api_endpoint (host:port). */
export interface ClusterKubeconfigExpectations {
  /** host:port values its server may have; from inventory.json when the cluster has one. */
  allowedServers?: string[];
}

/**
 * The cluster folder's kubeconfig, through the allow-list: a tampered file (exec, proxy-url, a
 * foreign CA, another server) never reaches ~/.kube/config or the terminal. The CA is checked
 * against the hash recorded in secrets/join.json at init; without that record there is nothing
 * to check it against, so the file is refused rather than trusted.
 */
export async function readClusterKubeconfig(dir: ClusterDir, expected: ClusterKubeconfigExpectations = {}): Promise<{ text: string; parts: KubeconfigParts }> {
  const text = await readFile(dir.kubeconfigFile, 'utf8');
  const material = await loadJoinMaterial(dir).catch(() => undefined);
  const rebuild = `Run "k8s-bootstrap init --dir ${dir.root}" to rebuild it from the control plane.`;
  if (!material?.caCertHash) {
    throw new UsageError('KubeconfigCaUnknown', `${dir.kubeconfigFile} cannot be checked: ${join(dir.secretsDir, 'join.json')} (which records the cluster's CA hash) is missing or unreadable`, {
      hint: `${rebuild} Nothing was printed or merged.`,
    });
  }
  const parts = readUntrustedKubeconfig(text, {
    source: dir.kubeconfigFile,
    caCertHash: material.caCertHash,
    allowedServers: expected.allowedServers,
    fix: `k8s-bootstrap writes only server, certificate-authority-data, client-certificate-data and client-key-data there; if you did not edit it, something else did. ${rebuild}`,
  });
  return { text, parts };
}

export interface MergeResult {
  /** The file written (symlinks resolved). */
  path: string;
  /** The context's name, `<cluster>-admin@<cluster>`. */
  context: string;
  changed: boolean;
  /** The merged context is the current context. */
  isCurrent: boolean;
  /** The previous content, when the file was changed. */
  backup?: string;
}

/**
 * Merges the cluster's kubeconfig into the person's; other entries stay. Refuses, changing
 * nothing, when an entry of the same name is not one the tool merged.
 */
export async function mergeIntoUserKubeconfig(
  dir: ClusterDir,
  cluster: string,
  env: NodeJS.ProcessEnv,
  options: KubeconfigLockOptions & ClusterKubeconfigExpectations = {},
): Promise<MergeResult> {
  const target = userKubeconfigPath(env);
  const path = await resolveTarget(target);
  const { parts } = await readClusterKubeconfig(dir, { allowedServers: options.allowedServers });
  const names = kubeconfigNames(cluster);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  return withKubeconfigLock(
    target,
    async () => {
      const existing = await readTextIfExists(path);
      const owned = (await loadMergeRecord(dir)).files[target] ?? [];
      const result = mergeKubeconfig(existing, parts, { names, owned, file: path, standalone: dir.kubeconfigFile });
      let backup: string | undefined;
      if (result.changed) {
        // Recorded first: a crash after it leaves a claim on entries that may not be there, which is harmless.
        await recordMerge(dir, target, result.entries, owned);
        if (existing !== undefined) {
          backup = `${path}${BACKUP_SUFFIX}`;
          await writeFileAtomic(backup, existing, 0o600);
        }
        await writeFileAtomic(path, result.text, 0o600);
      } else {
        await chmod(path, 0o600);
      }
      await recordMerge(dir, target, result.entries);
      return { path, context: names.context, changed: result.changed, isCurrent: currentContextOf(result.text) === names.context, ...(backup ? { backup } : {}) };
    },
    options,
  );
}

export interface RemoveResult {
  /** Files the cluster's entries were taken out of. */
  removedFrom: string[];
  /** Same-named entries that are not the tool's, left as they are: "cluster \"demo\" in FILE". */
  leftAlone: string[];
}

/**
 * Takes the entries the tool merged out of every file it merged them into (and out of the current
 * $KUBECONFIG / ~/.kube/config when they are exactly the cluster's); nothing else is touched.
 */
export async function removeFromUserKubeconfig(dir: ClusterDir, cluster: string, env: NodeJS.ProcessEnv, options: KubeconfigLockOptions = {}): Promise<RemoveResult> {
  const record = await loadMergeRecord(dir);
  const claimsByFile = new Map<string, MergedEntries[]>(Object.entries(record.files));
  // Merged by a version that kept no record: entries identical to the cluster's own are its too.
  const current = await currentEntries(dir, cluster);
  try {
    const target = userKubeconfigPath(env);
    if (!claimsByFile.has(target)) claimsByFile.set(target, []);
  } catch {
    // No HOME and no KUBECONFIG: only the recorded files.
  }
  const result: RemoveResult = { removedFrom: [], leftAlone: [] };
  for (const [file, recorded] of claimsByFile) {
    const claims = current ? [...recorded, current] : recorded;
    if (claims.length === 0) continue;
    const path = await resolveTarget(file);
    const existing = await readTextIfExists(path);
    if (existing !== undefined) {
      await withKubeconfigLock(
        file,
        async () => {
          const text = (await readTextIfExists(path)) ?? '';
          const outcome = removeFromKubeconfig(text, claims, path);
          result.leftAlone.push(...outcome.leftAlone.map((entry) => `${entry} in ${path}`));
          if (outcome.removed.length === 0) return;
          await writeFileAtomic(`${path}${BACKUP_SUFFIX}`, text, 0o600);
          await writeFileAtomic(path, outcome.text, 0o600);
          result.removedFrom.push(path);
        },
        options,
      );
    }
    if (recorded.length > 0) await forgetMerge(dir, file);
  }
  return result;
}

/** What the cluster's kubeconfig would merge now, or undefined when there is none that passes the allow-list. */
async function currentEntries(dir: ClusterDir, cluster: string): Promise<MergedEntries | undefined> {
  try {
    return mergedEntriesOf((await readClusterKubeconfig(dir)).parts, kubeconfigNames(cluster));
  } catch {
    return undefined;
  }
}

function currentContextOf(text: string): string | undefined {
  try {
    const value = parse(text) as { 'current-context'?: unknown } | null;
    return typeof value?.['current-context'] === 'string' ? value['current-context'] : undefined;
  } catch {
    return undefined;
  }
}

/** Writes through a symlinked ~/.kube/config to the file it points at. */
async function resolveTarget(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return path;
  }
}
