/**
 * What a drain would do to the workloads, judged from one read of the cluster (pure: no I/O).
 *
 * The read is one kubectl call: `kubectl get poddisruptionbudgets,deployments,statefulsets,
 * replicasets,pods -A -o json` (one List of every kind). From it:
 * - the pods a drain evicts from the nodes: not DaemonSet pods (--ignore-daemonsets), not mirror
 *   pods (static pods, owned by the Node), not finished ones (k8s.io/kubectl pkg/drain/filters.go);
 * - the PodDisruptionBudgets (policy/v1) selecting those pods: the eviction API refuses a Ready pod
 *   with 429 "Cannot evict pod as it would violate the pod's disruption budget." while the budget's
 *   status.disruptionsAllowed is 0 (kubernetes pkg/registry/core/pod/storage/eviction.go), and
 *   kubectl drain retries every 5 s until --timeout (pkg/drain/drain.go). A budget with
 *   disruptionsAllowed 0 covering a Ready pod there blocks the drain; one allowing fewer
 *   disruptions than its pods there makes the drain wait for replacements (a warning);
 * - the owners of those pods (pod ownerReferences → ReplicaSet → its Deployment owner, or a
 *   StatefulSet): each is waited for after the node is back (status.availableReplicas, or for a
 *   StatefulSet readyReplicas, at spec.replicas); one with a single replica is unavailable until its
 *   pod runs again elsewhere (a warning).
 */
import { z } from 'zod';
import { kubectl, type Argv } from './node-commands.js';

export const readDisruptionArgv = (): Argv => kubectl(['get', 'poddisruptionbudgets,deployments,statefulsets,replicasets,pods', '-A', '-o', 'json']);
/** The workloads' status only, polled while waiting for them. */
export const readWorkloadsArgv = (): Argv => kubectl(['get', 'deployments,statefulsets', '-A', '-o', 'json']);

const intOrString = z.union([z.number(), z.string()]);
const owner = z.object({ kind: z.string(), name: z.string(), controller: z.boolean().optional() }).passthrough();
const meta = z
  .object({
    name: z.string(),
    namespace: z.string().optional(),
    labels: z.record(z.string(), z.string()).nullish(),
    annotations: z.record(z.string(), z.string()).nullish(),
    ownerReferences: z.array(owner).nullish(),
  })
  .passthrough();
const selector = z
  .object({
    matchLabels: z.record(z.string(), z.string()).nullish(),
    matchExpressions: z.array(z.object({ key: z.string(), operator: z.string(), values: z.array(z.string()).nullish() })).nullish(),
  })
  .passthrough();

const item = z.object({ kind: z.string(), metadata: meta, spec: z.record(z.string(), z.unknown()).nullish(), status: z.record(z.string(), z.unknown()).nullish() }).passthrough();
const listSchema = z.object({ items: z.array(item) });

const pdbSpec = z.object({ minAvailable: intOrString.optional(), maxUnavailable: intOrString.optional(), selector: selector.nullish() }).passthrough();
const pdbStatus = z
  .object({ disruptionsAllowed: z.number().default(0), currentHealthy: z.number().default(0), desiredHealthy: z.number().default(0), expectedPods: z.number().default(0) })
  .passthrough();
const workloadSpec = z.object({ replicas: z.number().optional() }).passthrough();
const workloadStatus = z
  .object({ replicas: z.number().optional(), readyReplicas: z.number().optional(), availableReplicas: z.number().optional(), updatedReplicas: z.number().optional() })
  .passthrough();
const podSpec = z.object({ nodeName: z.string().optional() }).passthrough();
const podStatus = z.object({ phase: z.string().optional(), conditions: z.array(z.object({ type: z.string(), status: z.string() }).passthrough()).nullish() }).passthrough();

export interface Budget {
  namespace: string;
  name: string;
  minAvailable?: number | string;
  maxUnavailable?: number | string;
  matchLabels: Record<string, string>;
  matchExpressions: Array<{ key: string; operator: string; values: string[] }>;
  disruptionsAllowed: number;
  currentHealthy: number;
  desiredHealthy: number;
  expectedPods: number;
}

export type WorkloadKind = 'Deployment' | 'StatefulSet';

export interface Workload {
  kind: WorkloadKind;
  namespace: string;
  name: string;
  /** spec.replicas (1 when left out). */
  replicas: number;
  /** Deployment: status.availableReplicas; StatefulSet: status.readyReplicas (0 when absent). */
  available: number;
}

export interface PodRef {
  namespace: string;
  name: string;
  node: string;
  labels: Record<string, string>;
  ready: boolean;
  /** The Deployment or StatefulSet owning it, when there is one. */
  workload?: { kind: WorkloadKind; name: string };
  /** Owned by a DaemonSet or the Node (a mirror pod): drain leaves it. */
  skipped: boolean;
  phase: string;
}

export interface DisruptionSnapshot {
  budgets: Budget[];
  workloads: Workload[];
  pods: PodRef[];
}

