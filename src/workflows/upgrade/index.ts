/**
 * `upgrade --to v1.X.Y` as one function. Before anything changes (and before the lock): the
 * cluster is asked over read-only SSH (pinned host keys only) for its nodes, etcd health and
 * version; without a target the host chooses between the newest patch of the current minor and
 * of the next one; then the plan and the confirmation (a dry run stops after the plan). After the
 * yes: the lock, the same checks again, each hop (phases.ts), and the new version recorded in
 * state.json and cluster.yaml after every verified hop, so add-workers and image builds follow.
 *
 * Nobody to choose (CI, no terminal, --yes) means the target is required; an upgrade is never
 * auto-confirmed in CI either: it drains every node.
 */
import type { Phase } from '../../engine/step.js';
import { DeclinedError, PreflightError, UsageError } from '../../errors.js';
import { emitTo, type Host, type ResultBase } from '../../engine/host.js';
import { isCloudProvider } from '../../providers/index.js';
import { DEFAULTS, DRAIN_DEFAULTS } from '../defaults.js';
import { readDisruption } from '../../nodes/drain-ops.js';
import type { DisruptionSnapshot } from '../../kube/disruption.js';
import { loadCluster } from '../run/load-cluster.js';
import type { ClusterRef } from '../run/cluster-ref.js';
import { describeUpgradePlan, describeUpgradeSteps } from './describe.js';
import { parseTargetVersion, planHops, upgradeOffers } from './plan.js';
import { runSecrets } from '../../providers/credentials.js';
import { saveSpec } from '../../state/spec-record.js';
import type { StateStore } from '../../state/state-store.js';
import { checkPinned, openReadOnlyPool, topologyOf, type LoadedCluster } from '../run/load-cluster.js';
import { withRun } from '../run/session.js';
import { SshNodeOps } from '../../nodes/ssh-node-ops.js';
import { createSshPool } from '../run/ssh-pool.js';
import type { Topology } from '../../nodes/topology.js';
import { UpgradeNodeOps } from '../../nodes/upgrade-node-ops.js';
import { cloudIntegrationInstalled, hopPhases } from './phases.js';
import { kubeconfigPhase } from '../init/phases.js';
import type { HopPlan, SavedUpgradePlan } from './plan.js';
import { checkSnapshot, drainedByUpgrade, inspectCluster, type ClusterSnapshot } from './preflight.js';
import { runNodeOps } from '../run/node-ops.js';
import { assertPreChangeBackupPossible, preChangeBackupPhase, type PreChangeBackupOptions } from '../backup/pre-change.js';
import { describePhases, notConnected } from '../../engine/describe.js';
import { assertCloudControllerCredentials } from '../run/credentials-check.js';
import { AddonNodeOps } from '../../nodes/addon-ops.js';
import type { HelmRelease } from '../../kube/addons/helm-commands.js';
import { releasesOrNone } from '../addons/inspect.js';
import { minorOfText } from '../../kube/versions.js';
import { describeResults, runAddons } from '../addons/run.js';
import type { AddonStepResult } from '../../kube/addons/step-result.js';

/** State facts of an unfinished upgrade: a resumed run takes the same hops. */
const FACT_TARGET = 'upgrade.target';
const FACT_HOPS = 'upgrade.hops';
/** Set by --rebuild-image: the next provisioning builds an image for this version. */
export const FACT_IMAGE_REBUILD = 'image.rebuildFor';

export interface UpgradeOptions extends ClusterRef {
  /** Target version, "1.37.1" or "v1.37.1"; without it the host chooses (host.select). */
  to?: string;
  /** Workers cordoned at once. */
  maxUnavailable?: number;
  /** kubectl drain --timeout per node. */
  drainTimeoutMs?: number;
  /** How long the workloads a drain moved may take to be available again, per node or batch. */
  availabilityTimeoutMs?: number;
  /** Drain even when a PodDisruptionBudget allows no disruption (kubectl retries until --drain-timeout). */
  waitForBudgets?: boolean;
  /** Record that the node image must be rebuilt for the new version (cloud providers). */
  rebuildImage?: boolean;
  /** The whole command's time limit, preflight and confirmation included. */
  timeoutMs?: number;
  /** Show the plan; change nothing. */
  dryRun?: boolean;
  /** Go on without the etcd snapshot upgrade takes first (workflows/backup/pre-change.ts). */
  skipBackup?: boolean;
  /** How long to wait for a node to answer SSH. */
  sshTimeoutMs?: number;
  /** How long a node may take to be Ready after its kubelet restart. */
  readyTimeoutMs?: number;
}

export interface UpgradeResult extends ResultBase {
  dryRun: boolean;
  from: string;
  version: string;
  hops: string[];
  /** What each add-on step did (moved to the target minor's pins, left alone); empty for a dry run. */
  addons: AddonStepResult[];
}

