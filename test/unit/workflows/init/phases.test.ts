/**
 * init's and add-workers' phases run by the real engine against an in-memory NodeOps: the order
 * of the official procedure on a 3-control-plane cluster, a failing worker that holds nobody back
 * and fails the run at its end, a failing control plane that stops it, and a resumed run that
 * skips what is checkpointed.
 */
import { describe, expect, it } from 'vitest';
import { validateSpec } from '../../../../src/config/validate/index.js';
import { runPhases, RunFailedError } from '../../../../src/engine/runner.js';
import { bootstrapPhases, kubeconfigPhase, verifyPhases } from '../../../../src/workflows/init/phases.js';
import { patched, staticDoc } from '../../../helpers/config-fixtures.js';
import { FakeNodeOps, fakeTopology } from '../../../helpers/fake-node-ops.js';
import { Recorder } from '../../../helpers/fake-steps.js';
import { runInitNodes, tempState } from './node-run.js';

const hosts = (controlPlanes: number, workers: number) => [
  ...Array.from({ length: controlPlanes }, (_, i) => ({ address: `192.0.2.${10 + i}`, role: 'control-plane' })),
  ...Array.from({ length: workers }, (_, i) => ({ address: `192.0.2.${20 + i}`, role: 'worker' })),
];
const ha = validateSpec(patched(staticDoc(), { provider: { virtualIp: '192.0.2.100', hosts: hosts(3, 2) } }));

async function setup(workers = 2) {
  return { spec: ha, topology: fakeTopology(3, workers), ops: new FakeNodeOps(), state: await tempState(ha.name), events: new Recorder() };
}

const before = (calls: string[], a: string, b: string) => {
  expect(calls, `${a} ran`).toContain(a);
  expect(calls, `${b} ran`).toContain(b);
  expect(calls.indexOf(a), `${a} before ${b}`).toBeLessThan(calls.indexOf(b));
};

describe('init on 3 control planes and 2 workers', () => {
  it('runs the kubeadm HA order, preparing the workers while the control plane comes up', async () => {
    const run = await setup();
    // Worker preparation overlaps the control plane: worker-1 is still preparing when kubeadm init starts.
    run.ops.waitFor('prepare', 'worker-1', 'init@cp-1');
    await runInitNodes(run);
    const { calls } = run.ops;
    for (const cp of ['cp-1', 'cp-2', 'cp-3']) {
      before(calls, `reach@${cp}`, 'prepare@cp-1');
      before(calls, `prepare@${cp}`, 'lb@cp-1');
      before(calls, `lb@${cp}`, 'init@cp-1');
    }
    before(calls, 'init@cp-1', 'cni@cp-1');
    before(calls, 'cni@cp-1', 'join@cp-2');
    // One control plane at a time: etcd grows by one member.
    before(calls, 'join@cp-2', 'join@cp-3');
    before(calls, 'join@cp-3', 'join@worker-1');
    before(calls, 'join@worker-2', 'wait-ready@cp-1');
    expect(calls.slice(-4)).toEqual(['wait-ready@cp-1', 'verify-etcd@cp-1', 'verify-network@cp-1', 'write-kubeconfig@cp-1']);
    before(calls, 'prepare@worker-1', 'join@worker-1');
    // Preflight reaches every host (review P16: host keys are pinned there, not in later steps).
    expect(run.ops.callsOf('reach').sort()).toEqual(['cp-1', 'cp-2', 'cp-3', 'worker-1', 'worker-2']);
    for (const node of ['cp-1', 'cp-2', 'cp-3', 'worker-1', 'worker-2']) before(calls, `reach@${node}`, 'prepare@cp-1');
    expect(run.ops.joined).toEqual(new Set(['cp-2', 'cp-3', 'worker-1', 'worker-2']));
  });

  it('goes on without a worker that fails, verifies the others, and fails the run at the end naming it', async () => {
    const run = await setup();
    run.ops.failOn('prepare', 'worker-1');
    const error = await runInitNodes(run).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunFailedError);
    expect((error as RunFailedError).message).toMatch(/1 step failed:\n {2}- worker-1: prepare failed on worker-1/);
    expect((error as RunFailedError).summary.tolerated.map((f) => f.stepId)).toEqual(['prepare:worker-1']);
    // Three attempts (two retries), then the rest of the cluster carried on.
    expect(run.ops.callsOf('prepare').filter((node) => node === 'worker-1')).toHaveLength(3);
    expect(run.ops.callsOf('join')).toEqual(['cp-2', 'cp-3', 'worker-2']);
    expect(run.ops.kubeconfigWritten).toBe(true);
    const verify = run.events.of('started').find((event) => event.stepId === 'verify');
    expect(verify?.title).toBe('Wait until 4 nodes are Ready');
    const steps = Object.keys(run.state.current.steps);
    expect(steps).toEqual(expect.arrayContaining(['join:worker-2', 'verify', 'kubeconfig']));
    expect(steps).not.toContain('join:worker-1');
    expect(steps).not.toContain('prepare:worker-1');
  });

  it('a worker that preflight cannot reach is named there; its steps fail at once and the others go on', async () => {
    const run = await setup();
    run.ops.failOn('reach', 'worker-1');
    const error = await runInitNodes(run).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunFailedError);
    expect((error as RunFailedError).summary.tolerated.map((f) => f.stepId)).toEqual(['prepare:worker-1']);
    // Reached once, in preflight: its preparation does not wait for it all over again.
    expect(run.ops.callsOf('reach').filter((node) => node === 'worker-1')).toHaveLength(1);
    expect(run.ops.callsOf('prepare')).not.toContain('worker-1');
    expect(run.ops.callsOf('join')).toEqual(['cp-2', 'cp-3', 'worker-2']);
    const preflight = run.events.of('output').filter((event) => event.stepId === 'preflight:ssh').map((event) => event.line);
    expect(preflight).toEqual(['reach failed on worker-1 (told to); its steps will fail, the other nodes go on']);
    expect(run.events.of('succeeded').map((event) => event.stepId)).toContain('preflight:ssh');
  });

  it('a control plane that preflight cannot reach stops the run before anything changes', async () => {
    const run = await setup();
    run.ops.failOn('reach', 'cp-2');
    await expect(runInitNodes(run)).rejects.toBeInstanceOf(RunFailedError);
    expect(run.ops.calls.filter((call) => !call.startsWith('reach@'))).toEqual([]);
  });

  it('stops at a control plane that fails: no worker joins, and worker preparation is not left running', async () => {
    const run = await setup();
    run.ops.failOn('join', 'cp-2');
    const error = await runInitNodes(run).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunFailedError);
    expect((error as RunFailedError).summary.failed.map((f) => f.node)).toEqual(['cp-2']);
    expect((error as RunFailedError).summary.notStarted).toEqual(['join:cp-3']);
    expect(run.ops.callsOf('join')).toEqual(['cp-2', 'cp-2', 'cp-2']);
    // Settled before the run ended: the background phase finished (and was checkpointed).
    expect(run.state.current.steps['prepare:worker-1']).toBeDefined();
    expect(run.events.of('phase-finished').map((event) => event.group)).toContain('Worker preparation');
    expect(run.ops.kubeconfigWritten).toBe(false);
  });

  it('a second run skips every checkpointed step and finishes only the worker that failed', async () => {
    const run = await setup();
    run.ops.failOn('join', 'worker-2', 3);
    await expect(runInitNodes(run)).rejects.toBeInstanceOf(RunFailedError);
    run.ops.calls.length = 0;
    const events = new Recorder();
    await runInitNodes({ ...run, events });
    const { calls } = run.ops;
    // Verify waits again: its inputs name the nodes, and worker-2 was not among them last time.
    expect(calls.filter((call) => !call.startsWith('reach@'))).toEqual(['join@worker-2', 'wait-ready@cp-1', 'verify-network@cp-1']);
    const skipped = new Map(events.of('skipped').map((event) => [event.stepId, event.reason]));
    for (const id of ['prepare:cp-1', 'lb:cp-2', 'init:cp-1', 'cni:calico', 'join:cp-3', 'join:worker-1', 'verify:etcd']) expect(skipped.get(id), id).toBe('already done');
    // The kubeconfig is never checkpointed: the world says it is current.
    expect(skipped.get('kubeconfig')).toBe('the kubeconfig is current');
    expect(run.state.current.steps['join:worker-2']).toBeDefined();
  });
});

