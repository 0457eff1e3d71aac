/**
 * remove-control-plane NODE: takes a control plane out of an HA cluster (static or cloud), also one that is
 * dead (Kubespray #12986: etcd otherwise keeps the dead member for ever).
 *
 * Before anything changes (read-only SSH, no lock): which control planes answer, and etcd's
 * members and their health, read in the etcd pod of the first healthy other control plane. The
 * quorum rule (etcd-members.ts) refuses a removal that would lose etcd (exit 2, nothing changed),
 * so does removing the last control plane or a worker.
 *
 * Then, in the order of the kubeadm docs ("Remove the node") with etcd's own step first, every
 * step checkpointed (a re-run resumes):
 *   1. a verified etcd snapshot and the PKI (preChangeBackupPhase, from a control plane that stays;
 *      --skip-backup to go on without one);
 *   2. a node that answers: the safe drain (PodDisruptionBudgets checked before the cordon, the
 *      moved workloads available again); a dead one is not drained (kubectl drain would wait for
 *      pods that never terminate; once its Node is deleted the pod garbage collector removes them);
 *   3. `etcdctl member remove <hex id>` from a healthy member (for a live node `kubeadm reset`
 *      would do it too, in its remove-etcd-member phase, but only while that node still works;
 *      from a healthy member it works for both);
 *   4. `kubeadm reset -f` on the node when it answers (it finds no member left, says so and goes
 *      on; keepalived and haproxy are stopped there, reset-node.sh);
 *   5. `kubectl delete node`;
 *   6. static HA: haproxy and keepalived on the control planes that stay, with the smaller backend
 *      list (one at a time, so the VIP is always held); the endpoint VIP:8443 does not change.
 *      Cloud: Terraform destroys the machine <name>-cp-N and its own objects (its target-group
 *      attachment or load-balancer member, port, floating IP, API firewall rule), the plan
 *      reviewed first (only those may go); the provider's load balancer and endpoint stay;
 *   7. cluster.yaml and inventory.json without the node; its checkpoints and host key forgotten;
 *   8. the nodes left all Ready, and etcd with one voting member per control plane left.
 * kubeadm-config needs no change: kubeadm stopped keeping a ClusterStatus (the control planes'
 * API endpoints) there in v1.22; they come from the kube-apiserver pods' annotations.
 */
import { atKubernetesVersion } from '../../config/at-version.js';
import { currentVersion } from '../workers/plan-add.js';
import { DeclinedError, ExternalToolError, UsageError } from '../../errors.js';
import { emitTo, noteTo, type Host, type ResultBase } from '../../engine/host.js';
import type { Phase, Step } from '../../engine/step.js';
import { DEFAULTS, DRAIN_DEFAULTS } from '../defaults.js';
import { assertCredentials } from '../run/credentials-check.js';
import { runSecrets } from '../../providers/credentials.js';
import { saveSpec } from '../../state/spec-record.js';
import { writeFileAtomic } from '../../state/atomic.js';
import { checkPinned, loadCluster, nodeUsersOf, openReadOnlyPool, topologyOf, type LoadedCluster } from '../run/load-cluster.js';
import type { ClusterRef } from '../run/cluster-ref.js';
import type { RemoveWorkersOptions } from '../workers/remove.js';
import { withRun, type RunHarness } from '../run/session.js';
import { previewProvision, provisionInventory, provisionPhases, type ProvisionOptions } from '../run/provision.js';
import { controlPlaneNumbers } from '../../config/node-names.js';
import type { Inventory } from '../../providers/inventory.js';
import { nonControlPlaneRemovals, refusedPlanError } from '../workers/terraform-guard.js';
import { createSshPool } from '../run/ssh-pool.js';
import { topologyFromInventory, type ClusterNode, type Topology } from '../../nodes/topology.js';
import { backupStepId, drainNodeStepIds, nodeStepIds, stepId } from '../run/step-ids.js';
import { drainedWorkloadsFact } from '../../nodes/drain-ops.js';
import { SshNodeOps } from '../../nodes/ssh-node-ops.js';
import { HostKeyStore } from '../../tools/ssh/known-hosts.js';
import { runNodeOps } from '../run/node-ops.js';
import { describePhases, notConnected } from '../../engine/describe.js';
import { remainingReadyPhase, removalPhases, type RemovalPhasesOptions } from '../workers/remove-phases.js';
import { assertPreChangeBackupPossible, preChangeBackupPhase } from '../backup/pre-change.js';
import { planRemoveControlPlane, withoutMachine, type RemoveControlPlanePlan } from './plan.js';
import type { ClusterState } from '../../state/state-store.js';
import { readMembers, removalVerdict, removeMember, type EtcdMember } from './etcd-members.js';
import { etcdVerifyStep, loadBalancerPhase, withFirst } from './phases.js';

