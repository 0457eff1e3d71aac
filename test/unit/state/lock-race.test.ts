import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LockedError } from '../../../src/errors.js';
import { ClusterDir } from '../../../src/state/cluster-dir.js';
import { acquireLock, type AcquireLockOptions, type Lock, type LockInfo } from '../../../src/state/lock.js';
import { takeoverGuardPath, type TakeoverHooks } from '../../../src/state/lock-takeover.js';
import { fakeSystem, machineA } from './fake-system.js';

const newDir = async () => new ClusterDir(await mkdtemp(join(tmpdir(), 'k8sb-lock-race-')));
const readLock = async (dir: ClusterDir) => JSON.parse(await readFile(dir.lockFile, 'utf8')) as LockInfo;

/** Runs A, B and C (pids 101-103) on one fake machine; pid 99 held the stale lock and is gone. */
const runs = { 101: { startTime: 1 }, 102: { startTime: 2 }, 103: { startTime: 3 } };
const system = fakeSystem(machineA, runs);
const run = (pid: number, takeoverHooks: TakeoverHooks = {}): AcquireLockOptions => ({ pid, system, takeoverHooks, releaseOnExit: false });

const staleLock = JSON.stringify({
  pid: 99,
  host: machineA.hostname,
  command: 'init',
  startedAt: '2026-01-01T00:00:00.000Z',
  machineId: machineA.machineId,
  bootId: machineA.bootId,
  pidNamespace: machineA.pidNamespace,
  processStartTime: 9,
  token: 'stale-token',
});

/** A point where a run stops until the test lets it go on. */
function pausePoint() {
  let arrive!: () => void;
  let proceed!: () => void;
  const reached = new Promise<void>((resolve) => (arrive = resolve));
  const released = new Promise<void>((resolve) => (proceed = resolve));
  return { reached, release: () => proceed(), hook: async () => { arrive(); await released; } };
}

type Outcome = { lock: Lock } | { error: LockedError };
const settle = (promise: Promise<Lock>): Promise<Outcome> =>
  promise.then(
    (lock) => ({ lock }),
    (error: unknown) => {
      if (!(error instanceof LockedError)) throw error;
      return { error };
    },
  );
const holders = (outcomes: Outcome[]) => outcomes.flatMap((outcome) => ('lock' in outcome ? [outcome.lock] : []));

