/**
 * `k8s-bootstrap … | head -2`: once the reader is gone, a write to stdout fails with EPIPE, and
 * Node emits it as an 'error' event on the stream; unhandled, that is a crash with a stack trace.
 * Node CLIs end quietly instead (SheetJS exit-on-epipe, used by many: "cleanly exit on pipe
 * errors", with exit code 0). This one does not exit at once, because the command may be halfway
 * through a run (a Terraform apply, a kubeadm join) that must stop cleanly and record its state:
 * stdout becomes a sink, the command finishes as it would have, and its exit code is its own.
 */
import type { Writable } from 'node:stream';

/**
 * Watches `stream` for the rest of its life: the EPIPE of the last write arrives after main()
 * has returned, so the listener is never taken off.
 */
export function guardBrokenPipe(stream: NodeJS.WritableStream): void {
  let broken = false;
  const target = stream as Writable;
  const onError = (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') {
      // Not ours to hide: the same crash as without this listener.
      target.off('error', onError);
      throw error;
    }
    if (broken) return;
    broken = true;
    // Nobody reads any more: later writes succeed at once instead of failing on a destroyed stream.
    target.write = ((_chunk: unknown, encoding?: unknown, callback?: unknown) => {
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
      return true;
    }) as Writable['write'];
  };
  if (typeof target.on === 'function') target.on('error', onError);
}
