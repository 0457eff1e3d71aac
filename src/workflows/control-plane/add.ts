/**
 * add-control-plane: new control planes join (after a remove-control-plane, to get back to an odd
 * etcd membership, or to grow 1 → 3). Static: --host ADDRESS[,name=…] names the machine. Cloud:
 * Terraform makes the machines <name>-cp-N with the lowest free numbers (--count, default: as
 * many as end on an odd count), the plan reviewed first (only creations), and the provider's load
 * balancer takes each one in through its own target attachment or member. The kubeadm HA guide's
 * way, as init joins its control planes: a verified backup first (unless --skip-backup), then
 * cluster.yaml (and for static hosts inventory.json) with the new machines saved before Terraform
 * or any join (an interrupted run resumes with `add-control-plane` and no flags), every control
 * plane reached, the new machine prepared, static HA's haproxy/keepalived on every control plane
 * with the new backend list (one at a time), then `kubeadm join --control-plane` with a fresh
 * token and freshly uploaded certificates (`kubeadm init phase upload-certs --upload-certs`: the
 * uploaded copies expire after two hours), one node at a time (etcd grows by one learner that is
 * promoted once it caught up), then every node Ready and etcd with one voting member per control plane.
 */
import { atKubernetesVersion } from '../../config/at-version.js';
import { DeclinedError, PreflightError } from '../../errors.js';
import { SshUnreachableError } from '../../tools/ssh/errors.js';
import { emitTo, type Host, type ResultBase } from '../../engine/host.js';
import type { Phase, StepContext } from '../../engine/step.js';
import type { StaticHostInput } from '../../config/schema.js';
import type { Inventory } from '../../providers/inventory.js';
import { isCloudProvider } from '../../providers/index.js';
import { provisionInventory, provisionPhases } from '../run/provision.js';
import { assertExistingUnchanged } from '../workers/add.js';
import { nonAdditions, refusedPlanError } from '../workers/terraform-guard.js';
import { describePhases, notConnected } from '../../engine/describe.js';
import { mapWithConcurrency } from '../../engine/pool.js';
import { DEFAULTS } from '../defaults.js';
import { assertCredentials } from '../run/credentials-check.js';
import { runSecrets } from '../../providers/credentials.js';
import { saveSpec } from '../../state/spec-record.js';
import { writeFileAtomic } from '../../state/atomic.js';
import { loadJoinMaterial, saveJoinMaterial } from '../../state/join-material.js';
import { loadCluster, nodeUsersOf, topologyOf, type LoadedCluster } from '../run/load-cluster.js';
import type { ClusterRef } from '../run/cluster-ref.js';
import { withRun } from '../run/session.js';
import { createSshPool } from '../run/ssh-pool.js';
import { runNodeOps } from '../run/node-ops.js';
import { allNodes, topologyFromInventory, type Topology } from '../../nodes/topology.js';
import type { SshNodeOps } from '../../nodes/ssh-node-ops.js';
import { backupStepId, stepId } from '../run/step-ids.js';
import { isRetryableNodeError } from '../init/phases.js';
import { currentVersion } from '../workers/plan-add.js';
import { assertPreChangeBackupPossible, preChangeBackupPhase } from '../backup/pre-change.js';
import { planAddControlPlane, type AddControlPlanePlan } from './plan.js';
import { etcdVerifyStep, loadBalancerPhase, withFirst } from './phases.js';

export interface AddControlPlaneOptions extends ClusterRef {
  hosts?: StaticHostInput[];
  /** Cloud: how many machines to add; default: as many as end on an odd count (2 -> 3, 3 -> 5). */
  count?: number;
  dryRun?: boolean;
  skipBackup?: boolean;
  timeoutMs?: number;
  sshTimeoutMs?: number;
  readyTimeoutMs?: number;
}

export interface AddControlPlaneResult extends ResultBase {
  dryRun: boolean;
  added: string[];
  controlPlanes: string[];
}

