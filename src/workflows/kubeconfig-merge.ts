/**
 * The person's kubeconfig (the first path of $KUBECONFIG, else ~/.kube/config): merging the
 * cluster's context into it and taking it out again on destroy. The YAML work is the kube
 * layer's (src/kube/kubeconfig.ts, entries named per kubeconfigNames); this file does the file
 * handling: ~/.kube created 0700, the file written whole and 0600, symlinks followed, nothing
 * rewritten when nothing changes.
 */
import { chmod, mkdir, readFile, realpath } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { UsageError } from '../errors.js';
import { kubeconfigNames, mergeKubeconfig, removeFromKubeconfig } from '../kube/kubeconfig.js';
import { writeFileAtomic } from '../state/atomic.js';
import { readTextIfExists } from '../state/read-optional.js';

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

export interface MergeResult {
  /** The file written (symlinks resolved). */
  path: string;
  /** The context's name, `<cluster>-admin@<cluster>`. */
  context: string;
  changed: boolean;
  /** The merged context is the current context. */
  isCurrent: boolean;
}

/** Merges the cluster kubeconfig `sourceFile` into the person's kubeconfig; other entries stay. */
export async function mergeIntoUserKubeconfig(sourceFile: string, cluster: string, env: NodeJS.ProcessEnv): Promise<MergeResult> {
  const path = await resolveTarget(userKubeconfigPath(env));
  const existing = await readTextIfExists(path);
  const text = mergeKubeconfig(existing, await readFile(sourceFile, 'utf8'));
  const context = kubeconfigNames(cluster).context;
  const changed = existing === undefined || !sameYaml(existing, text);
  if (changed) {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFileAtomic(path, text, 0o600);
  } else {
    await chmod(path, 0o600);
  }
  return { path, context, changed, isCurrent: currentContext(text) === context };
}

/** Removes the cluster's context (and its cluster and user entries); returns the file when it had them. */
export async function removeFromUserKubeconfig(cluster: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  let path: string;
  try {
    path = await resolveTarget(userKubeconfigPath(env));
  } catch {
    return undefined;
  }
  const existing = await readTextIfExists(path);
  if (existing === undefined || !hasContext(existing, kubeconfigNames(cluster).context)) return undefined;
  await writeFileAtomic(path, removeFromKubeconfig(existing, cluster), 0o600);
  return path;
}

function parsed(text: string): { contexts?: Array<{ name?: string }>; 'current-context'?: string } | undefined {
  try {
    const value = parse(text) as unknown;
    return value && typeof value === 'object' ? (value as ReturnType<typeof parsed>) : undefined;
  } catch {
    return undefined;
  }
}

function hasContext(text: string, context: string): boolean {
  const contexts = parsed(text)?.contexts;
  return Array.isArray(contexts) && contexts.some((entry) => entry?.name === context);
}

function currentContext(text: string): string | undefined {
  return parsed(text)?.['current-context'];
}

function sameYaml(a: string, b: string): boolean {
  const left = parsed(a);
  return left !== undefined && JSON.stringify(left) === JSON.stringify(parsed(b));
}


/** Writes through a symlinked ~/.kube/config to the file it points at. */
async function resolveTarget(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return path;
  }
}
