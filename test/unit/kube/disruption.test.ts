/**
 * The drain judgement (kube/disruption.ts): the one-read List parsed with zod, pods to their
 * workloads through ReplicaSets, budgets that block (disruptionsAllowed 0 over a Ready pod there)
 * or slow a drain, single-replica workloads, and the words people read.
 */
import { describe, expect, it } from 'vitest';
import {
  budgetSelects,
  describeBudget,
  drainWarnings,
  judgeDrain,
  parseDisruptionSnapshot,
  parseWorkloadRef,
  readDisruptionArgv,
  unavailable,
  workloadRef,
} from '../../../src/kube/disruption.js';

const pod = (name: string, node: string, labels: Record<string, string>, owner?: { kind: string; name: string }, ready = true, namespace = 'shop') => ({
  kind: 'Pod',
  metadata: { name, namespace, labels, ownerReferences: owner ? [{ apiVersion: 'apps/v1', kind: owner.kind, name: owner.name, controller: true, uid: 'x' }] : [] },
  spec: { nodeName: node },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
const rs = (name: string, deployment: string, namespace = 'shop') => ({ kind: 'ReplicaSet', metadata: { name, namespace, ownerReferences: [{ kind: 'Deployment', name: deployment, controller: true }] }, spec: { replicas: 1 }, status: {} });
const deploy = (name: string, replicas: number, available: number, namespace = 'shop') => ({ kind: 'Deployment', metadata: { name, namespace }, spec: { replicas }, status: { replicas, availableReplicas: available, readyReplicas: available, updatedReplicas: replicas } });
const sts = (name: string, replicas: number, ready: number) => ({ kind: 'StatefulSet', metadata: { name, namespace: 'shop' }, spec: { replicas }, status: { replicas, readyReplicas: ready } });
const pdb = (name: string, spec: Record<string, unknown>, status: Record<string, number>) => ({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name, namespace: 'shop' }, spec, status });

const cluster = {
  apiVersion: 'v1',
  kind: 'List',
  items: [
    pdb('web', { minAvailable: 1, selector: { matchLabels: { app: 'web' } } }, { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 }),
    pdb('api', { maxUnavailable: 1, selector: { matchLabels: { app: 'api' } } }, { disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3 }),
    pdb('db', { maxUnavailable: '50%', selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['db'] }] } }, { disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2 }),
    deploy('web', 1, 1),
    deploy('api', 3, 3),
    sts('db', 2, 2),
    rs('web-5d8f', 'web'),
    rs('api-77c1', 'api'),
    pod('web-5d8f-aaaaa', 'worker-1', { app: 'web' }, { kind: 'ReplicaSet', name: 'web-5d8f' }),
    pod('api-77c1-bbbbb', 'worker-1', { app: 'api' }, { kind: 'ReplicaSet', name: 'api-77c1' }),
    pod('api-77c1-ccccc', 'worker-1', { app: 'api' }, { kind: 'ReplicaSet', name: 'api-77c1' }),
    pod('api-77c1-ddddd', 'worker-2', { app: 'api' }, { kind: 'ReplicaSet', name: 'api-77c1' }),
    pod('db-0', 'worker-2', { app: 'db' }, { kind: 'StatefulSet', name: 'db' }),
    pod('db-1', 'worker-3', { app: 'db' }, { kind: 'StatefulSet', name: 'db' }),
    pod('kube-proxy-x', 'worker-1', { 'k8s-app': 'kube-proxy' }, { kind: 'DaemonSet', name: 'kube-proxy' }, true, 'kube-system'),
    pod('etcd-cp-1', 'cp-1', { component: 'etcd' }, { kind: 'Node', name: 'cp-1' }, true, 'kube-system'),
  ],
};
const snapshot = () => parseDisruptionSnapshot(JSON.stringify(cluster));

