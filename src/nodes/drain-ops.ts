/**
 * Safe drains, for every command that drains a node (upgrade, remove-workers, remove-control-plane):
 *
 *   before: one kubectl read (PDBs, Deployments, StatefulSets, ReplicaSets, Pods) judged by
 *           kube/disruption.ts; a PodDisruptionBudget that allows no disruption and covers a
 *           Ready pod on the node(s) fails the step before anything is cordoned, naming the budget
 *           and its pods (unless waitForBudgets: then kubectl drain retries until --drain-timeout);
 *           the Deployments/StatefulSets with a pod there are kept in the state facts;
 *   after:  (once the node is back, or gone) those workloads are waited for until they are at
 *           their replicas again, bounded by --availability-timeout, naming the ones that are not.
 *
 * The step builders at the end are what the workflows use; their ids come from the caller, so
 * each command keeps its own id scheme (workflows/run/step-ids.ts).
 */
import type { Step, StepContext } from '../engine/step.js';
import { sleep } from '../engine/backoff.js';
import { formatDuration } from '../engine/timeouts.js';
import { ExternalToolError } from '../errors.js';
import {
  describeBudget,
  describeWorkload,
  drainWarnings,
  judgeDrain,
  parseDisruptionSnapshot,
  parseWorkloadRef,
  readDisruptionArgv,
  readWorkloadsArgv,
  unavailable,
  workloadRef,
  type DisruptionJudgement,
  type DisruptionSnapshot,
  type Workload,
} from '../kube/disruption.js';
import type { StateStore } from '../state/state-store.js';
import { LARGE_OUTPUT_LIMIT_BYTES } from '../tools/ssh/remote-output.js';
import type { SshNodeOps } from './ssh-node-ops.js';
import type { ClusterNode } from './topology.js';

type QuietCtx = Pick<StepContext, 'signal' | 'output'>;

/** What the drain checks need of the node operations: kubectl on a control plane. */
export type DrainOps = Pick<SshNodeOps, 'sudo'>;

/** How often the workloads are read while waiting for them. */
export const AVAILABILITY_POLL_MS = 2_000;

/** State fact holding the workloads that had pods on a drained node (comma-separated Kind/ns/name). */
export function drainedWorkloadsFact(node: string): string {
  return `drain.workloads.${node}`;
}

export interface SafeDrainOptions {
  /** The command, for the hint ("run upgrade again"). */
  command: string;
  /** Do not fail on a blocking budget: kubectl drain retries the eviction until --drain-timeout. */
  waitForBudgets?: boolean;
}

async function kubectlJson(ops: DrainOps, host: ClusterNode, argv: string[], ctx: QuietCtx, what: string): Promise<DisruptionSnapshot> {
  const result = await ops.sudo(host, argv, ctx, { quiet: true, allowFailure: true, maxOutputBytes: LARGE_OUTPUT_LIMIT_BYTES });
  if (result.code !== 0) {
    throw new ExternalToolError('DisruptionReadFailed', `Could not read the ${what} on ${host.name} (kubectl exit ${result.code})`, {
      details: result.stderr.trim().split('\n').slice(-5),
      hint: 'Check the API server (k8s-bootstrap status), then run the command again.',
    });
  }
  try {
    return parseDisruptionSnapshot(result.stdout);
  } catch (error) {
    throw new ExternalToolError('DisruptionReadFailed', `kubectl on ${host.name} printed something other than a List of the ${what}`, { cause: error });
  }
}

/** One kubectl call: every PDB, Deployment, StatefulSet, ReplicaSet and Pod of the cluster. */
export function readDisruption(ops: DrainOps, host: ClusterNode, ctx: QuietCtx): Promise<DisruptionSnapshot> {
  return kubectlJson(ops, host, readDisruptionArgv(), ctx, 'PodDisruptionBudgets and workloads');
}