/** State fact of a cloud removal whose machine Terraform is destroying: "<machine number> <node>". */
const REMOVING_FACT = 'remove-control-plane.machine';

function removingFact(value: unknown): { node: string; machine: number } | undefined {
  const match = typeof value === 'string' ? /^([1-9]) (\S+)$/.exec(value) : null;
  return match ? { machine: Number(match[1]), node: match[2]! } : undefined;
}

/** remove-workers' run options (dry run, time limits, safe drains), for one control plane. */
export interface RemoveControlPlaneOptions
  extends ClusterRef,
    Pick<RemoveWorkersOptions, 'dryRun' | 'timeoutMs' | 'drainTimeoutMs' | 'availabilityTimeoutMs' | 'waitForBudgets' | 'sshTimeoutMs' | 'readyTimeoutMs'> {
  node?: string;
  skipBackup?: boolean;
}

export interface RemoveControlPlaneResult extends ResultBase {
  dryRun: boolean;
  removed?: string;
  /** The node did not answer SSH: not drained, not reset. */
  dead: boolean;
  remaining: string[];
}

interface Inspection {
  /** The control plane the run works through (kubectl, etcdctl): the first other one whose etcd answers. */
  via: ClusterNode;
  members: EtcdMember[];
  /** The node to remove answered SSH. */
  alive: boolean;
}

