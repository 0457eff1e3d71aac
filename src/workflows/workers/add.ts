/**
 * add-workers: decide from the cluster folder what to add (count, total, or new static hosts),
 * show the plan, confirm (a dry run stops after the plan), then grow the infrastructure (cloud:
 * Terraform, whose plan may only add) or take the new static hosts, save cluster.yaml and
 * inventory.json, prepare and join only the new workers, in parallel, and wait until they are Ready.
 *
 * A total below the current worker count is refused with a pointer to remove-workers: shrinking
 * drains nodes, and that should never happen as a side effect of "add".
 *
 * Existing nodes are never touched: the only commands outside the new nodes run on the first
 * control plane (a fresh `kubeadm token create --print-join-command`, `kubectl get nodes`).
 */
import { atKubernetesVersion } from '../../config/at-version.js';
import { DeclinedError, ExternalToolError } from '../../errors.js';
import { emitTo, type Host, type ResultBase } from '../../engine/host.js';
import type { StaticHostInput } from '../../config/schema.js';
import { DEFAULTS } from '../defaults.js';
import { assertCredentials } from '../run/credentials-check.js';
import { runSecrets } from '../../providers/credentials.js';
import { inventoryFromSpec, isCloudProvider } from '../../providers/index.js';
import type { Inventory } from '../../providers/inventory.js';
import { saveSpec } from '../../state/spec-record.js';
import { writeFileAtomic } from '../../state/atomic.js';
import { bootstrapPhases, kubeconfigPhase, verifyPhases } from '../init/phases.js';
import { RunFailedError, toleratedNodes, type RunSummary } from '../../engine/runner.js';
import { loadCluster, nodeUsersOf, type LoadedCluster } from '../run/load-cluster.js';
import type { ClusterRef } from '../run/cluster-ref.js';
import { loadJoinMaterial, saveJoinMaterial } from '../../state/join-material.js';
import { provisionInventory } from '../run/provision.js';
import { withRun } from '../run/session.js';
import { createSshPool } from '../run/ssh-pool.js';
import { topologyFromInventory } from '../../nodes/topology.js';
import { isJoined, planAddWorkers, type AddWorkersPlan } from './plan-add.js';
import { nonAdditions, refusedPlanError } from './terraform-guard.js';
import { describeAddPlan, formatAddPlan } from './describe.js';
import { runNodeOps } from '../run/node-ops.js';

export interface AddWorkersOptions extends ClusterRef {
  /** Workers to add to the joined ones. */
  count?: number;
  /** Desired number of workers. */
  total?: number;
  /** Static clusters: the new machines. */
  hosts?: StaticHostInput[];
  /** Show the plan; change nothing. */
  dryRun?: boolean;
  /** New nodes worked on at once. */
  concurrency?: number;
  /** Overall time limit of the run. */
  timeoutMs?: number;
  rebuildImage?: boolean;
  /** How long to wait for a node to answer SSH. */
  sshTimeoutMs?: number;
  /** How long to wait for the new nodes to be Ready. */
  readyTimeoutMs?: number;
}

export interface AddWorkersResult extends ResultBase {
  dryRun: boolean;
  /** Workers joined (or found joined) by this run; empty for a dry run or nothing to add. */
  added: string[];
  /** Kubernetes version of the new workers, when there is something to add. */
  version?: string;
  /** Worker count after the run (as planned, for a dry run). */
  workers: number;
}

export async function addWorkers(host: Host, options: AddWorkersOptions): Promise<AddWorkersResult> {
  const cluster = await loadCluster(host, options);
  const name = cluster.spec.name;
  const decision = planAddWorkers(cluster, { count: options.count, total: options.total, hosts: options.hosts });
  if (decision.kind === 'nothing') {
    return { cluster: name, dryRun: options.dryRun === true, added: [], workers: cluster.inventory.workers.length, summary: [decision.message] };
  }
  const { plan } = decision;
  const steps = describeAddPlan(cluster, plan, { rebuildImage: options.rebuildImage === true });
  emitTo(host, { type: 'plan', time: Date.now(), command: 'add-workers', cluster: name, dryRun: options.dryRun === true, steps, text: formatAddPlan(cluster, plan, steps) });
  if (options.dryRun) return { cluster: name, dryRun: true, added: [], version: plan.version, workers: plan.targetCount, summary: ['[dry run] nothing was changed.'] };
  assertCredentials(cluster.spec, host.env, 'Cannot add workers');
  host.assertCanConfirm('add-workers');
  const count = plan.targetCount - plan.joined.length;
  const go = await host.confirm({ command: 'add-workers', message: `Add ${count} worker(s) to ${name}?`, doing: `adding ${count} worker(s) to ${name}` });
  if (!go) throw new DeclinedError('Nothing was added.');
  const { added } = await runAddWorkers(host, cluster, plan, options);
  return {
    cluster: name,
    dryRun: false,
    added,
    version: plan.version,
    workers: plan.targetCount,
    summary: [added.length > 0 ? `Added ${added.length} worker(s) to ${name}: ${added.join(', ')} (Kubernetes ${plan.version}, Ready).` : `Every worker of ${name} is already joined.`],
  };
}