/** The error of a drain a budget would block, naming the budgets, their pods, and the ways out. */
export function drainBlockedError(nodes: readonly string[], judgement: DisruptionJudgement, command: string): ExternalToolError {
  const scale = judgement.blocking.flatMap((f) => f.pods.map((p) => p.workload).filter((w) => w !== undefined).map((w) => `${w.kind.toLowerCase()}/${w.name} -n ${f.budget.namespace}`));
  const first = [...new Set(scale)][0];
  const names = nodes.join(', ');
  return new ExternalToolError(
    'DrainBlockedByBudget',
    `Draining ${names} would be blocked by ${judgement.blocking.length === 1 ? 'a PodDisruptionBudget that allows' : `${judgement.blocking.length} PodDisruptionBudgets that allow`} no disruption now; nothing was cordoned`,
    {
      details: judgement.blocking.map(describeBudget),
      hint:
        `Scale the workload up so the budget allows a disruption${first ? ` (kubectl scale ${first} --replicas=N)` : ''}, relax the budget (a lower minAvailable or a higher maxUnavailable), ` +
        `or run ${command} again with --wait-for-budgets to drain anyway (kubectl drain then retries the eviction every 5s until --drain-timeout).`,
    },
  );
}

/**
 * Reads the cluster once and judges a drain of `nodes` (drained together): says every warning,
 * throws drainBlockedError for a blocking budget (unless waitForBudgets), and returns the judgement.
 */
export async function checkDrain(ops: DrainOps, host: ClusterNode, nodes: readonly string[], ctx: QuietCtx, options: SafeDrainOptions): Promise<DisruptionJudgement> {
  const judgement = judgeDrain(await readDisruption(ops, host, ctx), nodes);
  for (const warning of drainWarnings(judgement)) ctx.output(`warning: ${warning}`, 'info');
  if (judgement.blocking.length > 0 && !options.waitForBudgets) throw drainBlockedError(nodes, judgement, options.command);
  if (judgement.affected.length > 0) ctx.output(`waited for after the drain: ${judgement.affected.map(describeWorkload).join(', ')}`, 'info');
  return judgement;
}

export interface WaitAvailableOptions {
  timeoutMs: number;
  command: string;
  pollMs?: number;
  /** What came back, for the error ("worker-1, worker-2"). */
  nodes: readonly string[];
}

/**
 * Polls the Deployments/StatefulSets until each is at its replicas (Deployment availableReplicas,
 * StatefulSet readyReplicas); a workload deleted meanwhile counts as done. Throws naming those
 * that are not, once timeoutMs has passed.
 */
