/**
 * One writer per cluster: lock.json in the cluster folder names the run holding it (see LockInfo).
 * Mutating commands take it; read-only ones (status, kubeconfig) never call this.
 *
 * lock.json is created whole and exclusively (exclusive-file.ts). A lock whose run has ended is
 * taken over with a notice; who counts as ended is lock-holder.ts's job, and how several runs
 * remove one stale lock without two of them ending up holding it is lock-takeover.ts's.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { LockedError } from '../errors.js';
import type { ClusterDir } from './cluster-dir.js';
import { createFileExclusively } from './exclusive-file.js';
import {
  describeHolder,
  ownLockInfo,
  judgeHolder,
  parseHolder,
  readHostIdentity,
  serializeHolder,
  type LockInfo,
} from './lock-holder.js';
import { removeStaleLock, type TakeoverHooks } from './lock-takeover.js';
import { isK8sBootstrapCommandLine, localSystem, type SystemProbe } from './process-identity.js';
import { readTextIfExists } from './read-optional.js';

export { describeHolder, type LockInfo } from './lock-holder.js';

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
  /** For tests: replaces the /proc and hostname readers. @default localSystem */
  system?: Partial<SystemProbe>;
  /** For tests: pauses inside a stale-lock takeover. */
  takeoverHooks?: TakeoverHooks;
  /** Release on process exit. @default true */
  releaseOnExit?: boolean;
}

/** A lock released and taken again between two reads is fine; one that keeps changing is not. */
const MAX_ATTEMPTS = 10;

export async function acquireLock(dir: ClusterDir, command: string, options: AcquireLockOptions = {}): Promise<Lock> {
  const path = dir.lockFile;
  const system: SystemProbe = { ...localSystem, ...options.system };
  const here = readHostIdentity(system);
  const info = ownLockInfo(options.pid ?? process.pid, command, here, system, randomBytes(8).toString('hex'));
  const text = serializeHolder(info);
  const releaseOnExit = options.releaseOnExit ?? true;
  await mkdir(dir.root, { recursive: true });

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (await createFileExclusively(path, text)) return makeLock(path, info, undefined, releaseOnExit);

    const holderText = await readTextIfExists(path);
    if (holderText === undefined) continue; // released just now
    const holder = parseHolder(holderText);
    if (!holder) {
      throw new LockedError('ClusterLocked', `${path} exists but cannot be read as a lock`, {
        hint: `If no other k8s-bootstrap run works on this cluster, remove ${path} and run the command again.`,
      });
    }
    const described = describeHolder(holder);
    const verdict = judgeHolder(holder, here, system);
    if (verdict.state === 'unverifiable') {
      throw new LockedError('ClusterLocked', `The cluster is locked by ${described}`, {
        hint: `That run is ${verdict.where}, so it cannot be checked from here. Wait for it to finish; if you are sure it is gone, remove ${path} and run the command again.`,
      });
    }
    if (verdict.state === 'running') {
      throw new LockedError('ClusterLocked', `The cluster is locked by ${described}`, { hint: waitHint(holder.pid, path, system) });
    }

    await options.takeoverHooks?.afterStaleJudged?.();
    const removal = await removeStaleLock(path, holderText, {
      owner: info,
      judgeOwner: (owner) => judgeHolder(owner, here, system),
      hooks: options.takeoverHooks,
    });
    if (removal.outcome === 'changed') continue;
    if (removal.outcome === 'busy') {
      const by = removal.owner ? ` by ${describeHolder(removal.owner)}` : '';
      throw new LockedError('ClusterLocked', `The cluster is locked by ${described}, and its stale lock is being taken over${by}`, {
        hint: `Run the command again in a moment. If this repeats and no other k8s-bootstrap run works on this cluster, remove ${removal.guard}.`,
      });
    }
    await options.takeoverHooks?.afterStaleRemoved?.();
    if (await createFileExclusively(path, text)) {
      return makeLock(path, info, `Took over a stale lock from ${described}: ${verdict.reason}.`, releaseOnExit);
    }
    const winnerText = await readTextIfExists(path);
    const winner = winnerText === undefined ? undefined : parseHolder(winnerText);
    throw new LockedError('ClusterLocked', `The cluster is locked by ${winner ? describeHolder(winner) : 'another run'}`, {
      hint: 'Another run took the stale lock at the same moment. Wait for it to finish, then run the command again.',
    });
  }
  throw new LockedError('ClusterLocked', `${path} kept changing while this run tried to take it`, {
    hint: 'Other runs are taking and releasing this cluster right now. Wait for them to finish, then run the command again.',
  });
}

/** Suggests `kill` only for a process that /proc shows is this tool: pid 1 or a reused pid is not. */
function waitHint(pid: number, path: string, system: SystemProbe): string {
  const wait = 'Wait for that run to finish (or stop it with Ctrl-C in its terminal';
  const commandLine = system.processCommandLine(pid);
  if (commandLine && isK8sBootstrapCommandLine(commandLine)) return `${wait}, or kill ${pid}), then run the command again.`;
  return (
    `${wait}), then run the command again. Process ${pid} could not be confirmed as k8s-bootstrap from /proc/${pid}/cmdline, ` +
    `so check it with \`ps -p ${pid} -o args\` before stopping anything; if no k8s-bootstrap run works on this cluster, remove ${path}.`
  );
}

function makeLock(path: string, info: LockInfo, notice: string | undefined, releaseOnExit: boolean): Lock {
  let released = false;
  const isOurs = (text: string) => parseHolder(text)?.token === info.token;
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
