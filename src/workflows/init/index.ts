/**
 * init after the spec is resolved and the cluster folder written: provisioning (cloud), then
 * the bootstrap over SSH, verify, kubeconfig. Returns the exit code.
 */
import type { CliContext } from '../../cli/context.js';
import type { ClusterSpec } from '../../config/schema.js';
import type { ClusterDir } from '../../state/cluster-dir.js';
import { writeFileAtomic } from '../../state/atomic.js';
import { runSecrets } from '../../providers/credentials.js';
import type { Lock } from '../../state/lock.js';
import { destructiveChanges, destructivePlanError } from './plan-review.js';
import { bootstrapPhases, kubeconfigPhase, runTolerantly, verifyPhases, workerFailuresError } from './phases.js';
import { withRun } from '../run/session.js';
import { SshNodeOps } from '../../nodes/ssh-node-ops.js';
import { createSshPool } from '../run/ssh-pool.js';
import { provisionInventory } from '../run/provision.js';
import { allNodes, topologyFromInventory } from '../run/topology.js';
import { defaultNodeName } from '../../config/node-names.js';

export interface InitRunOptions {
  spec: ClusterSpec;
  dir: ClusterDir;
  /** The cluster lock, taken by the caller before it wrote cluster.yaml. */
  lock?: Lock;
  /** Apply a Terraform plan that deletes or replaces resources (--allow-destroy). */
  allowDestroy?: boolean;
  /** Nodes worked on at once. */
  concurrency: number;
  /** Overall time limit of the run. */
  timeoutMs: number;
  rebuildImage: boolean;
  /** --known-hosts file to pin before connecting. */
  knownHostsFile?: string;
  /** How long to wait for a node to answer SSH. @default 5 min */
  sshTimeoutMs?: number;
  /** How long Verify waits for Ready. @default 10 min */
  readyTimeoutMs?: number;
}

export async function runInitWorkflow(ctx: CliContext, options: InitRunOptions): Promise<number> {
  const { spec, dir } = options;
  await withRun(
    ctx,
    dir,
    { command: 'init', cluster: spec.name, timeoutMs: options.timeoutMs, secrets: runSecrets(spec, ctx.env), heldLock: options.lock },
    async (run) => {
      const inventory = await provisionInventory(run, ctx, {
        spec,
        dir,
        rebuildImage: options.rebuildImage,
        reviewPlan: (plan) => {
          const destructive = destructiveChanges(plan.changes);
          if (destructive.length > 0 && !options.allowDestroy) throw destructivePlanError(destructive, plan.changes);
        },
      });
      await writeFileAtomic(dir.inventoryFile, `${JSON.stringify(inventory, null, 2)}\n`, 0o644);
      const topology = topologyFromInventory(inventory, staticUsers(spec));
      const pool = createSshPool(run, {
        spec,
        dir,
        topology,
        concurrency: options.concurrency,
        sshTimeoutMs: options.sshTimeoutMs ?? 5 * 60_000,
        knownHostsFile: options.knownHostsFile,
        env: ctx.env,
        pinNew: true,
      });
      try {
        const ops = new SshNodeOps({ spec, dir, pool, secrets: run.secrets });
        const version = spec.kubernetes.version;
        const readyTimeoutMs = options.readyTimeoutMs ?? 10 * 60_000;
        const workers = new Set(topology.workers.map((node) => node.name));
        const failed = await runTolerantly(
          run,
          bootstrapPhases({ spec, topology, ops, version, concurrency: options.concurrency, readyTimeoutMs, bootstrapped: run.state.current.kubernetesVersion !== undefined }),
          workers,
        );
        const healthy = allNodes(topology).map((node) => node.name).filter((name) => !failed.nodes.has(name));
        await run.runPhases([...verifyPhases({ topology, ops, version, readyTimeoutMs, nodes: healthy }), kubeconfigPhase({ topology, ops })]);
        await run.state.update((state) => {
          state.kubernetesVersion = version;
        });
        if (failed.nodes.size > 0) throw workerFailuresError(failed, run.logFile);
      } finally {
        await pool.closeAll();
      }
    },
  );
  if (ctx.outputMode === 'json') {
    // stdout is NDJSON in this mode: the result is one more line of it.
    ctx.write(JSON.stringify({ type: 'result', cluster: spec.name, kubeconfig: dir.kubeconfigFile }));
  } else {
    ctx.write(`Cluster ${spec.name} is ready. kubeconfig: ${dir.kubeconfigFile}`);
    ctx.write(`  export KUBECONFIG=${dir.kubeconfigFile}`);
  }
  return 0;
}

/** Static hosts may each have their own SSH user. */
function staticUsers(spec: ClusterSpec): Record<string, string | undefined> {
  if (spec.provider.name !== 'static') return {};
  const users: Record<string, string | undefined> = {};
  const counters = { 'control-plane': 0, worker: 0 };
  for (const host of spec.provider.hosts) {
    counters[host.role] += 1;
    const name = host.name ?? defaultNodeName(host.role, counters[host.role]);
    users[name] = host.user;
  }
  return users;
}