/** Parses the List of `readDisruptionArgv()` (or `readWorkloadsArgv()`); throws on a shape that is not one. */
export function parseDisruptionSnapshot(stdout: string): DisruptionSnapshot {
  const list = listSchema.parse(JSON.parse(stdout));
  const budgets: Budget[] = [];
  const workloads: Workload[] = [];
  const replicaSetOwner = new Map<string, string>();
  const rawPods: Array<z.infer<typeof item>> = [];
  for (const entry of list.items) {
    const namespace = entry.metadata.namespace ?? 'default';
    if (entry.kind === 'PodDisruptionBudget') {
      const spec = pdbSpec.parse(entry.spec ?? {});
      const status = pdbStatus.parse(entry.status ?? {});
      budgets.push({
        namespace,
        name: entry.metadata.name,
        ...(spec.minAvailable !== undefined ? { minAvailable: spec.minAvailable } : {}),
        ...(spec.maxUnavailable !== undefined ? { maxUnavailable: spec.maxUnavailable } : {}),
        matchLabels: spec.selector?.matchLabels ?? {},
        matchExpressions: (spec.selector?.matchExpressions ?? []).map((e) => ({ key: e.key, operator: e.operator, values: e.values ?? [] })),
        disruptionsAllowed: status.disruptionsAllowed,
        currentHealthy: status.currentHealthy,
        desiredHealthy: status.desiredHealthy,
        expectedPods: status.expectedPods,
      });
    } else if (entry.kind === 'Deployment' || entry.kind === 'StatefulSet') {
      const spec = workloadSpec.parse(entry.spec ?? {});
      const status = workloadStatus.parse(entry.status ?? {});
      workloads.push({
        kind: entry.kind,
        namespace,
        name: entry.metadata.name,
        replicas: spec.replicas ?? 1,
        available: (entry.kind === 'Deployment' ? status.availableReplicas : status.readyReplicas) ?? 0,
      });
    } else if (entry.kind === 'ReplicaSet') {
      const deployment = controllerOf(entry.metadata.ownerReferences);
      if (deployment?.kind === 'Deployment') replicaSetOwner.set(`${namespace}/${entry.metadata.name}`, deployment.name);
    } else if (entry.kind === 'Pod') {
      rawPods.push(entry);
    }
  }
  const pods = rawPods.map((entry): PodRef => {
    const namespace = entry.metadata.namespace ?? 'default';
    const spec = podSpec.parse(entry.spec ?? {});
    const status = podStatus.parse(entry.status ?? {});
    const ref = controllerOf(entry.metadata.ownerReferences);
    let workload: PodRef['workload'];
    if (ref?.kind === 'StatefulSet') workload = { kind: 'StatefulSet', name: ref.name };
    if (ref?.kind === 'ReplicaSet') {
      const deployment = replicaSetOwner.get(`${namespace}/${ref.name}`);
      if (deployment) workload = { kind: 'Deployment', name: deployment };
    }
    const mirror = entry.metadata.annotations?.['kubernetes.io/config.mirror'] !== undefined || ref?.kind === 'Node';
    return {
      namespace,
      name: entry.metadata.name,
      node: spec.nodeName ?? '',
      labels: entry.metadata.labels ?? {},
      ready: status.phase === 'Running' && (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
      ...(workload ? { workload } : {}),
      skipped: mirror || ref?.kind === 'DaemonSet',
      phase: status.phase ?? 'Unknown',
    };
  });
  return { budgets, workloads, pods };
}

/** The controller among the owner references (the first one when none says controller: true). */
function controllerOf(refs: ReadonlyArray<{ kind: string; name: string; controller?: boolean }> | null | undefined) {
  if (!refs || refs.length === 0) return undefined;
  return refs.find((r) => r.controller) ?? refs[0];
}

/** A policy/v1 label selector over a pod's labels (an empty selector selects every pod of the namespace). */
export function budgetSelects(budget: Pick<Budget, 'matchLabels' | 'matchExpressions'>, labels: Record<string, string>): boolean {
  for (const [key, value] of Object.entries(budget.matchLabels)) if (labels[key] !== value) return false;
  return budget.matchExpressions.every((e) => {
    const has = Object.hasOwn(labels, e.key);
    switch (e.operator) {
      case 'In':
        return has && e.values.includes(labels[e.key]!);
      case 'NotIn':
        return !has || !e.values.includes(labels[e.key]!);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      default:
        return false;
    }
  });
}

export interface BudgetFinding {
  budget: Budget;
  /** Ready pods on the drained nodes the budget covers: "ns/name on node". */
  pods: PodRef[];
}

export interface DisruptionJudgement {
  /** Budgets that allow no disruption now and cover a Ready pod there: the drain would hang until --drain-timeout. */
  blocking: BudgetFinding[];
  /** Budgets that allow some but fewer disruptions than their pods there: the drain waits for replacements. */
  slow: BudgetFinding[];
  /** Deployments/StatefulSets with one replica and their pod there: unavailable until it runs elsewhere. */
  singleReplica: Array<{ workload: Workload; pods: PodRef[] }>;
  /** Every Deployment/StatefulSet with a pod there: waited for after the nodes are back. */
  affected: Workload[];
}

/** Judges a drain of `nodes` (drained together) against the snapshot. */
export function judgeDrain(snapshot: DisruptionSnapshot, nodes: readonly string[]): DisruptionJudgement {
  const on = new Set(nodes);
  // Finished pods are deleted without the budget being asked; DaemonSet and mirror pods stay.
  const evicted = snapshot.pods.filter((pod) => on.has(pod.node) && !pod.skipped && pod.phase !== 'Succeeded' && pod.phase !== 'Failed');
  const blocking: BudgetFinding[] = [];
  const slow: BudgetFinding[] = [];
  for (const budget of snapshot.budgets) {
    // Only a Ready pod is protected by its budget (eviction.go: unhealthy pods are evicted at once).
    const pods = evicted.filter((pod) => pod.ready && pod.namespace === budget.namespace && budgetSelects(budget, pod.labels));
    if (pods.length === 0) continue;
    if (budget.disruptionsAllowed < 1) blocking.push({ budget, pods });
    else if (budget.disruptionsAllowed < pods.length) slow.push({ budget, pods });
  }
  const key = (kind: string, namespace: string, name: string) => `${kind}/${namespace}/${name}`;
  const byKey = new Map(snapshot.workloads.map((w) => [key(w.kind, w.namespace, w.name), w]));
  const affectedPods = new Map<string, PodRef[]>();
  for (const pod of evicted) {
    if (!pod.workload) continue;
    const k = key(pod.workload.kind, pod.namespace, pod.workload.name);
    if (!byKey.has(k)) continue;
    affectedPods.set(k, [...(affectedPods.get(k) ?? []), pod]);
  }
  const affected = [...affectedPods.keys()].map((k) => byKey.get(k)!);
  const singleReplica = affected.filter((w) => w.replicas === 1).map((workload) => ({ workload, pods: affectedPods.get(key(workload.kind, workload.namespace, workload.name))! }));
  return { blocking, slow, singleReplica, affected };
}

export const workloadRef = (w: Pick<Workload, 'kind' | 'namespace' | 'name'>): string => `${w.kind}/${w.namespace}/${w.name}`;

/** "Deployment/ns/name" → its parts (state facts keep the references as text). */
export function parseWorkloadRef(text: string): Pick<Workload, 'kind' | 'namespace' | 'name'> | undefined {
  const match = /^(Deployment|StatefulSet)\/([^/]+)\/([^/]+)$/.exec(text);
  return match ? { kind: match[1] as WorkloadKind, namespace: match[2]!, name: match[3]! } : undefined;
}

/** The referenced workloads that are not at their replicas (a workload that is gone counts as done). */
export function unavailable(workloads: readonly Workload[], wanted: ReadonlyArray<Pick<Workload, 'kind' | 'namespace' | 'name'>>): Workload[] {
  return wanted.flatMap((ref) => {
    const found = workloads.find((w) => w.kind === ref.kind && w.namespace === ref.namespace && w.name === ref.name);
    return found && found.available < found.replicas ? [found] : [];
  });
}

// ---- the words people read ------------------------------------------------------------------

const budgetRule = (b: Budget) => (b.minAvailable !== undefined ? `minAvailable ${b.minAvailable}` : b.maxUnavailable !== undefined ? `maxUnavailable ${b.maxUnavailable}` : 'no minAvailable/maxUnavailable');

export function describeBudget(finding: BudgetFinding): string {
  const { budget, pods } = finding;
  return `PodDisruptionBudget ${budget.namespace}/${budget.name} (${budgetRule(budget)}; ${budget.currentHealthy} healthy of ${budget.expectedPods}, ${budget.desiredHealthy} needed, disruptionsAllowed ${budget.disruptionsAllowed}) covers ${pods.map((p) => `pod ${p.namespace}/${p.name} on ${p.node}`).join(', ')}`;
}

export function describeSingleReplica(entry: DisruptionJudgement['singleReplica'][number]): string {
  const { workload, pods } = entry;
  return `${workload.kind} ${workload.namespace}/${workload.name} has 1 replica (pod ${pods.map((p) => `${p.name} on ${p.node}`).join(', ')}): unavailable until it runs again on another node`;
}

export const describeWorkload = (w: Workload): string => `${w.kind} ${w.namespace}/${w.name} (${w.available}/${w.replicas} ${w.kind === 'Deployment' ? 'available' : 'ready'})`;

/** The plan's and the run's warnings about a drain of `nodes`. */
export function drainWarnings(judgement: DisruptionJudgement): string[] {
  return [
    ...judgement.blocking.map((f) => `blocks the drain: ${describeBudget(f)}`),
    ...judgement.slow.map((f) => `slows the drain (it waits for replacements): ${describeBudget(f)}`),
    ...judgement.singleReplica.map(describeSingleReplica),
  ];
}
