/**
 * `addons apply [NAME…]`: the diff as the plan (read-only, before the lock), a confirmation when
 * something would change (host.confirm, unless --yes), then under the lock Helm on the first
 * control plane and one step per add-on, each judged by Helm again (nothing changed → no helm
 * call). An add-on that fails leaves the cluster and the other add-ons as they are; the run fails
 * at its end naming it, and the same command (or `addons apply <it>`) retries only it.
 *
 * Refused before any SSH (exit 2): a name outside the set, an add-on cluster.yaml turns off.
 * Refused before anything changes (exit 2): Velero's first install without its S3 keys.
 */
import { DeclinedError } from '../../errors.js';
import { emitTo, type Host, type ResultBase } from '../../engine/host.js';
import { describePhases, formatPlan, notConnected, type PlanStep } from '../../engine/describe.js';
import { inertStrings } from '../../engine/inert-text.js';
import { readVeleroS3Credentials } from '../../config/addons.js';
import { minorOfText } from '../../kube/versions.js';
import { AddonNodeOps } from '../../nodes/addon-ops.js';
import { runSecrets } from '../../providers/credentials.js';
import { DEFAULTS } from '../defaults.js';
import { loadCluster, topologyOf, type LoadedCluster } from '../run/load-cluster.js';
import type { ClusterRef } from '../run/cluster-ref.js';
import { runNodeOps } from '../run/node-ops.js';
import { withRun } from '../run/session.js';
import { createSshPool } from '../run/ssh-pool.js';
import { stepId } from '../run/step-ids.js';
import { clusterVersionOf, formatDiff, judgeAddons, releasesOrNone, rowChanges, withReadOnlyAddonOps, type AddonDiffRow } from './inspect.js';
import { AddonMaterialSource } from './material.js';
import { addonPhases, VELERO_SECRET, veleroKeysMissing, type AddonStepResult } from './phases.js';
import { describeResults, runAddons } from './run.js';
import { applyTargets } from './targets.js';
import type { AddonName } from '../../kube/addons/pins.js';

export interface AddonsApplyOptions extends ClusterRef {
  /** Only these add-ons (each must be enabled); default every enabled one. */
  names?: string[];
  /** Show the plan (the diff and the steps); change nothing. */
  dryRun?: boolean;
  /** The whole command's time limit. */
  timeoutMs?: number;
  /** How long the first control plane may take to answer SSH. */
  sshTimeoutMs?: number;
  /**
   * Shows a generated password once to the person at the terminal, never as an event or in the
   * log (the CLI passes one only when stderr is a terminal). Unset: the run names the file only.
   */
  reveal?: (text: string) => void;
}

export interface AddonsApplyResult extends ResultBase {
  dryRun: boolean;
  /** The diff the plan showed, per add-on. */
  plan: AddonDiffRow[];
  /** What each add-on step did (empty for a dry run). */
  addons: AddonStepResult[];
  /** Add-ons installed, upgraded or updated by this run. */
  changed: number;
}