export async function addControlPlane(host: Host, options: AddControlPlaneOptions): Promise<AddControlPlaneResult> {
  const cluster = await loadCluster(host, options);
  const name = cluster.spec.name;
  const dryRun = options.dryRun === true;
  const joined = (node: string) => cluster.state.steps[stepId.join(node)] !== undefined || cluster.state.steps[stepId.init(node)] !== undefined;
  const decision = planAddControlPlane({ ...cluster, joined }, options.hosts ?? [], options.count);
  if (decision.kind === 'nothing') return { cluster: name, dryRun, added: [], controlPlanes: cluster.inventory.control_plane.map((n) => n.name), summary: [decision.message] };
  const { plan } = decision;
  const version = currentVersion(cluster);
  const cloud = isCloudProvider(cluster.spec.provider.name);
  // Cloud: the new machines' addresses come from Terraform; the plan shows them as "(new)".
  const planned = topologyFromInventory(cloud ? withPlannedMachines(plan) : plan.targetInventory, nodeUsersOf(plan.target));
  const phases = [
    ...backupPhases(host, cluster, plan, version, options, notConnected),
    ...(cloud ? provisionPhases({ spec: atKubernetesVersion(plan.target, version), rebuildImage: false, state: cluster.state }, notConnected) : []),
    ...joinPhases(plan, planned, version, options, notConnected),
  ];
  const text = `Add control plane${plan.added.length === 1 ? '' : 's'} ${plan.added.join(', ')} to ${name} (Kubernetes ${version}); ${planned.controlPlanes.length} control planes after, API endpoint ${planned.apiEndpoint} unchanged.`;
  emitTo(host, { type: 'plan', time: Date.now(), command: 'add-control-plane', cluster: name, dryRun, steps: describePhases(phases), text });
  if (dryRun) return { cluster: name, dryRun, added: [], controlPlanes: planned.controlPlanes.map((n) => n.name), summary: ['[dry run] nothing was changed.'] };
  assertCredentials(cluster.spec, host.env, 'Cannot add a control plane');
  if (!options.skipBackup) await assertPreChangeBackupPossible(cluster.spec, host.env, 'add-control-plane');
  host.assertCanConfirm('add-control-plane');
  const go = await host.confirm({ command: 'add-control-plane', message: `Join ${plan.added.join(', ')} as control plane(s) of ${name}?`, doing: `joining ${plan.added.join(', ')}` });
  if (!go) throw new DeclinedError('Nothing was added.');

  let added = plan.added;
  let after = planned;
  await withRun(
    host,
    cluster.dir,
    { command: 'add-control-plane', cluster: name, timeoutMs: options.timeoutMs ?? DEFAULTS.addWorkers.timeoutMs, secrets: runSecrets(cluster.spec, host.env) },
    async (run) => {
      const sshTimeoutMs = options.sshTimeoutMs ?? DEFAULTS.addWorkers.sshTimeoutMs;
      if (options.skipBackup) run.say(`--skip-backup: no etcd snapshot is taken before adding ${plan.added.join(', ')}.`, 'warning');
      else {
        // From the control planes that are already members, before anything changes.
        const current = topologyOf(cluster);
        const pool = createSshPool(run, { spec: cluster.spec, dir: cluster.dir, topology: current, concurrency: 4, sshTimeoutMs, env: host.env });
        try {
          const ops = runNodeOps(host, cluster.spec, cluster.dir, pool, run.secrets);
          await run.runPhases(backupPhases(host, cluster, plan, version, options, () => ops));
        } finally {
          await pool.closeAll();
        }
      }
      // Saved before Terraform and any join: an interrupted run resumes with `add-control-plane` and no flags.
      await saveSpec(cluster.dir, run.state, plan.target);
      let inventory = plan.targetInventory;
      if (cloud) {
        inventory = await provisionInventory(run, host, {
          // The packages and image of new machines follow the version the cluster runs now.
          spec: atKubernetesVersion(plan.target, version),
          dir: cluster.dir,
          rebuildImage: false,
          reviewPlan: (terraformPlan) => {
            const unexpected = nonAdditions(terraformPlan.changes, cluster.spec.provider.name);
            if (unexpected.length > 0) throw refusedPlanError('add-control-plane', unexpected, terraformPlan.changes);
          },
        });
        assertExistingUnchanged(cluster.inventory, inventory, 'add-control-plane');
        added = inventory.control_plane.filter((node) => !joined(node.name)).map((node) => node.name);
      } else {
        await writeFileAtomic(cluster.dir.inventoryFile, `${JSON.stringify(inventory, null, 2)}\n`, 0o644);
      }
      await forceFreshMaterial(cluster.dir);
      // A member that is already joined works as the first control plane (token, kubectl, Verify):
      // on a cloud the new machine may take the lowest number, first in inventory order.
      after = withFirst(topologyFromInventory(inventory, nodeUsersOf(plan.target)), cluster.inventory.control_plane[0]!.name);
      const pool = createSshPool(run, { spec: plan.target, dir: cluster.dir, topology: after, concurrency: 4, sshTimeoutMs, env: host.env, pinNew: true });
      try {
        const ops = runNodeOps(host, plan.target, cluster.dir, pool, run.secrets);
        await run.runPhases(joinPhases({ ...plan, added }, after, version, options, () => ops));
        // The backup protected this change only: a later add of the same name takes its own.
        await run.state.update((state) => {
          delete state.steps[backupStepId('add-control-plane', plan.added.join('+'))];
        });
      } finally {
        await pool.closeAll();
      }
    },
  );
  return {
    cluster: name,
    dryRun: false,
    added,
    controlPlanes: after.controlPlanes.map((n) => n.name),
    summary: [`Added control plane${added.length === 1 ? '' : 's'} ${added.join(', ')} to ${name}; etcd has ${after.controlPlanes.length} members; all nodes Ready.`],
  };
}

