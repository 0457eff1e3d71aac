/**
 * remove-workers on the simulated fleet (1 control plane + 3 workers): a worker is drained,
 * deleted and reset, leaves cluster.yaml and inventory.json, and the rest stays all-Ready.
 * Control planes and going below workers.min are refused; a second removal says it is done; an
 * unreachable worker is removed with a warning; a drain that outlasts --drain-timeout fails naming
 * the node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { Fleet } from '../../fleet/fleet.js';
import { cli, onNode, failureText, fleetSkipReason, initArgs, nodesSeenBy, preparedFleetOf, tempDir } from './cluster-helpers.js';
import { DEFAULT_KUBERNETES_VERSION } from '../../../src/kube/versions.js';

const skip = fleetSkipReason();

describe.skipIf(skip)('remove-workers on a static 1+3 cluster', () => {
  let fleet: Fleet;
  let cwd: string;
  let dir: string;
  const global = () => ['--dir', dir, '--output', 'plain'];
  const specText = () => readFileSync(join(dir, 'cluster.yaml'), 'utf8');
  const inventoryWorkers = () => (JSON.parse(readFileSync(join(dir, 'inventory.json'), 'utf8')) as { workers: { name: string }[] }).workers.map((w) => w.name);

  beforeAll(async () => {
    // The subject is removal: the nodes boot prepared (as from the Packer image).
    fleet = await preparedFleetOf(1, 3, DEFAULT_KUBERNETES_VERSION);
    cwd = tempDir('e2e-remove');
    dir = join(cwd, 'cluster');
    const init = await cli(initArgs(fleet, { name: 'shrink', dir }), cwd);
    if (init.code !== 0) throw new Error(`init failed: ${failureText(init)}`);
    // workers.min 3: removing any worker needs --force.
    const doc = parse(specText()) as { workers?: Record<string, unknown> };
    doc.workers = { ...(doc.workers ?? {}), min: 3 };
    writeFileSync(join(dir, 'cluster.yaml'), stringify(doc));
  }, 300_000);

  afterAll(() => fleet?.stop());

  it('refuses to remove a control plane (exit 2, nothing runs)', async () => {
    const before = fleet.allCommands().length;
    const run = await cli([...global(), 'remove-workers', '--node', 'cp-1', '--yes'], cwd);
    expect(run.code, failureText(run)).toBe(2);
    expect(run.stderr).toMatch(/cp-1 is a control plane/);
    expect(fleet.allCommands().length).toBe(before);
  });

  it('refuses to go below workers.min without --force (exit 2, nothing runs)', async () => {
    const before = fleet.allCommands().length;
    const run = await cli([...global(), 'remove-workers', '--node', 'worker-2', '--yes'], cwd);
    expect(run.code, failureText(run)).toBe(2);
    expect(run.stderr).toMatch(/below workers\.min 3/);
    expect(run.stderr).toMatch(/--force/);
    expect(fleet.allCommands().length).toBe(before);
  });

  it('asks before draining: without --yes and nobody to ask, it stops (exit 2)', async () => {
    const run = await cli([...global(), 'remove-workers', '--node', 'worker-2', '--force'], cwd);
    expect(run.code, failureText(run)).toBe(2);
    expect(run.stderr).toMatch(/remove-workers changes things only after a yes[\s\S]*pass --yes to go ahead without it/);
  });

  it('drains, resets, then deletes the worker (the kubeadm order), cleans its CNI configuration, drops it from the files, and the cluster stays all-Ready', async () => {
    const historyBefore = fleet.api().history.length;
    const run = await cli([...global(), 'remove-workers', '--node', 'worker-2', '--force', '--yes'], cwd);
    expect(run.code, failureText(run)).toBe(0);

    const history = fleet.api().history.slice(historyBefore);
    const drained = history.findIndex((entry) => entry.op === 'drain' && entry.detail?.name === 'worker-2');
    const reset = history.findIndex((entry) => entry.op === 'reset' && entry.node === 'worker-2');
    const deleted = history.findIndex((entry) => entry.op === 'delete-node');
    expect(drained).toBeGreaterThanOrEqual(0);
    expect(reset).toBeGreaterThan(drained);
    expect(deleted).toBeGreaterThan(reset);
    expect(fleet.toolCallsOn('worker-2')).toContain('kubeadm reset -f --cri-socket unix:///run/containerd/containerd.sock');
    expect(await onNode(fleet, 'worker-2', 'ls -A /etc/cni/net.d; ls -A /etc/k8s-bootstrap')).toBe('prepared\n');

    const nodes = await nodesSeenBy(fleet);
    expect(nodes.map((n) => n.name).sort()).toEqual(['cp-1', 'worker-1', 'worker-3']);
    for (const node of nodes) expect(node.ready, node.name).toBe(true);
    expect(specText()).not.toContain('worker-2');
    expect(specText()).toContain('name: worker-3');
    expect(inventoryWorkers()).toEqual(['worker-1', 'worker-3']);
  });

  it('removing it again says it is already gone and exits 0', async () => {
    const before = fleet.allCommands().length;
    const run = await cli([...global(), 'remove-workers', '--node', 'worker-2', '--yes'], cwd);
    expect(run.code, failureText(run)).toBe(0);
    // Nothing to do is the command's result: stdout.
    expect(run.stdout).toMatch(/worker-2 is not a worker of cluster shrink \(already removed\?\)/);
    expect(fleet.allCommands().length).toBe(before);
  });

  it('a drain that outlasts --drain-timeout fails naming the node, which stays in the cluster', async () => {
    fleet.setFault('cp-1', { latencyMs: { 'kubectl --kubeconfig /etc/kubernetes/admin.conf drain': 60_000 } });
    try {
      const run = await cli([...global(), 'remove-workers', '--node', 'worker-3', '--force', '--yes', '--drain-timeout', '1s'], cwd);
      expect(run.code, failureText(run)).toBe(1);
      expect(run.stderr).toMatch(/Draining worker-3 did not finish in time/);
      expect(inventoryWorkers()).toContain('worker-3');
      expect(fleet.toolCallsOn('worker-3').filter((call) => call.startsWith('kubeadm reset'))).toEqual([]);
    } finally {
      fleet.setFault('cp-1', {});
    }
  }, 60_000);

  it('--count 1 removes the newest worker even when it does not answer SSH, with a warning', async () => {
    fleet.stopNode('worker-3');
    const run = await cli([...global(), 'remove-workers', '--count', '1', '--force', '--yes', '--ssh-timeout', '3s'], cwd);
    expect(run.code, failureText(run)).toBe(0);
    expect(run.stderr).toMatch(/worker-3 did not answer SSH and was not reset/);
    const nodes = await nodesSeenBy(fleet);
    expect(nodes.map((n) => n.name).sort()).toEqual(['cp-1', 'worker-1']);
    expect(inventoryWorkers()).toEqual(['worker-1']);
  }, 120_000);
});
