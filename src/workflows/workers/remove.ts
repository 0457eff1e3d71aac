/**
 * remove-workers after the plan is confirmed. For each worker, one at a time (so pods evicted
 * from one are never rescheduled onto the next one to go), in the order of the kubeadm docs
 * ("Remove the node"): `kubectl drain --ignore-daemonsets`, `kubeadm reset -f` on the worker if it
 * answers (with /etc/cni/net.d cleaned, which kubeadm reset leaves; an unreachable worker is a
 * warning), then `kubectl delete node`. Then the
 * infrastructure shrinks (cloud: Terraform with the smaller count, whose plan may only destroy
 * workers) or the hosts leave cluster.yaml and inventory.json (static), and the rest of the
 * cluster must still be all-Ready.
 */
import type { CliContext } from '../../cli/context.js';
import { ExternalToolError } from '../../errors.js';
import type { Phase, Step } from '../../engine/step.js';
import { formatDuration } from '../../engine/timeouts.js';
import * as cmd from '../../kube/node-commands.js';
import { runSecrets } from '../../providers/credentials.js';
import { saveSpec } from '../../state/spec-record.js';
import { writeFileAtomic } from '../../state/atomic.js';
import { SshUnreachableError } from '../../tools/ssh/errors.js';
import { nodeUsersOf, type LoadedCluster } from '../run/load-cluster.js';
import { provisionInventory } from '../run/provision.js';
import { withRun } from '../run/session.js';
import { SshNodeOps } from '../../nodes/ssh-node-ops.js';
import { createSshPool } from '../run/ssh-pool.js';
import { allNodes, firstControlPlane, topologyFromInventory, type ClusterNode, type Topology } from '../run/topology.js';
import { currentVersion, nonRemovals, refusedPlanError, workerIndexes, type RemoveWorkersPlan } from './plan.js';
import { HostKeyStore } from '../../tools/ssh/known-hosts.js';

export const DEFAULT_DRAIN_TIMEOUT_MS = 10 * 60_000;
/** How much longer than --drain-timeout the SSH command may take before it is cut. */
const DRAIN_GRACE_MS = 15_000;

export interface RemoveWorkersRunOptions {
  cluster: LoadedCluster;
  plan: RemoveWorkersPlan;
  timeoutMs: number;
  /** kubectl drain --timeout. @default 10 min */
  drainTimeoutMs?: number;
  /** How long a node may take to answer SSH; a worker that does not is not reset. @default 30 s */
  sshTimeoutMs?: number;
  /** How long the remaining nodes may take to be Ready. @default 5 min */
  readyTimeoutMs?: number;
}

export interface RemoveWorkersOutcome {
  removed: string[];
  /** Workers that did not answer SSH and were not reset. */
  notReset: string[];
}

export async function runRemoveWorkersWorkflow(ctx: CliContext, options: RemoveWorkersRunOptions): Promise<RemoveWorkersOutcome> {
  const { cluster, plan } = options;
  const { spec, dir } = cluster;
  const drainTimeoutMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
  return withRun(
    ctx,
    dir,
    { command: 'remove-workers', cluster: spec.name, timeoutMs: options.timeoutMs, secrets: runSecrets(spec, ctx.env) },
    async (run) => {
      const topology = topologyFromInventory(cluster.inventory, nodeUsersOf(spec));
      const pool = createSshPool(run, { spec, dir, topology, concurrency: 4, sshTimeoutMs: options.sshTimeoutMs ?? 30_000, env: ctx.env });
      const notReset: string[] = [];
      try {
        const ops = new SshNodeOps({ spec, dir, pool, secrets: run.secrets });
        const first = firstControlPlane(topology);
        const byName = new Map(allNodes(topology).map((node) => [node.name, node]));
        const phases: Phase[] = plan.remove.map((entry) => {
          const node = byName.get(entry.name)!;
          return { title: `Remove ${node.name}`, steps: removalSteps(ops, topology, node, drainTimeoutMs, notReset) };
        });
        await run.runPhases(phases);

        if (plan.cloud) {
            const after = await provisionInventory(run, ctx, {
            spec: { ...plan.target, kubernetes: { ...plan.target.kubernetes, version: currentVersion(cluster) } },
            dir,
            rebuildImage: false,
            workerCount: plan.remaining.length,
            reviewPlan: (terraformPlan) => {
              const unexpected = nonRemovals(terraformPlan.changes, spec.provider.name, workerIndexes(cluster.inventory, plan.remove));
              if (unexpected.length > 0) throw refusedPlanError('remove-workers', unexpected, terraformPlan.changes);
            },
          });
          assertOnlyRemovedGone(plan, after.workers.map((node) => node.name));
          await writeFileAtomic(dir.inventoryFile, `${JSON.stringify(after, null, 2)}\n`, 0o644);
          // The machines are gone; a new one may get the same address (and another host key).
          const knownHosts = new HostKeyStore({ file: dir.knownHostsFile });
          for (const node of plan.remove) await knownHosts.forget(node.public_ip || node.private_ip, node.ssh_port ?? 22);
        } else {
          await writeFileAtomic(dir.inventoryFile, `${JSON.stringify(plan.targetInventory, null, 2)}\n`, 0o644);
        }
        await saveSpec(dir, run.state, plan.target);
        // The names may come back (a re-added host, a new machine at the same index): they start fresh.
        await run.state.update((state) => {
          for (const node of plan.remove) {
            for (const prefix of ['prepare', 'join', 'remove-drain', 'remove-delete', 'remove-reset']) delete state.steps[`${prefix}:${node.name}`];
          }
        });

        const remainingTopology = topologyFromInventory(plan.targetInventory, nodeUsersOf(plan.target));
        const names = allNodes(remainingTopology).map((node) => node.name);
        const readyTimeoutMs = options.readyTimeoutMs ?? 5 * 60_000;
        await run.runPhases([
          {
            title: 'Verify',
            steps: [
              {
                stepId: 'remove-workers:verify',
                title: `Check that the ${names.length} remaining nodes are Ready`,
                node: first.name,
                tool: 'kubectl',
                // Never checkpointed: it is about the cluster now.
                inputs: `run-${Date.now()}`,
                timeoutMs: readyTimeoutMs + 60_000,
                run: (ctx) => ops.waitReady(first, remainingTopology, names, undefined, readyTimeoutMs, ctx),
              },
            ],
          },
        ]);
        return { removed: plan.remove.map((node) => node.name), notReset };
      } finally {
        await pool.closeAll();
      }
    },
  );
}

