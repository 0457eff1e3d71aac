/**
 * `k8s-bootstrap init`: resolve one ClusterSpec from --config, flags, K8SB_* env and (on a TTY)
 * the wizard; validate it completely before anything touches the disk; write the cluster folder;
 * then either print the plan (--dry-run) or confirm and hand over to the init workflow.
 */
import { isDeepStrictEqual } from 'node:util';
import { AbortError, UsageError, ValidationError } from '../../errors.js';
import { parseDuration } from '../../engine/timeouts.js';
import { credentialIssue, discoverCredentials } from '../../providers/credentials.js';
import { parseSpecYaml, readSpecFile } from '../../spec/load.js';
import type { ClusterSpec } from '../../spec/schema.js';
import { serializeSpec } from '../../spec/serialize.js';
import { findMissingValues, mergeSpecSources, MissingValuesError, type InitFlags } from '../../spec/sources.js';
import { validateSpec } from '../../spec/validate.js';
import { ClusterDir } from '../../state/cluster-dir.js';
import { StateStore } from '../../state/state-store.js';
import { confirm } from '../../wizard/prompts.js';
import { formatSpecSummary } from '../../wizard/summary.js';
import { describeInitPlan, dryRunRenderers, formatPlan, type PlanStep } from '../../workflows/init-plan.js';
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
  const { spec, credentials } = resolved;
  const env = { ...ctx.env, ...credentials };
  let credentialsSource = resolved.credentialsSource;
  if (!dryRun) {
    const issue = credentialIssue(spec.provider.name, env);
    if (issue) throw new ValidationError([issue], 'Cannot create the cluster');
    credentialsSource ??= discoverCredentials(spec.provider.name, env).source;
  }

  const dir = ClusterDir.forCluster(spec.name, ctx.globals.dir, ctx.cwd);
  await writeClusterFolder(ctx, dir, spec);

  if (resolved.fromWizard || !dryRun) {
    ctx.error(`\nCluster ${spec.name} (saved to ${dir.specFile}):`);
    ctx.error(formatSpecSummary(spec, credentialsSource));
  }

  if (dryRun) return printDryRun(ctx, spec, dir);

  const go = await confirm(ctx, {
    message: `Create cluster ${spec.name} now? This creates cloud resources or changes the hosts.`,
    default: true,
    fallback: true,
  });
  if (!go) {
    throw new AbortError('Declined', 'Nothing was created', {
      hint: `The spec is saved; run "k8s-bootstrap init --config ${dir.specFile}" to continue later.`,
    });
  }
  // Loaded only now: the workflow pulls in the engine, renderers and tool drivers.
  const { runInitWorkflow } = await import('../../workflows/init.js');
  return runInitWorkflow(
    { ...ctx, env },
    {
      spec,
      dir,
      concurrency: options.concurrency ?? DEFAULT_INIT_CONCURRENCY,
      timeoutMs,
      rebuildImage: options.rebuildImage === true,
      knownHostsFile: options.knownHosts,
      sshTimeoutMs,
    },
  );
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
 * Writes cluster.yaml and an empty state.json. Re-running with the same spec changes nothing;
 * a different spec replaces cluster.yaml only while nothing was built from the old one, and only
 * after confirmation (or --yes), keeping the old file as cluster.yaml.previous.
 */
async function writeClusterFolder(ctx: CliContext, dir: ClusterDir, spec: ClusterSpec): Promise<void> {
  const existingText = await readTextIfExists(dir.specFile);
  if (existingText !== undefined && !(await sameSpec(existingText, dir.specFile, spec))) {
    const state = await StateStore.open(dir.stateFile, spec.name);
    const started = Object.keys(state.current.steps).length > 0;
    if (started) {
      throw new UsageError('SpecChanged', `${dir.specFile} describes a cluster that init already started, and it differs from this one`, {
        hint: 'Run init with that file (--config) to resume it, change it with add-workers/upgrade, or choose another --dir or --name.',
      });
    }
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
  await dir.ensure();
  if (existingText === undefined || !(await sameSpec(existingText, dir.specFile, spec))) {
    await dir.writeFile('cluster.yaml', serializeSpec(spec));
  }
  if ((await readTextIfExists(dir.stateFile)) === undefined) {
    await (await StateStore.open(dir.stateFile, spec.name)).save();
  }
}

/** Same cluster when the file validates to an equal spec; comments and formatting do not count. */
async function sameSpec(text: string, source: string, spec: ClusterSpec): Promise<boolean> {
  try {
    return isDeepStrictEqual(validateSpec(parseSpecYaml(text, source)), spec);
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

async function printDryRun(ctx: CliContext, spec: ClusterSpec, dir: ClusterDir): Promise<number> {
  (await import('../../workflows/dry-run-files.js')).registerDryRunFiles();
  const files = [dir.specFile, dir.stateFile];
  for (const render of dryRunRenderers) files.push(...(await render(spec, dir)));
  const steps = describeInitPlan(spec, { dir: dir.root });
  if (ctx.globals.output === 'json') {
    const report: DryRunReport = { cluster: spec.name, provider: spec.provider.name, dir: dir.root, files, steps };
    ctx.write(JSON.stringify(report, null, 2));
    return 0;
  }
  ctx.write(`Plan for cluster ${spec.name} (${spec.provider.name}), dry run: nothing was run.\n`);
  ctx.write(formatPlan(steps));
  ctx.write(`\nWritten to ${dir.root}:\n${files.map((file) => `  ${file}`).join('\n')}\n`);
  ctx.write(`Run the same command without --dry-run to create the cluster.`);
  return 0;
}
