/**
 * `k8s-bootstrap init`: resolve one ClusterSpec from --config, flags, K8SB_* env and (on a TTY)
 * the wizard; validate it completely before anything touches the disk; write the cluster folder;
 * then either print the plan (--dry-run) or confirm and hand over to the init workflow.
 */
import { existsSync } from 'node:fs';
import { toSafeJson } from '../../engine/inert-text.js';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AbortError, LockedError, UsageError, ValidationError } from '../../errors.js';
import { parseDuration } from '../../engine/timeouts.js';
import { credentialIssue, discoverCredentials } from '../../providers/credentials.js';
import { parseSpecYaml, readSpecFile } from '../../config/load.js';
import type { ClusterSpec } from '../../config/schema.js';
import { serializeSpec } from '../../config/serialize.js';
import { findMissingValues, mergeSpecSources, MissingValuesError, type InitFlags } from '../../config/resolve.js';
import { validateSpec } from '../../config/validate/index.js';
import { ClusterDir } from '../../state/cluster-dir.js';
import { acquireLock, type Lock } from '../../state/lock.js';
import { StateStore } from '../../state/state-store.js';
import { appliedSpec, clusterBuilt, sameClusterSpec, saveSpec, specChanges } from '../../state/spec-record.js';
import { settleBackendKey } from '../../workflows/init/backend-key.js';
import { assertCanConfirm, confirm, confirmChange } from '../../wizard/prompts.js';
import { formatSpecSummary } from '../../wizard/summary.js';
import { describeInitPlan, dryRunRenderers, formatPlan, type PlanStep } from '../../workflows/init/plan.js';
import type { CommandHandler } from '../command.js';
import type { CliContext } from '../context.js';
import { readTextIfExists } from '../../state/read-optional.js';

export const DEFAULT_INIT_TIMEOUT = '60m';
export const DEFAULT_INIT_CONCURRENCY = 32;

export interface InitOptions extends InitFlags {
  dryRun?: boolean;
  concurrency?: number;
  timeout?: string;
  rebuildImage?: boolean;
  allowDestroy?: boolean;
  knownHosts?: string;
  sshTimeout?: string;
}

export const runInit: CommandHandler = async (ctx, rawOptions) => {
  const options = rawOptions as InitOptions;
  const dryRun = options.dryRun === true;
  // Parse every flag before the (possibly long) wizard, so a typo fails at once.
  const timeoutMs = parseDuration(options.timeout ?? DEFAULT_INIT_TIMEOUT, '--timeout');
  const sshTimeoutMs = options.sshTimeout === undefined ? undefined : parseDuration(options.sshTimeout, '--ssh-timeout');

  const resolved = await resolveSpec(ctx, options, dryRun);
  const { credentials } = resolved;
  const dir = ClusterDir.forCluster(resolved.spec.name, ctx.globals.dir, ctx.cwd);
  const spec = await settleBackendKey(resolved.spec, dir);
  const env = { ...ctx.env, ...credentials };
  let credentialsSource = resolved.credentialsSource;
  if (!dryRun) {
    const issue = credentialIssue(spec.provider.name, env);
    if (issue) throw new ValidationError([issue], 'Cannot create the cluster');
    credentialsSource ??= discoverCredentials(spec.provider.name, env).source;
  }

  if (dryRun) return printDryRun(ctx, spec, dir, resolved.fromWizard);
  // Refused before the lock and the folder: a pipe or a CI job must say --yes itself.
  assertCanConfirm(ctx, 'init');
  // The lock first: cluster.yaml is compared and written only by the run that holds it.
  const lock = await acquireLock(dir, 'init');
  try {
    await writeClusterFolder(ctx, dir, spec);
    ctx.error(`\nCluster ${spec.name} (saved to ${dir.specFile}):`);
    ctx.error(formatSpecSummary(spec, credentialsSource));
    const go = await confirmChange(ctx, {
      command: 'init',
      message: `Create cluster ${spec.name} now? This creates cloud resources or changes the hosts.`,
      doing: `creating cluster ${spec.name}`,
    });
    if (!go) {
      throw new AbortError('Declined', 'Nothing was created', {
        hint: `The spec is saved; run "k8s-bootstrap init --config ${dir.specFile}" to continue later.`,
      });
    }
    // Loaded only now: the workflow pulls in the engine, renderers and tool drivers.
    const { runInitWorkflow } = await import('../../workflows/init/index.js');
    return await runInitWorkflow(
      { ...ctx, env },
      {
        spec,
        dir,
        lock,
        concurrency: options.concurrency ?? DEFAULT_INIT_CONCURRENCY,
        timeoutMs,
        rebuildImage: options.rebuildImage === true,
        allowDestroy: options.allowDestroy === true,
        knownHostsFile: options.knownHosts,
        sshTimeoutMs,
      },
    );
  } finally {
    await lock.release();
  }
};

