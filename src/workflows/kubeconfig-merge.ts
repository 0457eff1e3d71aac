/**
 * Merging the cluster's kubeconfig into the person's (~/.kube/config or the first path of
 * $KUBECONFIG) and taking it out again on destroy. The merged entries carry fixed names —
 * context and cluster `<name>`, user `<name>-admin` — which is how destroy recognises what it
 * merged; entries of other clusters are never touched. Files are written whole, 0600.
 */
import { chmod, mkdir, readFile, realpath } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../state/atomic.js';

interface Named {
  name: string;
  [key: string]: unknown;
}

interface KubeconfigDoc {
  apiVersion?: string;
  kind?: string;
  clusters?: Named[];
  users?: Named[];
  contexts?: Array<Named & { context?: { cluster?: string; user?: string; [key: string]: unknown } }>;
  'current-context'?: string;
  [key: string]: unknown;
}

export function mergedUserName(cluster: string): string {
  return `${cluster}-admin`;
}

/** The file `kubectl` reads first: $KUBECONFIG's first entry, else ~/.kube/config. */
export function userKubeconfigPath(env: NodeJS.ProcessEnv): string {
  const first = (env.KUBECONFIG ?? '').split(':').find((part) => part.trim() !== '');
  if (first) return first;
  if (!env.HOME) throw new UsageError('NoHome', 'Neither KUBECONFIG nor HOME is set, so there is no kubeconfig to merge into', { hint: 'Set KUBECONFIG to the file to merge into.' });
  return join(env.HOME, '.kube', 'config');
}

function parseKubeconfig(text: string, source: string): KubeconfigDoc {
  if (text.trim() === '') return {};
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 50 });
  } catch (error) {
    throw new UsageError('KubeconfigInvalid', `${source} is not valid YAML: ${(error as Error).message.split('\n')[0]}`, {
      hint: 'Fix or move that file; it was left unchanged.',
    });
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new UsageError('KubeconfigInvalid', `${source} is not a kubeconfig (expected a mapping)`, { hint: 'Fix or move that file; it was left unchanged.' });
  const config = doc as KubeconfigDoc;
  for (const key of ['clusters', 'users', 'contexts'] as const) {
    const list = config[key];
    if (list !== undefined && list !== null && !Array.isArray(list)) {
      throw new UsageError('KubeconfigInvalid', `${source}: "${key}" is not a list`, { hint: 'Fix or move that file; it was left unchanged.' });
    }
  }
  return config;
}

function entry<T extends Named>(list: T[] | undefined | null, name: string | undefined): T | undefined {
  return name === undefined ? undefined : (list ?? []).find((item) => item?.name === name);
}

function upsert<T extends Named>(list: T[] | undefined | null, item: T): T[] {
  const items = [...(list ?? [])];
  const index = items.findIndex((existing) => existing?.name === item.name);
  if (index >= 0) items[index] = item;
  else items.push(item);
  return items;
}

/**
 * `target` with the context, cluster and user of `source` (the cluster folder's kubeconfig)
 * added under the cluster's name, replacing earlier entries of the same names. The current
 * context is only set when the target had none.
 */
export function mergeKubeconfig(targetText: string, sourceText: string, cluster: string, targetName = 'the kubeconfig'): { text: string; changed: boolean; isCurrent: boolean } {
  const source = parseKubeconfig(sourceText, 'the cluster kubeconfig');
  const sourceContext = entry(source.contexts, source['current-context']) ?? source.contexts?.[0];
  const sourceCluster = entry(source.clusters, sourceContext?.context?.cluster) ?? source.clusters?.[0];
  const sourceUser = entry(source.users, sourceContext?.context?.user) ?? source.users?.[0];
  if (!sourceCluster || !sourceUser) {
    throw new UsageError('KubeconfigInvalid', 'The cluster kubeconfig has no cluster or user entry', { hint: 'Run "k8s-bootstrap init" again to rewrite it.' });
  }
  const target = parseKubeconfig(targetText, targetName);
  const user = mergedUserName(cluster);
  const merged: KubeconfigDoc = {
    apiVersion: target.apiVersion ?? 'v1',
    kind: target.kind ?? 'Config',
    ...target,
    clusters: upsert(target.clusters, { ...sourceCluster, name: cluster }),
    users: upsert(target.users, { ...sourceUser, name: user }),
    contexts: upsert(target.contexts, { name: cluster, context: { cluster, user } }),
  };
  if (!target['current-context']) merged['current-context'] = cluster;
  const text = stringify(merged, { lineWidth: 0 });
  return { text, changed: !sameConfig(targetText, text), isCurrent: merged['current-context'] === cluster };
}

/** `target` without the context (and its cluster and user) that mergeKubeconfig added for `cluster`. */
export function removeMergedContext(targetText: string, cluster: string, targetName = 'the kubeconfig'): { text: string; removed: boolean } {
  const target = parseKubeconfig(targetText, targetName);
  const context = entry(target.contexts, cluster);
  const user = mergedUserName(cluster);
  // Only what merge wrote: a context of that name pointing at cluster <name> and user <name>-admin.
  if (!context || context.context?.cluster !== cluster || context.context?.user !== user) return { text: targetText, removed: false };
  const contexts = (target.contexts ?? []).filter((item) => item !== context);
  const stillUsed = (key: 'cluster' | 'user', name: string) => contexts.some((item) => item?.context?.[key] === name);
  const next: KubeconfigDoc = {
    ...target,
    contexts,
    clusters: (target.clusters ?? []).filter((item) => item?.name !== cluster || stillUsed('cluster', cluster)),
    users: (target.users ?? []).filter((item) => item?.name !== user || stillUsed('user', user)),
  };
  if (next['current-context'] === cluster) next['current-context'] = '';
  return { text: stringify(next, { lineWidth: 0 }), removed: true };
}

function sameConfig(a: string, b: string): boolean {
  try {
    return JSON.stringify(parse(a)) === JSON.stringify(parse(b));
  } catch {
    return false;
  }
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
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

export interface MergeResult {
  path: string;
  changed: boolean;
  /** The merged context is the current context. */
  isCurrent: boolean;
}

/** Merges `sourceFile` into the person's kubeconfig; creates ~/.kube (0700) and the file (0600). */
export async function mergeIntoUserKubeconfig(sourceFile: string, cluster: string, env: NodeJS.ProcessEnv): Promise<MergeResult> {
  const path = await resolveTarget(userKubeconfigPath(env));
  const source = await readFile(sourceFile, 'utf8');
  const existing = await readOptional(path);
  const { text, changed, isCurrent } = mergeKubeconfig(existing ?? '', source, cluster, path);
  if (changed || existing === undefined) {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFileAtomic(path, text, 0o600);
  } else {
    await chmod(path, 0o600);
  }
  return { path, changed: changed || existing === undefined, isCurrent };
}

/** Removes the merged context from the person's kubeconfig, if it is there. Returns the file when it changed. */
export async function removeFromUserKubeconfig(cluster: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  let path: string;
  try {
    path = await resolveTarget(userKubeconfigPath(env));
  } catch {
    return undefined;
  }
  const existing = await readOptional(path);
  if (existing === undefined) return undefined;
  const { text, removed } = removeMergedContext(existing, cluster, path);
  if (!removed) return undefined;
  await writeFileAtomic(path, text, 0o600);
  return path;
}
