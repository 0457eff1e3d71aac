// Same protocol as test/fleet/fs-lock.ts: the directory `<file>.lock` is the lock (mkdir is atomic).
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';

const STALE_MS = 5_000;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

export function withFileLock(file, fn) {
  const lock = `${file}.lock`;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      try {
        if (Date.now() - statSync(lock).mtimeMs > STALE_MS) rmSync(lock, { recursive: true, force: true });
      } catch {
        // released meanwhile
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

export function readJson(file, fallback) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return fallback;
  }
}

export function writeJsonAtomic(file, value, mode = 0o644) {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(value, null, 2)}\n`, { mode });
  renameSync(temp, file);
}

/** Read-modify-write under the lock; `change` mutates the value or returns a new one. */
export function updateJson(file, fallback, change) {
  return withFileLock(file, () => {
    const value = readJson(file, fallback);
    const result = change(value);
    writeJsonAtomic(file, value);
    return result;
  });
}
