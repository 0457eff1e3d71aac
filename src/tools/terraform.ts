/**
 * Terraform / OpenTofu driver. Every call runs `<binary> -chdir=<dir> <command> -input=false
 * -no-color` with TF_IN_AUTOMATION=1 through runTool (the one sanctioned spawner), parses the
 * `-json` UI stream into TerraformEvents, and turns failures into ExternalToolError
 * 'TerraformFailed' carrying each diagnostic's summary, detail and address.
 *
 * Flow: init -> plan -out=tfplan -detailed-exitcode -> apply tfplan (the plan file is deleted
 * afterwards). init adds: `-json` where the binary has it, an OpenTofu view of the plugin mirror,
 * `-force-copy` when a backend is added to existing local state, and one retry with `-upgrade`
 * when the lock file no longer satisfies the module's provider constraints.
 *
 * Ctrl-C: Terraform runs in a process group of its own, so a terminal's Ctrl-C (sent to the whole
 * foreground group) reaches only the CLI, which aborts `signal`; runTool then sends the group one
 * SIGINT. Terraform takes a second SIGINT as "exit immediately, data loss may have occurred"
 * (hashicorp/terraform v1.11 internal/command/meta.go RunOperation, views/operation.go), which is
 * what happened when it shared the terminal's group. After the one SIGINT it finishes what is in
 * flight, writes its state and releases its lock; SIGKILL only after `graceMs`. A second Ctrl-C
 * of the person is passed on as Terraform's second SIGINT (src/cli/interrupt.ts).
 */
