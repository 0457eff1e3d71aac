/**
 * Day-2 commands against a live simulated cluster: status JSON matches what the fleet's API
 * holds and exits 1 once a node is not Ready, `ssh NODE -- hostname` runs on that node, and
 * `destroy --reset-nodes` resets every node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Fleet } from '../../fleet/fleet.js';
import { cli, failureText, fleetSkipReason, initArgs, nodesSeenBy, onNode, preparedFleetOf, tempDir } from './cluster-helpers.js';
import { resultOf } from '../../helpers/json-lines.js';

const skip = fleetSkipReason();

interface StatusJson {
  cluster: string;
  apiEndpoint: string;
  healthy: boolean;
  version: { recorded: string; observed: string[] };
  nodes: Array<{ name: string; role: string; ready: boolean | null; cordoned: boolean; version: string; address: string; status: string }>;
  state: { finishedSteps: number; pendingSteps: string[] };
}

describe.skipIf(skip)('status, ssh and destroy on a 1 + 2 static cluster', () => {
  let fleet: Fleet;
  let cwd: string;
  let dir: string;

  beforeAll(async () => {
    // The subject is the day-2 commands: the nodes boot prepared at the cluster's version.
    fleet = await preparedFleetOf(1, 2, '1.36.2');
    cwd = tempDir('e2e-day2');
    dir = join(cwd, 'cluster');
    const init = await cli(initArgs(fleet, { name: 'day2', dir, extra: ['--kubernetes-version', '1.36.2'] }), cwd);
    expect(init.code, failureText(init)).toBe(0);
  }, 300_000);

  afterAll(() => fleet?.stop());

  it('status --output json matches the fleet: roles, versions, Ready, addresses; exit 0', async () => {
    const run = await cli(['--dir', dir, '--output', 'json', 'status'], cwd);
    expect(run.code, failureText(run)).toBe(0);
    const report = resultOf(run.stdout) as unknown as StatusJson;
    const seen = await nodesSeenBy(fleet);
    expect(report.cluster).toBe('day2');
    expect(report.healthy).toBe(true);
    expect(report.apiEndpoint).toBe(`${fleet.node('cp-1').address}:6443`);
    expect(report.version.recorded).toBe('1.36.2');
    expect(report.nodes.map((n) => n.name).sort()).toEqual(seen.map((n) => n.name).sort());
    for (const node of report.nodes) {
      const truth = seen.find((n) => n.name === node.name)!;
      expect(node.ready, node.name).toBe(truth.ready);
      expect(node.cordoned, node.name).toBe(truth.unschedulable);
      expect(node.version, node.name).toBe(truth.kubeletVersion);
      expect(node.address, node.name).toBe(fleet.node(node.name).address);
      expect(node.role, node.name).toBe(node.name.startsWith('cp-') ? 'control-plane' : 'worker');
    }
    expect(report.state.pendingSteps).toEqual([]);
  });

  it('status shows a cordoned node as such', async () => {
    const kubectl = 'sudo -n kubectl --kubeconfig /etc/kubernetes/admin.conf';
    await onNode(fleet, 'cp-1', `${kubectl} cordon worker-2`);
    const run = await cli(['--dir', dir, '--output', 'json', 'status'], cwd);
    const report = resultOf(run.stdout) as unknown as StatusJson;
    expect(report.nodes.find((n) => n.name === 'worker-2')).toMatchObject({ cordoned: true, status: 'Ready,SchedulingDisabled' });
    await onNode(fleet, 'cp-1', `${kubectl} uncordon worker-2`);
  });

  it('ssh NODE -- hostname runs on that node and passes its exit code', async () => {
    const run = await cli(['--dir', dir, 'ssh', 'worker-1', '--', 'hostname'], cwd);
    expect(run.code, failureText(run)).toBe(0);
    expect(run.stdout.trim()).toBe('worker-1');
    // Like OpenSSH, the words after -- form one command line for the node's shell.
    const failing = await cli(['--dir', dir, 'ssh', 'worker-2', '--', 'exit 7'], cwd);
    expect(failing.code).toBe(7);
  });

  it('status exits 1 when a node is not Ready, and names it', async () => {
    await onNode(fleet, 'worker-2', 'sudo -n systemctl stop kubelet');
    const run = await cli(['--dir', dir, '--output', 'json', 'status', '--timeout', '60s'], cwd);
    const report = resultOf(run.stdout) as unknown as StatusJson;
    expect(run.code).toBe(1);
    expect(report.healthy).toBe(false);
    expect(report.nodes.find((n) => n.name === 'worker-2')).toMatchObject({ ready: false, status: 'NotReady' });
    const text = await cli(['--dir', dir, 'status'], cwd);
    expect(text.code).toBe(1);
    expect(text.stdout + text.stderr).toMatch(/worker-2.*NotReady/);
    await onNode(fleet, 'worker-2', 'sudo -n systemctl start kubelet');
  });

  it('destroy --reset-nodes --yes resets every node and keeps the logs', async () => {
    const run = await cli(['--dir', dir, '--yes', 'destroy', '--reset-nodes'], cwd);
    expect(run.code, failureText(run)).toBe(0);
    for (const node of ['cp-1', 'worker-1', 'worker-2']) {
      expect(fleet.toolCallsOn(node).filter((c) => c.startsWith('kubeadm reset')), node).toHaveLength(1);
    }
    expect(existsSync(join(dir, 'logs'))).toBe(true);
    expect(existsSync(join(dir, 'kubeconfig'))).toBe(false);
    expect(fleet.api().cluster).toBeNull();
  });
});