describe('the drain judgement', () => {
  it('is read with one kubectl call over every kind it needs', () => {
    expect(readDisruptionArgv()).toEqual(['kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf', 'get', 'poddisruptionbudgets,deployments,statefulsets,replicasets,pods', '-A', '-o', 'json']);
  });

  it('finds a pod\'s workload through its ReplicaSet (ownerReferences), or its StatefulSet; DaemonSet and mirror pods are left', () => {
    const pods = snapshot().pods;
    expect(pods.find((p) => p.name === 'web-5d8f-aaaaa')?.workload).toEqual({ kind: 'Deployment', name: 'web' });
    expect(pods.find((p) => p.name === 'db-0')?.workload).toEqual({ kind: 'StatefulSet', name: 'db' });
    expect(pods.find((p) => p.name === 'kube-proxy-x')?.skipped).toBe(true);
    expect(pods.find((p) => p.name === 'etcd-cp-1')?.skipped).toBe(true);
  });

  it('a budget with disruptionsAllowed 0 over a Ready pod on the node blocks; one allowing fewer than its pods there slows', () => {
    const judgement = judgeDrain(snapshot(), ['worker-1']);
    expect(judgement.blocking.map((f) => [f.budget.name, f.pods.map((p) => p.name)])).toEqual([['web', ['web-5d8f-aaaaa']]]);
    expect(judgement.slow.map((f) => [f.budget.name, f.pods.map((p) => p.name)])).toEqual([['api', ['api-77c1-bbbbb', 'api-77c1-ccccc']]]);
    expect(judgement.singleReplica.map((s) => s.workload.name)).toEqual(['web']);
    expect(judgement.affected.map(workloadRef)).toEqual(['Deployment/shop/web', 'Deployment/shop/api']);
  });

  it('a node whose pods the budgets allow is not blocked; a batch is judged as one', () => {
    expect(judgeDrain(snapshot(), ['worker-3'])).toMatchObject({ blocking: [], slow: [], singleReplica: [] });
    // db allows 1: one pod on worker-2 is fine, both (worker-2 + worker-3 together) slow the drain.
    expect(judgeDrain(snapshot(), ['worker-2']).slow).toEqual([]);
    expect(judgeDrain(snapshot(), ['worker-2', 'worker-3']).slow.map((f) => f.budget.name)).toEqual(['db']);
  });

  it('a pod that is not Ready is not protected by its budget (the eviction API evicts it at once)', () => {
    const notReady = { ...cluster, items: cluster.items.map((i) => (i.metadata.name === 'web-5d8f-aaaaa' ? pod('web-5d8f-aaaaa', 'worker-1', { app: 'web' }, { kind: 'ReplicaSet', name: 'web-5d8f' }, false) : i)) };
    expect(judgeDrain(parseDisruptionSnapshot(JSON.stringify(notReady)), ['worker-1']).blocking).toEqual([]);
  });

  it('names the budget, its rule, its status and its pods on the node', () => {
    const [finding] = judgeDrain(snapshot(), ['worker-1']).blocking;
    expect(describeBudget(finding!)).toBe('PodDisruptionBudget shop/web (minAvailable 1; 1 healthy of 1, 1 needed, disruptionsAllowed 0) covers pod shop/web-5d8f-aaaaa on worker-1');
    expect(drainWarnings(judgeDrain(snapshot(), ['worker-1']))).toEqual([
      'blocks the drain: PodDisruptionBudget shop/web (minAvailable 1; 1 healthy of 1, 1 needed, disruptionsAllowed 0) covers pod shop/web-5d8f-aaaaa on worker-1',
      'slows the drain (it waits for replacements): PodDisruptionBudget shop/api (maxUnavailable 1; 3 healthy of 3, 2 needed, disruptionsAllowed 1) covers pod shop/api-77c1-bbbbb on worker-1, pod shop/api-77c1-ccccc on worker-1',
      'Deployment shop/web has 1 replica (pod web-5d8f-aaaaa on worker-1): unavailable until it runs again on another node',
    ]);
  });

  it('selects as policy/v1 does: matchLabels and matchExpressions, an empty selector selects every pod', () => {
    expect(budgetSelects({ matchLabels: {}, matchExpressions: [] }, { any: 'x' })).toBe(true);
    expect(budgetSelects({ matchLabels: { app: 'a' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }] }, { app: 'a', tier: 'web' })).toBe(true);
    expect(budgetSelects({ matchLabels: {}, matchExpressions: [{ key: 'tier', operator: 'Exists', values: [] }] }, { app: 'a' })).toBe(false);
    expect(budgetSelects({ matchLabels: {}, matchExpressions: [{ key: 'tier', operator: 'DoesNotExist', values: [] }] }, { app: 'a' })).toBe(true);
  });

  it('tells which workloads are not at their replicas (Deployment availableReplicas, StatefulSet readyReplicas); a deleted one is done', () => {
    const workloads = parseDisruptionSnapshot(JSON.stringify({ items: [deploy('web', 2, 1), sts('db', 2, 2), { kind: 'StatefulSet', metadata: { name: 'q', namespace: 'shop' }, spec: { replicas: 3 }, status: { replicas: 3 } }] })).workloads;
    const refs = ['Deployment/shop/web', 'StatefulSet/shop/db', 'StatefulSet/shop/q', 'Deployment/shop/gone'].map((t) => parseWorkloadRef(t)!);
    expect(unavailable(workloads, refs).map((w) => `${w.name} ${w.available}/${w.replicas}`)).toEqual(['web 1/2', 'q 0/3']);
    expect(parseWorkloadRef('Pod/x/y')).toBeUndefined();
  });

  it('refuses what is not a List', () => {
    expect(() => parseDisruptionSnapshot('{"kind":"Status"}')).toThrow();
    expect(() => parseDisruptionSnapshot('not json')).toThrow();
  });
});
