/**
 * add-control-plane --host ADDRESS[,name=…]: a new control plane joins a static cluster (after a
 * remove-control-plane, to get back to an odd etcd membership, or to grow 1 → 3). The kubeadm HA
 * guide's way, as init joins its control planes: a verified backup first (unless --skip-backup),
 * cluster.yaml and inventory.json with the new host saved before anything else (an interrupted run
 * resumes with `add-control-plane` and no flags), every control plane reached, the new machine
 * prepared, haproxy/keepalived on every control plane with the new backend list (one at a time),
 * then `kubeadm join --control-plane` with a fresh token and freshly uploaded certificates
 * (`kubeadm init phase upload-certs --upload-certs`: the uploaded copies expire after two hours),
 * one node at a time (etcd grows by one learner that is promoted once it caught up), then every
 * node Ready and etcd with one voting member per control plane.
 */
import { DeclinedError, PreflightError } from '../../errors.js';
import { SshUnreachableError } from '../../tools/ssh/errors.js';
import { emitTo, type Host, type ResultBase } from '../../engine/host.js';
import type { Phase, StepContext } from '../../engine/step.js';
import type { StaticHostInput } from '../../config/schema.js';
import { describePhases, notConnected } from '../../engine/describe.js';
import { mapWithConcurrency } from '../../engine/pool.js';
import { DEFAULTS } from '../defaults.js';
import { assertCredentials } from '../run/credentials-check.js';
import { runSecrets } from '../../providers/credentials.js';
import { saveSpec } from '../../state/spec-record.js';
import { writeFileAtomic } from '../../state/atomic.js';
import { loadJoinMaterial, saveJoinMaterial } from '../../state/join-material.js';
import { loadCluster, nodeUsersOf, type LoadedCluster } from '../run/load-cluster.js';
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
import { etcdVerifyStep, loadBalancerPhase } from './phases.js';

export interface AddControlPlaneOptions extends ClusterRef {
  hosts?: StaticHostInput[];
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
  const decision = planAddControlPlane({ ...cluster, joined }, options.hosts ?? []);
  if (decision.kind === 'nothing') return { cluster: name, dryRun, added: [], controlPlanes: cluster.inventory.control_plane.map((n) => n.name), summary: [decision.message] };
  const { plan } = decision;
  const version = currentVersion(cluster);
  const topology = topologyFromInventory(plan.targetInventory, nodeUsersOf(plan.target));
  const phases = addPhases(host, cluster, plan, topology, version, options, notConnected);
  const text = `Add control plane${plan.added.length === 1 ? '' : 's'} ${plan.added.join(', ')} to ${name} (Kubernetes ${version}); ${topology.controlPlanes.length} control planes after, API endpoint ${topology.apiEndpoint} unchanged.`;
  emitTo(host, { type: 'plan', time: Date.now(), command: 'add-control-plane', cluster: name, dryRun, steps: describePhases(phases), text });
  if (dryRun) return { cluster: name, dryRun, added: [], controlPlanes: topology.controlPlanes.map((n) => n.name), summary: ['[dry run] nothing was changed.'] };
  assertCredentials(cluster.spec, host.env, 'Cannot add a control plane');
  if (!options.skipBackup) await assertPreChangeBackupPossible(cluster.spec, host.env, 'add-control-plane');
  host.assertCanConfirm('add-control-plane');
  const go = await host.confirm({ command: 'add-control-plane', message: `Join ${plan.added.join(', ')} as control plane(s) of ${name}?`, doing: `joining ${plan.added.join(', ')}` });
  if (!go) throw new DeclinedError('Nothing was added.');

  await withRun(
    host,
    cluster.dir,
    { command: 'add-control-plane', cluster: name, timeoutMs: options.timeoutMs ?? DEFAULTS.addWorkers.timeoutMs, secrets: runSecrets(cluster.spec, host.env) },
    async (run) => {
      // Saved before any join: an interrupted run resumes with `add-control-plane` and no flags.
      await saveSpec(cluster.dir, run.state, plan.target);
      await writeFileAtomic(cluster.dir.inventoryFile, `${JSON.stringify(plan.targetInventory, null, 2)}\n`, 0o644);
      await forceFreshMaterial(cluster.dir);
      const pool = createSshPool(run, { spec: plan.target, dir: cluster.dir, topology, concurrency: 4, sshTimeoutMs: options.sshTimeoutMs ?? DEFAULTS.addWorkers.sshTimeoutMs, env: host.env, pinNew: true });
      try {
        const ops = runNodeOps(host, plan.target, cluster.dir, pool, run.secrets);
        if (options.skipBackup) run.say(`--skip-backup: no etcd snapshot is taken before adding ${plan.added.join(', ')}.`, 'warning');
        await run.runPhases(addPhases(host, cluster, plan, topology, version, options, () => ops));
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
    added: plan.added,
    controlPlanes: topology.controlPlanes.map((n) => n.name),
    summary: [`Added control plane${plan.added.length === 1 ? '' : 's'} ${plan.added.join(', ')} to ${name}; etcd has ${topology.controlPlanes.length} members; all nodes Ready.`],
  };
}

function addPhases(host: Host, cluster: LoadedCluster, plan: AddControlPlanePlan, topology: Topology, version: string, options: AddControlPlaneOptions, ops: () => SshNodeOps): Phase[] {
  const added = topology.controlPlanes.filter((cp) => plan.added.includes(cp.name));
  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULTS.addWorkers.readyTimeoutMs;
  const runtime = plan.target.kubernetes.runtime;
  const phases: Phase[] = [];
  if (!options.skipBackup) {
    // From the control planes that are already members (the new ones have no etcd yet).
    phases.push(
      preChangeBackupPhase({
        reason: 'add-control-plane',
        key: plan.added.join('+'),
        spec: cluster.spec,
        dir: cluster.dir,
        topology,
        ops,
        kubernetesVersion: version,
        env: host.env,
        exclude: plan.added,
        what: `adding ${plan.added.join(', ')}`,
      }),
    );
  }
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
