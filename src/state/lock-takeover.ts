/**
 * Removing a stale lock.json when several runs find it stale at the same moment.
 *
 * Renaming it aside is not enough: the renaming run cannot know whether it moved the stale file
 * or a fresh lock another run made meanwhile, and putting a fresh lock back fails (EEXIST) once a
 * third run has created one in the gap, which leaves two holders.
 *
 * So the runs that judged the same stale content S stale elect one remover through guard files
 * named after S: `lock.json.takeover-<sha256 of S>-<generation>`. A guard is made like the lock
 * itself (whole content, then link()), which is as atomic as mkdir() but never exists without
 * naming its owner (pid, boot id, start time). Only the owner of a guard removes lock.json, and
 * only after reading it again under the guard and finding exactly S.
 *
 * Why that leaves one holder:
 * - While lock.json holds S nothing else changes it: S's run is dead, creating fails on an
 *   existing file, and any other remover of S needs a guard of S.
 * - No two guards of S are in use at once: a run goes on to generation n+1 only when it has
 *   found the owner of generation n dead; a live or uncheckable owner makes it give up.
 * - A dead owner's guard is never deleted while S is in place: deleting it would race exactly like
 *   the rename did, one level down. The next generation is used instead.
 * - S never comes back once removed (each lock has a random token), so its guards are then
 *   garbage: the remover deletes them, and a late run that still made one finds lock.json changed.
 * After the removal every run creates lock.json the ordinary exclusive way, which one run wins.
 */
import { createHash } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createFileExclusively } from './exclusive-file.js';
import { parseHolder, serializeHolder, type HolderVerdict, type LockInfo } from './lock-holder.js';
import { readTextIfExists } from './read-optional.js';

/** Points inside a takeover where tests pause racing runs, to interleave them deterministically. */
export interface TakeoverHooks {
  /** This run has judged lock.json stale and has not looked at the guards yet. */
  afterStaleJudged?: () => Promise<void>;
  /** This run owns a guard and has not read lock.json again yet. */
  afterGuardTaken?: () => Promise<void>;
  /** The stale lock.json is gone and this run has not created its own yet. */
  afterStaleRemoved?: () => Promise<void>;
}

export type StaleRemoval =
  | { outcome: 'removed' }
  /** lock.json no longer holds the stale content: judge it again. */
  | { outcome: 'changed' }
  /** Another run is removing it (or a guard cannot be judged): leave it alone. */
  | { outcome: 'busy'; guard: string; owner?: LockInfo };

export interface StaleRemovalOptions {
  /** What this run writes into its guard: its own lock content. */
  owner: LockInfo;
  judgeOwner: (owner: LockInfo) => HolderVerdict;
  hooks?: TakeoverHooks;
}

/** Each generation stands for a run that crashed mid-takeover; more than this means something else is wrong. */
const MAX_GENERATIONS = 32;

export async function removeStaleLock(path: string, staleText: string, options: StaleRemovalOptions): Promise<StaleRemoval> {
  for (let generation = 0; generation < MAX_GENERATIONS; generation++) {
    const guard = takeoverGuardPath(path, staleText, generation);
    if (await createFileExclusively(guard, serializeHolder(options.owner))) {
      try {
        await options.hooks?.afterGuardTaken?.();
        if ((await readTextIfExists(path)) !== staleText) return { outcome: 'changed' };
        await rm(path, { force: true });
        await removeGuardsOf(path, staleText);
        return { outcome: 'removed' };
      } finally {
        await rm(guard, { force: true });
      }
    }
    const ownerText = await readTextIfExists(guard);
    // Guards of S are deleted only once S itself is gone.
    if (ownerText === undefined) return { outcome: 'changed' };
    const owner = parseHolder(ownerText);
    if (!owner) return { outcome: 'busy', guard };
    if (options.judgeOwner(owner).state !== 'gone') return { outcome: 'busy', guard, owner };
  }
  return { outcome: 'busy', guard: takeoverGuardPath(path, staleText, MAX_GENERATIONS - 1) };
}

export function takeoverGuardPath(path: string, staleText: string, generation: number): string {
  return `${guardPrefix(path, staleText)}${generation}`;
}

function guardPrefix(path: string, staleText: string): string {
  return `${path}.takeover-${createHash('sha256').update(staleText).digest('hex')}-`;
}

async function removeGuardsOf(path: string, staleText: string): Promise<void> {
  const prefix = basename(guardPrefix(path, staleText));
  const folder = dirname(path);
  const names = await readdir(folder);
  // Exactly "<prefix><generation>": the temp files guards are made from are their creators' business.
  const guards = names.filter((name) => name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length)));
  await Promise.all(guards.map((name) => rm(join(folder, name), { force: true })));
}