import { mkdtemp, copyFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { AbortError, ExternalToolError, PreflightError, UsageError } from '../errors.js';
import { findExecutable, runTool, SubprocessError, type RunResult } from './subprocess.js';
import { tofuPluginDirs } from './terraform-plugin-mirror.js';
import { addsBackendToLocalState, stateResourceCount } from './terraform-state-migration.js';
import {
  formatDiagnostic,
  parseTerraformLine,
  redactTerraformLine,
  type ChangeSummary,
  type PlannedChange,
  type TerraformDiagnostic,
  type TerraformEvent,
} from './terraform-json.js';

export type { ChangeSummary, PlannedChange, TerraformDiagnostic, TerraformEvent } from './terraform-json.js';

export type TerraformBinaryName = 'terraform' | 'tofu';

export interface TerraformOutput {
  sensitive: boolean;
  type: unknown;
  value: unknown;
}

export interface PlanResult {
  /** Path of the saved plan, relative to the working dir. */
  planFile: string;
  /** False when -detailed-exitcode said "no changes". */
  hasChanges: boolean;
  changes: PlannedChange[];
  summary: ChangeSummary;
  diagnostics: TerraformDiagnostic[];
}

export interface PlanOptions {
  /** Plan a destroy. @default false */
  destroy?: boolean;
  /** @default "tfplan" */
  planFile?: string;
}

export interface InitOptions {
  /** Local provider mirror (`-plugin-dir`); defaults to env K8SB_TF_PLUGIN_DIR. */
  pluginDir?: string;
  /** Backend settings (`-backend-config=key=value`); values must not be secrets (those come from env). */
  backendConfig?: Record<string, string>;
  /**
   * `-upgrade` from the start. Without it, init is retried once with -upgrade when the lock file
   * pins a provider version the module's constraints no longer allow. @default false
   */
  upgrade?: boolean;
  /**
   * The working dir's file that configures the backend; when it is there, the dir has local state
   * with resources and no backend was initialised yet, init moves the state into the backend.
   * @default "backend.tf.json" (what k8s-bootstrap writes)
   */
  backendFile?: string;
}

export interface TerraformVersion {
  tool: TerraformBinaryName;
  /** e.g. "1.11.4" */
  version: string;
}

/** What workflows depend on; tests may substitute a fake. */
export interface Terraform {
  init(options?: InitOptions): Promise<void>;
  plan(options?: PlanOptions): Promise<PlanResult>;
  apply(planFile?: string): Promise<void>;
  output(): Promise<Record<string, TerraformOutput>>;
  destroy(): Promise<void>;
}

export interface TerraformCliOptions {
  /** The working dir (the cluster folder's terraform/). */
  dir: string;
  /** Absolute path or name of the binary; see resolveTerraformBinary. */
  binary: string;
  /** Added to the environment of every call (provider credentials). Never logged. */
  env?: Record<string, string | undefined>;
  /** @default "5m" */
  lockTimeout?: string;
  /** Aborting interrupts the running command (SIGINT, then wait). */
  signal?: AbortSignal;
  /** Time Terraform gets to save state after SIGINT before SIGKILL. @default TERRAFORM_STOP_GRACE_MS */
  graceMs?: number;
  /** Each parsed event, for StepContext.output/progress. */
  onEvent?: (event: TerraformEvent) => void;
  /** Each raw line (sensitive output values already removed), for the log file. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /**
   * `-parallelism=N` for plan, apply and destroy (see terraformParallelism). Unset: Terraform's
   * own default (10). Not passed when the environment's TF_CLI_ARGS / TF_CLI_ARGS_<command>
   * already sets it: the person's choice there stands.
   */
  parallelism?: number;
}

export const PLUGIN_DIR_ENV = 'K8SB_TF_PLUGIN_DIR';
export const BINARY_ENV = 'K8SB_TERRAFORM_BINARY';
/** How long Terraform may take after its SIGINT to finish operations in flight and write state. */
export const TERRAFORM_STOP_GRACE_MS = 10 * 60_000;
export const DEFAULT_BACKEND_FILE = 'backend.tf.json';
export const PARALLELISM_ENV = 'K8SB_TERRAFORM_PARALLELISM';
/** Terraform's default -parallelism (`terraform apply -help`: "Defaults to 10"). */
export const TERRAFORM_DEFAULT_PARALLELISM = 10;
/**
 * The most operations k8s-bootstrap lets Terraform run at once unless told otherwise. Every
 * machine's create is one operation, and each then polls its instance until it runs: with the
 * EC2 API's non-mutating bucket of 100 requests refilled at 20/s and the mutating one of 200 at
 * 5/s (docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html), 50 machines created at
 * once stay inside both, where 100 would run into RequestLimitExceeded retries. Exoscale and
 * OpenStack (Nova's default quotas, API rate limits of the operator) are no more generous.
 */
export const MAX_AUTO_PARALLELISM = 50;
/** What spec.terraform.parallelism and K8SB_TERRAFORM_PARALLELISM may say. */
export const MAX_PARALLELISM = 256;

/**
 * -parallelism for a cluster of `machines` machines: spec.terraform.parallelism, else
 * K8SB_TERRAFORM_PARALLELISM, else one operation per machine, at least Terraform's default 10
 * (the network, firewall and load balancer resources go alongside the machines) and at most
 * MAX_AUTO_PARALLELISM. Terraform itself creates at most 10 resources at once, so 100 machines
 * would be created ten at a time. A malformed variable is a UsageError (exit 2) naming it.
 */
export function terraformParallelism(machines: number, configured?: number, env: Record<string, string | undefined> = process.env): number {
  if (configured !== undefined) return configured;
  const raw = env[PARALLELISM_ENV];
  if (raw !== undefined && raw.trim() !== '') {
    const value = Number(raw.trim());
    if (!/^\d+$/.test(raw.trim()) || value < 1 || value > MAX_PARALLELISM) {
      throw new UsageError('InvalidTerraformParallelism', `${PARALLELISM_ENV}=${JSON.stringify(raw)} is not a whole number from 1 to ${MAX_PARALLELISM}`, {
        hint: `Set ${PARALLELISM_ENV} to how many operations Terraform may run at once (e.g. 20), or unset it: k8s-bootstrap then uses one per machine, between ${TERRAFORM_DEFAULT_PARALLELISM} and ${MAX_AUTO_PARALLELISM}. spec.terraform.parallelism in cluster.yaml says the same and wins.`,
      });
    }
    return value;
  }
  return Math.min(MAX_AUTO_PARALLELISM, Math.max(TERRAFORM_DEFAULT_PARALLELISM, machines));
}

/** TF_CLI_ARGS (every command) or TF_CLI_ARGS_<command> already carries -parallelism. */
function parallelismFromEnvironment(command: string, env: Record<string, string | undefined>): boolean {
  return [env.TF_CLI_ARGS, env[`TF_CLI_ARGS_${command}`]].some((value) => value !== undefined && /(^|\s)--?parallelism(=|\s|$)/.test(value));
}

/**
 * Init's message when .terraform.lock.hcl pins a version the constraints exclude (hashicorp/
 * terraform internal/providercache/installer.go; the same in opentofu). Text output may wrap it.
 */
const LOCKED_VERSION_MISMATCH = /does\s+not\s+match\s+configured\s+version\s+constraint/;

/** `<binary> version -json` (Terraform >= 0.13, every OpenTofu): {"terraform_version": "1.11.4", …}. */
export async function terraformVersion(binary: string, signal?: AbortSignal): Promise<TerraformVersion> {
  const tool = toolNameOf(binary);
  let stdout = '';
  try {
    stdout = (await runTool(binary, ['version', '-json'], { signal, env: { TF_IN_AUTOMATION: '1' } })).stdout;
    const version = (JSON.parse(stdout) as { terraform_version?: unknown }).terraform_version;
    if (typeof version === 'string' && /^\d+\.\d+/.test(version)) return { tool, version };
  } catch (error) {
    throw new PreflightError('TerraformVersionUnknown', `\`${binary} version -json\` failed`, { cause: error });
  }
  throw new PreflightError('TerraformVersionUnknown', `could not read the ${tool} version from \`${binary} version -json\`: ${stdout.slice(0, 200)}`);
}

/** True when `version` (e.g. "1.10.0-beta1") is at least `minimum` ("1.10"). */
export function versionAtLeast(version: string, minimum: string): boolean {
  const parts = (text: string) => text.split(/[.-]/).slice(0, 3).map((p) => Number.parseInt(p, 10) || 0);
  const [a, b] = [parts(version), parts(minimum)];
  for (let i = 0; i < 3; i += 1) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

const initJsonSupport = new Map<string, Promise<boolean>>();

/**
 * Whether `init` takes -json: Terraform from 1.9, OpenTofu from 1.7 (opentofu #1453). Read from
 * the binary's own `init -help` rather than from a version table.
 */
export function initSupportsJson(binary: string): Promise<boolean> {
  let known = initJsonSupport.get(binary);
  if (!known) {
    known = runTool(binary, ['init', '-help'], { allowFailure: true, env: { TF_IN_AUTOMATION: '1' } }).then(
      (result) => /^\s+-json\b/m.test(`${result.stdout}\n${result.stderr}`),
      () => false,
    );
    initJsonSupport.set(binary, known);
  }
  return known;
}

/**
 * Picks the binary: an explicit choice (flag or spec.terraform.binary), else env
 * K8SB_TERRAFORM_BINARY, else the first of terraform, tofu on PATH.
 */
export async function resolveTerraformBinary(
  choice?: string,
  env: Record<string, string | undefined> = process.env,
): Promise<string> {
  const wanted = choice ?? env[BINARY_ENV];
  const candidates = wanted ? [wanted] : ['terraform', 'tofu'];
  for (const candidate of candidates) {
    // A path names one file; a bare name is looked up on PATH.
    const found = candidate.includes('/')
      ? await findExecutable(basename(candidate), dirname(candidate))
      : await findExecutable(candidate, env.PATH ?? '');
    if (found) return found;
  }
  const what = wanted ? `"${wanted}"` : 'terraform or tofu';
  throw new PreflightError('TerraformMissing', `${what} was not found on PATH`, {
    hint:
      'Install Terraform >= 1.5 (https://developer.hashicorp.com/terraform/install) or OpenTofu >= 1.6 ' +
      `(https://opentofu.org/docs/intro/install/), or name the binary with spec.terraform.binary / ${BINARY_ENV}.`,
  });
}

export class TerraformCli implements Terraform {
  private readonly options: TerraformCliOptions;

  constructor(options: TerraformCliOptions) {
    this.options = options;
  }

  async init(options: InitOptions = {}): Promise<void> {
    const pluginDir = options.pluginDir ?? this.options.env?.[PLUGIN_DIR_ENV] ?? process.env[PLUGIN_DIR_ENV];
    const base = ['init', '-input=false', '-no-color', `-lock-timeout=${this.lockTimeout}`];
    const pluginDirs = !pluginDir ? [] : this.toolName === 'tofu' ? await tofuPluginDirs(pluginDir, this.options.dir) : [pluginDir];
    for (const dir of pluginDirs) base.push(`-plugin-dir=${dir}`);
    const backendArgs = Object.entries(options.backendConfig ?? {}).map(([key, value]) => `-backend-config=${key}=${value}`);
    base.push(...backendArgs);
    const backendFile = options.backendFile ?? DEFAULT_BACKEND_FILE;
    const environment = { ...process.env, ...this.options.env };
    if (await addsBackendToLocalState(this.options.dir, backendFile, environment)) {
      await this.assertBackendEmpty(backendFile, backendArgs);
      this.options.onEvent?.({ type: 'message', level: 'info', kind: 'text', message: 'Moving the local state into the new backend (-force-copy)' });
      base.push('-force-copy');
    }
    const json = await initSupportsJson(this.options.binary);
    const runInit = (args: string[]) => (json ? this.runJson('init', [...args, '-json']).then(() => undefined) : this.runText('init', args).then(() => undefined));
    if (options.upgrade) return runInit([...base, '-upgrade']);
    try {
      await runInit(base);
    } catch (error) {
      if (!(error instanceof ExternalToolError) || !LOCKED_VERSION_MISMATCH.test([error.message, ...error.details].join('\n'))) throw error;
      // A new k8s-bootstrap release raised a provider constraint: let init pick a version that fits.
      this.options.onEvent?.({ type: 'message', level: 'info', kind: 'text', message: 'The lock file pins a provider version the module no longer allows: running init -upgrade' });
      await runInit([...base, '-upgrade']);
    }
  }

  /**
   * Before -force-copy: the backend must hold no state at this key yet, or forcing would replace
   * it. Reads it with `state pull` in a scratch dir that has only the backend file.
   */
  private async assertBackendEmpty(backendFile: string, backendArgs: string[]): Promise<void> {
    const scratch = await mkdtemp(join(tmpdir(), 'k8sb-backend-check-'));
    try {
      await copyFile(join(this.options.dir, backendFile), join(scratch, backendFile));
      // Its own data dir too: a TF_DATA_DIR of the person's must not record the scratch backend.
      const where = { dir: scratch, env: { TF_DATA_DIR: join(scratch, '.terraform') } };
      await this.run('init', ['init', '-input=false', '-no-color', ...backendArgs], undefined, where);
      const pulled = await this.run('state pull', ['state', 'pull'], undefined, where);
      const count = stateResourceCount(pulled.stdout);
      if (count > 0) {
        throw new ExternalToolError('TerraformStateInBoth', `the new backend (${backendFile}) already holds a state with ${count} resources, and ${this.options.dir}/terraform.tfstate has one too`, {
          hint:
            'Nothing was copied. Point terraform.backend (bucket/key) at an unused key to move this cluster\'s local state there, ' +
            'or, if the backend\'s state is the right one, move terraform/terraform.tfstate away and run again.',
        });
      }
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  async plan(options: PlanOptions = {}): Promise<PlanResult> {
    const planFile = options.planFile ?? 'tfplan';
    const args = ['plan', '-json', '-input=false', '-no-color', `-lock-timeout=${this.lockTimeout}`, ...this.parallelismArgs('plan'), `-out=${planFile}`, '-detailed-exitcode'];
    if (options.destroy) args.push('-destroy');
    const changes: PlannedChange[] = [];
    let summary: ChangeSummary = { add: 0, change: 0, remove: 0, operation: 'plan' };
    const { result, diagnostics } = await this.runJson('plan', args, (event) => {
      if (event.type === 'planned_change') changes.push({ address: event.address, action: event.action, ...(event.reason ? { reason: event.reason } : {}) });
      if (event.type === 'change_summary') summary = { add: event.add, change: event.change, remove: event.remove, operation: event.operation };
    }, [0, 2]);
    return { planFile, hasChanges: result.exitCode === 2, changes, summary, diagnostics };
  }

  async apply(planFile = 'tfplan'): Promise<void> {
    await this.runJson('apply', ['apply', '-json', '-input=false', '-no-color', `-lock-timeout=${this.lockTimeout}`, ...this.parallelismArgs('apply'), planFile]);
    // Applied, the plan is spent (Terraform refuses a stale plan) and only repeats the state.
    await this.discardPlan(planFile);
  }

  /** Deletes a saved plan (after apply, or when it had no changes). */
  async discardPlan(planFile = 'tfplan'): Promise<void> {
    await rm(join(this.options.dir, planFile), { force: true });
  }

  async output(): Promise<Record<string, TerraformOutput>> {
    // No onLine here: the JSON holds sensitive values in plain text.
    const result = await this.run('output', ['output', '-json', '-no-color'], undefined);
    try {
      return JSON.parse(result.stdout === '' ? '{}' : result.stdout) as Record<string, TerraformOutput>;
    } catch (error) {
      throw new ExternalToolError('TerraformOutputUnreadable', '`terraform output -json` did not return JSON', { cause: error });
    }
  }

  async destroy(): Promise<void> {
    await this.runJson('destroy', ['destroy', '-json', '-auto-approve', '-input=false', '-no-color', `-lock-timeout=${this.lockTimeout}`, ...this.parallelismArgs('destroy')]);
  }

  /** Addresses in the state (`state list`); empty after a destroy. */
  async stateList(): Promise<string[]> {
    const result = await this.run('state list', ['state', 'list', '-no-color'], undefined);
    return result.stdout.split('\n').map((line) => line.trim()).filter(Boolean);
  }

  /**
   * `-parallelism=N` (plan, apply and destroy take it: Terraform's command docs) unless unset or
   * the environment's TF_CLI_ARGS(_<command>) sets it already (Terraform reads those first and
   * a later flag would silently override the person's choice).
   */
  private parallelismArgs(command: 'plan' | 'apply' | 'destroy'): string[] {
    const { parallelism } = this.options;
    if (parallelism === undefined) return [];
    if (parallelismFromEnvironment(command, { ...process.env, ...this.options.env })) return [];
    return [`-parallelism=${parallelism}`];
  }

  private get lockTimeout(): string {
    return this.options.lockTimeout ?? '5m';
  }

  /** Commands without -json: lines go to onLine and become `message` events. */
  private async runText(command: string, args: string[]): Promise<RunResult> {
    return this.run(command, args, (line, stream) => {
      this.options.onLine?.(line, stream);
      if (line.trim() !== '') this.options.onEvent?.({ type: 'message', level: stream === 'stderr' ? 'warn' : 'info', kind: 'text', message: line });
    });
  }

  private async runJson(
    command: string,
    args: string[],
    observe?: (event: TerraformEvent) => void,
    okCodes: number[] = [0],
  ): Promise<{ result: RunResult; diagnostics: TerraformDiagnostic[] }> {
    const diagnostics: TerraformDiagnostic[] = [];
    const result = await this.run(
      command,
      args,
      (line, stream) => {
        this.options.onLine?.(redactTerraformLine(line), stream);
        const event = stream === 'stdout' ? parseTerraformLine(line) : line.trim() === '' ? undefined : ({ type: 'message', level: 'warn', kind: 'stderr', message: line } as const);
        if (!event) return;
        if (event.type === 'diagnostic') {
          diagnostics.push({ severity: event.severity, summary: event.summary, ...(event.detail ? { detail: event.detail } : {}), ...(event.address ? { address: event.address } : {}) });
        }
        observe?.(event);
        this.options.onEvent?.(event);
      },
      { okCodes, diagnostics },
    );
    return { result, diagnostics };
  }

  private async run(
    command: string,
    args: string[],
    onLine: ((line: string, stream: 'stdout' | 'stderr') => void) | undefined,
    { okCodes = [0], diagnostics = [], dir = this.options.dir, env = {} }: { okCodes?: number[]; diagnostics?: TerraformDiagnostic[]; dir?: string; env?: Record<string, string> } = {},
  ): Promise<RunResult> {
    const name = this.toolName;
    let result: RunResult;
    try {
      result = await runTool(this.options.binary, [`-chdir=${dir}`, ...args], {
        env: { ...this.options.env, ...env, TF_IN_AUTOMATION: '1', TF_INPUT: '0' },
        // terraform.tfstate, its backups and tfplan list every resource: owner-only, like secrets/.
        umask: 0o077,
        signal: this.options.signal,
        // Its own group: the terminal's Ctrl-C does not reach it, runTool sends exactly one SIGINT.
        processGroup: true,
        killSignal: 'SIGINT',
        forceKillAfterMs: this.options.graceMs ?? TERRAFORM_STOP_GRACE_MS,
        onLine,
        allowFailure: true,
      });
    } catch (error) {
      if (error instanceof SubprocessError && (error.kind === 'aborted' || this.options.signal?.aborted)) {
        throw new AbortError('TerraformInterrupted', `${name} ${command} was interrupted`, {
          cause: error,
          hint: `${name} stopped after saving its state; run the command again to continue.`,
          details: error.result?.tail,
        });
      }
      if (error instanceof SubprocessError && error.kind === 'spawn-failed') {
        throw new PreflightError('TerraformMissing', `${this.options.binary} could not be started`, { cause: error });
      }
      throw failure(name, command, diagnostics, error instanceof SubprocessError ? error.result : undefined, error);
    }
    if (!okCodes.includes(result.exitCode)) throw failure(name, command, diagnostics, result);
    return result;
  }

  private get toolName(): TerraformBinaryName {
    return toolNameOf(this.options.binary);
  }
}

function toolNameOf(binary: string): TerraformBinaryName {
  return binary.split('/').pop() === 'tofu' ? 'tofu' : 'terraform';
}

function failure(
  tool: string,
  command: string,
  diagnostics: TerraformDiagnostic[],
  result: RunResult | undefined,
  cause?: unknown,
): ExternalToolError {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const shown = errors.length > 0 ? errors : diagnostics;
  const first = shown[0];
  const headline = first ? `: ${first.summary}${first.address ? ` (${first.address})` : ''}` : result ? ` with exit code ${result.exitCode}` : '';
  const details = shown.length > 0 ? shown.flatMap(formatDiagnostic) : (result?.tail ?? []);
  return new ExternalToolError('TerraformFailed', `${tool} ${command} failed${headline}`, {
    cause,
    details,
    hint: `The full ${tool} output is in the run's log file; fix the cause and run the command again.`,
  });
}

/**
 * add-workers must not touch existing infrastructure: true when the plan only creates (or reads
 * data sources), otherwise the changes that are not additions.
 */
export function planOnlyAdditions(plan: Pick<PlanResult, 'changes'>): true | PlannedChange[] {
  const others = plan.changes.filter((change) => change.action !== 'create' && change.action !== 'read' && change.action !== 'noop');
  return others.length === 0 ? true : others;
}

/** Outputs with sensitive values replaced, safe to log or show. */
export function redactOutputs(outputs: Record<string, TerraformOutput>): Record<string, TerraformOutput> {
  return Object.fromEntries(
    Object.entries(outputs).map(([name, output]) => [name, output.sensitive ? { ...output, value: '(sensitive)' } : output]),
  );
}