describe('taking over one stale lock from racing runs', () => {
  it("the review's interleaving: B cannot remove the lock A just took, and C, arriving meanwhile, is refused", async () => {
    const dir = await newDir();
    await writeFile(dir.lockFile, staleLock);
    const aJudged = pausePoint();
    const bJudged = pausePoint();
    let c: Outcome | undefined;
    const a = settle(acquireLock(dir, 'a', run(101, { afterStaleJudged: aJudged.hook })));
    const b = settle(
      acquireLock(dir, 'b', run(102, {
        afterStaleJudged: bJudged.hook,
        // The moment where the old code had B's rename-aside open a gap for C.
        afterGuardTaken: async () => { c = await settle(acquireLock(dir, 'c', run(103))); },
      })),
    );
    await Promise.all([aJudged.reached, bJudged.reached]); // both have seen the stale lock
    aJudged.release();
    const aOutcome = await a;
    bJudged.release();
    const bOutcome = await b;

    expect(c).toBeDefined();
    const all = [aOutcome, bOutcome, c!];
    expect(holders(all).map((lock) => lock.info.command)).toEqual(['a']);
    expect((await readLock(dir)).token).toBe(holders(all)[0]!.info.token);
    expect('error' in bOutcome && bOutcome.error.message).toContain('"a" (pid 101');
    expect(await readdir(dir.root)).toEqual(['lock.json']);
  });

  it('while A owns the takeover guard B is refused; C creating the lock in the gap after A removed the stale one wins alone', async () => {
    const dir = await newDir();
    await writeFile(dir.lockFile, staleLock);
    const aGuarded = pausePoint();
    const aRemoved = pausePoint();
    const a = settle(acquireLock(dir, 'a', run(101, { afterGuardTaken: aGuarded.hook, afterStaleRemoved: aRemoved.hook })));
    await aGuarded.reached;
    const bOutcome = await settle(acquireLock(dir, 'b', run(102)));
    expect('error' in bOutcome && bOutcome.error.message).toContain('being taken over by "a" (pid 101');
    expect(await readFile(dir.lockFile, 'utf8')).toBe(staleLock);

    aGuarded.release();
    await aRemoved.reached;
    expect(existsSync(dir.lockFile)).toBe(false);
    const cOutcome = await settle(acquireLock(dir, 'c', run(103)));
    aRemoved.release();
    const aOutcome = await a;

    expect(holders([aOutcome, bOutcome, cOutcome]).map((lock) => lock.info.command)).toEqual(['c']);
    expect('error' in aOutcome && aOutcome.error.hint).toContain('Another run took the stale lock at the same moment');
    expect((await readLock(dir)).command).toBe('c');
  });

  it('a guard left by a run that died mid-takeover is skipped, not deleted under others, and cleaned up after', async () => {
    const dir = await newDir();
    await writeFile(dir.lockFile, staleLock);
    const abandoned = takeoverGuardPath(dir.lockFile, staleLock, 0);
    await writeFile(abandoned, JSON.stringify({ pid: 98, host: machineA.hostname, command: 'upgrade', startedAt: 'x', machineId: machineA.machineId, bootId: machineA.bootId, processStartTime: 8 }));
    const aGuarded = pausePoint();
    const a = settle(acquireLock(dir, 'a', run(101, { afterGuardTaken: aGuarded.hook })));
    await aGuarded.reached;
    // A works under the next generation; the dead run's guard is still there for anyone who looks.
    expect(existsSync(takeoverGuardPath(dir.lockFile, staleLock, 1))).toBe(true);
    expect(existsSync(abandoned)).toBe(true);
    aGuarded.release();
    const aOutcome = await a;
    expect(holders([aOutcome]).map((lock) => lock.notice)).toEqual([expect.stringContaining('Took over a stale lock from "init" (pid 99')]);
    expect(await readdir(dir.root)).toEqual(['lock.json']);
  });

  it('a guard whose owner still runs keeps everyone else off the stale lock', async () => {
    const dir = await newDir();
    await writeFile(dir.lockFile, staleLock);
    const guard = takeoverGuardPath(dir.lockFile, staleLock, 0);
    await writeFile(guard, JSON.stringify({ pid: 102, host: machineA.hostname, command: 'b', startedAt: 'x', machineId: machineA.machineId, bootId: machineA.bootId, processStartTime: 2 }));
    const outcome = await settle(acquireLock(dir, 'a', run(101)));
    expect('error' in outcome && outcome.error.hint).toContain(guard);
    expect(await readFile(dir.lockFile, 'utf8')).toBe(staleLock);
  });

  it('stress: 24 concurrent acquirers in one process against one stale lock, 15 rounds: exactly one wins each round', async () => {
    const dir = await newDir();
    const pids = Array.from({ length: 24 }, (_, i) => 200 + i);
    const crowd = fakeSystem(machineA, Object.fromEntries(pids.map((pid) => [pid, { startTime: pid }])));
    for (let round = 0; round < 15; round++) {
      await writeFile(dir.lockFile, staleLock.replace('stale-token', `stale-${round}`));
      const outcomes = await Promise.all(pids.map((pid) => settle(acquireLock(dir, `run-${pid}`, { pid, system: crowd, releaseOnExit: false }))));
      const winners = holders(outcomes);
      expect(winners).toHaveLength(1);
      expect((await readLock(dir)).token).toBe(winners[0]!.info.token);
      await winners[0]!.release();
      expect(await readdir(dir.root)).toEqual([]);
    }
  });
});

/** A child process running fixtures/contend-lock.ts, answering one line per request. */
class Contender {
  readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  constructor(dir: ClusterDir) {
    const script = fileURLToPath(new URL('./fixtures/contend-lock.ts', import.meta.url));
    this.child = spawn(process.execPath, ['--import', 'tsx', script, dir.root]);
    this.child.stderr.pipe(process.stderr);
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }
  async next(): Promise<string> {
    const line = await this.lines.next();
    if (line.done) throw new Error(`contender ${this.child.pid} exited`);
    return line.value;
  }
  send(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }
}

describe('stress with real processes', () => {
  it('8 child processes race for one stale lock of a dead process, 10 rounds: exactly one wins each round', async () => {
    const dir = await newDir();
    const contenders = Array.from({ length: 8 }, () => new Contender(dir));
    try {
      for (const contender of contenders) expect(await contender.next()).toBe('ready');
      const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
      const readOr = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').trim() || undefined : undefined);
      for (let round = 0; round < 10; round++) {
        await writeFile(dir.lockFile, JSON.stringify({
          pid: Number(dead.stdout),
          host: hostname(),
          command: 'init',
          startedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, round)).toISOString(),
          machineId: readOr('/etc/machine-id'),
          bootId: readOr('/proc/sys/kernel/random/boot_id'),
        }));
        for (const contender of contenders) contender.send('go');
        const answers = await Promise.all(contenders.map((contender) => contender.next()));
        const winners = answers.filter((answer) => answer.startsWith('won '));
        expect(answers.filter((answer) => !answer.startsWith('won ')).every((answer) => answer === 'lost locked')).toBe(true);
        expect(winners).toHaveLength(1);
        expect(`won ${(await readLock(dir)).pid}`).toBe(winners[0]);
        const winner = contenders[answers.indexOf(winners[0]!)]!;
        winner.send('release');
        expect(await winner.next()).toBe('released');
      }
    } finally {
      await Promise.all(contenders.map((contender) => new Promise((resolve) => {
        contender.child.once('exit', resolve);
        contender.child.stdin.end();
      })));
    }
  });
});
