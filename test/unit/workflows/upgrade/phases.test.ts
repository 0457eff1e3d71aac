/**
 * The hop phases run by the real engine against a fake UpgradeNodeOps: the documented order,
 * batches that never cordon more than --max-unavailable workers, checkpoints that make a second
 * run skip the finished apply, and a node that is not Ready stays cordoned.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPhases, RunFailedError } from '../../../../src/engine/runner.js';
import type { EngineEvent } from '../../../../src/engine/events.js';
import { ExternalToolError } from '../../../../src/errors.js';
import type { ClusterSpec } from '../../../../src/config/schema.js';
import { StateStore } from '../../../../src/state/state-store.js';
import type { ClusterNode, Topology } from '../../../../src/nodes/topology.js';
import type { UpgradeNodeOps } from '../../../../src/nodes/upgrade-node-ops.js';
import { cloudIntegrationInstalled, cordonedFact, hopPhases } from '../../../../src/workflows/upgrade/phases.js';
import { drainedByUpgrade } from '../../../../src/workflows/upgrade/preflight.js';
import { describeUpgradePlan, describeUpgradeSteps } from '../../../../src/workflows/upgrade/describe.js';
import { cloudSpec } from '../../../helpers/cloud-spec.js';

const node = (name: string, role: 'control-plane' | 'worker'): ClusterNode => ({ name, role, host: name, port: 22, privateIp: name });

function topology(controlPlanes: number, workers: number): Topology {
  return {
    apiEndpoint: 'vip:8443',
    sshUser: 'k8sb',
    controlPlanes: Array.from({ length: controlPlanes }, (_, i) => node(`cp-${i + 1}`, 'control-plane')),
    workers: Array.from({ length: workers }, (_, i) => node(`worker-${i + 1}`, 'worker')),
  };
}

/** Records every call as "op@node" and tracks cordoned workers like the API server would. */
class FakeUpgradeOps {
  calls: string[] = [];
  cordoned = new Set<string>();
  maxWorkersCordoned = 0;
  clusterVersion = '1.36.1';
  notReady = new Set<string>();
  first: ClusterNode;
  constructor(private readonly topo: Topology) {
    this.first = topo.controlPlanes[0]!;
  }
  private async record(op: string, name?: string) {
    this.calls.push(name ? `${op}@${name}` : op);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  async upgradeKubeadmPackage(n: ClusterNode) {
    await this.record('kubeadm', n.name);
  }
  async plan() {
    await this.record('plan');
    return { output: '', clusterVersion: this.clusterVersion };
  }
  async clusterAt(version: string) {
    return this.clusterVersion === version ? version : undefined;
  }
  async apply(version: string) {
    await this.record('apply', this.first.name);
    this.clusterVersion = version;
  }
  async upgradeCni() {
    await this.record('cni');
  }
  async upgradeCloud(kind: string, version: string) {
    await this.record(`cloud-${kind}`, version);
  }
  async upgradeNode(n: ClusterNode) {
    await this.record('upgrade-node', n.name);
  }
  async drain(n: ClusterNode) {
    await this.record('drain', n.name);
    this.cordoned.add(n.name);
    const workers = [...this.cordoned].filter((name) => name.startsWith('worker-')).length;
    this.maxWorkersCordoned = Math.max(this.maxWorkersCordoned, workers);
  }
  async upgradeKubelet(n: ClusterNode) {
    await this.record('kubelet', n.name);
  }
  async waitReady(n: ClusterNode) {
    await this.record('ready', n.name);
    if (this.notReady.has(n.name)) throw new ExternalToolError('NodeNotReadyAfterUpgrade', `${n.name} is not Ready`);
  }
  async waitReadyAll() {
    await this.record('verify');
  }
  clusterNotAt() {
    return new ExternalToolError('ClusterNotAtVersion', 'not at version');
  }
  async uncordon(n: ClusterNode) {
    await this.record('uncordon', n.name);
    this.cordoned.delete(n.name);
  }
  get topologyUsed() {
    return this.topo;
  }
  kubectlHost() {
    return this.first;
  }
  /** The safe-drain reads (kubectl get … -o json): what `cluster` holds, an empty cluster by default. */
  cluster: { items: unknown[] } = { items: [] };
  kubectlReads: string[] = [];
  /** Also record the reads in `calls` (the order against drains and uncordons). */
  traceReads = false;
  drainOps = {
    sudo: async (n: ClusterNode, argv: string[]) => {
      this.kubectlReads.push(`${argv.slice(3).join(' ')}@${n.name}`);
      if (this.traceReads) this.calls.push(`read ${argv[4]}`);
      return { code: 0, stdout: JSON.stringify(this.cluster), stderr: '' };
    },
  };
}

/** A Deployment web (2 replicas) with a pod on worker-1, under a PDB with the given disruptionsAllowed. */
function onWorker1(status: { disruptionsAllowed: number }) {
  return {
    items: [
      { kind: 'PodDisruptionBudget', metadata: { name: 'web', namespace: 'default' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } }, status: { ...status, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2 } },
      { kind: 'Deployment', metadata: { name: 'web', namespace: 'default' }, spec: { replicas: 2 }, status: { availableReplicas: 2 } },
      { kind: 'ReplicaSet', metadata: { name: 'web-1', namespace: 'default', ownerReferences: [{ kind: 'Deployment', name: 'web' }] } },
      { kind: 'Pod', metadata: { name: 'web-1-a', namespace: 'default', labels: { app: 'web' }, ownerReferences: [{ kind: 'ReplicaSet', name: 'web-1' }] }, spec: { nodeName: 'worker-1' }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } },
    ],
  };
}

