import { describe, expect, it } from 'vitest';
import { withSpinner } from '../../../src/ui/spinner.js';
import { FakeStream, stripAnsi } from '../../helpers/fake-stream.js';

describe('withSpinner', () => {
  it('spins on a terminal and marks success', async () => {
    const stderr = new FakeStream(true);
    const value = await withSpinner('Waiting for SSH on cp-1', async () => 42, { stderr }, { color: false });
    expect(value).toBe(42);
    const text = stripAnsi(stderr.text);
    expect(text).toContain('Waiting for SSH on cp-1');
    expect(text).toMatch(/✔|√/);
  });

  it('marks failure and rethrows', async () => {
    const stderr = new FakeStream(true);
    await expect(withSpinner('Reading state', async () => { throw new Error('nope'); }, { stderr })).rejects.toThrow('nope');
    expect(stripAnsi(stderr.text)).toMatch(/✖|×/);
  });

  it('prints a single line when not on a terminal', async () => {
    const stderr = new FakeStream(false);
    await withSpinner('Waiting for the API server', async () => undefined, { stderr });
    expect(stderr.text).toBe('Waiting for the API server...\n');
  });
});