export async function waitWorkloadsAvailable(ops: DrainOps, host: ClusterNode, refs: ReadonlyArray<Pick<Workload, 'kind' | 'namespace' | 'name'>>, ctx: QuietCtx, options: WaitAvailableOptions): Promise<void> {
  if (refs.length === 0) return;
  const deadline = Date.now() + options.timeoutMs;
  let missing: Workload[] = [];
  for (;;) {
    const { workloads } = await kubectlJson(ops, host, readWorkloadsArgv(), ctx, 'Deployments and StatefulSets');
    missing = unavailable(workloads, refs);
    if (missing.length === 0) {
      ctx.output(`available again: ${refs.map((r) => `${r.kind} ${r.namespace}/${r.name}`).join(', ')}`, 'info');
      return;
    }
    if (Date.now() >= deadline || ctx.signal.aborted) break;
    await sleep(Math.min(options.pollMs ?? AVAILABILITY_POLL_MS, Math.max(0, deadline - Date.now())), ctx.signal);
  }
  if (ctx.signal.aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error('aborted');
  throw new ExternalToolError('WorkloadsNotAvailable', `After ${options.nodes.join(', ')}: ${missing.map(describeWorkload).join(', ')} not available again within --availability-timeout (${formatDuration(options.timeoutMs)})`, {
    details: missing.map((w) => `kubectl -n ${w.namespace} describe ${w.kind.toLowerCase()} ${w.name}`),
    hint: `Look at why their pods do not become Ready (kubectl get pods -A -o wide), then run ${options.command} again (it waits again and goes on), with a longer --availability-timeout if they only need time.`,
  });
}

// ---- step builders ----------------------------------------------------------------------------

export interface DisruptionStepOptions {
  stepId: string;
  /** Nodes drained together (a batch), in order. */
  nodes: readonly ClusterNode[];
  /** The control plane kubectl runs on (asked when the step runs). */
  kubectlHost: () => ClusterNode;
  ops: () => DrainOps;
  state: () => Pick<StateStore, 'update' | 'current'>;
  command: string;
  inputs?: string;
  waitForBudgets?: boolean;
}

const names = (nodes: readonly ClusterNode[]) => nodes.map((n) => n.name);

/**
 * The check before a drain: fails (before any cordon) on a blocking budget, and records the
 * workloads the drain moves, per node, for the availability step after it.
 */
export function disruptionCheckStep(options: DisruptionStepOptions): Step {
  const list = names(options.nodes).join(', ');
  return {
    stepId: options.stepId,
    title: `PodDisruptionBudgets and workloads on ${list}`,
    detail: 'kubectl get poddisruptionbudgets,deployments,statefulsets,replicasets,pods -A; a budget that allows no disruption fails here, before the cordon',
    node: options.nodes[0]?.name ?? '',
    tool: 'kubectl',
    ...(options.inputs !== undefined ? { inputs: options.inputs } : {}),
    retries: 1,
    retryable: (error) => !(error instanceof ExternalToolError && error.code === 'DrainBlockedByBudget'),
    run: async (ctx) => {
      const judgement = await checkDrain(options.ops(), options.kubectlHost(), names(options.nodes), ctx, { command: options.command, waitForBudgets: options.waitForBudgets });
      // Kept per node of the batch (all the batch's workloads): the batch is waited for as one.
      const value = judgement.affected.map(workloadRef).join(',');
      await options.state().update((state) => {
        for (const node of names(options.nodes)) state.facts[drainedWorkloadsFact(node)] = value;
      });
    },
  };
}

export interface AvailableStepOptions extends Omit<DisruptionStepOptions, 'waitForBudgets'> {
  availabilityTimeoutMs: number;
  pollMs?: number;
}

/** After the nodes are back (uncordoned) or gone: the workloads the check recorded are available again. */
export function workloadsAvailableStep(options: AvailableStepOptions): Step {
  const list = names(options.nodes).join(', ');
  return {
    stepId: options.stepId,
    title: `Workloads moved off ${list} available again`,
    detail: `Deployments/StatefulSets at their replicas, within ${formatDuration(options.availabilityTimeoutMs)} (--availability-timeout)`,
    node: options.nodes[0]?.name ?? '',
    tool: 'kubectl',
    ...(options.inputs !== undefined ? { inputs: options.inputs } : {}),
    timeoutMs: options.availabilityTimeoutMs + 60_000,
    retries: 1,
    retryable: (error) => !(error instanceof ExternalToolError && error.code === 'WorkloadsNotAvailable'),
    run: async (ctx) => {
      const facts = options.state().current.facts;
      const refs = new Map<string, NonNullable<ReturnType<typeof parseWorkloadRef>>>();
      for (const node of names(options.nodes)) {
        const value = facts[drainedWorkloadsFact(node)];
        for (const text of typeof value === 'string' && value !== '' ? value.split(',') : []) {
          const ref = parseWorkloadRef(text);
          if (ref) refs.set(text, ref);
        }
      }
      await waitWorkloadsAvailable(options.ops(), options.kubectlHost(), [...refs.values()], ctx, {
        timeoutMs: options.availabilityTimeoutMs,
        command: options.command,
        nodes: names(options.nodes),
        ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
      });
      await options.state().update((state) => {
        for (const node of names(options.nodes)) delete state.facts[drainedWorkloadsFact(node)];
      });
    },
  };
}

/**
 * For a single node drained on its own (remove-control-plane): the check, then the caller's
 * drain, then the wait, as one function when steps are not wanted.
 */
export async function safeDrain(
  ops: DrainOps,
  host: ClusterNode,
  node: ClusterNode,
  ctx: QuietCtx,
  options: SafeDrainOptions & { drain: () => Promise<void>; availabilityTimeoutMs: number; pollMs?: number },
): Promise<DisruptionJudgement> {
  const judgement = await checkDrain(ops, host, [node.name], ctx, options);
  await options.drain();
  await waitWorkloadsAvailable(ops, host, judgement.affected, ctx, { timeoutMs: options.availabilityTimeoutMs, command: options.command, nodes: [node.name], ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}) });
  return judgement;
}
