/**
 * Small concurrency and timing helpers for the SSH layer: a counting semaphore (bounded
 * parallelism across nodes, and channels per connection) and a sleep that an abort ends with an error.
 */
import { AbortError, InternalError } from '../../errors.js';

export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new InternalError('InvalidConcurrency', `concurrency must be a positive integer, got ${limit}`);
  }

  /** Resolves with a release function once a slot is free; rejects if `signal` aborts first. */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    throwIfAborted(signal);
    if (this.active < this.limit) {
      this.active++;
      return this.releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const index = this.waiting.indexOf(grant);
        if (index >= 0) this.waiting.splice(index, 1);
        reject(abortErrorOf(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(grant);
    });
    return this.releaser();
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so `active` stays the same.
      if (next) next();
      else this.active--;
    };
  }
}

export function abortErrorOf(signal?: AbortSignal): AbortError {
  const reason = signal?.reason;
  if (reason instanceof AbortError) return reason;
  return new AbortError('Aborted', 'Interrupted before the remote operation finished.', { cause: reason });
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw abortErrorOf(signal);
}

/**
 * Waits `ms`, and rejects with an AbortError when `signal` aborts first: the wait is part of an
 * operation that must stop. (engine/backoff.ts#sleep resolves early instead, for waits that end quietly.)
 */
export function sleepOrThrow(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortErrorOf(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortErrorOf(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Combines optional signals (AbortSignal.any exists from Node 20.3). */
export function anySignal(...signals: Array<AbortSignal | undefined>): AbortSignal | undefined {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length <= 1) return present[0];
  return AbortSignal.any(present);
}
