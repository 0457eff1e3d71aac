/**
 * The lock protocol shared with the stand-ins (standins/lib/lock.mjs): a lock is the directory
 * `<file>.lock`; mkdir is atomic, so whoever creates it owns it. A lock older than a few seconds
 * belongs to a killed process (critical sections are a read-modify-write of one JSON file).
 */
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';

const STALE_MS = 5_000;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

export function withFileLock<T>(file: string, fn: () => T): T {
  const lock = `${file}.lock`;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      try {
        if (Date.now() - statSync(lock).mtimeMs > STALE_MS) rmSync(lock, { recursive: true, force: true });
      } catch {
        // Released between mkdir and stat: just retry.
      }
      Atomics.wait(sleeper, 0, 0, 3);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export function readJson<T>(file: string, fallback: T): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return fallback;
  }
}

/** Readers never see a half-written file: write aside, then rename. */
export function writeJsonAtomic(file: string, value: unknown, mode = 0o644): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(value, null, 2)}\n`, { mode });
  renameSync(temp, file);
}

export function updateJson<T>(file: string, fallback: T, change: (value: T) => T | void): T {
  return withFileLock(file, () => {
    const value = readJson(file, fallback);
    const next = change(value) ?? value;
    writeJsonAtomic(file, next);
    return next;
  });
}
