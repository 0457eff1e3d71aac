/**
 * One writer per cluster: lock.json in the cluster folder names the run holding it
 * {pid, host, command, startedAt}. Mutating commands take it; read-only ones (status,
 * kubeconfig) never call this.
 *
 * The file is written whole to a temp name and then hard-linked to lock.json: link() fails with
 * EEXIST like O_EXCL, and a reader never sees a half-written lock.
 */
import { hostname } from 'node:os';
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { LockedError } from '../errors.js';
import type { ClusterDir } from './cluster-dir.js';

export interface LockInfo {
  pid: number;
  host: string;
  command: string;
  startedAt: string;
}

export interface Lock {
  readonly path: string;
  readonly info: LockInfo;
  /** Set when a stale lock was taken over; show it to the person. */
  readonly notice?: string;
  /** Removes lock.json if it is still ours. Safe to call more than once. */
  release(): Promise<void>;
}

export interface AcquireLockOptions {
  /** For tests. @default process.pid */
  pid?: number;
  /** @default os.hostname() */
  host?: string;
  /** Whether a process of this host is alive. @default signal 0 */
  isAlive?: (pid: number) => boolean;
  /** Release on process exit. @default true */
  releaseOnExit?: boolean;
}

export async function acquireLock(dir: ClusterDir, command: string, options: AcquireLockOptions = {}): Promise<Lock> {
  const path = dir.lockFile;
  const info: LockInfo = {
    pid: options.pid ?? process.pid,
    host: options.host ?? hostname(),
    command,
    startedAt: new Date().toISOString(),
  };
  const isAlive = options.isAlive ?? processIsAlive;
  await mkdir(dir.root, { recursive: true });

  if (await tryCreate(path, info)) return makeLock(path, info, undefined, options.releaseOnExit ?? true);

  const holder = await readHolder(path);
  if (!holder) {
    throw new LockedError('ClusterLocked', `${path} exists but cannot be read as a lock`, {
      hint: `If no other k8s-bootstrap run works on this cluster, remove ${path} and run the command again.`,
    });
  }
  const described = describeHolder(holder);
  if (holder.host !== info.host) {
    throw new LockedError('ClusterLocked', `The cluster is locked by ${described}`, {
      hint: `That run is on another machine, so it cannot be checked from here. Wait for it to finish; if you are sure it is gone, remove ${path} and run the command again.`,
    });
  }
  if (isAlive(holder.pid)) {
    throw new LockedError('ClusterLocked', `The cluster is locked by ${described}`, {
      hint: `Wait for that run to finish (or stop it with Ctrl-C in its terminal, or kill ${holder.pid}), then run the command again.`,
    });
  }
  await takeOverStale(path, holder);
  if (!(await tryCreate(path, info))) {
    const winner = await readHolder(path);
    throw new LockedError('ClusterLocked', `The cluster is locked by ${winner ? describeHolder(winner) : 'another run'}`, {
      hint: 'Another run took the stale lock at the same moment. Wait for it to finish, then run the command again.',
    });
  }
  const notice = `Took over a stale lock from ${described}: that process no longer exists.`;
  return makeLock(path, info, notice, options.releaseOnExit ?? true);
}

export function describeHolder(holder: LockInfo): string {
  return `"${holder.command}" (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt})`;
}

export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it just belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function tryCreate(path: string, info: LockInfo): Promise<boolean> {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temp, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o644 });
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(temp, { force: true });
  }
}

async function readHolder(path: string): Promise<LockInfo | undefined> {
  try {
    return parseHolder(await readFile(path, 'utf8'));
  } catch {
    return undefined;
  }
}

function parseHolder(text: string): LockInfo | undefined {
  try {
    const raw = JSON.parse(text) as Partial<LockInfo>;
    if (typeof raw.pid !== 'number' || typeof raw.host !== 'string') return undefined;
    return { pid: raw.pid, host: raw.host, command: String(raw.command ?? 'unknown command'), startedAt: String(raw.startedAt ?? 'unknown time') };
  } catch {
    return undefined;
  }
}

/**
 * Moves the stale lock aside atomically. If a racing process already replaced it with a fresh
 * lock, what we moved is not the stale one: put it back untouched.
 */
async function takeOverStale(path: string, stale: LockInfo): Promise<void> {
  const aside = `${path}.stale-${randomBytes(6).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = await readHolder(aside);
  if (moved && (moved.pid !== stale.pid || moved.startedAt !== stale.startedAt || moved.host !== stale.host)) {
    await link(aside, path).catch(() => undefined);
  }
  await rm(aside, { force: true });
}

function makeLock(path: string, info: LockInfo, notice: string | undefined, releaseOnExit: boolean): Lock {
  let released = false;
  const isOurs = (text: string) => {
    const holder = parseHolder(text);
    return holder !== undefined && holder.pid === info.pid && holder.host === info.host && holder.startedAt === info.startedAt;
  };
  // 'exit' handlers must be synchronous.
  const releaseSync = () => {
    if (released) return;
    released = true;
    try {
      if (isOurs(readFileSync(path, 'utf8'))) rmSync(path, { force: true });
    } catch {
      // already gone
    }
  };
  if (releaseOnExit) process.once('exit', releaseSync);
  return {
    path,
    info,
    ...(notice ? { notice } : {}),
    async release() {
      if (released) return;
      released = true;
      process.off('exit', releaseSync);
      try {
        if (isOurs(await readFile(path, 'utf8'))) await rm(path, { force: true });
      } catch {
        // already gone
      }
    },
  };
}