interface ResolvedSpec {
  spec: ClusterSpec;
  /** Typed into the wizard; memory only. */
  credentials: Record<string, string>;
  credentialsSource?: string;
  fromWizard: boolean;
}

/** --config, then flags over it, then K8SB_* env for what is still open; the wizard asks the rest. */
async function resolveSpec(ctx: CliContext, options: InitOptions, dryRun: boolean): Promise<ResolvedSpec> {
  const file = ctx.globals.config ? await readSpecFile(ctx.globals.config) : undefined;
  let raw = mergeSpecSources({ file, flags: options, env: ctx.env });
  const missing = findMissingValues(raw);
  let credentials: Record<string, string> = {};
  let credentialsSource: string | undefined;
  let fromWizard = false;
  if (ctx.canPrompt && (!ctx.globals.config || missing.length > 0)) {
    const { runInitWizard } = await import('../../wizard/init-wizard.js');
    const answers = await runInitWizard(ctx, raw, { askCredentials: !dryRun });
    raw = answers.doc;
    credentials = answers.credentials;
    credentialsSource = answers.credentialsSource;
    fromWizard = true;
  } else if (missing.length > 0) {
    throw new MissingValuesError(missing);
  }
  return { spec: validateSpec(raw), credentials, credentialsSource, fromWizard };
}

/**
 * Writes cluster.yaml (with its fingerprint in state.json), under the cluster lock. Re-running
 * with the same spec changes nothing. Once init has started, a different spec is refused,
 * whether it comes from flags or from an edit of cluster.yaml itself: state.json remembers the
 * spec the cluster was built with. Before that, a different spec replaces cluster.yaml only after
 * confirmation (or --yes), keeping the old file as cluster.yaml.previous.
 */
async function writeClusterFolder(ctx: CliContext, dir: ClusterDir, spec: ClusterSpec): Promise<void> {
  await dir.ensure();
  const state = await StateStore.open(dir.stateFile, spec.name);
  const { built, recorded, existingText, same } = await assertBuiltFromThisSpec(dir, state, spec);
  if (existingText !== undefined && !same) {
    const replace = ctx.canPrompt
      ? await confirm(ctx, { message: `${dir.specFile} exists with a different spec. Replace it?`, default: false, fallback: false })
      : ctx.globals.yes;
    if (!replace) {
      throw new UsageError('SpecExists', `${dir.specFile} already exists with a different spec`, {
        hint: 'Pass --yes to replace it (the old one is kept as cluster.yaml.previous), or choose another --dir or --name.',
      });
    }
    await dir.writeFile('cluster.yaml.previous', existingText);
    ctx.error(`Replaced ${dir.specFile}; the old spec is in cluster.yaml.previous.`);
  }
  // Nothing is built yet: the folder now belongs to this spec's cluster (its name too).
  if (!built && state.current.cluster !== spec.name) {
    await state.update((current) => {
      current.cluster = spec.name;
    });
  }
  if (!same || recorded === undefined || !sameClusterSpec(recorded, spec)) await saveSpec(dir, state, spec);
}

/**
 * Refuses a spec other than the one a built cluster came from: the one recorded in state.json
 * (so an in-place edit of cluster.yaml is caught too), or cluster.yaml itself for older folders.
 * Reads only; the dry run asks the same question the real run would.
 */
async function assertBuiltFromThisSpec(dir: ClusterDir, state: StateStore, spec: ClusterSpec) {
  const built = clusterBuilt(state.current);
  const recorded = appliedSpec(state.current);
  if (built && recorded !== undefined && !sameClusterSpec(recorded, spec)) {
    throw new UsageError('SpecChanged', `The cluster in ${dir.root} was built from another spec than this one: ${specChanges(recorded, spec).join('; ')}`, {
      hint: `Undo the change (in ${dir.specFile} or the flags) and run init again to resume; change the cluster with add-workers, remove-workers or upgrade; or choose another --dir or --name. Nothing was changed.`,
    });
  }
  const existingText = await readTextIfExists(dir.specFile);
  const same = existingText !== undefined && (await sameSpec(existingText, dir.specFile, spec));
  if (existingText !== undefined && !same && built) {
    throw new UsageError('SpecChanged', `${dir.specFile} describes a cluster that init already built, and it differs from this one`, {
      hint: `Run init --config ${dir.specFile} to resume it; change the cluster with add-workers, remove-workers or upgrade; or choose another --dir or --name. Nothing was changed.`,
    });
  }
  return { built, recorded, existingText, same };
}