export async function addonsApply(host: Host, options: AddonsApplyOptions): Promise<AddonsApplyResult> {
  const startedAt = Date.now();
  const defaults = DEFAULTS.addons;
  const timeoutMs = options.timeoutMs ?? defaults.timeoutMs;
  const sshTimeoutMs = options.sshTimeoutMs ?? defaults.sshTimeoutMs;
  const cluster = await loadCluster(host, options);
  const { spec } = cluster;
  const targets = applyTargets(spec, options.names, cluster.dir.specFile);
  const dryRun = options.dryRun === true;
  if (targets.length === 0) {
    return { cluster: spec.name, dryRun, plan: [], addons: [], changed: 0, summary: [`No add-on is enabled in ${cluster.dir.specFile}: nothing to apply (addons.<name>.enabled: true turns one on).`] };
  }
  const version = clusterVersionOf(cluster);
  const minor = minorOfText(version);
  const inspection = await inspect(host, cluster, targets, version, { timeoutMs, sshWaitMs: Math.min(sshTimeoutMs, timeoutMs) });
  if (inspection.veleroProblem && !dryRun) throw veleroKeysMissing();
  const topology = topologyOf(cluster);
  const steps = markProblems(describePhases(addonPhases({ spec, topology, version, ops: notConnected, only: targets, eachRun: true })), inspection.veleroProblem);
  const shown = inertStrings(inspection.rows);
  const changes = inspection.rows.filter(rowChanges);
  const text = `Add-ons plan for cluster ${spec.name} (Kubernetes ${minor}${dryRun ? ', dry run: nothing is changed' : ''}):\n${formatDiff(shown)}\n\n${formatPlan(steps)}`;
  emitTo(host, { type: 'plan', time: Date.now(), command: 'addons apply', cluster: spec.name, dryRun, steps, text });
  if (dryRun) {
    return { cluster: spec.name, dryRun, plan: inspection.rows, addons: [], changed: 0, summary: [`[dry run] nothing was changed; ${changes.length} add-on${changes.length === 1 ? '' : 's'} would change.`] };
  }
  if (changes.length > 0) {
    host.assertCanConfirm('addons apply');
    const names = changes.map((row) => row.name).join(', ');
    const go = await host.confirm({ command: 'addons apply', message: `Apply the add-on changes to ${spec.name} (${names})?`, doing: `applying add-ons ${names} to ${spec.name}` });
    if (!go) throw new DeclinedError('Nothing was changed.');
  }

  const results = await withRun(
    host,
    cluster.dir,
    { command: 'addons-apply', cluster: spec.name, timeoutMs: Math.max(1_000, timeoutMs - (Date.now() - startedAt)), secrets: runSecrets(spec, host.env) },
    async (run) => {
      const pool = createSshPool(run, { spec, dir: cluster.dir, topology, concurrency: 4, sshTimeoutMs, env: host.env });
      try {
        const ops = new AddonNodeOps({ spec, topology, ops: runNodeOps(host, spec, cluster.dir, pool, run.secrets), secrets: run.secrets });
        const outcome = await runAddons(run, { spec, topology, version, ops, env: host.env, only: targets, eachRun: true, reveal: options.reveal });
        if (outcome.failure) throw outcome.failure;
        return outcome.results;
      } finally {
        await pool.closeAll();
      }
    },
  );
  const described = describeResults(results);
  return {
    cluster: spec.name,
    dryRun,
    plan: inspection.rows,
    addons: results,
    changed: described.changed.length,
    summary: [`Add-ons of ${spec.name}: ${described.line}.`],
  };
}

interface Inspection {
  rows: AddonDiffRow[];
  /** Velero's first install has no S3 keys: why its step would stop. */
  veleroProblem?: string;
}

/** The read-only half: the diff of the targets, and Velero's keys (present, or its Secret already in the cluster). */
async function inspect(host: Host, cluster: LoadedCluster, targets: AddonName[], version: string, options: { timeoutMs: number; sshWaitMs: number }): Promise<Inspection> {
  const material = new AddonMaterialSource({ dir: cluster.dir, env: host.env, secrets: host.secrets, save: false });
  return withReadOnlyAddonOps(host, cluster, options, async (ops, ctx) => {
    const { releases } = await releasesOrNone(ops, ctx);
    const { rows } = await judgeAddons({ ops, spec: cluster.spec, version, names: targets, material, releases, ctx });
    let veleroProblem: string | undefined;
    if (targets.includes('velero') && !readVeleroS3Credentials(host.env) && !(await ops.secretExists(VELERO_SECRET.namespace, VELERO_SECRET.name, ctx))) {
      veleroProblem = veleroKeysMissing().message;
    }
    return { rows, ...(veleroProblem ? { veleroProblem } : {}) };
  });
}

function markProblems(steps: PlanStep[], veleroProblem: string | undefined): PlanStep[] {
  return veleroProblem ? steps.map((step) => (step.id === stepId.addon('velero') ? { ...step, problem: veleroProblem } : step)) : steps;
}
