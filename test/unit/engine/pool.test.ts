import { describe, expect, it } from 'vitest';
import { AbortError } from '../../../src/errors.js';
import { mapWithConcurrency } from '../../../src/engine/pool.js';
import { backoffDelay } from '../../../src/engine/backoff.js';

const tick = () => new Promise((r) => setTimeout(r, 2));

describe('mapWithConcurrency', () => {
  it('keeps results in input order and never exceeds the limit', async () => {
    let inFlight = 0;
    let max = 0;
    const results = await mapWithConcurrency([5, 1, 4, 2, 3, 6, 7], 3, async (n) => {
      inFlight++;
      max = Math.max(max, inFlight);
      await new Promise((r) => setTimeout(r, n));
      inFlight--;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30, 60, 70]);
    expect(max).toBe(3);
  });

  it('after a failure starts nothing new, waits for running calls, rethrows the first error', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const run = mapWithConcurrency([0, 1, 2, 3, 4], 2, async (n) => {
      started.push(n);
      await tick();
      if (n === 0) throw new Error('first');
      await tick();
      finished.push(n);
    });
    await expect(run).rejects.toThrow('first');
    expect(started).toEqual([0, 1]);
    expect(finished).toEqual([1]);
  });

  it('stops starting items when the signal aborts and throws an AbortError', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    const run = mapWithConcurrency([0, 1, 2, 3], 1, async (n) => {
      started.push(n);
      if (n === 1) controller.abort();
      await tick();
    }, controller.signal);
    await expect(run).rejects.toBeInstanceOf(AbortError);
    expect(started).toEqual([0, 1]);
  });

  it('handles an empty list', async () => {
    expect(await mapWithConcurrency([], 4, async () => 1)).toEqual([]);
  });
});

describe('backoffDelay', () => {
  it('doubles from the base, caps at 30 s, jitter within 20 %', () => {
    expect(backoffDelay(1, { random: () => 0.5 })).toBe(1_000);
    expect(backoffDelay(3, { random: () => 0.5 })).toBe(4_000);
    expect(backoffDelay(20, { random: () => 0.5 })).toBe(30_000);
    expect(backoffDelay(1, { random: () => 1 })).toBe(1_200);
    expect(backoffDelay(1, { random: () => 0 })).toBe(800);
    expect(backoffDelay(20, { random: () => 1 })).toBe(30_000);
  });
});
