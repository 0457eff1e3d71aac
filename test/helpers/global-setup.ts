/**
 * vitest globalSetup (vitest.config.ts): runs in the main process before any test file, and its
 * teardown after the last one, failed or not. It points TMPDIR at one folder for the run
 * (temp-root.ts) and undoes what a root run added to the machine (host-footprint.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { recordFootprint, removeFootprint } from './host-footprint.js';
import { createTempRoot } from './temp-root.js';

const MARK = 'K8SB_TEST_RUN_TMP';

/** Vitest calls the root config's globalSetup once more per project (`extends: true`): only the first acts. */
function alreadySetUp(): boolean {
  const path = process.env[MARK];
  if (!path) return false;
  try {
    return Number(readFileSync(join(path, 'owner.pid'), 'utf8')) === process.pid;
  } catch {
    return false;
  }
}

export default function setup(): () => void {
  if (alreadySetUp()) return () => {};
  const root = createTempRoot();
  // Set before vitest starts its workers, which inherit the environment (and os.tmpdir() reads TMPDIR).
  process.env.TMPDIR = root.path;
  process.env[MARK] = root.path;
  const footprint = recordFootprint();
  return () => {
    const report = removeFootprint(footprint);
    if (report.removed.length > 0) console.log(`test run: removed ${report.removed.join(', ')}`);
    if (report.keptBecause) console.log(`test run: kept the test users and sudo rules: ${report.keptBecause}`);
    if (root.dispose() === 'kept') console.log(`test run: K8SB_KEEP_TMP is set: temp files kept in ${root.path}`);
  };
}
