/**
 * kubectl's lock on a kubeconfig file, so a merge never interleaves with `kubectl config …`.
 * client-go (tools/clientcmd/config.go, ModifyConfig) locks every file it may write by creating
 * `<file>.lock` with os.OpenFile(O_CREATE|O_EXCL) (lockFile in tools/clientcmd/loader.go) and
 * removes it when done (unlockFile). It never waits: a second kubectl fails with "file exists".
 * (https://github.com/kubernetes/kubernetes/blob/master/staging/src/k8s.io/client-go/tools/clientcmd/loader.go)
 * We take the same file the same way, wait a little for a running kubectl, and never remove a
 * lock we did not create (a kubectl killed mid-write leaves one; the person decides).
 */
import { open, rm } from 'node:fs/promises';
import { LockedError } from '../errors.js';

export interface KubeconfigLockOptions {
  /** How long to wait for another holder. @default 10 s */
  waitMs?: number;
}

/** Runs `fn` holding `<file>.lock`; `file` is the path as kubectl names it (symlinks not resolved). */
export async function withKubeconfigLock<T>(file: string, fn: () => Promise<T>, options: KubeconfigLockOptions = {}): Promise<T> {
  const lock = `${file}.lock`;
  const deadline = Date.now() + (options.waitMs ?? 10_000);
  for (;;) {
    try {
      await (await open(lock, 'wx', 0o600)).close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (Date.now() >= deadline) {
        throw new LockedError('KubeconfigLocked', `${lock} exists: kubectl (or another k8s-bootstrap) is changing ${file}; nothing was changed`, {
          hint: `Run the command again when it has finished. If nothing is changing the file, the lock was left by a kubectl that was killed: remove ${lock}.`,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}