/** No --to and nobody to ask: name the versions this tool can go to from the recorded one, or say there is none. */
function targetRequired(name: string, recorded: string): UsageError {
  const offers = upgradeOffers(recorded);
  if (offers.length === 0) {
    return new UsageError('UpToDate', `Cluster ${name} runs v${recorded}, the newest version this k8s-bootstrap knows: it is up to date, there is nothing to upgrade to`, {
      hint: 'A newer k8s-bootstrap release brings newer Kubernetes versions; nothing was changed.',
    });
  }
  const newest = offers[offers.length - 1]!;
  return new UsageError('TargetRequired', `upgrade needs --to when nobody can choose the version (CI, no terminal, or --yes); cluster ${name} runs v${recorded}`, {
    hint: `Run the same command with --to ${newest}${offers.length > 1 ? ` (or --to ${offers.slice(0, -1).join(', --to ')})` : ''}.`,
  });
}

export async function upgradeCluster(host: Host, options: UpgradeOptions): Promise<UpgradeResult> {
  const startedAt = Date.now();
  const defaults = DEFAULTS.upgrade;
  const timeoutMs = options.timeoutMs ?? defaults.timeoutMs;
  const drainTimeoutMs = options.drainTimeoutMs ?? defaults.drainTimeoutMs;
  const maxUnavailable = options.maxUnavailable ?? defaults.maxUnavailable;
  if (maxUnavailable < 1) {
    throw new UsageError('InvalidMaxUnavailable', `--max-unavailable must be 1 or more (got ${maxUnavailable})`, {
      hint: 'Use --max-unavailable 1 (the default) to upgrade one worker at a time.',
    });
  }
  let target = options.to !== undefined ? parseTargetVersion(options.to) : undefined;
  // Read from the folder only: the hint offers a version newer than the cluster's.
  const cluster = await loadCluster(host, options);
  const { spec } = cluster;
  // Decided before any SSH: nothing is asked of a cluster that this run could not upgrade anyway.
  if (!target && !host.interactive) throw targetRequired(spec.name, cluster.state.kubernetesVersion ?? spec.kubernetes.version);
  if (!options.dryRun) host.assertCanConfirm('upgrade');
  // The backup goes first: a bucket without its keys must fail before anything is asked or taken.
  if (!options.dryRun && !options.skipBackup) await assertPreChangeBackupPossible(spec, host.env, 'Cannot upgrade the cluster');
  // Each hop re-applies the CCM/CSI Secrets: a key the user brings must be there before anything runs.
  if (!options.dryRun && cloudIntegrationInstalled(cluster.state.steps)) assertCloudControllerCredentials(spec, host.env, 'Cannot upgrade the cluster');

  if (options.rebuildImage && !isCloudProvider(spec.provider.name)) {
    throw new UsageError('RebuildImageNotCloud', `--rebuild-image is for cloud providers; cluster ${spec.name} runs on static hosts, which have no image`, {
      hint: 'Run upgrade without --rebuild-image.',
    });
  }

  const signal = AbortSignal.any([host.signal, AbortSignal.timeout(timeoutMs)]);
  const inspection = await inspectForUpgrade(host, cluster, { signal, sshTimeoutMs: options.sshTimeoutMs });
  const { snapshot, topology } = inspection;
  if (!target) {
    const offers = upgradeOffers(snapshot.clusterVersion);
    if (offers.length === 0) {
      throw new UsageError('NoNewerVersion', `Cluster ${spec.name} runs v${snapshot.clusterVersion}; this k8s-bootstrap knows no newer patch of its minor or the next`, {
        hint: 'Pass --to with the version you want, or update k8s-bootstrap.',
      });
    }
    target = await host.select({
      message: `Cluster ${spec.name} runs v${snapshot.clusterVersion}. Upgrade to:`,
      choices: offers.map((version) => ({ value: version, name: `v${version}` })),
      flag: '--to',
    });
  }
  checkSnapshot(snapshot, topology, inspection.drainedByUs);
  const plan = planHops({
    cluster: snapshot.clusterVersion,
    kubelets: snapshot.nodes.map((node) => ({ name: node.name, version: node.kubeletVersion })),
    target,
    saved: inspection.saved,
  });
  const dryRun = options.dryRun === true;
  const cloudInstalled = cloudIntegrationInstalled(cluster.state.steps);
  const availabilityTimeoutMs = options.availabilityTimeoutMs ?? DRAIN_DEFAULTS.availabilityTimeoutMs;
  const waitForBudgets = options.waitForBudgets === true;
  const describe = { spec, topology, plan, maxUnavailable, drainTimeoutMs, availabilityTimeoutMs, waitForBudgets, disruption: inspection.disruption, cloudInstalled, addonReleases: inspection.addonReleases };
  const skipBackup = options.skipBackup === true;
  const backupPlan = skipBackup ? [] : describePhases([preChangeBackupPhase(upgradeBackupOptions(cluster, topology, plan.target, notConnected, host.env))]);
  const steps = [...backupPlan, ...describeUpgradeSteps(describe)];
  const text = describeUpgradePlan(describe, steps);
  emitTo(host, { type: 'plan', time: Date.now(), command: 'upgrade', cluster: spec.name, dryRun, steps, text });
  if (dryRun) return { cluster: spec.name, dryRun, from: plan.from, version: plan.target, hops: plan.hops, addons: [], summary: ['[dry run] nothing was changed.'] };
  const go = await host.confirm({ command: 'upgrade', message: `Upgrade cluster ${spec.name} to v${plan.target}?`, doing: `upgrading ${spec.name} to v${plan.target}` });
  if (!go) throw new DeclinedError('Nothing was upgraded.');

  const outcome = await runUpgrade(host, {
    cluster,
    topology,
    plan,
    maxUnavailable,
    drainTimeoutMs,
    availabilityTimeoutMs,
    waitForBudgets,
    rebuildImage: options.rebuildImage === true,
    skipBackup,
    // The time limit bounds the whole command, preflight and confirmation included.
    timeoutMs: Math.max(1_000, timeoutMs - (Date.now() - startedAt)),
    readyTimeoutMs: options.readyTimeoutMs ?? defaults.readyTimeoutMs,
    sshTimeoutMs: options.sshTimeoutMs ?? defaults.sshTimeoutMs,
  });
  const through = outcome.hops.length > 1 ? ` (through ${outcome.hops.map((h) => `v${h}`).join(', ')})` : '';
  return {
    cluster: spec.name,
    dryRun,
    ...outcome,
    summary: [`Cluster ${spec.name} upgraded to v${outcome.version}${through}; every node is Ready.`, ...(outcome.addons.length > 0 ? [`Add-ons: ${describeResults(outcome.addons).line}.`] : [])],
  };
}