export async function removeControlPlane(host: Host, options: RemoveControlPlaneOptions): Promise<RemoveControlPlaneResult> {
  const cluster = await loadCluster(host, options);
  const name = cluster.spec.name;
  const dryRun = options.dryRun === true;
  const pending = removingFact(cluster.state.facts[REMOVING_FACT]);
  if (pending && !dryRun && !cluster.inventory.control_plane.some((node) => node.name === pending.node) && controlPlaneNumbers(cluster.spec).includes(pending.machine)) {
    return finishInterruptedRemoval(host, cluster, pending);
  }
  const decision = planRemoveControlPlane(cluster, options.node);
  if (decision.kind === 'nothing') return { cluster: name, dryRun, dead: false, remaining: cluster.inventory.control_plane.map((n) => n.name), summary: [decision.message] };
  const { plan } = decision;
  const target = plan.node.name;
  const sshTimeoutMs = options.sshTimeoutMs ?? DEFAULTS.removeWorkers.sshTimeoutMs;
  const inspection = await inspect(host, cluster, target, sshTimeoutMs);
  const verdict = removalVerdict(inspection.members, target);
  if (!verdict.ok) throw new UsageError(verdict.code, verdict.message, { hint: verdict.hint });
  const note = verdict.ok && verdict.note ? verdict.note : undefined;

  const topology = withFirst(topologyOf(cluster), inspection.via.name);
  const after = withFirst(topologyFromInventory(plan.targetInventory, nodeUsersOf(plan.target)), inspection.via.name);
  const phases = removePhases(host, cluster, plan, { ...options, sshTimeoutMs }, inspection, topology, after, notConnected, { notReset: [] });
  const text = [
    `Remove control plane ${target} from ${name} (${inspection.alive ? 'it answers SSH' : 'it does not answer SSH: treated as dead, not drained or reset'}), working through ${inspection.via.name}.`,
    `etcd: ${inspection.members.map((m) => `${m.name}${m.learner ? ' (learner)' : ''} ${m.healthy ? 'healthy' : 'UNHEALTHY'}`).join(', ')}; ${plan.remaining.length} member(s) left after.`,
    ...(note ? [note] : []),
    ...(plan.even ? [`warning: ${plan.remaining.length} control planes is an even etcd membership (no more failures survived than with ${plan.remaining.length - 1}); add one back with add-control-plane.`] : []),
  ].join('\n');
  // On a cloud Terraform then destroys the machine (Preflight and Infrastructure as add-workers shows them).
  const infrastructure = plan.machine === undefined ? [] : provisionPhases({ spec: plan.target, rebuildImage: false, noNewMachines: true, state: cluster.state }, notConnected);
  const steps = describePhases([...phases, ...infrastructure]);
  emitTo(host, { type: 'plan', time: Date.now(), command: 'remove-control-plane', cluster: name, dryRun, steps, text });
  if (dryRun) return { cluster: name, dryRun, dead: !inspection.alive, remaining: plan.remaining, summary: ['[dry run] nothing was changed.'] };
  assertCredentials(cluster.spec, host.env, 'Cannot remove a control plane');
  if (!options.skipBackup) await assertPreChangeBackupPossible(cluster.spec, host.env, 'remove-control-plane');
  host.assertCanConfirm('remove-control-plane');
  const go = await host.confirm({
    command: 'remove-control-plane',
    message: `Remove control plane ${target} (etcd member, Node${inspection.alive ? ', kubeadm reset' : ''}) from ${name}?`,
    doing: `removing control plane ${target}`,
  });
  if (!go) throw new DeclinedError('Nothing was removed.');

  await withRun(
    host,
    cluster.dir,
    { command: 'remove-control-plane', cluster: name, timeoutMs: options.timeoutMs ?? DEFAULTS.removeWorkers.timeoutMs, secrets: runSecrets(cluster.spec, host.env) },
    async (run) => {
      const pool = createSshPool(run, { spec: cluster.spec, dir: cluster.dir, topology, concurrency: 4, sshTimeoutMs, env: host.env });
      try {
        const ops = runNodeOps(host, cluster.spec, cluster.dir, pool, run.secrets);
        const notReset: string[] = [];
        if (options.skipBackup) run.say(`--skip-backup: no etcd snapshot is taken before removing ${target}.`, 'warning');
        // Before anything that cannot be undone: would Terraform destroy that machine and nothing else?
        if (plan.machine !== undefined) await previewProvision(run, host, machineRemoval(cluster, plan, plan.machine));
        await run.runPhases(removePhases(host, cluster, plan, { ...options, sshTimeoutMs }, inspection, topology, after, () => ops, { notReset, state: () => run.state }));
        if (plan.machine !== undefined) await destroyMachine(run, host, cluster, plan, plan.machine);
        await saveSpec(cluster.dir, run.state, plan.target);
        await writeFileAtomic(cluster.dir.inventoryFile, `${JSON.stringify(plan.targetInventory, null, 2)}\n`, 0o644);
        await new HostKeyStore({ file: cluster.dir.knownHostsFile }).forget(plan.node.public_ip || plan.node.private_ip, plan.node.ssh_port ?? 22);
        await run.state.update((state) => forgetControlPlane(state, target));
        const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULTS.removeWorkers.readyTimeoutMs;
        await run.runPhases([remainingReadyPhase({ topology: after, readyTimeoutMs, ops: () => ops }), { title: 'Verify etcd', steps: [etcdVerifyStep(after, () => ops)] }]);
      } finally {
        await pool.closeAll();
      }
    },
  );
  if (!inspection.alive) noteTo(host, `${target} did not answer SSH and was not reset (kubeadm reset -f); it is no longer part of the cluster. If it comes back, run "sudo kubeadm reset -f" on it first: its kubelet would register the Node again (its etcd member stays removed).`, 'warning');
  if (plan.even) noteTo(host, `${plan.remaining.length} control planes left: add one back with "k8s-bootstrap add-control-plane --host ADDRESS" for an odd etcd membership.`, 'warning');
  return { cluster: name, dryRun: false, removed: target, dead: !inspection.alive, remaining: plan.remaining, summary: [`Removed control plane ${target} from ${name}; etcd has ${plan.remaining.length} member(s): ${plan.remaining.join(', ')}; all nodes Ready.`] };
}

/**
 * Cloud: Terraform destroys the machine of number N and its own objects (target-group attachment
 * or load-balancer member, port, floating IP, API firewall rule), so the provider's load balancer
 * stops sending to it; the plan may do nothing else. The inventory Terraform then outputs must be
 * the one planned (the other control planes and every worker as they were).
 */
