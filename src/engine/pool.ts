/**
 * Bounded concurrency: at most `limit` calls of `fn` in flight. Shared by the runner (steps of a
 * phase) and by tools that fan out over nodes (waiting for SSH on 100 machines).
 */
import { AbortError } from '../errors.js';

/**
 * Runs `fn` over `items`, never more than `limit` at once, starting items in order.
 * After the first rejection or once `signal` aborts, no further item starts; the calls already
 * running are awaited (never left dangling), then the first error (or an AbortError) is thrown.
 * @returns results in the order of `items`
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  const width = Math.max(1, Math.min(Math.floor(limit) || 1, items.length || 1));
  const results = new Array<R>(items.length);
  let next = 0;
  let firstError: { error: unknown } | undefined;

  const worker = async (): Promise<void> => {
    while (next < items.length && !firstError && !signal?.aborted) {
      const index = next++;
      try {
        results[index] = await fn(items[index]!, index);
      } catch (error) {
        firstError ??= { error };
      }
    }
  };

  await Promise.all(Array.from({ length: width }, worker));
  if (firstError) throw firstError.error;
  if (signal?.aborted && next < items.length) throw abortErrorFrom(signal);
  return results;
}

function abortErrorFrom(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof AbortError) return reason;
  return new AbortError('Aborted', 'Stopped before all items were processed', { cause: reason });
}
