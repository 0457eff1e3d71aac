/** The SSH layer's waits end with an error on abort (unlike engine/backoff's sleep), and its semaphore refuses a bad limit. */
import { describe, expect, it } from 'vitest';
import { AbortError, InternalError } from '../../../../src/errors.js';
import { Semaphore, sleepOrThrow } from '../../../../src/tools/ssh/limit.js';

describe('sleepOrThrow', () => {
  it('resolves after the delay when nothing aborts', async () => {
    const started = Date.now();
    await sleepOrThrow(30, new AbortController().signal);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('rejects with an AbortError when the signal aborts, also when it already has', async () => {
    const controller = new AbortController();
    const waiting = sleepOrThrow(60_000, controller.signal);
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(AbortError);
    await expect(sleepOrThrow(10, controller.signal)).rejects.toBeInstanceOf(AbortError);
  });
});

describe('Semaphore', () => {
  it('refuses a limit that is not a positive whole number as an internal error', () => {
    expect(() => new Semaphore(0)).toThrow(InternalError);
    expect(() => new Semaphore(1.5)).toThrow(/positive integer/);
  });
});
