/**
 * The add-on phases inside a run that holds the lock (init, upgrade, addons apply): the material
 * (generated passwords written once, Velero's keys from the environment), the phases, what each
 * step did, and a failure that names the failed add-ons with the command that retries only them.
 */
import type { ClusterSpec } from '../../config/schema.js';
import { RunFailedError, type RunSummary } from '../../engine/runner.js';
import type { AddonName } from '../../kube/addons/pins.js';
import type { AddonOps } from '../../nodes/addon-ops.js';
import type { Topology } from '../../nodes/topology.js';
import type { RunHarness } from '../run/session.js';
import { AddonMaterialSource } from './material.js';
import { addonPhases, type AddonStepResult } from './phases.js';

export interface RunAddonsOptions {
  spec: ClusterSpec;
  topology: Topology;
  version: string;
  ops: AddonOps;
  env: Record<string, string | undefined>;
  only?: readonly AddonName[];
  eachRun?: boolean;
  upgrade?: boolean;
  /** Shows a generated password to the person at the terminal (never an event or a log line). */
  reveal?: (text: string) => void;
}

export interface AddonsRunOutcome {
  results: AddonStepResult[];
  /** The run's failure when a step failed: RunFailedError naming the add-ons and how to retry them. */
  failure?: RunFailedError;
}

/** Runs the add-on phases; a failed step is returned (the caller decides when to fail), an interrupt thrown. */
export async function runAddons(run: RunHarness, options: RunAddonsOptions): Promise<AddonsRunOutcome> {
  const results: AddonStepResult[] = [];
  const material = new AddonMaterialSource({ dir: run.dir, env: options.env, secrets: run.secrets, save: true, reveal: options.reveal, say: (text) => run.say(text) });
  const phases = addonPhases({
    spec: options.spec,
    topology: options.topology,
    version: options.version,
    ops: () => options.ops,
    material: () => material,
    only: options.only,
    eachRun: options.eachRun,
    upgrade: options.upgrade,
    record: (result) => results.push(result),
  });
  if (phases.length === 0) return { results };
  try {
    await run.runPhases(phases);
    return { results };
  } catch (error) {
    if (!(error instanceof RunFailedError)) throw error;
    return { results, failure: new RunFailedError(error.summary, run.logFile, addonsRetryHint(error.summary)) };
  }
}

/** The add-ons whose steps failed, in apply order. */
export function failedAddons(summary: Pick<RunSummary, 'failed' | 'tolerated'>): string[] {
  return [...summary.tolerated, ...summary.failed].map((f) => f.stepId).filter((id) => id.startsWith('addon:') && id !== 'addon:helm').map((id) => id.slice('addon:'.length));
}

/** What to do after a failed add-on: fix it, then apply only those (the others stay as they are). */
export function addonsRetryHint(summary: Pick<RunSummary, 'failed' | 'tolerated'>): string {
  const names = failedAddons(summary);
  const helmFailed = [...summary.tolerated, ...summary.failed].some((f) => f.stepId === 'addon:helm');
  const command = `k8s-bootstrap addons apply${names.length > 0 && !helmFailed ? ` ${names.join(' ')}` : ''}`;
  return `The cluster is up and the other add-ons are left as they are. Fix the cause named above, then run "${command}": ${names.length > 0 && !helmFailed ? 'it retries only those' : 'it installs Helm and the add-ons'}.`;
}

/** "traefik 41.3.0 upgraded" lines and the counts for a run's summary. */
export function describeResults(results: readonly AddonStepResult[]): { changed: AddonStepResult[]; unchanged: AddonStepResult[]; line: string } {
  const changed = results.filter((r) => r.outcome === 'installed' || r.outcome === 'upgraded' || r.outcome === 'reconfigured');
  const unchanged = results.filter((r) => !changed.includes(r));
  const word = (r: AddonStepResult) => {
    switch (r.outcome) {
      case 'installed':
        return 'installed';
      case 'upgraded':
        return 'upgraded';
      case 'reconfigured':
        return 'updated';
      case 'unchanged':
        return 'unchanged';
      case 'not-installed':
        return 'not installed, left alone';
      case 'no-pin':
        return 'no version for this minor, left alone';
    }
  };
  const parts = results.map((r) => `${r.name}${r.version ? ` ${r.version}` : ''} ${word(r)}`);
  return { changed, unchanged, line: `${changed.length} changed, ${unchanged.length} unchanged${parts.length > 0 ? ` (${parts.join(', ')})` : ''}` };
}
