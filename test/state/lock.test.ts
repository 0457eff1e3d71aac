import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LockedError } from '../../src/errors.js';
import { ClusterDir } from '../../src/state/cluster-dir.js';
import { acquireLock, type LockInfo } from '../../src/state/lock.js';

const newDir = async () => new ClusterDir(await mkdtemp(join(tmpdir(), 'k8sb-lock-')));

async function lockError(promise: Promise<unknown>): Promise<LockedError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(LockedError);
  return error as LockedError;
}

describe('acquireLock', () => {
  it('writes lock.json, refuses a second holder naming the first, and release removes it', async () => {
    const dir = await newDir();
    const lock = await acquireLock(dir, 'init', { releaseOnExit: false });
    const info = JSON.parse(await readFile(dir.lockFile, 'utf8')) as LockInfo;
    expect(info).toMatchObject({ pid: process.pid, host: hostname(), command: 'init' });
    expect(Date.parse(info.startedAt)).not.toBeNaN();
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

  it('takes over a stale lock (same host, process gone) with a notice', async () => {
    const dir = await newDir();
    // A real process that has exited: its pid is not running any more.
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(child.stdout);
    expect(deadPid).toBeGreaterThan(0);
    await writeFile(dir.lockFile, JSON.stringify({ pid: deadPid, host: hostname(), command: 'init', startedAt: '2026-01-01T00:00:00.000Z' }));
    const lock = await acquireLock(dir, 'add-workers', { releaseOnExit: false });
    expect(lock.notice).toContain(`pid ${deadPid}`);
    expect(lock.notice).toMatch(/stale/);
    expect(JSON.parse(await readFile(dir.lockFile, 'utf8'))).toMatchObject({ pid: process.pid, command: 'add-workers' });
    await lock.release();
  });

  it('never takes over a lock of another host automatically', async () => {
    const dir = await newDir();
    await writeFile(dir.lockFile, JSON.stringify({ pid: 1, host: 'other-laptop', command: 'upgrade', startedAt: '2026-01-01T00:00:00.000Z' }));
    const error = await lockError(acquireLock(dir, 'init', { releaseOnExit: false, isAlive: () => false }));
    expect(error.message).toContain('other-laptop');
    expect(error.hint).toContain(dir.lockFile);
    expect(existsSync(dir.lockFile)).toBe(true);
  });

  it('refuses an unreadable lock file and says how to proceed', async () => {
    const dir = await newDir();
    await writeFile(dir.lockFile, 'garbage');
    const error = await lockError(acquireLock(dir, 'init', { releaseOnExit: false }));
    expect(error.hint).toContain('remove');
  });

  it('release does not remove a lock that another run holds now', async () => {
    const dir = await newDir();
    const lock = await acquireLock(dir, 'init', { releaseOnExit: false });
    await writeFile(dir.lockFile, JSON.stringify({ pid: 42, host: 'elsewhere', command: 'destroy', startedAt: 'x' }));
    await lock.release();
    expect(existsSync(dir.lockFile)).toBe(true);
  });

  it('a lock held by a real child process stops this process, naming it', async () => {
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
    } finally {
      child.stdin.end();
      await new Promise((resolve) => child.once('exit', resolve));
    }
    expect(existsSync(dir.lockFile)).toBe(false);
  });
});
