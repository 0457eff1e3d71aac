/**
 * Review P5 on the simulated fleet: after `add-workers --host <typo>` fails, the hint names the
 * command that takes the host out again (cluster.yaml already lists it, so `status` shows it
 * NotRegistered), and the test runs that very command.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Fleet } from '../../fleet/fleet.js';
import { cli, failureText, fleetSkipReason, initArgs, preparedFleetOf, tempDir } from '../cluster/cluster-helpers.js';
import { DEFAULT_KUBERNETES_VERSION } from '../../../src/kube/versions.js';

const skip = fleetSkipReason();

describe.skipIf(skip)('a failed add-workers names remove-workers for the host that did not join', () => {
  let fleet: Fleet;
  let cwd: string;
  let dir: string;

  beforeAll(async () => {
    fleet = await preparedFleetOf(1, 1, DEFAULT_KUBERNETES_VERSION);
    cwd = tempDir('e2e-hint');
    dir = join(cwd, 'cluster');
    const init = await cli(initArgs(fleet, { name: 'hint', dir }), cwd);
    if (init.code !== 0) throw new Error(`init failed: ${failureText(init)}`);
  }, 300_000);

  afterAll(() => fleet?.stop());

  it('the hinted remove-workers command, run as written (plus --yes), takes the typo out', async () => {
    // Nothing listens on this loopback address: the typo of the review.
    const typo = `127.0.${fleet.id}.250`;
    const added = await cli(['--dir', dir, '--output', 'plain', 'add-workers', '--host', typo, '--yes', '--ssh-timeout', '3s'], cwd);
    expect(added.code, failureText(added)).toBe(1);
    expect(readFileSync(join(dir, 'cluster.yaml'), 'utf8')).toContain(typo);
    const hint = /^Hint: (.*)$/m.exec(added.stderr)?.[1] ?? '';
    expect(hint).toContain('worker-2 is in cluster.yaml but did not join');
    const command = /"k8s-bootstrap (--dir \S+ remove-workers --node worker-2)"/.exec(hint)?.[1];
    expect(command, hint).toBeDefined();

    const status = await cli(['--dir', dir, 'status', '--timeout', '20s'], cwd);
    expect(status.stdout).toMatch(/worker-2\s+worker\s+NotRegistered/);

    // --yes because the test has no terminal to answer the question; --ssh-timeout to give up on the typo sooner.
    const removed = await cli([...command!.split(' '), '--yes', '--ssh-timeout', '3s'], cwd);
    expect(removed.code, failureText(removed)).toBe(0);
    expect(readFileSync(join(dir, 'cluster.yaml'), 'utf8')).not.toContain(typo);
    const after = await cli(['--dir', dir, 'status', '--timeout', '20s'], cwd);
    expect(after.code, failureText(after)).toBe(0);
    expect(after.stdout).not.toContain('worker-2');
  }, 300_000);
});
