/**
 * End to end, HA on the static provider: 3 control planes behind keepalived + haproxy (VIP:8443,
 * never 6443 on a control plane) and 3 workers; control planes join one at a time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Fleet } from '../../fleet/fleet.js';
import { cli, failureText, fleetOf, fleetSkipReason, initArgs, nodesSeenBy, onNode, tempDir } from './cluster-helpers.js';

const skip = fleetSkipReason();

describe.skipIf(skip)('init on a static fleet: 3 control planes + 1 worker', () => {
  let fleet: Fleet;
  let run: Awaited<ReturnType<typeof cli>>;
  let vip: string;
  let cwd: string;
  let dir: string;

  beforeAll(async () => {
    // A join takes 1.5 s, so joins that overlapped would start less than that apart.
    fleet = await fleetOf(3, 1, { latencies: { 'kubeadm join': 1500 } });
    vip = `127.0.${fleet.id}.200`;
    cwd = tempDir('e2e-ha');
    dir = join(cwd, 'cluster');
    run = await cli(initArgs(fleet, { name: 'ha', dir, extra: ['--virtual-ip', vip, '--kubernetes-version', '1.36.2'] }), cwd);
  }, 300_000);

  afterAll(() => fleet?.stop());

  it('reaches all-Ready with every node at the spec version', async () => {
    expect(run.code, failureText(run)).toBe(0);
    const nodes = await nodesSeenBy(fleet);
    expect(nodes.map((n) => n.name).sort()).toEqual(['cp-1', 'cp-2', 'cp-3', 'worker-1']);
    for (const node of nodes) {
      expect(node.ready, node.name).toBe(true);
      expect(node.kubeletVersion, node.name).toBe('v1.36.2');
    }
    expect(nodes.filter((n) => n.roles.includes('control-plane')).map((n) => n.name).sort()).toEqual(['cp-1', 'cp-2', 'cp-3']);
  });

  it('fixes the API endpoint at the VIP on haproxy port 8443', () => {
    expect(fleet.api().cluster?.controlPlaneEndpoint).toBe(`${vip}:8443`);
    for (const cp of ['cp-1', 'cp-2', 'cp-3']) {
      const calls = fleet.toolCallsOn(cp).join('\n');
      expect(calls, cp).toMatch(/systemctl restart haproxy/);
      expect(calls, cp).toMatch(/systemctl restart keepalived/);
    }
  });

  it('joins the control planes one at a time, after the first is initialised', () => {
    const history = fleet.api().history.filter((h) => /init|join/.test(h.op));
    const order = history.map((h) => `${h.op}:${h.node}`);
    const initAt = order.findIndex((o) => o.startsWith('init') && o.endsWith('cp-1'));
    expect(initAt).toBeGreaterThanOrEqual(0);
    const cpJoins = history.filter((h) => h.op.includes('join') && /^cp-/.test(h.node));
    expect(cpJoins.map((h) => h.node)).toEqual(['cp-2', 'cp-3']);
    // One at a time: cp-3's join starts after cp-2's has finished (fleet events carry times).
    const joins = fleet.events().filter((e) => e.kind === 'tool' && /^kubeadm join/.test(e.command));
    const startOf = (node: string) => Date.parse(joins.find((e) => e.node === node)!.time);
    expect(startOf('cp-3') - startOf('cp-2')).toBeGreaterThanOrEqual(1500);
  });

  it('destroy --reset-nodes stops and disables keepalived and haproxy, so the VIP is no longer held', async () => {
    const destroyed = await cli(['--dir', dir, '--output', 'plain', '--yes', 'destroy', '--reset-nodes'], cwd);
    expect(destroyed.code, failureText(destroyed)).toBe(0);
    for (const cp of ['cp-1', 'cp-2', 'cp-3']) {
      expect(await onNode(fleet, cp, 'systemctl is-active keepalived haproxy; systemctl is-enabled keepalived haproxy; test -e /etc/keepalived/keepalived.conf || echo gone'), cp).toBe('inactive\ninactive\ndisabled\ndisabled\ngone\n');
    }
  });
});
