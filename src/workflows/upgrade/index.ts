/**
 * `upgrade` in two halves. Before anything changes (and before the lock): inspectForUpgrade asks
 * the cluster over read-only SSH (pinned host keys only) for its nodes, etcd health and version.
 * After the person confirmed: runUpgradeWorkflow takes the lock, checks again, then runs each hop
 * (upgrade-phases.ts) and records the new version in state.json and cluster.yaml after every
 * verified hop, so add-workers and image builds follow the cluster.
 */
import type { CliContext } from '../../cli/context.js';
import type { Phase } from '../../engine/step.js';
import { PreflightError } from '../../errors.js';
import { runSecrets } from '../../providers/credentials.js';
import { saveSpec } from '../../state/spec-record.js';
import type { StateStore } from '../../state/state-store.js';
import { checkPinned, openReadOnlyPool, topologyOf, type LoadedCluster } from '../run/load-cluster.js';
import { withRun } from '../run/session.js';
import { SshNodeOps } from '../../nodes/ssh-node-ops.js';
import { createSshPool } from '../run/ssh-pool.js';
import type { Topology } from '../run/topology.js';
import { UpgradeNodeOps } from '../../nodes/upgrade-node-ops.js';
import { hopPhases } from './phases.js';
import { kubeconfigPhase } from '../init/phases.js';
import type { HopPlan, SavedUpgradePlan } from './plan.js';
import { checkSnapshot, drainedByUpgrade, inspectCluster, type ClusterSnapshot } from './preflight.js';

/** State facts of an unfinished upgrade: a resumed run takes the same hops. */
export const FACT_TARGET = 'upgrade.target';
export const FACT_HOPS = 'upgrade.hops';
/** Set by --rebuild-image: the next provisioning builds an image for this version. */
export const FACT_IMAGE_REBUILD = 'image.rebuildFor';

export interface InspectOptions {
  signal: AbortSignal;
  /** How long to wait for a control plane to answer SSH. @default 2 min */
  sshTimeoutMs?: number;
}

export interface UpgradeInspection {
  topology: Topology;
  snapshot: ClusterSnapshot;
  /** Nodes an earlier, interrupted upgrade drained (state facts). */
  drainedByUs: Set<string>;
  saved?: SavedUpgradePlan;
}

/** Read-only look at the cluster: no lock, nothing written, only control planes are asked. */
export async function inspectForUpgrade(ctx: CliContext, cluster: LoadedCluster, options: InspectOptions): Promise<UpgradeInspection> {
  const topology = topologyOf(cluster);
  const { pool, knownHosts } = openReadOnlyPool(cluster, topology, { signal: options.signal, readyWaitMs: options.sshTimeoutMs ?? 2 * 60_000, env: ctx.env });
  try {
    for (const node of topology.controlPlanes) checkPinned(knownHosts, topology, node);
    const ops = new SshNodeOps({ spec: cluster.spec, dir: cluster.dir, pool, secrets: ctx.secrets });
    const uops = new UpgradeNodeOps({ spec: cluster.spec, topology, ops });
    const snapshot = await inspectCluster(uops, { signal: options.signal, output: () => undefined }, cluster.state.kubernetesVersion);
    return { topology, snapshot, drainedByUs: drainedByUpgrade(cluster.state.facts), saved: savedPlanOf(cluster.state.facts) };
  } finally {
    await pool.closeAll();
  }
}

export function savedPlanOf(facts: Readonly<Record<string, string | number | boolean>>): SavedUpgradePlan | undefined {
  const target = facts[FACT_TARGET];
  const hops = facts[FACT_HOPS];
  if (typeof target !== 'string' || typeof hops !== 'string' || hops === '') return undefined;
  return { target, hops: hops.split(',') };
}

export interface UpgradeRunOptions {
  cluster: LoadedCluster;
  topology: Topology;
  plan: HopPlan;
  /** Workers cordoned at once. */
  maxUnavailable: number;
  drainTimeoutMs: number;
  /** Overall time limit of the run (what is left of --timeout). */
  timeoutMs: number;
  /** Record that the node image must be rebuilt for the new version (cloud providers). */
  rebuildImage: boolean;
  /** How long a node may take to be Ready after its kubelet restart. @default 10 min */
  readyTimeoutMs?: number;
  /** How long to wait for a node to answer SSH. @default 2 min */
  sshTimeoutMs?: number;
}

