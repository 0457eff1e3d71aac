/**
 * Safe drains (nodes/drain-ops.ts) against a fake kubectl: a blocking budget fails before the
 * drain callback (so before any cordon) naming the budget, its pods and the fixes; --wait-for-budgets
 * lets it through; the wait polls until the workloads are at their replicas, and names those that
 * are not when --availability-timeout passes.
 */
import { describe, expect, it } from 'vitest';
import { ExternalToolError } from '../../../src/errors.js';
import { checkDrain, safeDrain, waitWorkloadsAvailable, type DrainOps } from '../../../src/nodes/drain-ops.js';
import type { ClusterNode } from '../../../src/nodes/topology.js';

const cp: ClusterNode = { name: 'cp-1', role: 'control-plane', host: 'cp-1', port: 22, privateIp: '10.0.0.1' };
const w1: ClusterNode = { name: 'worker-1', role: 'worker', host: 'worker-1', port: 22, privateIp: '10.0.0.2' };
const ctx = () => ({ signal: new AbortController().signal, lines: [] as string[], output(line: string) { this.lines.push(line); } });

const deploy = (name: string, replicas: number, available: number) => ({ kind: 'Deployment', metadata: { name, namespace: 'default' }, spec: { replicas }, status: { availableReplicas: available } });
const world = (webAvailable: number, budgetAllows: number) => ({
  items: [
    { kind: 'PodDisruptionBudget', metadata: { name: 'web', namespace: 'default' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } }, status: { disruptionsAllowed: budgetAllows, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 } },
    deploy('web', 1, webAvailable),
    { kind: 'ReplicaSet', metadata: { name: 'web-abc', namespace: 'default', ownerReferences: [{ kind: 'Deployment', name: 'web', controller: true }] } },
    { kind: 'Pod', metadata: { name: 'web-abc-x1', namespace: 'default', labels: { app: 'web' }, ownerReferences: [{ kind: 'ReplicaSet', name: 'web-abc', controller: true }] }, spec: { nodeName: 'worker-1' }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } },
  ],
});

function fakeOps(answers: Array<() => unknown>): DrainOps & { calls: string[][] } {
  const calls: string[][] = [];
  let index = 0;
  return {
    calls,
    sudo: (async (_node: ClusterNode, argv: string[]) => {
      calls.push(argv);
      const answer = answers[Math.min(index++, answers.length - 1)]!();
      return { code: 0, stdout: JSON.stringify(answer), stderr: '' };
    }) as unknown as DrainOps['sudo'],
  };
}

describe('safe drains', () => {
  it('a budget allowing no disruption fails before the drain, naming the budget, its pod and the fixes', async () => {
    const ops = fakeOps([() => world(1, 0)]);
    let drained = false;
    const error = await safeDrain(ops, cp, w1, ctx(), { command: 'remove-workers', availabilityTimeoutMs: 1000, drain: async () => void (drained = true) }).catch((e: unknown) => e);
    expect(drained).toBe(false);
    expect(error).toBeInstanceOf(ExternalToolError);
    const e = error as ExternalToolError;
    expect(e.code).toBe('DrainBlockedByBudget');
    expect(e.message).toBe('Draining worker-1 would be blocked by a PodDisruptionBudget that allows no disruption now; nothing was cordoned');
    expect(e.details).toEqual(['PodDisruptionBudget default/web (minAvailable 1; 1 healthy of 1, 1 needed, disruptionsAllowed 0) covers pod default/web-abc-x1 on worker-1']);
    expect(e.hint).toContain('kubectl scale deployment/web -n default --replicas=N');
    expect(e.hint).toContain('--wait-for-budgets');
    expect(ops.calls).toHaveLength(1);
  });

  it('--wait-for-budgets drains anyway, warning; then waits for the moved workload', async () => {
    const ops = fakeOps([() => world(1, 0), () => world(0, 0), () => world(1, 0)]);
    const c = ctx();
    let drained = false;
    await safeDrain(ops, cp, w1, c, { command: 'upgrade', waitForBudgets: true, availabilityTimeoutMs: 5_000, pollMs: 5, drain: async () => void (drained = true) });
    expect(drained).toBe(true);
    expect(c.lines[0]).toMatch(/^warning: blocks the drain: PodDisruptionBudget default\/web/);
    expect(c.lines).toContain('available again: Deployment default/web');
    // One read before, two polls after (0/1, then 1/1).
    expect(ops.calls.map((argv) => argv[4])).toEqual(['poddisruptionbudgets,deployments,statefulsets,replicasets,pods', 'deployments,statefulsets', 'deployments,statefulsets']);
  });

  it('names the workloads that are not available again after --availability-timeout', async () => {
    const ops = fakeOps([() => world(0, 1)]);
    const started = Date.now();
    const error = (await waitWorkloadsAvailable(ops, cp, [{ kind: 'Deployment', namespace: 'default', name: 'web' }], ctx(), { timeoutMs: 60, pollMs: 10, command: 'upgrade', nodes: ['worker-1'] }).catch((e: unknown) => e)) as ExternalToolError;
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    expect(error.code).toBe('WorkloadsNotAvailable');
    expect(error.message).toMatch(/^After worker-1: Deployment default\/web \(0\/1 available\) not available again within --availability-timeout/);
    expect(error.hint).toContain('run upgrade again');
  });

  it('a drain the budgets allow only warns about the single-replica workload', async () => {
    const c = ctx();
    const judgement = await checkDrain(fakeOps([() => world(1, 1)]), cp, ['worker-1'], c, { command: 'upgrade' });
    expect(judgement.blocking).toEqual([]);
    expect(c.lines).toEqual([
      'warning: Deployment default/web has 1 replica (pod web-abc-x1 on worker-1): unavailable until it runs again on another node',
      'waited for after the drain: Deployment default/web (1/1 available)',
    ]);
  });
});
