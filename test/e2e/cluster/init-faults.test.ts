/**
 * Faults during init: a worker whose join fails once is retried; a connection dropped during a
 * join is recovered; a node that never answers SSH fails, named, within --ssh-timeout, while the
 * other nodes still finish.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Fleet } from '../../fleet/fleet.js';
import type { FleetNode } from '../../fleet/fleet-types.js';
import { cli, failureText, fleetOf, fleetSkipReason, initArgs, nodesSeenBy, tempDir } from './cluster-helpers.js';

const skip = fleetSkipReason();

describe.skipIf(skip)('init with faults on a 1 + 3 fleet and a host that never answers', () => {
  let fleet: Fleet;
  let dead: FleetNode;
  let run: Awaited<ReturnType<typeof cli>>;

  beforeAll(async () => {
    fleet = await fleetOf(1, 2);
    // Listed with the other hosts (fleet.nodes includes it): accepts TCP, never sends an SSH banner.
    dead = await fleet.addBlackhole('worker-3');
    expect(dead.address).toMatch(/^127\./);
    fleet.setFault('worker-1', { failOnce: { op: 'kubeadm join', message: 'error execution phase kubelet-start: timed out waiting for the condition' } });
    fleet.setFault('worker-2', { dropConnectionOnce: 'kubeadm join' });
    const cwd = tempDir('e2e-faults');
    run = await cli(
      initArgs(fleet, { name: 'faults', dir: join(cwd, 'cluster'), extra: ['--ssh-timeout', '6s'] }),
      cwd,
    );
  }, 300_000);

  afterAll(() => fleet?.stop());

  it('fails the run naming the host that never answered SSH', () => {
    expect(run.code, failureText(run)).toBe(1);
    const summary = run.stderr.slice(run.stderr.lastIndexOf('Error:'));
    expect(summary).toMatch(/worker-3/);
    expect(summary).not.toMatch(/worker-1|worker-2|cp-1/);
    expect(run.stderr).toMatch(/Full output: .*\.log/);
  });

  it('still brings every other node to Ready, including the retried and the dropped join', async () => {
    const nodes = await nodesSeenBy(fleet);
    expect(nodes.map((n) => n.name).sort()).toEqual(['cp-1', 'worker-1', 'worker-2']);
    for (const node of nodes) expect(node.ready, node.name).toBe(true);
  });

  it('retried the join that failed once and recovered the dropped one', () => {
    const joinsOn = (node: string) => fleet.toolCallsOn(node).filter((c) => c.startsWith('kubeadm join'));
    expect(joinsOn('worker-1').length).toBe(2);
    expect(joinsOn('worker-2').length).toBeGreaterThanOrEqual(2);
    expect(run.stderr).toMatch(/worker-1: .*retrying/);
    expect(run.stderr).toMatch(/worker-2: .*retrying/);
  });
});
