/**
 * Tests that run the real binary (bin/k8s-bootstrap.js -> dist/) need a build. Several test files
 * run at once in separate processes, so the build is serialised with a lock folder and skipped
 * when dist/ is already newer than every source file: a second file never rewrites dist/ while
 * the first one is running the binary.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const PROJECT_ROOT = resolve(import.meta.dirname, '..', '..');
export const BIN = join(PROJECT_ROOT, 'bin', 'k8s-bootstrap.js');
const ENTRY = join(PROJECT_ROOT, 'dist', 'cli', 'main.js');
const LOCK = join(PROJECT_ROOT, 'node_modules', '.k8sb-build.lock');

function newestSource(folder: string): number {
  let newest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function isFresh(): boolean {
  try {
    return statSync(ENTRY).mtimeMs >= newestSource(join(PROJECT_ROOT, 'src'));
  } catch {
    return false;
  }
}

async function withLock<T>(work: () => T): Promise<T> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // A lock older than the deadline belongs to a crashed run.
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > 180_000) rmSync(LOCK, { recursive: true, force: true });
      } catch {
        /* gone already */
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${LOCK}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return work();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** Runs `npm run build` unless dist/ is up to date. */
export async function ensureBuilt(): Promise<void> {
  await withLock(() => {
    if (isFresh()) return;
    try {
      execFileSync('npm', ['run', 'build'], { cwd: PROJECT_ROOT, stdio: 'pipe' });
    } catch (error) {
      // tsc still emits on type errors; the type check is its own CI step, so only a build that
      // produced no entry point stops these tests.
      const output = String((error as { stdout?: Buffer }).stdout ?? '');
      if (!isFresh()) throw new Error(`npm run build failed:\n${output}`);
      console.warn(`[build] npm run build reported errors; using the emitted dist/ anyway:\n${output.slice(0, 2000)}`);
    }
  });
}
