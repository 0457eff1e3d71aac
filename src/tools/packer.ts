/**
 * The Packer adapter: `packer init` and `packer build -machine-readable`, streamed into events.
 *
 * Packer quirks this module handles (verified with Packer 1.6.6, the Debian/Ubuntu package):
 * - `packer` re-executes itself under a "panicwrap" parent that ignores SIGINT and forwards only
 *   SIGTERM; a SIGINT sent to the pid we spawned alone does nothing. A terminal's Ctrl-C reaches
 *   the whole process group instead, so that is what we emulate: Packer runs in its own process
 *   group and cancellation sends SIGINT to that group. The real Packer then prints "Cancelling
 *   build after receiving interrupt" ... "Cleanly cancelled builds after being interrupted" and
 *   deletes its temporary instance, key pair and security group; local provisioner scripts
 *   (shell-local), which Packer 1.6.6 leaves running, get the SIGINT too instead of holding our
 *   output pipe open. SIGKILL (to the group) only after a long grace period.
 * - `packer init` exists from 1.7 (required_plugins); the templates need it, so doctor, init's
 *   preflight and its dry run refuse an older Packer (packerVersionProblem). init() itself still
 *   skips it with a notice on an older one, for a caller that brings its plugins along.
 * - CHECKPOINT_DISABLE=1 stops Packer from calling checkpoint.hashicorp.com for update checks.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AbortError, ExternalToolError, PreflightError } from '../errors.js';
import { findExecutable, runTool, SubprocessError, type RunOptions } from './subprocess.js';
import { parsePackerVersion, toPackerEvent, versionAtLeast, type PackerEvent } from './packer-machine-readable.js';

export type { PackerEvent } from './packer-machine-readable.js';

/** First Packer version with `packer init` and `required_plugins`. */
export const PACKER_INIT_MIN_VERSION = '1.7.0';

/** How to get a Packer the templates can use; doctor, preflight and the dry run say the same. */
export const PACKER_INSTALL_HINT =
  'Packer >= 1.7: https://developer.hashicorp.com/packer/install (apt: add the HashiCorp apt repository, then apt install packer; brew install hashicorp/tap/packer; or a binary from https://releases.hashicorp.com/packer/). ' +
  'Debian/Ubuntu\'s own packer package is 1.6.x, too old for plugin templates';

/**
 * The one rule on the Packer version (doctor, init's preflight and its dry run): every template
 * starts with `packer { required_plugins { … } }`, which needs `packer init`, added in 1.7.0.
 * Undefined when `version` can build the templates.
 */
export function packerVersionProblem(version: string): string | undefined {
  if (versionAtLeast(version, PACKER_INIT_MIN_VERSION)) return undefined;
  return `packer ${version} is older than ${PACKER_INIT_MIN_VERSION}: it cannot read required_plugins or run packer init, which the node image templates need`;
}

/** What a `packer` binary is, for preflight and the dry run: its version and the rule's verdict. */
export interface PackerCheck {
  /** The binary found on PATH; undefined when there is none. */
  path?: string;
  version?: string;
  /** Why it cannot build the templates (missing, too old, version unreadable). */
  problem?: string;
}