const staticSpec = cloudSpec('static', {}, '1.36.1');
const spec: ClusterSpec = { ...staticSpec, name: 'unit', kubernetes: { ...staticSpec.kubernetes, cni: 'flannel' } };

async function setup(controlPlanes: number, workers: number) {
  const topo = topology(controlPlanes, workers);
  const fake = new FakeUpgradeOps(topo);
  const state = await StateStore.open(join(await mkdtemp(join(tmpdir(), 'k8sb-upgrade-unit-')), 'state.json'), 'unit');
  return { topo, fake, state };
}

async function runHop(ctx: Awaited<ReturnType<typeof setup>>, maxUnavailable: number, events: EngineEvent[] = [], hopSpec: ClusterSpec = spec, cloudInstalled?: boolean) {
  const phases = hopPhases({
    spec: hopSpec,
    topology: ctx.topo,
    uops: () => ctx.fake as unknown as UpgradeNodeOps,
    state: () => ctx.state,
    version: '1.37.1',
    hop: 1,
    hops: 1,
    maxUnavailable,
    drainTimeoutMs: 60_000,
    readyTimeoutMs: 60_000,
    cloudInstalled,
  });
  return runPhases(phases, { events: { emit: (e) => events.push(e) }, state: ctx.state, signal: new AbortController().signal, retryBaseDelayMs: 1 });
}