interface InspectOptions {
  signal: AbortSignal;
  /** How long to wait for a control plane to answer SSH. @default 2 min */
  sshTimeoutMs?: number;
}

interface UpgradeInspection {
  topology: Topology;
  snapshot: ClusterSnapshot;
  /** Nodes an earlier, interrupted upgrade drained (state facts). */
  drainedByUs: Set<string>;
  saved?: SavedUpgradePlan;
  /** The Helm releases the cluster has (the plan names the add-on moves); undefined when they could not be read. */
  addonReleases?: HelmRelease[];
  /** PDBs and workloads (the plan names what would block or lose availability); undefined when not read. */
  disruption?: DisruptionSnapshot;
}

/** Read-only look at the cluster: no lock, nothing written, only control planes are asked. */
async function inspectForUpgrade(host: Host, cluster: LoadedCluster, options: InspectOptions): Promise<UpgradeInspection> {
  const topology = topologyOf(cluster);
  const { pool, knownHosts } = openReadOnlyPool(cluster, topology, { signal: options.signal, readyWaitMs: options.sshTimeoutMs ?? DEFAULTS.upgrade.sshTimeoutMs, env: host.env });
  try {
    for (const node of topology.controlPlanes) checkPinned(knownHosts, topology, node);
    const ops = new SshNodeOps({ spec: cluster.spec, dir: cluster.dir, pool, secrets: host.secrets });
    const uops = new UpgradeNodeOps({ spec: cluster.spec, topology, ops });
    const quiet = { signal: options.signal, output: () => undefined };
    const snapshot = await inspectCluster(uops, quiet, cluster.state.kubernetesVersion);
    // For the plan only: an answer helm cannot give leaves the add-on lines out, never the upgrade.
    const aops = new AddonNodeOps({ spec: cluster.spec, topology, ops, secrets: host.secrets });
    const addonReleases = await releasesOrNone(aops, quiet).then((found) => found.releases, () => undefined);
    // For the plan only, like the add-ons: each drain reads them again before it cordons.
    const disruption = await readDisruption(ops, uops.kubectlHost(), quiet).catch(() => undefined);
    return { topology, snapshot, drainedByUs: drainedByUpgrade(cluster.state.facts), saved: savedPlanOf(cluster.state.facts), ...(addonReleases ? { addonReleases } : {}), ...(disruption ? { disruption } : {}) };
  } finally {
    await pool.closeAll();
  }
}