describe('a rerun with nothing to do', () => {
  // Review P16: after an all-skipped rerun status said "last finished step: preflight:ssh".
  it('leaves every checkpoint\'s time as the run that did the work wrote it', async () => {
    const run = await setup(1);
    await runInitNodes(run);
    const first = structuredClone(run.state.current.steps);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await runInitNodes(run);
    const again = run.state.current.steps;
    for (const [id, checkpoint] of Object.entries(first)) expect(again[id]?.finishedAt, id).toBe(checkpoint.finishedAt);
    // What status reports as the last finished step: the first run's last, not the rerun's preflight.
    const last = Object.entries(again).sort(([, a], [, b]) => b.finishedAt.localeCompare(a.finishedAt))[0]![0];
    expect(last).not.toBe('preflight:ssh');
  });
});

describe('add-workers on a running cluster', () => {
  it('prepares and joins only the new worker, touching no existing node but the first control plane', async () => {
    const spec = validateSpec(patched(staticDoc(), { provider: { hosts: hosts(1, 2) } }));
    const topology = fakeTopology(1, 2);
    const ops = new FakeNodeOps();
    ops.initialised = 'cp-1';
    ops.cni = true;
    ops.prepared.add('cp-1').add('worker-1');
    ops.joined.add('worker-1');
    const state = await tempState(spec.name);
    const only = new Set(['worker-2']);
    const engine = { events: new Recorder(), state, signal: new AbortController().signal, retryBaseDelayMs: 1 };
    const phases = bootstrapPhases({ spec, topology, ops: () => ops, version: spec.kubernetes.version, concurrency: 4, readyTimeoutMs: 1000, only, workersOnly: true });
    expect(phases.flatMap((phase) => phase.steps.map((step) => step.stepId))).toEqual(['preflight:ssh', 'prepare:worker-2', 'join:worker-2']);
    const summary = await runPhases(phases, { ...engine, tolerate: only });
    expect(summary.tolerated).toEqual([]);
    await runPhases([...verifyPhases({ topology, ops: () => ops, version: spec.kubernetes.version, readyTimeoutMs: 1000, nodes: ['worker-2'] }), kubeconfigPhase({ topology, ops: () => ops })], engine);
    expect(ops.calls).toEqual(['reach@cp-1', 'reach@worker-2', 'prepare@worker-2', 'join@worker-2', 'wait-ready@cp-1', 'verify-etcd@cp-1', 'verify-network@cp-1', 'write-kubeconfig@cp-1']);
  });
});
