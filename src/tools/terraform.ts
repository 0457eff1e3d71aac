/**
 * Terraform / OpenTofu driver. Every call runs `<binary> -chdir=<dir> <command> -input=false
 * -no-color` with TF_IN_AUTOMATION=1 through runTool (the one sanctioned spawner), parses the
 * `-json` UI stream into TerraformEvents, and turns failures into ExternalToolError
 * 'TerraformFailed' carrying each diagnostic's summary, detail and address.
 *
 * Flow: init -> plan -out=tfplan -detailed-exitcode -> apply tfplan. Ctrl-C: the `signal` makes
 * runTool send SIGINT and wait, so Terraform finishes writing state and releases its lock; only
 * after `graceMs` does SIGKILL follow.
 */
import { basename, dirname } from 'node:path';
import { AbortError, ExternalToolError, PreflightError } from '../errors.js';
import { findExecutable, runTool, SubprocessError, type RunResult } from './subprocess.js';
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
  /** `-upgrade`. @default false */
  upgrade?: boolean;
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
  /** Time Terraform gets to save state after SIGINT before SIGKILL. @default 300000 */
  graceMs?: number;
  /** Each parsed event, for StepContext.output/progress. */
  onEvent?: (event: TerraformEvent) => void;
  /** Each raw line (sensitive output values already removed), for the log file. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export const PLUGIN_DIR_ENV = 'K8SB_TF_PLUGIN_DIR';
export const BINARY_ENV = 'K8SB_TERRAFORM_BINARY';

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
    const args = ['init', '-input=false', '-no-color', `-lock-timeout=${this.lockTimeout}`];
    if (pluginDir) args.push(`-plugin-dir=${pluginDir}`);
    for (const [key, value] of Object.entries(options.backendConfig ?? {})) args.push(`-backend-config=${key}=${value}`);
    if (options.upgrade) args.push('-upgrade');
    await this.runText('init', args);
  }

  async plan(options: PlanOptions = {}): Promise<PlanResult> {
    const planFile = options.planFile ?? 'tfplan';
    const args = ['plan', '-json', '-input=false', '-no-color', `-lock-timeout=${this.lockTimeout}`, `-out=${planFile}`, '-detailed-exitcode'];
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
    await this.runJson('apply', ['apply', '-json', '-input=false', '-no-color', `-lock-timeout=${this.lockTimeout}`, planFile]);
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
    await this.runJson('destroy', ['destroy', '-json', '-auto-approve', '-input=false', '-no-color', `-lock-timeout=${this.lockTimeout}`]);
  }

  /** Addresses in the state (`state list`); empty after a destroy. */
  async stateList(): Promise<string[]> {
    const result = await this.run('state list', ['state', 'list', '-no-color'], undefined);
    return result.stdout.split('\n').map((line) => line.trim()).filter(Boolean);
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
      okCodes,
      diagnostics,
    );
    return { result, diagnostics };
  }

  private async run(
    command: string,
    args: string[],
    onLine: ((line: string, stream: 'stdout' | 'stderr') => void) | undefined,
    okCodes: number[] = [0],
    diagnostics: TerraformDiagnostic[] = [],
  ): Promise<RunResult> {
    const name = this.toolName;
    let result: RunResult;
    try {
      result = await runTool(this.options.binary, [`-chdir=${this.options.dir}`, ...args], {
        env: { ...this.options.env, TF_IN_AUTOMATION: '1', TF_INPUT: '0' },
        // terraform.tfstate, its backups and tfplan list every resource: owner-only, like secrets/.
        umask: 0o077,
        signal: this.options.signal,
        killSignal: 'SIGINT',
        forceKillAfterMs: this.options.graceMs ?? 300_000,
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
    return this.options.binary.split('/').pop() === 'tofu' ? 'tofu' : 'terraform';
  }
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