describe('hopPhases', () => {
  it('runs the official order: first control plane apply, other control planes, control-plane kubelets, then workers', async () => {
    const ctx = await setup(3, 2);
    await runHop(ctx, 1);
    expect(ctx.fake.calls).toEqual([
      'kubeadm@cp-1', 'plan', 'apply@cp-1', 'cni',
      'kubeadm@cp-2', 'upgrade-node@cp-2', 'kubeadm@cp-3', 'upgrade-node@cp-3',
      'drain@cp-1', 'kubelet@cp-1', 'ready@cp-1', 'uncordon@cp-1',
      'drain@cp-2', 'kubelet@cp-2', 'ready@cp-2', 'uncordon@cp-2',
      'drain@cp-3', 'kubelet@cp-3', 'ready@cp-3', 'uncordon@cp-3',
      'kubeadm@worker-1', 'upgrade-node@worker-1', 'drain@worker-1', 'kubelet@worker-1', 'ready@worker-1', 'uncordon@worker-1',
      'kubeadm@worker-2', 'upgrade-node@worker-2', 'drain@worker-2', 'kubelet@worker-2', 'ready@worker-2', 'uncordon@worker-2',
      'verify',
    ]);
    expect(ctx.fake.cordoned.size).toBe(0);
    expect(drainedByUpgrade(ctx.state.current.facts).size).toBe(0);
  });

  it('moves the cloud\'s CCM and CSI driver to the new minor\'s pins after the control planes, before the workers', async () => {
    const ctx = await setup(2, 1);
    const events: EngineEvent[] = [];
    await runHop(ctx, 1, events, cloudSpec('openstack', {}, '1.36.4'));
    const calls = ctx.fake.calls;
    expect(calls.slice(calls.indexOf('uncordon@cp-2'), calls.indexOf('kubeadm@worker-1') + 1)).toEqual(['uncordon@cp-2', 'cloud-ccm@1.37.1', 'cloud-csi@1.37.1', 'kubeadm@worker-1']);
    const started = events.filter((event) => event.type === 'started' && event.stepId.includes(':cloud-')) as Array<{ stepId: string; title: string }>;
    expect(started.map((event) => event.stepId)).toEqual(['upgrade:1.37.1:cloud-ccm', 'upgrade:1.37.1:cloud-csi']);
    // 1.37 has no OpenStack release yet: the 1.36 one, said to be untested.
    expect(started[0]!.title).toBe('OpenStack cloud controller manager v1.36.0 (untested on this Kubernetes minor): upgrade if its pinned version changed');
    // Static hosts and clouds with the integration off have no such steps.
    const off = await setup(1, 1);
    await runHop(off, 1, [], cloudSpec('aws', { cloudIntegration: { ccm: false, csi: false } }, '1.36.4'));
    expect(off.fake.calls.some((call) => call.startsWith('cloud-'))).toBe(false);
  });

  it('a cluster built before the cloud integration (no cloud:* checkpoint) is upgraded without installing a CCM', async () => {
    expect(cloudIntegrationInstalled({ 'init:cp-1': {}, 'cni:calico': {} })).toBe(false);
    expect(cloudIntegrationInstalled({ 'init:cp-1': {}, 'cloud:ccm': {} })).toBe(true);
    const old = await setup(1, 1);
    await runHop(old, 1, [], cloudSpec('openstack', {}, '1.36.4'), false);
    expect(old.fake.calls.some((call) => call.startsWith('cloud-'))).toBe(false);
    expect(old.fake.calls).toContain('kubeadm@worker-1');
  });

  it.each([1, 2, 5])('never has more than --max-unavailable %i workers cordoned, and uses the whole allowance', async (max) => {
    const ctx = await setup(1, 5);
    await runHop(ctx, max);
    expect(ctx.fake.maxWorkersCordoned).toBe(max);
  });

  it('a worker of the next batch is drained only after the previous batch is uncordoned', async () => {
    const ctx = await setup(1, 4);
    await runHop(ctx, 2);
    const calls = ctx.fake.calls;
    const lastUncordonOfFirstBatch = Math.max(calls.indexOf('uncordon@worker-1'), calls.indexOf('uncordon@worker-2'));
    expect(calls.indexOf('drain@worker-3')).toBeGreaterThan(lastUncordonOfFirstBatch);
    expect(calls.indexOf('kubeadm@worker-3')).toBeGreaterThan(lastUncordonOfFirstBatch);
  });

  it('a node that is not Ready stops the rollout and stays cordoned; the next run finishes it and never re-applies', async () => {
    const ctx = await setup(1, 3);
    ctx.fake.notReady.add('worker-2');
    const error = await runHop(ctx, 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunFailedError);
    expect((error as RunFailedError).summary.failed.map((f) => f.node)).toEqual(['worker-2']);
    expect(ctx.fake.cordoned).toEqual(new Set(['worker-2']));
    expect(ctx.fake.calls).not.toContain('drain@worker-3');
    expect(ctx.state.current.facts[cordonedFact('worker-2')]).toBe('1.37.1');

    ctx.fake.notReady.clear();
    ctx.fake.calls = [];
    const events: EngineEvent[] = [];
    await runHop(ctx, 1, events);
    expect(ctx.fake.calls).not.toContain('apply@cp-1');
    expect(ctx.fake.calls.slice(0, 2)).toEqual(['ready@worker-2', 'uncordon@worker-2']);
    expect(events).toContainEqual(expect.objectContaining({ type: 'skipped', stepId: 'upgrade:1.37.1:apply:cp-1', reason: 'already done' }));
    expect(ctx.fake.cordoned.size).toBe(0);
    expect(drainedByUpgrade(ctx.state.current.facts).size).toBe(0);
  });

  it('a PodDisruptionBudget that allows no disruption stops the batch before its drain: nothing is cordoned, the step names the budget', async () => {
    const ctx = await setup(1, 2);
    ctx.fake.cluster = onWorker1({ disruptionsAllowed: 0 });
    const error = await runHop(ctx, 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunFailedError);
    const failed = (error as RunFailedError).summary.failed;
    expect(failed.map((f) => f.stepId)).toEqual(['upgrade:1.37.1:disruption:worker-1']);
    expect(ctx.fake.calls).toContain('upgrade-node@worker-1');
    expect(ctx.fake.calls).not.toContain('drain@worker-1');
    expect(ctx.fake.cordoned.size).toBe(0);
    expect(drainedByUpgrade(ctx.state.current.facts).size).toBe(0);
  });

  it('after a batch is uncordoned, its moved workloads are read again before the next batch starts', async () => {
    const ctx = await setup(1, 2);
    ctx.fake.cluster = onWorker1({ disruptionsAllowed: 1 });
    ctx.fake.traceReads = true;
    await runHop(ctx, 1);
    const calls = ctx.fake.calls;
    const check = calls.indexOf('drain@worker-1') - 1;
    expect(calls[check]).toBe('read poddisruptionbudgets,deployments,statefulsets,replicasets,pods');
    const uncordon = calls.indexOf('uncordon@worker-1');
    expect(calls[uncordon + 1]).toBe('read deployments,statefulsets');
    expect(calls.indexOf('kubeadm@worker-2')).toBeGreaterThan(uncordon + 1);
    expect(ctx.state.current.facts['drain.workloads.worker-1']).toBeUndefined();
  });

  it('skips apply when the cluster already runs the version (the world, not only the checkpoint)', async () => {
    const ctx = await setup(1, 1);
    ctx.fake.clusterVersion = '1.37.1';
    const events: EngineEvent[] = [];
    await runHop(ctx, 1, events);
    expect(ctx.fake.calls).not.toContain('apply@cp-1');
    expect(events).toContainEqual(expect.objectContaining({ type: 'skipped', stepId: 'upgrade:1.37.1:apply:cp-1', reason: expect.stringContaining('already runs v1.37.1') }));
  });
});

