/**
 * The phases of remove-workers, built without SSH (its dry run and confirmation read them): per
 * worker, one at a time, the kubeadm docs' "Remove the node" order (drain, reset if it answers,
 * delete the Node), and at the end the check that the remaining nodes are all Ready. Each drain is
 * a safe one (nodes/drain-ops.ts): PodDisruptionBudgets are checked before the cordon, and the
 * workloads it moved are available again before the worker is reset (so before the next drain).
 */
import { ExternalToolError } from '../../errors.js';
import type { Phase, Step, StepContext } from '../../engine/step.js';
import { formatDuration } from '../../engine/timeouts.js';
import * as cmd from '../../kube/node-commands.js';
import type { SshNodeOps } from '../../nodes/ssh-node-ops.js';
import { SshUnreachableError } from '../../tools/ssh/errors.js';
import { allNodes, firstControlPlane, type ClusterNode, type Topology } from '../../nodes/topology.js';
import { drainStepId, stepId } from '../run/step-ids.js';
import { disruptionCheckStep, workloadsAvailableStep } from '../../nodes/drain-ops.js';
import type { StateStore } from '../../state/state-store.js';

/** How much longer than --drain-timeout the SSH command may take before it is cut. */
const DRAIN_GRACE_MS = 15_000;

/** What the removal steps do on the nodes; asked for only when a step runs. */
export type RemovalOps = Pick<SshNodeOps, 'getNodes' | 'sudo' | 'reach' | 'resetNode' | 'waitReady'>;

export interface RemovalPhasesOptions {
  /** The cluster before the removal. */
  topology: Topology;
  /** Workers to remove, in this order. */
  remove: string[];
  drainTimeoutMs: number;
  /** How long the workloads a drain moved may take to be available again (--availability-timeout). */
  availabilityTimeoutMs: number;
  /** Drain even when a PodDisruptionBudget allows no disruption (--wait-for-budgets). */
  waitForBudgets?: boolean;
  ops: () => RemovalOps;
  state: () => Pick<StateStore, 'update' | 'current'>;
  /** Filled while the steps run: workers that did not answer SSH and were not reset. */
  notReset: string[];
}

/** One phase per worker: pods evicted from one are never rescheduled onto the next one to go. */
export function removalPhases(options: RemovalPhasesOptions): Phase[] {
  const byName = new Map(allNodes(options.topology).map((node) => [node.name, node]));
  return options.remove.map((name) => {
    const node = byName.get(name);
    if (!node) throw new Error(`${name} is not in the inventory`);
    return { title: `Remove ${name}`, steps: removalSteps(options, node) };
  });
}

/** The remaining cluster all Ready; never checkpointed, it is about the cluster now. */
export function remainingReadyPhase(options: { topology: Topology; readyTimeoutMs: number; ops: () => Pick<RemovalOps, 'waitReady'> }): Phase {
  const { topology, readyTimeoutMs } = options;
  const first = firstControlPlane(topology);
  const names = allNodes(topology).map((node) => node.name);
  return {
    title: 'Verify',
    steps: [
      {
        stepId: stepId.removeVerify,
        title: `Check that the ${names.length} remaining nodes are Ready`,
        node: first.name,
        tool: 'kubectl',
        inputs: `run-${Date.now()}`,
        timeoutMs: readyTimeoutMs + 60_000,
        run: (ctx) => options.ops().waitReady(first, topology, names, undefined, readyTimeoutMs, ctx),
      },
    ],
  };
}

function removalSteps(options: RemovalPhasesOptions, node: ClusterNode): Step[] {
  const { ops, topology, drainTimeoutMs } = options;
  const first = firstControlPlane(topology);
  const registered = async (ctx: StepContext) => (await ops().getNodes(first, ctx)).some((status) => status.name === node.name);
  const safe = { nodes: [node], kubectlHost: () => first, ops, state: options.state, command: 'remove-workers' };
  const check = disruptionCheckStep({ ...safe, stepId: drainStepId.removeDisruption(node.name), waitForBudgets: options.waitForBudgets });
  return [
    { ...check, check: async (ctx) => ((await registered(ctx)) ? undefined : 'not registered with the API server any more') },
    {
      stepId: stepId.removeDrain(node.name),
      title: `Drain ${node.name}`,
      detail: `kubectl drain --ignore-daemonsets on ${first.name}, timeout ${formatDuration(drainTimeoutMs)}`,
      node: node.name,
      tool: 'kubectl',
      timeoutMs: drainTimeoutMs + DRAIN_GRACE_MS + 30_000,
      // A drain that timed out is not retried: the person decides (longer --drain-timeout).
      retries: 0,
      check: async (ctx) => ((await registered(ctx)) ? undefined : 'not registered with the API server any more'),
      run: async (ctx) => {
        const failed = (why: string, output: string[]) =>
          new ExternalToolError('DrainFailed', `Draining ${node.name} ${why} (--drain-timeout ${formatDuration(drainTimeoutMs)}); ${node.name} stays cordoned`, {
            details: output,
            hint: `Look at the pods that will not leave (kubectl get pods -A --field-selector spec.nodeName=${node.name}), then run remove-workers again, with a longer --drain-timeout if they only need time.`,
          });
        let result;
        try {
          // kubectl enforces --timeout itself; the SSH limit, a little later, catches a kubectl that hangs anyway.
          result = await ops().sudo(first, cmd.drain(node.name, Math.ceil(drainTimeoutMs / 1000)), ctx, { timeoutMs: drainTimeoutMs + DRAIN_GRACE_MS, allowFailure: true, keepOutputTail: true });
        } catch (error) {
          if (ctx.signal.aborted) throw error;
          throw failed('did not finish in time', [error instanceof Error ? error.message : String(error)]);
        }
        if (result.code !== 0) throw failed(`failed (kubectl exit ${result.code})`, `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-15));
      },
    },
    workloadsAvailableStep({ ...safe, stepId: drainStepId.removeAvailable(node.name), availabilityTimeoutMs: options.availabilityTimeoutMs }),
    {
      stepId: stepId.removeReset(node.name),
      title: `kubeadm reset -f on ${node.name} (and its CNI configuration)`,
      detail: 'if it answers SSH',
      node: node.name,
      tool: 'kubeadm',
      timeoutMs: 6 * 60_000,
      run: async (ctx) => {
        try {
          await ops().reach(node, ctx);
        } catch (error) {
          if (!(error instanceof SshUnreachableError)) throw error;
          options.notReset.push(node.name);
          ctx.output(`warning: ${node.name} does not answer SSH, so it was not reset; it is no longer part of the cluster. Run "kubeadm reset -f" on it if it comes back.`, 'info');
          return;
        }
        await ops().resetNode(node, topology, ctx);
      },
    },
    {
      stepId: stepId.removeDelete(node.name),
      title: `kubectl delete node ${node.name}`,
      detail: `on ${first.name}`,
      node: node.name,
      tool: 'kubectl',
      retries: 2,
      check: async (ctx) => ((await registered(ctx)) ? undefined : 'already deleted'),
      run: async (ctx) => {
        await ops().sudo(first, cmd.deleteNode(node.name), ctx);
      },
    },
  ];
}
