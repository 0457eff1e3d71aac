/** Exponential backoff with jitter, and an abortable sleep. */

export interface BackoffOptions {
  /** Delay before the first retry. @default 1000 */
  baseMs?: number;
  /** @default 2 */
  factor?: number;
  /** @default 30000 */
  maxMs?: number;
  /** Fraction of the delay added or removed at random, so that many nodes do not retry in lockstep. @default 0.2 */
  jitter?: number;
  random?: () => number;
}

/** Delay before retry number `retry` (1 = the first retry). */
export function backoffDelay(retry: number, options: BackoffOptions = {}): number {
  const { baseMs = 1_000, factor = 2, maxMs = 30_000, jitter = 0.2, random = Math.random } = options;
  const raw = Math.min(maxMs, baseMs * factor ** Math.max(0, retry - 1));
  const spread = raw * jitter * (random() * 2 - 1);
  return Math.max(0, Math.min(maxMs, Math.round(raw + spread)));
}

/** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
