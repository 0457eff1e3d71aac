/**
 * add-workers after the plan is confirmed: grow the infrastructure (cloud: Terraform, whose plan
 * may only add) or take the new static hosts, save cluster.yaml and inventory.json, then prepare
 * and join only the new workers, in parallel, and wait until they are Ready.
 *
 * Existing nodes are never touched: the only commands outside the new nodes run on the first
 * control plane (a fresh `kubeadm token create --print-join-command`, `kubectl get nodes`).
 */
import type { CliContext } from '../../cli/context.js';
import { ExternalToolError } from '../../errors.js';
import { runSecrets } from '../../providers/credentials.js';
import { inventoryFromSpec, isCloudProvider } from '../../providers/index.js';
import type { Inventory } from '../../providers/inventory.js';
import { saveSpec } from '../../state/spec-record.js';
import { writeFileAtomic } from '../../state/atomic.js';
import { bootstrapPhases, kubeconfigPhase, runTolerantly, verifyPhases, workerFailuresError } from '../init/phases.js';
import { nodeUsersOf, type LoadedCluster } from '../run/load-cluster.js';
import { loadJoinMaterial, saveJoinMaterial } from '../../state/join-material.js';
import { provisionInventory } from '../run/provision.js';
import { withRun } from '../run/session.js';
import { SshNodeOps } from '../../nodes/ssh-node-ops.js';
import { createSshPool } from '../run/ssh-pool.js';
import { topologyFromInventory } from '../run/topology.js';
import { isJoined, nonAdditions, refusedPlanError, type AddWorkersPlan } from './plan.js';

export interface AddWorkersRunOptions {
  cluster: LoadedCluster;
  plan: AddWorkersPlan;
  /** New nodes worked on at once. */
  concurrency: number;
  timeoutMs: number;
  rebuildImage?: boolean;
  /** How long to wait for a node to answer SSH. @default 5 min */
  sshTimeoutMs?: number;
  /** How long to wait for the new nodes to be Ready. @default 10 min */
  readyTimeoutMs?: number;
}

export interface AddWorkersOutcome {
  /** Workers joined (or found joined) by this run. */
  added: string[];
}

export async function runAddWorkersWorkflow(ctx: CliContext, options: AddWorkersRunOptions): Promise<AddWorkersOutcome> {
  const { cluster, plan } = options;
  const { dir, spec } = cluster;
  return withRun(
    ctx,
    dir,
    { command: 'add-workers', cluster: spec.name, timeoutMs: options.timeoutMs, secrets: runSecrets(spec, ctx.env) },
    async (run) => {
      const before = cluster.inventory;
      let inventory: Inventory;
      if (isCloudProvider(spec.provider.name)) {
        // The image and packages follow the version the cluster runs now, not the one of the first init.
        const atVersion = { ...plan.target, kubernetes: { ...plan.target.kubernetes, version: plan.version } };
        inventory = await provisionInventory(run, ctx, {
          spec: atVersion,
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
        concurrency: options.concurrency,
        sshTimeoutMs: options.sshTimeoutMs ?? 5 * 60_000,
        env: ctx.env,
        pinNew: true,
      });
      try {
        const ops = new SshNodeOps({ spec: plan.target, dir, pool, secrets: run.secrets });
        const only = new Set(newNodes);
        const readyTimeoutMs = options.readyTimeoutMs ?? 10 * 60_000;
        const failed = await runTolerantly(
          run,
          bootstrapPhases({ spec: plan.target, topology, ops, version: plan.version, concurrency: options.concurrency, readyTimeoutMs, only, workersOnly: true }),
          only,
        );
        const healthy = newNodes.filter((name) => !failed.nodes.has(name));
        if (healthy.length > 0) await run.runPhases(verifyPhases({ topology, ops, version: plan.version, readyTimeoutMs, nodes: healthy }));
        // Refreshed when admin.conf's certificate changed (upgrade, renewal) or nears expiry.
        await run.runPhases([kubeconfigPhase({ topology, ops })]);
        if (failed.nodes.size > 0) throw workerFailuresError(failed, run.logFile);
        return { added: newNodes };
      } finally {
        await pool.closeAll();
      }
    },
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
function assertExistingUnchanged(before: Inventory, after: Inventory): void {
  const afterNodes = new Map([...after.control_plane, ...after.workers].map((node) => [node.name, node]));
  const changed: string[] = [];
  for (const node of [...before.control_plane, ...before.workers]) {
    const now = afterNodes.get(node.name);
    if (!now) changed.push(`${node.name} is gone`);
    else if (now.public_ip !== node.public_ip || now.private_ip !== node.private_ip) changed.push(`${node.name} changed address (${node.public_ip} → ${now.public_ip})`);
  }
  if (before.api_endpoint !== after.api_endpoint) changed.push(`the API endpoint changed (${before.api_endpoint} → ${after.api_endpoint})`);
  if (changed.length > 0) {
    throw new ExternalToolError('ExistingNodesChanged', `add-workers would change the existing cluster: ${changed.join('; ')}. Nothing was joined.`, {
      hint: 'Check cluster.yaml against inventory.json; add-workers only adds workers.',
    });
  }
}
