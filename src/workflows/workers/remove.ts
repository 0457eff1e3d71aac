/**
 * remove-workers: pick the workers (names, or count: the newest), refuse control planes and going
 * below workers.min without force, show the plan, confirm (a dry run stops after the plan). Removing
 * a worker that is already gone says so and succeeds. Then, for each worker, one at a time (so pods evicted
 * from one are never rescheduled onto the next one to go), in the order of the kubeadm docs
 * ("Remove the node"): `kubectl drain --ignore-daemonsets`, `kubeadm reset -f` on the worker if it
 * answers (with /etc/cni/net.d cleaned, which kubeadm reset leaves; an unreachable worker is a
 * warning), then `kubectl delete node`. Then the
 * infrastructure shrinks (cloud: Terraform with the smaller count, whose plan may only destroy
 * workers) or the hosts leave cluster.yaml and inventory.json (static), and the rest of the
 * cluster must still be all-Ready.
 */
import { atKubernetesVersion } from '../../config/at-version.js';
import { DeclinedError, ExternalToolError } from '../../errors.js';
import { emitTo, noteTo, type Host, type ResultBase } from '../../engine/host.js';
import { DEFAULTS, DRAIN_DEFAULTS } from '../defaults.js';
import { assertCredentials } from '../run/credentials-check.js';
import { runSecrets } from '../../providers/credentials.js';
import { saveSpec } from '../../state/spec-record.js';
import { writeFileAtomic } from '../../state/atomic.js';
import { checkPinned, loadCluster, nodeUsersOf, openReadOnlyPool, topologyOf, type LoadedCluster } from '../run/load-cluster.js';
import type { ClusterRef } from '../run/cluster-ref.js';
import { provisionInventory } from '../run/provision.js';
import { withRun } from '../run/session.js';
import { createSshPool } from '../run/ssh-pool.js';
import { topologyFromInventory } from '../../nodes/topology.js';
import { drainNodeStepIds, nodeStepIds } from '../run/step-ids.js';
import { drainedWorkloadsFact, readDisruption } from '../../nodes/drain-ops.js';
import type { DisruptionSnapshot } from '../../kube/disruption.js';
import { SshNodeOps } from '../../nodes/ssh-node-ops.js';
import { currentVersion } from './plan-add.js';
import { planRemoveWorkers, type RemoveWorkersPlan } from './plan-remove.js';
import { nonRemovals, refusedPlanError, workerIndexes } from './terraform-guard.js';
import { describeRemovePlan, formatRemovePlan } from './describe.js';
import { remainingReadyPhase, removalPhases } from './remove-phases.js';
import { HostKeyStore } from '../../tools/ssh/known-hosts.js';
import { runNodeOps } from '../run/node-ops.js';

export interface RemoveWorkersOptions extends ClusterRef {
  /** Workers to remove, by name. */
  nodes?: string[];
  /** Remove the newest N workers. */
  count?: number;
  /** Allow going below workers.min. */
  force?: boolean;
  /** Show the plan; change nothing. */
  dryRun?: boolean;
  /** Overall time limit of the run. */
  timeoutMs?: number;
  /** kubectl drain --timeout. */
  drainTimeoutMs?: number;
  /** After each drain, how long the workloads it moved may take to be available again. */
  availabilityTimeoutMs?: number;
  /** Drain even when a PodDisruptionBudget allows no disruption (kubectl retries until --drain-timeout). */
  waitForBudgets?: boolean;
  /** How long a node may take to answer SSH; a worker that does not is not reset. */
  sshTimeoutMs?: number;
  /** How long the remaining nodes may take to be Ready. */
  readyTimeoutMs?: number;
}

export interface RemoveWorkersResult extends ResultBase {
  dryRun: boolean;
  removed: string[];
  /** Workers that did not answer SSH and were not reset. */
  notReset: string[];
  /** Named workers that are not part of the cluster (already removed?). */
  alreadyGone: string[];
  /** Workers left (as planned, for a dry run). */
  remaining: string[];
}

