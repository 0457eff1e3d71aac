/** init's --concurrency when unset: 32, or every node of a larger cluster, at most 128 (issue #16, scale). */
import { describe, expect, it } from 'vitest';
import { initConcurrency, MAX_INIT_CONCURRENCY } from '../../../../src/workflows/init/concurrency.js';
import { init } from '../../../../src/cli/commands/init.js';

describe('initConcurrency', () => {
  it('is 32 up to 32 nodes, every node up to 128, then 128', () => {
    expect([2, 31, 32, 33, 101, 128, 129, 1000].map(initConcurrency)).toEqual([32, 32, 32, 33, 101, 128, 128, 128]);
    expect(MAX_INIT_CONCURRENCY).toBe(128);
  });

  it('the flag declares no default (an unset flag lets init size it), and says what unset means', () => {
    expect(init.options.concurrency.defaultText).toBeUndefined();
    expect(init.options.concurrency.help).toContain('every node of a larger cluster (at most 128)');
  });
});