/** Same cluster when the file validates to an equal spec; comments and formatting do not count. */
async function sameSpec(text: string, source: string, spec: ClusterSpec): Promise<boolean> {
  try {
    return sameClusterSpec(validateSpec(parseSpecYaml(text, source)), spec);
  } catch {
    return false;
  }
}


export interface DryRunReport {
  cluster: string;
  provider: string;
  dir: string;
  files: string[];
  steps: PlanStep[];
}

/**
 * The dry run renders what the real run would hand to the tools. Into the cluster folder while it
 * holds no cluster yet (under the lock); into a scratch folder when the folder holds a live
 * cluster or another run has it locked, so a live cluster's terraform/ and packer/ inputs are
 * never replaced by placeholders.
 */
async function printDryRun(ctx: CliContext, spec: ClusterSpec, dir: ClusterDir, fromWizard: boolean): Promise<number> {
  const target = await dryRunFolder(ctx, dir, spec);
  if (fromWizard) {
    ctx.error(`\nCluster ${spec.name} (saved to ${target.dir.specFile}):`);
    ctx.error(formatSpecSummary(spec, undefined));
  }
  const files = [target.dir.specFile, target.dir.stateFile];
  try {
    (await import('../../workflows/init/dry-run-files.js')).registerDryRunFiles();
    for (const render of dryRunRenderers) files.push(...(await render(spec, target.dir)));
  } finally {
    await target.lock?.release();
  }
  const steps = describeInitPlan(spec, { dir: target.dir.root });
  if (ctx.globals.output === 'json') {
    const report: DryRunReport = { cluster: spec.name, provider: spec.provider.name, dir: target.dir.root, files, steps };
    ctx.write(toSafeJson(report, 2));
    return 0;
  }
  ctx.write(`Plan for cluster ${spec.name} (${spec.provider.name}), dry run: nothing was run.\n`);
  ctx.write(formatPlan(steps));
  ctx.write(`\nWritten to ${target.dir.root}:\n${files.map((file) => `  ${file}`).join('\n')}\n`);
  ctx.write(`Run the same command without --dry-run to create the cluster.`);
  return 0;
}

async function dryRunFolder(ctx: CliContext, dir: ClusterDir, spec: ClusterSpec): Promise<{ dir: ClusterDir; lock?: Lock }> {
  const why = await liveClusterIn(dir);
  let lock: Lock | undefined;
  let busy = why;
  if (!busy) {
    try {
      lock = await acquireLock(dir, 'init --dry-run');
      // Looked at again under the lock: a run may have finished building in between.
      busy = await liveClusterIn(dir);
      if (busy) await lock.release();
    } catch (error) {
      if (!(error instanceof LockedError)) throw error;
      busy = 'another run holds its lock';
    }
  }
  if (busy) {
    // A spec the real run would refuse is refused here too, not rendered as if it would apply.
    if (existsSync(dir.stateFile)) await assertBuiltFromThisSpec(dir, await StateStore.open(dir.stateFile, spec.name), spec);
    const scratch = new ClusterDir(await mkdtemp(join(tmpdir(), `k8sb-dry-run-${spec.name}-`)));
    ctx.error(`${dir.root} ${busy}: the dry run writes to ${scratch.root} instead and leaves the cluster folder as it is.`);
    await scratch.ensure();
    await (await StateStore.open(scratch.stateFile, spec.name)).save();
    await scratch.writeFile('cluster.yaml', serializeSpec(spec));
    return { dir: scratch };
  }
  try {
    await writeClusterFolder(ctx, dir, spec);
  } catch (error) {
    await lock?.release();
    throw error;
  }
  return { dir, lock };
}

/** Why `dir` holds a cluster that a dry run must not touch, or undefined. */
async function liveClusterIn(dir: ClusterDir): Promise<string | undefined> {
  if ((await readTextIfExists(dir.inventoryFile)) !== undefined) return 'holds a built cluster (inventory.json)';
  const stateText = await readTextIfExists(dir.stateFile);
  if (stateText === undefined) return undefined;
  const state = await StateStore.open(dir.stateFile, '');
  return Object.keys(state.current.steps).length > 0 ? 'holds a cluster that init started (state.json)' : undefined;
}
