import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { formatDuration, parseDuration } from '../../../src/engine/timeouts.js';

describe('parseDuration', () => {
  it.each([
    ['45m', 2_700_000],
    ['90s', 90_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1.5h', 5_400_000],
    [' 10M ', 600_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text, '--timeout')).toBe(ms);
  });

  it.each(['', '30', 'abc', '10x', '-5m', '0s', 'm', '5m junk', '1h 30m'])('refuses %j naming the flag', (text) => {
    let error: unknown;
    try {
      parseDuration(text, '--timeout');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toContain('--timeout');
    expect((error as UsageError).exitCode).toBe(2);
    expect((error as UsageError).hint).toContain('1h30m');
  });

  it('formats durations for messages', () => {
    expect(formatDuration(250)).toBe('250ms');
    expect(formatDuration(45_000)).toBe('45s');
    expect(formatDuration(5_400_000)).toBe('1h 30m');
  });
});