/** Finds `packer` on `env.PATH` and applies packerVersionProblem to its version. */
export async function checkPacker(env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<PackerCheck> {
  const path = await findExecutable('packer', env.PATH ?? '');
  if (!path) return { problem: 'packer was not found on PATH' };
  try {
    const version = await new PackerCli(path).version({ signal });
    const problem = packerVersionProblem(version);
    return { path, version, ...(problem ? { problem } : {}) };
  } catch (error) {
    if (error instanceof AbortError) throw error;
    return { path, problem: `${path} version failed: ${(error as Error).message}` };
  }
}
/** How long Packer gets to delete its temporary cloud resources after Ctrl-C before SIGKILL. */
export const PACKER_CLEANUP_GRACE_MS = 10 * 60_000;

const PACKER_ENV = { CHECKPOINT_DISABLE: '1', PACKER_NO_COLOR: '1' } as const;

export interface PackerInitOptions {
  signal?: AbortSignal;
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  env?: Record<string, string | undefined>;
}

export interface PackerInitResult {
  ran: boolean;
  /** Why init was skipped (old Packer). */
  notice?: string;
}

export interface PackerBuildOptions {
  /** The .pkr.hcl file. */
  template: string;
  /** JSON variables file (`-var-file`); Packer treats any *.json var file as JSON. */
  varFile?: string;
  /** Extra `-var name=value` pairs (no secrets: they show up in process listings). */
  vars?: Record<string, string>;
  /** Working directory (where the manifest lands). @default the template's folder */
  cwd?: string;
  /** `-force`: replace an existing artifact of the same name. @default false */
  force?: boolean;
  signal?: AbortSignal;
  onEvent?: (event: PackerEvent) => void;
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Added to the environment (credentials reach Packer this way, never through files). */
  env?: Record<string, string | undefined>;
  /** Manifest written by the template's manifest post-processor. @default <cwd>/packer-manifest.json */
  manifestPath?: string;
  /** @default PACKER_CLEANUP_GRACE_MS */
  cleanupGraceMs?: number;
}

export interface PackerBuildResult {
  /** Id of the image: Exoscale template UUID, "region:ami-…" on AWS, Glance image id. */
  artifactId: string;
  /** Where the id came from. */
  artifactSource: 'machine-readable' | 'manifest';
  artifacts: Array<{ builder: string; index: number; id: string }>;
}

/** What the workflows depend on, so tests can swap in a fake. */
export interface Packer {
  version(options?: { signal?: AbortSignal }): Promise<string>;
  init(templatePath: string, options?: PackerInitOptions): Promise<PackerInitResult>;
  build(options: PackerBuildOptions): Promise<PackerBuildResult>;
}

interface Manifest {
  builds?: Array<{ artifact_id?: string; packer_run_uuid?: string }>;
  last_run_uuid?: string;
}

export class PackerCli implements Packer {
  constructor(private readonly binary = 'packer') {}

  async version(options: { signal?: AbortSignal } = {}): Promise<string> {
    const result = await this.run(['version', '-machine-readable'], { signal: options.signal }, 'PackerVersionFailed');
    const version = parsePackerVersion(result.stdout);
    if (!version) throw new ExternalToolError('PackerVersionUnknown', `could not read the Packer version from: ${result.stdout.slice(0, 200)}`);
    return version;
  }

  async init(templatePath: string, options: PackerInitOptions = {}): Promise<PackerInitResult> {
    const version = await this.version({ signal: options.signal });
    if (!versionAtLeast(version, PACKER_INIT_MIN_VERSION)) {
      return {
        ran: false,
        notice: `packer ${version} has no "packer init" (added in ${PACKER_INIT_MIN_VERSION}); plugins must already be installed. Upgrade: https://developer.hashicorp.com/packer/install`,
      };
    }
    const result = await this.run(['init', templatePath], { ...options, cwd: dirname(templatePath), allowFailure: true }, 'PackerInitFailed');
    if (result.exitCode !== 0) {
      throw new ExternalToolError('PackerInitFailed', `packer init ${templatePath} failed (exit ${result.exitCode})`, {
        details: result.tail,
        hint: 'packer init downloads the plugins named in required_plugins from GitHub; check network access, or install them manually (packer plugins install).',
      });
    }
    return { ran: true };
  }

  async build(options: PackerBuildOptions): Promise<PackerBuildResult> {
    const cwd = options.cwd ?? dirname(options.template);
    const manifestPath = options.manifestPath ?? join(cwd, 'packer-manifest.json');
    const runBefore = (await readManifest(manifestPath))?.last_run_uuid;
    const args = ['build', '-machine-readable', '-color=false', '-on-error=cleanup'];
    if (options.force) args.push('-force');
    if (options.varFile) args.push(`-var-file=${options.varFile}`);
    for (const [name, value] of Object.entries(options.vars ?? {})) args.push('-var', `${name}=${value}`);
    args.push(options.template);

    const artifacts: PackerBuildResult['artifacts'] = [];
    const uiErrors: string[] = [];
    const buildErrors: string[] = [];
    const onStdout = (line: string) => {
      const event = toPackerEvent(line);
      if (!event) return;
      if (event.type === 'artifact') artifacts.push({ builder: event.builder, index: event.index, id: event.id });
      if (event.type === 'error') uiErrors.push(event.message);
      if (event.type === 'build-error') buildErrors.push(`${event.builder}: ${event.message}`);
      options.onEvent?.(event);
    };

    const result = await this.run(
      args,
      {
        cwd,
        env: options.env,
        signal: options.signal,
        killSignal: 'SIGINT',
        processGroup: true,
        forceKillAfterMs: options.cleanupGraceMs ?? PACKER_CLEANUP_GRACE_MS,
        allowFailure: true,
        onLine: (line, stream) => {
          options.onLine?.(line, stream);
          if (stream === 'stdout') onStdout(line);
        },
      },
      'PackerFailed',
    );

    if (result.exitCode !== 0) {
      const details = uniqueLines(uiErrors.length > 0 ? uiErrors : buildErrors.length > 0 ? buildErrors : result.tail);
      throw new ExternalToolError('PackerFailed', `packer build ${options.template} failed (exit ${result.exitCode})`, {
        details,
        hint: 'Packer deleted its temporary instance (-on-error=cleanup). Fix the error above and run again; the full output is in the run log.',
      });
    }

    const fromStream = artifacts.find((artifact) => artifact.id !== '');
    if (fromStream) return { artifactId: fromStream.id, artifactSource: 'machine-readable', artifacts };
    const manifest = await readManifest(manifestPath);
    const runUuid = manifest?.last_run_uuid;
    // A manifest whose last run is the one we saw before building belongs to an earlier build.
    const build = runUuid && runUuid !== runBefore ? manifest?.builds?.filter((b) => b.packer_run_uuid === runUuid).at(-1) : undefined;
    if (build?.artifact_id) return { artifactId: build.artifact_id, artifactSource: 'manifest', artifacts };
    throw new ExternalToolError('PackerNoArtifact', `packer build ${options.template} succeeded but reported no artifact id`, {
      hint: `Check the template's builders and its manifest post-processor (${manifestPath}).`,
    });
  }

  /** runTool with Packer's environment; maps spawn failures and Ctrl-C to our errors. */
  private async run(args: string[], options: RunOptions, failureCode: string) {
    try {
      return await runTool(this.binary, args, { ...options, env: { ...PACKER_ENV, ...options.env } });
    } catch (error) {
      if (error instanceof SubprocessError && error.kind === 'spawn-failed') {
        throw new PreflightError('PackerNotFound', `${this.binary} could not be started`, {
          cause: error,
          hint: 'Install Packer (https://developer.hashicorp.com/packer/install, or apt install packer / brew install packer), then run k8s-bootstrap doctor.',
        });
      }
      if (error instanceof SubprocessError && error.kind === 'aborted') {
        throw new AbortError('Interrupted', `packer ${args[0]} was interrupted`, {
          cause: error,
          details: error.result?.tail,
          hint: 'Packer was asked to stop and cleaned up its temporary resources; run the command again to resume.',
        });
      }
      if (error instanceof SubprocessError) {
        throw new ExternalToolError(failureCode, error.message, { cause: error, details: error.details });
      }
      throw error;
    }
  }
}

async function readManifest(path: string): Promise<Manifest | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

function uniqueLines(lines: string[]): string[] {
  return [...new Set(lines.flatMap((line) => line.split('\n')).map((line) => line.trimEnd()).filter((line) => line.trim() !== ''))];
}
