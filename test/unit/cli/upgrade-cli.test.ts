/** `upgrade` refuses bad or missing input with exit 2 before it connects to any node. */
import { describe, expect, it } from 'vitest';
import { EXIT_USAGE } from '../../../src/cli/main.js';
import { runCli } from '../../helpers/fake-io.js';
import { makeCluster } from '../../helpers/cluster-fixture.js';

describe('upgrade usage errors (CI, no terminal)', () => {
  it('requires --to in CI, naming it', async () => {
    const fixture = await makeCluster('needs-to');
    const run = await runCli(['--yes', 'upgrade'], { cwd: fixture.cwd, env: { HOME: fixture.home } });
    expect(run.code).toBe(EXIT_USAGE);
    expect(run.stderr).toContain('--to');
  });

  it('requires --yes in CI instead of auto-confirming an upgrade', async () => {
    const fixture = await makeCluster('needs-yes');
    const run = await runCli(['upgrade', '--to', '1.37.1'], { cwd: fixture.cwd, env: { HOME: fixture.home } });
    expect(run.code).toBe(EXIT_USAGE);
    expect(run.stderr).toContain('--yes');
    expect(run.stderr).not.toContain('auto-confirmed');
  });

  it.each([
    [['--to', '1.37'], '--to: "1.37" is not a Kubernetes version'],
    [['--to', '1.37.1', '--max-unavailable', '0'], '--max-unavailable must be 1 or more'],
    [['--to', '1.37.1', '--drain-timeout', '10'], '--drain-timeout: "10" is not a duration'],
  ])('refuses %j', async (args, message) => {
    const run = await runCli(['--yes', 'upgrade', ...args]);
    expect(run.code).toBe(EXIT_USAGE);
    expect(run.stderr).toContain(message);
  });

  it('refuses --rebuild-image on a static cluster, before any SSH', async () => {
    const fixture = await makeCluster('static-up');
    const run = await runCli(['--yes', '--dir', fixture.dir.root, 'upgrade', '--to', '1.37.1', '--rebuild-image'], { cwd: fixture.cwd, env: { HOME: fixture.home } });
    expect(run.code).toBe(EXIT_USAGE);
    expect(run.stderr).toContain('--rebuild-image is for cloud providers');
  });
});
