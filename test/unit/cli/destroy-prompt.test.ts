/** destroy on a terminal asks for the cluster name; a wrong name destroys nothing (exit 1, like any "no"). */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXIT_FAILURE, EXIT_OK, main } from '../../../src/cli/main.js';
import { Capture } from '../../helpers/fake-io.js';
import { FakeTerminal } from '../../helpers/fake-terminal.js';
import { makeCluster, type ClusterFixture } from '../../helpers/cluster-fixture.js';

async function destroyAt(fixture: ClusterFixture, typed: string): Promise<{ code: number; stdout: string; screen: string }> {
  const terminal = new FakeTerminal();
  const stdout = new Capture();
  terminal.stdin.isTTY = stdout.isTTY = terminal.stderr.isTTY = true;
  const running = main(['node', 'k8s-bootstrap', '--output', 'plain', 'destroy'], {
    stdin: terminal.stdin,
    stdout,
    stderr: terminal.stderr,
    env: { HOME: fixture.home, PATH: process.env.PATH },
    cwd: fixture.cwd,
  });
  await terminal.answer('This destroys', typed);
  const code = await running;
  return { code, stdout: stdout.text, screen: terminal.screen };
}

describe('destroy confirmation on a terminal', () => {
  it('a wrong name: nothing destroyed', async () => {
    const fixture = await makeCluster();
    const result = await destroyAt(fixture, 'dmeo');
    expect(result.screen).toContain('Type the cluster name (demo) to confirm');
    expect(result.code).toBe(EXIT_FAILURE);
    expect(result.screen).not.toContain('Error:');
    expect(result.screen).toContain('nothing was destroyed');
    expect(existsSync(fixture.dir.inventoryFile)).toBe(true);
  });

  it('the right name: destroyed', async () => {
    const fixture = await makeCluster();
    const result = await destroyAt(fixture, 'demo');
    expect(result.code).toBe(EXIT_OK);
    expect(result.stdout).toContain('Cluster demo destroyed.');
    expect(existsSync(fixture.dir.inventoryFile)).toBe(false);
  });
});