export async function removeWorkers(host: Host, options: RemoveWorkersOptions): Promise<RemoveWorkersResult> {
  const cluster = await loadCluster(host, options);
  const name = cluster.spec.name;
  const drainTimeoutMs = options.drainTimeoutMs ?? DEFAULTS.removeWorkers.drainTimeoutMs;
  const decision = planRemoveWorkers(cluster, { nodes: options.nodes, count: options.count, force: options.force === true });
  const dryRun = options.dryRun === true;
  if (decision.kind === 'nothing') {
    const workers = cluster.inventory.workers.map((node) => node.name);
    return { cluster: name, dryRun, removed: [], notReset: [], alreadyGone: options.nodes ?? [], remaining: workers, summary: [decision.message] };
  }
  const { plan } = decision;
  const remaining = plan.remaining;
  const availabilityTimeoutMs = options.availabilityTimeoutMs ?? DRAIN_DEFAULTS.availabilityTimeoutMs;
  const waitForBudgets = options.waitForBudgets === true;
  // For the plan only: each drain reads them again before it cordons.
  const disruption = await readDisruptionForPlan(host, cluster, options.sshTimeoutMs ?? DEFAULTS.removeWorkers.sshTimeoutMs);
  const drainPlan = { availabilityTimeoutMs, waitForBudgets, ...(disruption ? { disruption } : {}) };
  const steps = describeRemovePlan(cluster, plan, drainTimeoutMs, drainPlan);
  emitTo(host, { type: 'plan', time: Date.now(), command: 'remove-workers', cluster: name, dryRun, steps, text: formatRemovePlan(cluster, plan, drainTimeoutMs, steps, drainPlan) });
  if (dryRun) return { cluster: name, dryRun, removed: [], notReset: [], alreadyGone: plan.alreadyGone, remaining, summary: ['[dry run] nothing was changed.'] };
  assertCredentials(cluster.spec, host.env, 'Cannot remove workers');
  host.assertCanConfirm('remove-workers');
  const names = plan.remove.map((node) => node.name).join(', ');
  const go = await host.confirm({ command: 'remove-workers', message: `Drain, delete and reset ${names}?`, doing: `draining, deleting and resetting ${names}` });
  if (!go) throw new DeclinedError('Nothing was removed.');

  const outcome = await runRemoveWorkers(host, cluster, plan, { ...options, drainTimeoutMs, availabilityTimeoutMs, waitForBudgets });
  for (const node of outcome.notReset) noteTo(host, `${node} did not answer SSH and was not reset (kubeadm reset -f); it is no longer part of the cluster.`, 'warning');
  if (plan.alreadyGone.length > 0) noteTo(host, `${plan.alreadyGone.join(', ')}: not a worker of the cluster (already removed?), skipped.`);
  const summary = [`Removed ${outcome.removed.join(', ')} from ${name}; ${plan.remaining.length} worker(s) remain, all nodes Ready.`];
  return { cluster: name, dryRun, ...outcome, alreadyGone: plan.alreadyGone, remaining, summary };
}

/** Read-only look at the PDBs and workloads from the first control plane (no lock); undefined when it cannot be had. */
async function readDisruptionForPlan(host: Host, cluster: LoadedCluster, sshTimeoutMs: number): Promise<DisruptionSnapshot | undefined> {
  const topology = topologyOf(cluster);
  const first = topology.controlPlanes[0];
  if (!first) return undefined;
  const signal = AbortSignal.any([host.signal, AbortSignal.timeout(sshTimeoutMs + 30_000)]);
  const { pool, knownHosts } = openReadOnlyPool(cluster, topology, { signal, readyWaitMs: Math.min(sshTimeoutMs, 15_000), env: host.env });
  try {
    checkPinned(knownHosts, topology, first);
    const ops = new SshNodeOps({ spec: cluster.spec, dir: cluster.dir, pool, secrets: host.secrets });
    return await readDisruption(ops, first, { signal, output: () => undefined });
  } catch {
    return undefined;
  } finally {
    await pool.closeAll();
  }
}

async function runRemoveWorkers(host: Host, cluster: LoadedCluster, plan: RemoveWorkersPlan, options: RemoveWorkersOptions & { drainTimeoutMs: number; availabilityTimeoutMs: number; waitForBudgets: boolean }): Promise<{ removed: string[]; notReset: string[] }> {
  const { spec, dir } = cluster;
  const defaults = DEFAULTS.removeWorkers;
  const { drainTimeoutMs } = options;
  return withRun(
    host,
    dir,
    { command: 'remove-workers', cluster: spec.name, timeoutMs: options.timeoutMs ?? defaults.timeoutMs, secrets: runSecrets(spec, host.env) },
    async (run) => {
      const topology = topologyFromInventory(cluster.inventory, nodeUsersOf(spec));
      const pool = createSshPool(run, { spec, dir, topology, concurrency: 4, sshTimeoutMs: options.sshTimeoutMs ?? defaults.sshTimeoutMs, env: host.env });
      const notReset: string[] = [];
      try {
        const ops = runNodeOps(host, spec, dir, pool, run.secrets);
        await run.runPhases(
          removalPhases({
            topology,
            remove: plan.remove.map((node) => node.name),
            drainTimeoutMs,
            availabilityTimeoutMs: options.availabilityTimeoutMs,
            waitForBudgets: options.waitForBudgets,
            ops: () => ops,
            state: () => run.state,
            notReset,
          }),
        );

        if (plan.cloud) {
            const after = await provisionInventory(run, host, {
            spec: atKubernetesVersion(plan.target, currentVersion(cluster)),
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
            for (const id of [...nodeStepIds(node.name), ...drainNodeStepIds(node.name)]) delete state.steps[id];
            delete state.facts[drainedWorkloadsFact(node.name)];
          }
        });

        const remainingTopology = topologyFromInventory(plan.targetInventory, nodeUsersOf(plan.target));
        const readyTimeoutMs = options.readyTimeoutMs ?? defaults.readyTimeoutMs;
        await run.runPhases([remainingReadyPhase({ topology: remainingTopology, readyTimeoutMs, ops: () => ops })]);
        return { removed: plan.remove.map((node) => node.name), notReset };
      } finally {
        await pool.closeAll();
      }
    },
  );
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

