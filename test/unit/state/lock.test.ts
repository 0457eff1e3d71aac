import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LockedError } from '../../../src/errors.js';
import { ClusterDir } from '../../../src/state/cluster-dir.js';
import { acquireLock, type LockInfo } from '../../../src/state/lock.js';
import { BOOT_2, MACHINE_B, NAMESPACE_2, fakeSystem, machineA } from './fake-system.js';

const newDir = async () => new ClusterDir(await mkdtemp(join(tmpdir(), 'k8sb-lock-')));

async function lockError(promise: Promise<unknown>): Promise<LockedError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(LockedError);
  return error as LockedError;
}

const readLock = async (dir: ClusterDir) => JSON.parse(await readFile(dir.lockFile, 'utf8')) as LockInfo;
const writeLock = (dir: ClusterDir, content: object) => writeFile(dir.lockFile, JSON.stringify(content));

/** A real pid that is not running any more. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const pid = Number(child.stdout);
  expect(pid).toBeGreaterThan(0);
  return pid;
}

/** What this test process's /proc says, read here independently of the code under test. */
function realIdentity() {
  const readOr = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined);
  const stat = readFileSync('/proc/self/stat', 'utf8');
  return {
    machineId: readOr('/etc/machine-id') || undefined,
    bootId: readOr('/proc/sys/kernel/random/boot_id'),
    startTime: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]),
  };
}

const linuxWithIds = process.platform === 'linux' && realIdentity().machineId !== undefined;
// Where the test runner is itself a k8s-bootstrap pid 1, kill 1 would be the right hint.
const pid1IsThisTool = linuxWithIds && readFileSync('/proc/1/cmdline', 'utf8').includes('k8s-bootstrap');