function savedPlanOf(facts: Readonly<Record<string, string | number | boolean>>): SavedUpgradePlan | undefined {
  const target = facts[FACT_TARGET];
  const hops = facts[FACT_HOPS];
  if (typeof target !== 'string' || typeof hops !== 'string' || hops === '') return undefined;
  return { target, hops: hops.split(',') };
}

interface UpgradeRunOptions {
  cluster: LoadedCluster;
  topology: Topology;
  plan: HopPlan;
  /** Workers cordoned at once. */
  maxUnavailable: number;
  drainTimeoutMs: number;
  availabilityTimeoutMs: number;
  waitForBudgets: boolean;
  /** Overall time limit of the run (what is left of --timeout). */
  timeoutMs: number;
  /** Record that the node image must be rebuilt for the new version (cloud providers). */
  rebuildImage: boolean;
  /** --skip-backup: no etcd snapshot before the first hop. */
  skipBackup: boolean;
  readyTimeoutMs: number;
  sshTimeoutMs: number;
}

interface UpgradeOutcome {
  from: string;
  version: string;
  hops: string[];
  addons: AddonStepResult[];
}

async function runUpgrade(host: Host, options: UpgradeRunOptions): Promise<UpgradeOutcome> {
  const { cluster, topology, plan } = options;
  const { spec, dir } = cluster;
  return withRun(host, dir, { command: 'upgrade', cluster: spec.name, timeoutMs: options.timeoutMs, secrets: runSecrets(spec, host.env) }, async (run) => {
    const pool = createSshPool(run, {
      spec,
      dir,
      topology,
      concurrency: options.maxUnavailable + 4,
      sshTimeoutMs: options.sshTimeoutMs,
      env: host.env,
    });
    try {
      const ops = runNodeOps(host, spec, dir, pool, run.secrets);
      const uops = new UpgradeNodeOps({ spec, topology, ops });
      const { readyTimeoutMs } = options;
      await run.runPhases([preflightPhase(uops, topology, run.state)]);
      // A verified etcd snapshot before anything changes (checkpointed: a resumed run does not take another).
      if (options.skipBackup) run.say(`--skip-backup: no etcd snapshot is taken before upgrading ${spec.name}`, 'warning');
      else await run.runPhases([preChangeBackupPhase(upgradeBackupOptions(cluster, topology, plan.target, () => ops, host.env, run.state.current.kubernetesVersion))]);
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
            uops: () => uops,
            state: () => run.state,
            version,
            hop: index + 1,
            hops: plan.hops.length,
            maxUnavailable: options.maxUnavailable,
            drainTimeoutMs: options.drainTimeoutMs,
            readyTimeoutMs,
            availabilityTimeoutMs: options.availabilityTimeoutMs,
            waitForBudgets: options.waitForBudgets,
            cloudInstalled: cloudIntegrationInstalled(run.state.current.steps),
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
      await run.runPhases([kubeconfigPhase({ topology, ops: () => ops })]);
      await run.state.update((state) => {
        delete state.facts[FACT_TARGET];
        delete state.facts[FACT_HOPS];
        if (options.rebuildImage) state.facts[FACT_IMAGE_REBUILD] = plan.target;
      });
      if (options.rebuildImage) run.note(`the node image will be rebuilt for v${plan.target} by the next provisioning (add-workers, init)`);
      // After the control plane, the nodes and the kubeconfig: the installed add-ons move to the
      // target minor's pins; one without a version for it stays where it is (a warning).
      const atTarget = { ...spec, kubernetes: { ...spec.kubernetes, version: plan.target } };
      const aops = new AddonNodeOps({ spec: atTarget, topology, ops, secrets: run.secrets });
      const addons = await runAddons(run, { spec: atTarget, topology, version: plan.target, ops: aops, env: host.env, upgrade: true });
      for (const result of addons.results.filter((r) => r.outcome === 'no-pin')) {
        run.say(`${result.name} has no version for Kubernetes ${minorOfText(plan.target)} in this k8s-bootstrap release yet: it stays at ${result.version ?? 'its version'}`, 'warning');
      }
      if (addons.failure) throw addons.failure;
      return { from: plan.from, version: plan.target, hops: plan.hops, addons: addons.results };
    } finally {
      await pool.closeAll();
    }
  });
}

/** The backup before the first hop: checkpoint backup:upgrade:<target>. */
function upgradeBackupOptions(cluster: LoadedCluster, topology: Topology, target: string, ops: PreChangeBackupOptions['ops'], env: NodeJS.ProcessEnv, recorded?: string): PreChangeBackupOptions {
  const { spec, dir } = cluster;
  return { reason: 'upgrade', key: target, spec, dir, topology, ops, kubernetesVersion: recorded ?? cluster.state.kubernetesVersion ?? spec.kubernetes.version, env, what: `upgrading to v${target}` };
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
