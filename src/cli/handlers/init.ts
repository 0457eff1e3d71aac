/**
 * `k8s-bootstrap init`: resolve one ClusterSpec from --config, flags, K8SB_* env and (on a TTY)
 * the wizard, validated completely before anything touches the disk; then the init workflow
 * through the CLI host (the folder, the plan or the confirmation, the run).
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { readSpecFile } from '../../config/load.js';
import type { ClusterSpec } from '../../config/schema.js';
import { findMissingValues, mergeSpecSources, MissingValuesError } from '../../config/resolve.js';
import { validateSpec } from '../../config/validate/index.js';
import { initCluster } from '../../workflows/init/index.js';
import type { InitCommandFlags } from '../commands/init.js';
import type { CliContext } from '../context.js';
import { runCommand } from '../host.js';
import { revealerFor, showRevealed } from './addons.js';

export async function runInit(ctx: CliContext, options: InitCommandFlags): Promise<number> {
  const dryRun = options.dryRun;
  const resolved = await resolveSpec(ctx, options, dryRun);
  // A generated add-on password, shown once on the terminal after the run (handlers/addons.ts).
  const revealed: string[] = [];
  try {
    await runInitCommand(ctx, options, resolved, revealerFor(ctx, revealed));
  } finally {
    showRevealed(ctx, revealed);
  }
  return 0;
}

async function runInitCommand(ctx: CliContext, options: InitCommandFlags, resolved: ResolvedSpec, reveal: ((text: string) => void) | undefined): Promise<void> {
  const dryRun = options.dryRun;
  await runCommand(ctx, 'init', (host) =>
    initCluster(host, {
      spec: resolved.spec,
      dir: ctx.globals.dir,
      dryRun,
      credentials: resolved.credentials,
      credentialsSource: resolved.credentialsSource,
      showSpec: resolved.fromWizard,
      concurrency: options.concurrency,
      timeoutMs: options.timeout,
      rebuildImage: options.rebuildImage,
      allowDestroy: options.allowDestroy,
      knownHostsFile: options.knownHosts,
      sshTimeoutMs: options.sshTimeout,
      reveal,
    }),
  );
}

interface ResolvedSpec {
  spec: ClusterSpec;
  /** Typed into the wizard; memory only. */
  credentials: Record<string, string>;
  credentialsSource?: string;
  fromWizard: boolean;
}

/**
 * The spec file init starts from: --config, else the cluster.yaml of --dir when it has one.
 * Every other command takes --dir as "the cluster in this folder", and so does init: the hints
 * "run k8s-bootstrap init --dir X" (after a dry run, a destroy, a lost kubeconfig) resume the
 * cluster X describes, as `terraform -chdir=X apply` uses the configuration in X.
 */
function specFileOf(ctx: CliContext): string | undefined {
  if (ctx.globals.config) return ctx.globals.config;
  if (!ctx.globals.dir) return undefined;
  const inDir = join(resolve(ctx.cwd, ctx.globals.dir), 'cluster.yaml');
  return existsSync(inDir) ? inDir : undefined;
}

/**
 * A key named relative to where the command runs (--ssh-key ./id or K8SB_SSH_KEY) is saved
 * absolute in cluster.yaml, so `--dir X` (the hints' form) finds it from any folder. `~/` stays:
 * it means the user's home wherever the command runs.
 */
function absoluteKeyFromFlag(raw: Record<string, unknown>, given: string | undefined, cwd: string): void {
  const ssh = raw.ssh as Record<string, unknown> | undefined;
  if (!given || !ssh || ssh.privateKey !== given || given.startsWith('~') || isAbsolute(given)) return;
  ssh.privateKey = resolve(cwd, given);
}

/** --config (or --dir's cluster.yaml), then flags over it, then K8SB_* env for what is still open; the wizard asks the rest. */
async function resolveSpec(ctx: CliContext, options: InitCommandFlags, dryRun: boolean): Promise<ResolvedSpec> {
  const specFile = specFileOf(ctx);
  const file = specFile ? await readSpecFile(specFile) : undefined;
  let raw = mergeSpecSources({ file, flags: options, env: ctx.env });
  absoluteKeyFromFlag(raw, options.sshKey ?? ctx.env.K8SB_SSH_KEY, ctx.cwd);
  const missing = findMissingValues(raw);
  let credentials: Record<string, string> = {};
  let credentialsSource: string | undefined;
  let fromWizard = false;
  if (ctx.canPrompt && (!specFile || missing.length > 0)) {
    const { runInitWizard } = await import('../../wizard/init-wizard.js');
    const answers = await runInitWizard(ctx, raw, { askCredentials: !dryRun });
    raw = answers.doc;
    credentials = answers.credentials;
    credentialsSource = answers.credentialsSource;
    fromWizard = true;
  } else if (missing.length > 0) {
    throw new MissingValuesError(missing);
  }
  return { spec: validateSpec(raw, { localFiles: true, env: ctx.env }), credentials, credentialsSource, fromWizard };
}