describe('acquireLock', () => {
  it('writes lock.json, refuses a second holder naming the first, and release removes it', async () => {
    const dir = await newDir();
    const lock = await acquireLock(dir, 'init', { releaseOnExit: false });
    const info = await readLock(dir);
    expect(info).toMatchObject({ pid: process.pid, host: hostname(), command: 'init' });
    expect(Date.parse(info.startedAt)).not.toBeNaN();
    expect(info.token).toMatch(/^[0-9a-f]{16}$/);
    expect(lock.notice).toBeUndefined();

    const error = await lockError(acquireLock(dir, 'add-workers', { releaseOnExit: false }));
    expect(error.exitCode).toBe(1);
    expect(error.message).toContain(`pid ${process.pid}`);
    expect(error.message).toContain(hostname());
    expect(error.message).toContain('"init"');
    expect(error.message).toContain(info.startedAt);
    expect(error.hint).toMatch(/wait/i);

    await lock.release();
    expect(existsSync(dir.lockFile)).toBe(false);
    await lock.release(); // idempotent
    const again = await acquireLock(dir, 'upgrade', { releaseOnExit: false });
    await again.release();
  });

  it.runIf(linuxWithIds)('records the machine id, the boot id and the start time this process has in the real /proc', async () => {
    const dir = await newDir();
    const lock = await acquireLock(dir, 'init', { releaseOnExit: false });
    const real = realIdentity();
    expect(await readLock(dir)).toMatchObject({
      machineId: real.machineId,
      bootId: real.bootId,
      processStartTime: real.startTime,
      pidNamespace: expect.stringMatching(/^pid:\[\d+\]$/),
    });
    await lock.release();
  });

  it('takes over a stale lock (same host, process gone) with a notice', async () => {
    const dir = await newDir();
    const pid = deadPid();
    await writeLock(dir, { pid, host: hostname(), command: 'init', startedAt: '2026-01-01T00:00:00.000Z' });
    const lock = await acquireLock(dir, 'add-workers', { releaseOnExit: false });
    expect(lock.notice).toContain(`pid ${pid}`);
    expect(lock.notice).toMatch(/stale/);
    expect(await readLock(dir)).toMatchObject({ pid: process.pid, command: 'add-workers' });
    await lock.release();
  });

  it('never takes over a lock of another host automatically', async () => {
    const dir = await newDir();
    await writeLock(dir, { pid: 1, host: 'other-laptop', command: 'upgrade', startedAt: '2026-01-01T00:00:00.000Z' });
    const error = await lockError(acquireLock(dir, 'init', { releaseOnExit: false, system: { processExists: () => false } }));
    expect(error.message).toContain('other-laptop');
    expect(error.hint).toContain('on another machine');
    expect(error.hint).toContain(dir.lockFile);
    expect(existsSync(dir.lockFile)).toBe(true);
  });

  it('refuses an unreadable lock file and says how to proceed', async () => {
    const dir = await newDir();
    await writeFile(dir.lockFile, 'garbage');
    const error = await lockError(acquireLock(dir, 'init', { releaseOnExit: false }));
    expect(error.hint).toContain('remove');
  });

  it('refuses a lock naming pid 0 or a negative pid (kill(0) would ask about a whole process group)', async () => {
    const dir = await newDir();
    await writeLock(dir, { pid: 0, host: hostname(), command: 'init', startedAt: 'x' });
    expect((await lockError(acquireLock(dir, 'init', { releaseOnExit: false }))).message).toContain('cannot be read as a lock');
    await writeLock(dir, { pid: -1, host: hostname(), command: 'init', startedAt: 'x' });
    expect((await lockError(acquireLock(dir, 'init', { releaseOnExit: false }))).message).toContain('cannot be read as a lock');
  });

  it('release does not remove a lock that another run holds now', async () => {
    const dir = await newDir();
    const lock = await acquireLock(dir, 'init', { releaseOnExit: false });
    await writeLock(dir, { pid: 42, host: 'elsewhere', command: 'destroy', startedAt: 'x', token: 'someone-else' });
    await lock.release();
    expect(existsSync(dir.lockFile)).toBe(true);
  });

  it('a lock held by a real child process stops this process, naming it, without suggesting kill for a non-k8s-bootstrap command line', async () => {
    const dir = await newDir();
    const script = fileURLToPath(new URL('./fixtures/hold-lock.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, dir.root], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        child.stdout.setEncoding('utf8');
        child.stdout.once('data', (data: string) => resolve(data));
        child.once('exit', (code) => reject(new Error(`child exited early with ${code}`)));
      });
      expect(line).toBe(`locked ${child.pid}\n`);
      const error = await lockError(acquireLock(dir, 'init', { releaseOnExit: false }));
      expect(error.message).toContain(`pid ${child.pid}`);
      expect(error.message).toContain('"add-workers"');
      // The child runs hold-lock.ts through tsx: not recognisably this tool.
      expect(error.hint).not.toContain('kill');
      expect(error.hint).toContain(`ps -p ${child.pid}`);
    } finally {
      child.stdin.end();
      await new Promise((resolve) => child.once('exit', resolve));
    }
    expect(existsSync(dir.lockFile)).toBe(false);
  });
});

