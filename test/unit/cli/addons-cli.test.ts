/**
 * `addons list | diff | apply` in-process (CI=true) against a prepared cluster folder whose nodes
 * refuse SSH: usage errors exit 2 before any connection and change nothing; a generated password
 * is shown on the terminal only.
 */
import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { EXIT_FAILURE, EXIT_USAGE } from '../../../src/cli/main.js';
import { createContext } from '../../../src/cli/main.js';
import { revealerFor, showRevealed } from '../../../src/cli/handlers/addons.js';
import { ADDON_NAMES } from '../../../src/kube/addons/pins.js';
import { fakeIo, runCli } from '../../helpers/fake-io.js';
import { makeCluster, type ClusterFixture } from '../../helpers/cluster-fixture.js';

function run(fixture: ClusterFixture, args: string[]) {
  return runCli(args, { cwd: fixture.cwd, env: { HOME: fixture.home } });
}

const globals = { yes: false, output: 'plain' as const, verbose: false, color: false };

describe('addons usage errors (exit 2, before any SSH)', () => {
  it('apply with a name outside the set names the valid ones', async () => {
    const fixture = await makeCluster('addons-a');
    const result = await run(fixture, ['addons', 'apply', 'nginx', '--yes']);
    expect(result.code).toBe(EXIT_USAGE);
    expect(result.stderr).toContain('Error: There is no add-on named "nginx"');
    expect(result.stderr).toContain(`Hint: The add-ons: ${ADDON_NAMES.join(', ')}.`);
    // No run was opened: no log of it.
    expect((await readdir(fixture.dir.logsDir)).filter((name) => name.includes('addons'))).toEqual([]);
  });

  it('apply of an add-on cluster.yaml turns off says how to turn it on', async () => {
    const fixture = await makeCluster('addons-b');
    const result = await run(fixture, ['--yes', 'addons', 'apply', 'velero']);
    expect(result.code).toBe(EXIT_USAGE);
    expect(result.stderr).toContain(`Error: velero is not enabled in ${fixture.dir.specFile}`);
    expect(result.stderr).toContain('addons.velero.enabled: true');
  });

  it('diff with an unknown name, too', async () => {
    const fixture = await makeCluster('addons-c');
    const result = await run(fixture, ['addons', 'diff', 'traefik', 'ingress-nginx']);
    expect(result.code).toBe(EXIT_USAGE);
    expect(result.stderr).toContain('There is no add-on named "ingress-nginx"');
  });

  it('list with an unreachable first control plane fails (exit 1) naming it', async () => {
    const fixture = await makeCluster('addons-d');
    const result = await run(fixture, ['addons', 'list', '--timeout', '5s']);
    expect(result.code).toBe(EXIT_FAILURE);
    expect(result.stderr).toMatch(/^Error: .*cp-1/m);
    expect(result.stdout).toBe('');
  });

  it('--help of list says when it exits 1', async () => {
    const result = await runCli(['addons', 'list', '--help']);
    expect(result.stdout.replace(/\s+/g, ' ')).toContain('exit 1 when an enabled add-on is not installed or not ready');
  });
});

describe('a generated password', () => {
  it('is collected only when stderr is a terminal, and written there, not on stdout', () => {
    const plain = createContext(fakeIo(), globals, new AbortController().signal);
    expect(revealerFor(plain, [])).toBeUndefined();
    const io = fakeIo({ tty: true });
    const tty = createContext(io, globals, new AbortController().signal);
    const lines: string[] = [];
    revealerFor(tty, lines)!('Monitoring: user admin, password p4ss (shown once; kept in /x)');
    showRevealed(tty, lines);
    expect(io.stderr.text).toBe('Monitoring: user admin, password p4ss (shown once; kept in /x)\n');
    expect(io.stdout.text).toBe('');
  });
});