async function runAddWorkers(host: Host, cluster: LoadedCluster, plan: AddWorkersPlan, options: AddWorkersOptions): Promise<{ added: string[] }> {
  const { dir, spec } = cluster;
  const defaults = DEFAULTS.addWorkers;
  const concurrency = Math.max(1, options.concurrency ?? defaults.concurrency);
  return withRun(
    host,
    dir,
    { command: 'add-workers', cluster: spec.name, timeoutMs: options.timeoutMs ?? defaults.timeoutMs, secrets: runSecrets(spec, host.env) },
    async (run) => {
      const before = cluster.inventory;
      let inventory: Inventory;
      if (isCloudProvider(spec.provider.name)) {
        // The image and packages follow the version the cluster runs now, not the one of the first init.
        inventory = await provisionInventory(run, host, {
          spec: atKubernetesVersion(plan.target, plan.version),
          dir,
          rebuildImage: options.rebuildImage === true,
          workerCount: plan.targetCount,
          reviewPlan: (terraformPlan) => {
            const unexpected = nonAdditions(terraformPlan.changes, spec.provider.name);
            if (unexpected.length > 0) throw refusedPlanError('add-workers', unexpected, terraformPlan.changes);
          },
        });
      } else {
        inventory = inventoryFromSpec(plan.target);
      }
      assertExistingUnchanged(before, inventory);
      // Saved before any join: an interrupted run resumes with `add-workers` and no flags.
      await saveSpec(dir, run.state, plan.target);
      await writeFileAtomic(dir.inventoryFile, `${JSON.stringify(inventory, null, 2)}\n`, 0o644);

      const newNodes = inventory.workers.filter((node) => !isJoined(run.state.current, node.name)).map((node) => node.name);
      if (newNodes.length === 0) {
        run.note('every worker is already joined');
        return { added: [] };
      }
      run.note(`joining ${newNodes.join(', ')} at Kubernetes ${plan.version}`);
      await forceFreshToken(dir);

      const topology = topologyFromInventory(inventory, nodeUsersOf(plan.target));
      const pool = createSshPool(run, {
        spec: plan.target,
        dir,
        topology,
        concurrency,
        sshTimeoutMs: options.sshTimeoutMs ?? defaults.sshTimeoutMs,
        env: host.env,
        pinNew: true,
      });
      try {
        const ops = runNodeOps(host, plan.target, dir, pool, run.secrets);
        const only = new Set(newNodes);
        const readyTimeoutMs = options.readyTimeoutMs ?? defaults.readyTimeoutMs;
        const notJoinedHint = () => notJoinedNext(dir.root, newNodes.filter((node) => !isJoined(run.state.current, node)));
        let bootstrap: RunSummary;
        try {
          bootstrap = await run.runPhases(
            bootstrapPhases({ spec: plan.target, topology, ops: () => ops, version: plan.version, concurrency, readyTimeoutMs, only, workersOnly: true }),
            { tolerate: only },
          );
        } catch (error) {
          if (error instanceof RunFailedError) throw new RunFailedError(error.summary, run.logFile, notJoinedHint());
          throw error;
        }
        const failed = toleratedNodes(bootstrap);
        const healthy = newNodes.filter((name) => !failed.has(name));
        if (healthy.length > 0) await run.runPhases(verifyPhases({ topology, ops: () => ops, version: plan.version, readyTimeoutMs, nodes: healthy }));
        // Refreshed when admin.conf's certificate changed (upgrade, renewal) or nears expiry.
        await run.runPhases([kubeconfigPhase({ topology, ops: () => ops })]);
        if (failed.size > 0) throw new RunFailedError(bootstrap, run.logFile, notJoinedHint());
        return { added: newNodes };
      } finally {
        await pool.closeAll();
      }
    },
  );
}

/**
 * What to run after a failed add-workers: cluster.yaml and inventory.json already list the new
 * workers (saved before any join), so `status` shows the ones that did not join as NotRegistered
 * until they are joined (add-workers again, no flags) or taken out (remove-workers). --dir is
 * spelled out so the command works from any folder.
 */
function notJoinedNext(dir: string, notJoined: string[]): string | undefined {
  if (notJoined.length === 0) return undefined;
  const nodes = notJoined.map((node) => `--node ${node}`).join(' ');
  const listed = notJoined.length === 1 ? `${notJoined[0]} is` : `${notJoined.join(', ')} are`;
  return (
    `${listed} in cluster.yaml but did not join. Fix the cause and run "k8s-bootstrap --dir ${dir} add-workers" (no flags: it joins them), ` +
    `or take ${notJoined.length === 1 ? 'it' : 'them'} out with "k8s-bootstrap --dir ${dir} remove-workers ${nodes}".`
  );
}

/**
 * The saved token is usually days old, and this machine's clock says nothing about the control
 * plane's: add-workers always mints one fresh token (once per run; SshNodeOps serialises it).
 */
async function forceFreshToken(dir: LoadedCluster['dir']): Promise<void> {
  const saved = await loadJoinMaterial(dir);
  if (!saved) return;
  const { tokenCreatedAt: _old, ...rest } = saved;
  await saveJoinMaterial(dir, rest);
}

/** A node that is already part of the cluster must come back from provisioning as it was. */
export function assertExistingUnchanged(before: Inventory, after: Inventory, command: 'add-workers' | 'add-control-plane' = 'add-workers'): void {
  const afterNodes = new Map([...after.control_plane, ...after.workers].map((node) => [node.name, node]));
  const changed: string[] = [];
  for (const node of [...before.control_plane, ...before.workers]) {
    const now = afterNodes.get(node.name);
    if (!now) changed.push(`${node.name} is gone`);
    else if (now.public_ip !== node.public_ip || now.private_ip !== node.private_ip) changed.push(`${node.name} changed address (${node.public_ip} → ${now.public_ip})`);
  }
  if (before.api_endpoint !== after.api_endpoint) changed.push(`the API endpoint changed (${before.api_endpoint} → ${after.api_endpoint})`);
  if (changed.length > 0) {
    throw new ExternalToolError('ExistingNodesChanged', `${command} would change the existing cluster: ${changed.join('; ')}. Nothing was joined.`, {
      hint: `Check cluster.yaml against inventory.json; ${command} only adds ${command === 'add-workers' ? 'workers' : 'control planes'}.`,
    });
  }
}