describe('acquireLock judges the holder by machine id, boot id, pid namespace and process start time', () => {
  const holder = (overrides: Partial<LockInfo>): LockInfo => ({
    pid: 4242,
    host: machineA.hostname,
    command: 'init',
    startedAt: '2026-01-01T00:00:00.000Z',
    machineId: machineA.machineId,
    bootId: machineA.bootId,
    pidNamespace: machineA.pidNamespace,
    processStartTime: 100,
    token: 'holder-token',
    ...overrides,
  });
  const k8sBootstrap = ['node', '/usr/local/bin/k8s-bootstrap', 'init'];

  it('a lock file held by a reused PID (alive, but started at another time) is taken over as stale, with the notice', async () => {
    const dir = await newDir();
    await writeLock(dir, holder({}));
    const system = fakeSystem(machineA, { 4242: { startTime: 555, commandLine: ['/usr/sbin/nginx'] }, 7: { startTime: 900 } });
    const lock = await acquireLock(dir, 'upgrade', { pid: 7, system, releaseOnExit: false });
    expect(lock.notice).toMatch(/^Took over a stale lock from "init" \(pid 4242 on node-a/);
    expect(lock.notice).toContain('pid 4242 is now another process');
    expect(await readLock(dir)).toMatchObject({ pid: 7, command: 'upgrade', processStartTime: 900, machineId: machineA.machineId });
    await lock.release();
  });

  it('the same pid with the same start time is the holder itself: refused', async () => {
    const dir = await newDir();
    await writeLock(dir, holder({}));
    const system = fakeSystem(machineA, { 4242: { startTime: 100, commandLine: k8sBootstrap } });
    const error = await lockError(acquireLock(dir, 'upgrade', { pid: 7, system, releaseOnExit: false }));
    expect(error.hint).toContain('kill 4242');
  });

  it('same hostname, other machine id: refused as another machine, even though no such pid runs here', async () => {
    const dir = await newDir();
    await writeLock(dir, holder({ machineId: MACHINE_B, bootId: BOOT_2 }));
    const error = await lockError(acquireLock(dir, 'init', { pid: 7, system: fakeSystem(machineA), releaseOnExit: false }));
    expect(error.message).toContain('pid 4242 on node-a');
    expect(error.hint).toContain('That run is on another machine, so it cannot be checked from here.');
    expect((await readLock(dir)).token).toBe('holder-token');
  });

  it('rebooted (same machine id, other boot id): stale, even though a process with that pid runs now', async () => {
    const dir = await newDir();
    await writeLock(dir, holder({ pid: 1, bootId: BOOT_2, processStartTime: 1 }));
    const system = fakeSystem(machineA, { 1: { startTime: 1, commandLine: ['/sbin/init'] } });
    const lock = await acquireLock(dir, 'init', { pid: 7, system, releaseOnExit: false });
    expect(lock.notice).toContain('this machine has restarted since');
    await lock.release();
  });

  it('pid 1 in a container with a matching start time is live; kill 1 is suggested only when it is k8s-bootstrap', async () => {
    const dir = await newDir();
    await writeLock(dir, holder({ pid: 1, processStartTime: 7 }));
    const ours = fakeSystem(machineA, { 1: { startTime: 7, commandLine: ['/usr/local/bin/node', '/app/node_modules/k8s-bootstrap/bin/k8s-bootstrap.js', 'init'] } });
    expect((await lockError(acquireLock(dir, 'init', { pid: 9, system: ours, releaseOnExit: false }))).hint).toContain('kill 1)');

    const wrapped = fakeSystem(machineA, { 1: { startTime: 7, commandLine: ['/sbin/tini', '--', 'node', 'main.js'] } });
    const hint = (await lockError(acquireLock(dir, 'init', { pid: 9, system: wrapped, releaseOnExit: false }))).hint;
    expect(hint).not.toContain('kill');
    expect(hint).toContain('could not be confirmed as k8s-bootstrap from /proc/1/cmdline');
  });

  it('an old lock file naming pid 1 (no start time) is refused while pid 1 runs, and never suggests kill 1 for an init system', async () => {
    const dir = await newDir();
    await writeLock(dir, { pid: 1, host: 'node-a', command: 'init', startedAt: '2026-01-01T00:00:00.000Z' });
    const system = fakeSystem(machineA, { 1: { startTime: 1, commandLine: ['/sbin/init', 'splash'] } });
    const error = await lockError(acquireLock(dir, 'init', { pid: 9, system, releaseOnExit: false }));
    expect(error.hint).not.toContain('kill');
  });

  it('an old lock file (no machine id, boot id or start time) is judged by hostname and pid as before', async () => {
    const dir = await newDir();
    const oldLock = { pid: 4242, host: 'node-a', command: 'init', startedAt: '2026-01-01T00:00:00.000Z' };
    await writeLock(dir, oldLock);
    await lockError(acquireLock(dir, 'init', { pid: 7, system: fakeSystem(machineA, { 4242: { startTime: 5 } }), releaseOnExit: false }));
    await writeLock(dir, { ...oldLock, host: 'node-b' });
    expect((await lockError(acquireLock(dir, 'init', { pid: 7, system: fakeSystem(machineA), releaseOnExit: false }))).hint).toContain('on another machine');
    await writeLock(dir, oldLock);
    const lock = await acquireLock(dir, 'init', { pid: 7, system: fakeSystem(machineA), releaseOnExit: false });
    expect(lock.notice).toContain('that process no longer exists');
    await lock.release();
  });

  it('another pid namespace on the same machine and boot (another container) cannot be checked: refused', async () => {
    const dir = await newDir();
    await writeLock(dir, holder({ pidNamespace: NAMESPACE_2 }));
    const error = await lockError(acquireLock(dir, 'init', { pid: 7, system: fakeSystem(machineA), releaseOnExit: false }));
    expect(error.hint).toContain('in another container on this machine');
  });

  it('without a machine id: the same hostname and boot id are judged by pid; another boot id cannot be told from a namesake machine', async () => {
    const dir = await newDir();
    const noMachineId = { ...machineA, machineId: undefined };
    await writeLock(dir, holder({ machineId: undefined }));
    const lock = await acquireLock(dir, 'init', { pid: 7, system: fakeSystem(noMachineId), releaseOnExit: false });
    expect(lock.notice).toContain('that process no longer exists');
    await lock.release();

    await writeLock(dir, holder({ machineId: undefined, bootId: BOOT_2 }));
    const error = await lockError(acquireLock(dir, 'init', { pid: 7, system: fakeSystem(noMachineId), releaseOnExit: false }));
    expect(error.hint).toContain('without a machine id the two look alike');
  });
});

describe.runIf(linuxWithIds)('acquireLock against the real /proc of this machine', () => {
  const realLock = (overrides: Partial<LockInfo>) => {
    const real = realIdentity();
    return {
      pid: process.pid,
      host: hostname(),
      command: 'init',
      startedAt: '2026-01-01T00:00:00.000Z',
      machineId: real.machineId,
      bootId: real.bootId,
      processStartTime: real.startTime,
      ...overrides,
    };
  };

  it('a lock file held by a reused PID: this very process, but another start time, is taken over as stale', async () => {
    const dir = await newDir();
    await writeLock(dir, realLock({ processStartTime: realIdentity().startTime - 1 }));
    const lock = await acquireLock(dir, 'upgrade', { releaseOnExit: false });
    expect(lock.notice).toContain(`pid ${process.pid} is now another process`);
    await lock.release();
  });

  it('rebooted: this machine id with another boot id is stale although the pid runs', async () => {
    const dir = await newDir();
    await writeLock(dir, realLock({ bootId: '00000000-0000-4000-8000-000000000000' }));
    const lock = await acquireLock(dir, 'upgrade', { releaseOnExit: false });
    expect(lock.notice).toContain('restarted');
    await lock.release();
  });

  it('same hostname, other machine id: refused although that pid is not running here', async () => {
    const dir = await newDir();
    await writeLock(dir, realLock({ pid: deadPid(), machineId: 'f'.repeat(32) }));
    const error = await lockError(acquireLock(dir, 'upgrade', { releaseOnExit: false }));
    expect(error.hint).toContain('on another machine');
  });

  it.skipIf(pid1IsThisTool)('an old lock naming the real pid 1 is refused without suggesting kill 1', async () => {
    const dir = await newDir();
    await writeLock(dir, { pid: 1, host: hostname(), command: 'init', startedAt: '2026-01-01T00:00:00.000Z' });
    const error = await lockError(acquireLock(dir, 'upgrade', { releaseOnExit: false }));
    expect(error.hint).not.toContain('kill 1');
  });
});