function removalSteps(ops: SshNodeOps, topology: Topology, node: ClusterNode, drainTimeoutMs: number, notReset: string[]): Step[] {
  const first = firstControlPlane(topology);
  const registered = async (ctx: Parameters<Step['run']>[0]) => (await ops.getNodes(first, ctx)).some((status) => status.name === node.name);
  return [
    {
      stepId: `remove-drain:${node.name}`,
      title: `Drain ${node.name}`,
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
          result = await ops.sudo(first, cmd.drain(node.name, Math.ceil(drainTimeoutMs / 1000)), ctx, { timeoutMs: drainTimeoutMs + DRAIN_GRACE_MS, allowFailure: true, keepOutputTail: true });
        } catch (error) {
          if (ctx.signal.aborted) throw error;
          throw failed('did not finish in time', [error instanceof Error ? error.message : String(error)]);
        }
        if (result.code !== 0) throw failed(`failed (kubectl exit ${result.code})`, `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-15));
      },
    },
    {
      stepId: `remove-reset:${node.name}`,
      title: `kubeadm reset -f on ${node.name} (and its CNI configuration)`,
      node: node.name,
      tool: 'kubeadm',
      timeoutMs: 6 * 60_000,
      run: async (ctx) => {
        try {
          await ops.reach(node, ctx);
        } catch (error) {
          if (!(error instanceof SshUnreachableError)) throw error;
          notReset.push(node.name);
          ctx.output(`warning: ${node.name} does not answer SSH, so it was not reset; it is no longer part of the cluster. Run "kubeadm reset -f" on it if it comes back.`, 'info');
          return;
        }
        await ops.resetNode(node, topology, ctx);
      },
    },
    {
      stepId: `remove-delete:${node.name}`,
      title: `kubectl delete node ${node.name}`,
      node: node.name,
      tool: 'kubectl',
      retries: 2,
      check: async (ctx) => ((await registered(ctx)) ? undefined : 'already deleted'),
      run: async (ctx) => {
        await ops.sudo(first, cmd.deleteNode(node.name), ctx);
      },
    },
  ];
}

/** After the apply, as a last check: exactly the drained workers are gone, every other one is left. */
function assertOnlyRemovedGone(plan: RemoveWorkersPlan, after: string[]): void {
  const lost = plan.remaining.filter((name) => !after.includes(name));
  const kept = plan.remove.map((node) => node.name).filter((name) => after.includes(name));
  if (lost.length > 0 || kept.length > 0) {
    throw new ExternalToolError('WrongWorkersRemoved', `Terraform did not remove exactly the drained workers: ${[...lost.map((n) => `${n} is gone`), ...kept.map((n) => `${n} still exists`)].join('; ')}`, {
      hint: 'Run "k8s-bootstrap status" to see the cluster, then add-workers to replace lost workers.',
    });
  }
}