export interface UpgradeOutcome {
  from: string;
  version: string;
  hops: string[];
}

export async function runUpgradeWorkflow(ctx: CliContext, options: UpgradeRunOptions): Promise<UpgradeOutcome> {
  const { cluster, topology, plan } = options;
  const { spec, dir } = cluster;
  return withRun(ctx, dir, { command: 'upgrade', cluster: spec.name, timeoutMs: options.timeoutMs, secrets: runSecrets(spec, ctx.env) }, async (run) => {
    const pool = createSshPool(run, {
      spec,
      dir,
      topology,
      concurrency: options.maxUnavailable + 4,
      sshTimeoutMs: options.sshTimeoutMs ?? 2 * 60_000,
      env: ctx.env,
    });
    try {
      const ops = new SshNodeOps({ spec, dir, pool, secrets: run.secrets });
      const uops = new UpgradeNodeOps({ spec, topology, ops });
      const readyTimeoutMs = options.readyTimeoutMs ?? 10 * 60_000;
      await run.runPhases([preflightPhase(uops, topology, run.state)]);
      // Saved before the first change: a resumed run takes the same hops.
      await run.state.update((state) => {
        state.facts[FACT_TARGET] = plan.target;
        state.facts[FACT_HOPS] = plan.hops.join(',');
      });
      for (const [index, version] of plan.hops.entries()) {
        await run.runPhases(
          hopPhases({
            spec,
            topology,
            uops,
            state: run.state,
            version,
            hop: index + 1,
            hops: plan.hops.length,
            maxUnavailable: options.maxUnavailable,
            drainTimeoutMs: options.drainTimeoutMs,
            readyTimeoutMs,
          }),
        );
        // Verified: from now on new nodes and images use this version.
        await run.state.update((state) => {
          state.kubernetesVersion = version;
        });
        await saveSpec(dir, run.state, { ...spec, kubernetes: { ...spec.kubernetes, version } });
        run.note(`cluster ${spec.name} runs v${version}; recorded in ${dir.stateFile} and ${dir.specFile}`);
      }
      // kubeadm upgrade apply renewed admin.conf's client certificate: the operator's copy follows.
      await run.runPhases([kubeconfigPhase({ topology, ops })]);
      await run.state.update((state) => {
        delete state.facts[FACT_TARGET];
        delete state.facts[FACT_HOPS];
        if (options.rebuildImage) state.facts[FACT_IMAGE_REBUILD] = plan.target;
      });
      if (options.rebuildImage) run.note(`the node image will be rebuilt for v${plan.target} by the next provisioning (add-workers, init)`);
      return { from: plan.from, version: plan.target, hops: plan.hops };
    } finally {
      await pool.closeAll();
    }
  });
}

/** The same checks as before the confirmation, now under the lock (never checkpointed). */
function preflightPhase(uops: UpgradeNodeOps, topology: Topology, state: StateStore): Phase {
  return {
    title: 'Preflight',
    steps: [
      {
        stepId: 'upgrade:preflight',
        title: 'Every node Ready and schedulable, etcd healthy',
        node: uops.first.name,
        tool: 'kubectl',
        inputs: `run-${Date.now()}`,
        timeoutMs: 5 * 60_000,
        retries: 1,
        // A dropped connection is worth another try; a cordoned node or sick etcd is not.
        retryable: (error) => !(error instanceof PreflightError),
        run: async (ctx) => {
          const snapshot = await inspectCluster(uops, ctx, state.current.kubernetesVersion);
          checkSnapshot(snapshot, topology, drainedByUpgrade(state.current.facts));
          ctx.output(`cluster at v${snapshot.clusterVersion}; ${snapshot.nodes.length} nodes Ready; etcd ok`, 'info');
        },
      },
    ],
  };
}
