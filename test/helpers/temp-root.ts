/**
 * One temp folder per test run: every `k8sb-*` folder the tests (and the CLI, Terraform and
 * Packer they start) create goes under it, because TMPDIR points there and os.tmpdir() reads
 * TMPDIR on every call. Removing that one folder at the end cleans them all, whether the tests
 * passed or failed; K8SB_KEEP_TMP=1 keeps it for a post-mortem (its path is printed).
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PREFIX = 'k8sb-run-';
const OWNER_FILE = 'owner.pid';

export function keepTemp(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.K8SB_KEEP_TMP;
  return value !== undefined && value !== '' && value !== '0';
}

/** Whether a process with this pid exists (EPERM: it does, as another user's). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Run folders whose owner died without its teardown (SIGKILL, a second Ctrl-C). */
export function reapStaleRunFolders(parent: string): string[] {
  const reaped: string[] = [];
  for (const entry of readdirSync(parent)) {
    if (!entry.startsWith(PREFIX)) continue;
    const folder = join(parent, entry);
    let owner = NaN;
    try {
      owner = Number(readFileSync(join(folder, OWNER_FILE), 'utf8'));
    } catch {
      continue; // not ours, or still being created
    }
    if (Number.isInteger(owner) && owner > 0 && !pidAlive(owner)) {
      rmSync(folder, { recursive: true, force: true });
      reaped.push(folder);
    }
  }
  return reaped;
}

export interface TempRoot {
  path: string;
  /** Removes the folder unless K8SB_KEEP_TMP is set; returns what it did, for the log. */
  dispose(): 'removed' | 'kept';
}

/** Creates `<parent>/k8sb-run-XXXXXX` owned by this process. */
export function createTempRoot(parent = tmpdir(), env: NodeJS.ProcessEnv = process.env): TempRoot {
  reapStaleRunFolders(parent);
  const path = mkdtempSync(join(parent, PREFIX));
  // 0755, not mkdtemp's 0700: test sshds read authorized_keys below it as their login user
  // (OpenSSH opens AuthorizedKeysFile with the user's uid). Each folder inside is 0700 again.
  chmodSync(path, 0o755);
  writeFileSync(join(path, OWNER_FILE), String(process.pid));
  return {
    path,
    dispose() {
      if (keepTemp(env)) {
        // Without an owner the next run's reaper leaves it alone: removing it is up to you.
        rmSync(join(path, OWNER_FILE), { force: true });
        return 'kept';
      }
      if (existsSync(path)) rmSync(path, { recursive: true, force: true });
      return 'removed';
    },
  };
}
