/** The run harness: what a Ctrl-C reports counts the whole run, not only the phases it cut short. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHost } from '../../../../src/engine/script-host.js';
import { RunInterruptedError } from '../../../../src/engine/run-errors.js';
import { ClusterDir } from '../../../../src/state/cluster-dir.js';
import { withRun } from '../../../../src/workflows/run/session.js';
import { fakeStep, work } from '../../../helpers/fake-steps.js';

let folder: string | undefined;
afterEach(async () => {
  if (folder) await rm(folder, { recursive: true, force: true });
  folder = undefined;
});

describe('withRun', () => {
  it('a Ctrl-C in a later phase list reports the steps the earlier lists finished', async () => {
    folder = await mkdtemp(join(tmpdir(), 'k8sb-session-'));
    const interrupt = new AbortController();
    const host = createHost({ cwd: folder, signal: interrupt.signal });
    const error = await withRun(host, new ClusterDir(folder), { command: 'init', cluster: 'demo', timeoutMs: 60_000 }, async (run) => {
      // Like init: the bootstrap phases (ten steps), then Verify, where the person presses Ctrl-C.
      await run.runPhases([{ title: 'Bootstrap', steps: Array.from({ length: 10 }, (_, i) => fakeStep(`step-${i}`)) }]);
      await run.runPhases([
        {
          title: 'Verify',
          steps: [
            fakeStep('verify', async (ctx) => {
              setTimeout(() => interrupt.abort(new Error('interrupted')), 5);
              await work(5_000, ctx.signal);
            }),
          ],
        },
      ]);
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RunInterruptedError);
    expect((error as Error).message).toBe('Interrupted: 10 steps finished, the running ones were stopped');
  });
});