describe('the upgrade plan', () => {
  it('lists exactly the steps a hop checkpoints, in run order, with their titles, then the kubeconfig', async () => {
    const ctx = await setup(3, 3);
    const events: EngineEvent[] = [];
    await runHop(ctx, 2, events);
    const plan = { from: '1.36.1', target: '1.37.1', hops: ['1.37.1'], resumed: false };
    const steps = describeUpgradeSteps({ spec, topology: ctx.topo, plan, maxUnavailable: 2, drainTimeoutMs: 60_000 });
    const started = events.filter((event) => event.type === 'started');
    // The add-ons come last, after the kubeconfig (workflows/addons/phases.ts; their own tests).
    const hopSteps = steps.filter((step) => !step.id.startsWith('addon:'));
    expect(hopSteps.map((step) => step.id)).toEqual([...started.map((event) => event.stepId), 'kubeconfig']);
    expect(steps.slice(hopSteps.length).map((step) => step.id)).toEqual(['addon:helm', 'addon:metrics-server', 'addon:traefik', 'addon:cert-manager']);
    expect(hopSteps.slice(0, -1).map((step) => step.title)).toEqual(started.map((event) => event.title));
    expect(new Set(Object.keys(ctx.state.current.steps))).toEqual(new Set(hopSteps.slice(0, -1).map((step) => step.id)));

    const text = describeUpgradePlan({ spec, topology: ctx.topo, plan, maxUnavailable: 2, drainTimeoutMs: 60_000 }, steps);
    expect(text).toContain('Upgrade plan for cluster unit: v1.36.1 → v1.37.1');
    expect(text).toContain('Workers in 2 batches of at most 2');
    expect(text).toMatch(/^v1\.37\.1: workers 1\/2 \(worker-1, worker-2\): drain:$/m);
    expect(text).toMatch(/kubectl drain worker-3: --ignore-daemonsets, timeout 1m\s+kubectl\s+worker-3$/m);
  });
});