/** The inventory with the machines Terraform will make, as placeholders (names only), for the plan. */
function withPlannedMachines(plan: AddControlPlanePlan): Inventory {
  const known = new Set(plan.targetInventory.control_plane.map((node) => node.name));
  const fresh = plan.added.filter((name) => !known.has(name)).map((name) => ({ name, public_ip: '', private_ip: '(new)' }));
  return { ...plan.targetInventory, control_plane: [...plan.targetInventory.control_plane, ...fresh] };
}

function backupPhases(host: Host, cluster: LoadedCluster, plan: AddControlPlanePlan, version: string, options: AddControlPlaneOptions, ops: () => SshNodeOps): Phase[] {
  if (options.skipBackup) return [];
  return [
    preChangeBackupPhase({
      reason: 'add-control-plane',
      key: plan.added.join('+'),
      spec: cluster.spec,
      dir: cluster.dir,
      topology: topologyOf(cluster),
      ops,
      kubernetesVersion: version,
      env: host.env,
      exclude: plan.added,
      what: `adding ${plan.added.join(', ')}`,
    }),
  ];
}

function joinPhases(plan: AddControlPlanePlan, topology: Topology, version: string, options: AddControlPlaneOptions, ops: () => SshNodeOps): Phase[] {
  const added = topology.controlPlanes.filter((cp) => plan.added.includes(cp.name));
  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULTS.addWorkers.readyTimeoutMs;
  const runtime = plan.target.kubernetes.runtime;
  const phases: Phase[] = [];
  phases.push({
    title: 'Preflight',
    steps: [
      {
        stepId: stepId.reach,
        title: 'Reach every control plane over SSH (host keys pinned)',
        detail: topology.controlPlanes.map((cp) => cp.name).join(', '),
        tool: 'ssh',
        inputs: `run-${Date.now()}`,
        run: async (ctx: StepContext) => {
          await mapWithConcurrency(
            topology.controlPlanes,
            4,
            async (node) => {
              try {
                await ops().reach(node, ctx);
              } catch (error) {
                if (ctx.signal.aborted || plan.added.includes(node.name) || !(error instanceof SshUnreachableError)) throw error;
                throw new PreflightError('ControlPlaneUnreachable', `Control plane ${node.name} does not answer SSH: a new member should not join while another is down`, {
                  cause: error,
                  hint: `If ${node.name} is gone for good, remove it first (k8s-bootstrap remove-control-plane ${node.name}), then run add-control-plane again.`,
                });
              }
            },
            ctx.signal,
          );
        },
      },
    ],
  });
  phases.push({
    title: 'Node preparation',
    steps: added.map((node) => ({
      stepId: stepId.prepare(node.name),
      title: `Prepare ${node.name}`,
      detail: `swap off, kernel modules, ${runtime}, kubeadm ${version}`,
      node: node.name,
      tool: 'ssh',
      inputs: `${version}/${runtime}`,
      retries: 2,
      retryable: isRetryableNodeError,
      check: async (ctx) => ((await ops().isPrepared(node, version, runtime, ctx)) ? 'already prepared (image or earlier run)' : undefined),
      run: (ctx) => ops().prepare(node, version, runtime, ctx),
    })),
  });
  const lb = loadBalancerPhase(plan.target, topology, ops);
  if (lb) phases.push(lb);
  phases.push({
    title: 'Control plane joins',
    concurrency: 1,
    steps: added.map((node) => ({
      stepId: stepId.join(node.name),
      title: `kubeadm join --control-plane on ${node.name}`,
      node: node.name,
      tool: 'kubeadm',
      inputs: version,
      timeoutMs: 15 * 60_000,
      retries: 2,
      retryable: isRetryableNodeError,
      check: async (ctx) => ((await ops().isJoined(node, topology, ctx)) ? 'already joined (control-plane label, etcd and kube-apiserver running)' : undefined),
      run: (ctx) => ops().join(node, topology, true, ctx),
    })),
  });
  const first = topology.controlPlanes[0]!;
  const names = allNodes(topology).map((node) => node.name);
  phases.push({
    title: 'Verify',
    steps: [
      {
        stepId: stepId.removeVerify,
        title: `Check that the ${names.length} nodes are Ready`,
        node: first.name,
        tool: 'kubectl',
        inputs: `run-${Date.now()}`,
        timeoutMs: readyTimeoutMs + 60_000,
        run: (ctx) => ops().waitReady(first, topology, names, version, readyTimeoutMs, ctx),
      },
      etcdVerifyStep(topology, ops),
    ],
  });
  return phases;
}

/** A fresh token and freshly uploaded control-plane certificates for this run's joins. */
async function forceFreshMaterial(dir: LoadedCluster['dir']): Promise<void> {
  const saved = await loadJoinMaterial(dir);
  if (!saved) return;
  const { tokenCreatedAt: _token, certificateKeyUploadedAt: _certs, ...rest } = saved;
  await saveJoinMaterial(dir, rest);
}