async function destroyMachine(run: RunHarness, host: Host, cluster: LoadedCluster, plan: RemoveControlPlanePlan, machine: number): Promise<void> {
  // Recorded first: once Terraform has destroyed the machine, inventory.json no longer names the
  // node, and only this fact lets a run after an interruption finish the removal (cluster.yaml).
  await run.state.update((state) => void (state.facts[REMOVING_FACT] = `${machine} ${plan.node.name}`));
  const inventory = await provisionInventory(run, host, machineRemoval(cluster, plan, machine));
  // The machines Terraform has now: cluster.yaml follows at once, whatever the check below finds.
  await saveSpec(cluster.dir, run.state, plan.target);
  const names = (nodes: Inventory['control_plane']) => nodes.map((node) => `${node.name}@${node.private_ip}`).join(', ');
  if (names(inventory.control_plane) !== names(plan.targetInventory.control_plane) || names(inventory.workers) !== names(plan.targetInventory.workers)) {
    throw new ExternalToolError('InventoryChanged', `After destroying ${plan.node.name}'s machine Terraform lists control planes ${names(inventory.control_plane)} and workers ${names(inventory.workers)}; expected ${names(plan.targetInventory.control_plane)}`, {
      hint: 'Review the module in the cluster folder\'s terraform/ directory ("terraform output"); inventory.json and cluster.yaml hold what Terraform has.',
    });
  }
}

/** The provisioning of remove-control-plane: the smaller machine list, at the running version, only that machine's objects destroyed. */
function machineRemoval(cluster: LoadedCluster, plan: RemoveControlPlanePlan, machine: number): ProvisionOptions {
  return {
    spec: atKubernetesVersion(plan.target, currentVersion(cluster)),
    dir: cluster.dir,
    rebuildImage: false,
    noNewMachines: true,
    reviewPlan: (terraformPlan) => {
      const unexpected = nonControlPlaneRemovals(terraformPlan.changes, machine);
      if (unexpected.length > 0) throw refusedPlanError('remove-control-plane', unexpected, terraformPlan.changes);
    },
  };
}

/** The removed control plane's checkpoints and facts (a later node of that name starts afresh). */
function forgetControlPlane(state: ClusterState, node: string): void {
  for (const id of [...nodeStepIds(node), ...drainNodeStepIds(node), stepId.loadBalancer(node), stepId.removeEtcdMember(node), backupStepId('remove-control-plane', node)]) delete state.steps[id];
  delete state.facts[drainedWorkloadsFact(node)];
  delete state.facts[REMOVING_FACT];
}

/**
 * A cloud removal interrupted after Terraform destroyed the machine (inventory.json without the
 * node, cluster.yaml still with its number): finishes cluster.yaml and the state. (The machine's
 * address went with inventory.json, so its pinned host key is not looked up here.)
 */
async function finishInterruptedRemoval(host: Host, cluster: LoadedCluster, pending: { node: string; machine: number }): Promise<RemoveControlPlaneResult> {
  const target = withoutMachine(cluster.spec, pending.machine);
  await withRun(host, cluster.dir, { command: 'remove-control-plane', cluster: cluster.spec.name, timeoutMs: 60_000, secrets: runSecrets(cluster.spec, host.env) }, async (run) => {
    await saveSpec(cluster.dir, run.state, target);
    await run.state.update((state) => forgetControlPlane(state, pending.node));
  });
  const remaining = cluster.inventory.control_plane.map((node) => node.name);
  return { cluster: cluster.spec.name, dryRun: false, removed: pending.node, dead: false, remaining, summary: [`Finished removing control plane ${pending.node} (its machine was already destroyed): cluster.yaml now lists machines ${controlPlaneNumbers(target).join(', ')}.`] };
}

/** Read-only: does the node answer, and etcd as seen from the first other control plane whose etcd answers. */
async function inspect(host: Host, cluster: LoadedCluster, target: string, sshTimeoutMs: number): Promise<Inspection> {
  const topology = topologyOf(cluster);
  const signal = AbortSignal.any([host.signal, AbortSignal.timeout(sshTimeoutMs + 120_000)]);
  const { pool, knownHosts } = openReadOnlyPool(cluster, topology, { signal, readyWaitMs: sshTimeoutMs, env: host.env });
  const ctx = { signal, output: () => undefined };
  try {
    const ops = new SshNodeOps({ spec: cluster.spec, dir: cluster.dir, pool, secrets: host.secrets });
    const node = topology.controlPlanes.find((cp) => cp.name === target)!;
    const alive = (async () => {
      try {
        checkPinned(knownHosts, topology, node);
        await ops.reach(node, ctx);
        return true;
      } catch {
        return false;
      }
    })();
    const failures: string[] = [];
    for (const via of topology.controlPlanes.filter((cp) => cp.name !== target)) {
      try {
        checkPinned(knownHosts, topology, via);
        await ops.reach(via, ctx);
        const members = await readMembers(ops, via, ctx);
        return { via, members, alive: await alive };
      } catch (error) {
        if (host.signal.aborted) throw error;
        failures.push(`${via.name}: ${(error as Error).message.split('\n')[0]}`);
      }
    }
    await alive;
    throw new UsageError('NoHealthyControlPlane', `No other control plane of ${cluster.spec.name} answers with a working etcd: ${target} cannot be removed safely`, {
      details: failures,
      hint: 'Bring a control plane back, or restore the cluster from a backup (k8s-bootstrap restore --from SNAPSHOT). Nothing was changed.',
    });
  } finally {
    await pool.closeAll();
  }
}

function removePhases(
  host: Host,
  cluster: LoadedCluster,
  plan: RemoveControlPlanePlan,
  options: RemoveControlPlaneOptions & { sshTimeoutMs: number },
  inspection: Inspection,
  topology: Topology,
  _after: Topology,
  ops: () => SshNodeOps,
  extra: { notReset: string[]; state?: RemovalPhasesOptions['state'] },
): Phase[] {
  const target = plan.node.name;
  const via = inspection.via;
  const phases: Phase[] = [];
  if (!options.skipBackup) {
    phases.push(
      preChangeBackupPhase({
        reason: 'remove-control-plane',
        key: target,
        spec: cluster.spec,
        dir: cluster.dir,
        topology,
        ops,
        kubernetesVersion: cluster.state.kubernetesVersion ?? cluster.spec.kubernetes.version,
        env: host.env,
        exclude: [target],
        what: `removing control plane ${target}`,
      }),
    );
  }
  const [removal] = removalPhases({
    topology,
    remove: [target],
    drainTimeoutMs: options.drainTimeoutMs ?? DEFAULTS.removeWorkers.drainTimeoutMs,
    availabilityTimeoutMs: options.availabilityTimeoutMs ?? DRAIN_DEFAULTS.availabilityTimeoutMs,
    waitForBudgets: options.waitForBudgets,
    ops,
    state: extra.state ?? (notConnected as RemovalPhasesOptions['state']),
    notReset: extra.notReset,
  });
  const [disruption, drain, available, reset, remove] = removal!.steps as [Step, Step, Step, Step, Step];
  const memberStep: Step = {
    stepId: stepId.removeEtcdMember(target),
    title: `etcdctl member remove: ${target}'s etcd member`,
    detail: `in the etcd pod of ${via.name}`,
    node: target,
    tool: 'etcdctl',
    retries: 1,
    run: async (ctx) => {
      const members = await readMembers(ops(), via, ctx);
      const verdict = removalVerdict(members, target);
      if (!verdict.ok) throw new UsageError(verdict.code, verdict.message, { hint: verdict.hint });
      if (!verdict.member) {
        ctx.output(`${target} has no etcd member (already removed)`, 'info');
        return;
      }
      await removeMember(ops(), via, verdict.member, ctx);
    },
  };
  const steps = inspection.alive ? [disruption, drain, available, memberStep, reset, remove] : [memberStep, remove];
  phases.push({ title: `Remove control plane ${target}`, steps });
  // Inventory order: the first control plane left is keepalived's MASTER.
  const lb = loadBalancerPhase(cluster.spec, topologyFromInventory(plan.targetInventory, nodeUsersOf(plan.target)), ops);
  if (lb) phases.push(lb);
  return phases;
}
