/**
 * The one sanctioned way to start a local process. Argv arrays only, never a shell.
 * execa is imported lazily so that --help and --version stay fast.
 */
import { ExternalToolError } from '../errors.js';

export interface RunOptions {
  cwd?: string;
  /**
   * What the child needs beyond the base environment (childEnvironment): credentials, tool
   * settings. The rest of this process's environment is not passed on.
   */
  env?: Record<string, string | undefined>;
  /** File-creation mask of the child (Terraform writes its state with 0666 &~ umask). */
  umask?: number;
  /** Aborting sends `killSignal` (default SIGINT, so tools clean up), then SIGKILL after `forceKillAfterMs`. */
  signal?: AbortSignal;
  killSignal?: NodeJS.Signals;
  forceKillAfterMs?: number;
  /**
   * Start the tool in its own process group and deliver `killSignal` (and the later SIGKILL) to the
   * whole group, like a terminal's Ctrl-C does. For tools whose own children would otherwise
   * outlive them and keep the output pipes open (Packer's shell-local scripts), and for tools that
   * must get exactly one SIGINT per Ctrl-C (Terraform takes a second one as "exit immediately"):
   * the terminal's own SIGINT then reaches only this process, which passes it on once.
   */
  processGroup?: boolean;
  timeoutMs?: number;
  /** Called with each complete line of stdout/stderr as it arrives. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  input?: string;
  /** Resolve with a non-zero exit code instead of throwing. */
  allowFailure?: boolean;
  /**
   * Give the child this process's stdin/stdout/stderr (an interactive `ssh` session). Nothing is
   * captured: onLine, input and the result's stdout/stderr/tail stay empty.
   */
  inheritStdio?: boolean;
}

export interface RunResult {
  exitCode: number;
  signal?: string;
  stdout: string;
  stderr: string;
  /** Last lines of stderr (or stdout when stderr is empty), for error messages. */
  tail: string[];
}

export type SubprocessFailure = 'spawn-failed' | 'exited' | 'killed' | 'timed-out' | 'aborted';

export class SubprocessError extends ExternalToolError {
  readonly kind: SubprocessFailure;
  readonly result?: RunResult;
  constructor(kind: SubprocessFailure, command: string, result: RunResult | undefined, cause?: unknown) {
    const what = {
      'spawn-failed': 'could not be started',
      exited: `exited with code ${result?.exitCode}`,
      killed: `was killed by ${result?.signal}`,
      'timed-out': 'timed out',
      aborted: 'was interrupted',
    }[kind];
    super('SubprocessFailed', `${command} ${what}`, { cause, details: result?.tail });
    this.kind = kind;
    this.result = result;
  }
}

const TAIL_LINES = 20;

/**
 * The part of this process's environment every child gets: where programs, home and temp are,
 * locale and time zone, proxies and CA bundles, and each tool's own settings (TF_*, PKR_*,
 * PACKER_*, K8SB_*). Credentials of other clouds, tokens of other services (GITHUB_TOKEN, …) and
 * everything else stay here: a child and the plugins it downloads get only what the caller adds.
 */
const BASE_NAMES = new Set(['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'TMPDIR', 'TZ', 'LANG', 'LANGUAGE', 'TERM', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'CHECKPOINT_DISABLE', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME', 'XDG_DATA_HOME', 'XDG_RUNTIME_DIR', 'SSH_AUTH_SOCK', 'GIT_SSH', 'GIT_SSH_COMMAND']);
const BASE_PREFIXES = ['LC_', 'TF_', 'PKR_', 'PACKER_', 'K8SB_'];
const PROXY_NAMES = new Set(['http_proxy', 'https_proxy', 'no_proxy', 'all_proxy']);
/**
 * The CCM/CSI key the user brings (K8SB_EXOSCALE_CCM_*, K8SB_OS_CCM_*: providers/cloud-credentials.ts)
 * and Velero's S3 keys (K8SB_VELERO_S3_*: config/addons.ts) go only into the cluster's Secrets,
 * never into a tool's environment.
 */
const CHILD_EXCLUDED = /^K8SB_(?:[A-Z]+_CCM_|VELERO_S3_)/;

export function childEnvironment(parent: NodeJS.ProcessEnv, extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(parent)) {
    if (value === undefined || CHILD_EXCLUDED.test(name)) continue;
    if (BASE_NAMES.has(name) || PROXY_NAMES.has(name.toLowerCase()) || BASE_PREFIXES.some((prefix) => name.startsWith(prefix))) env[name] = value;
  }
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/**
 * Tools started with processGroup, by process group id, each with a promise of its exit. A
 * terminal's Ctrl-C does not reach these groups; the CLI passes each press on (interrupt.ts).
 */
const runningGroups = new Map<number, Promise<void>>();

/**
 * A further Ctrl-C after the first: sends `signal` once to every running tool group, as the
 * terminal would have, and waits until they have all exited, at most `waitMs`. Terraform takes a
 * second SIGINT as "stop now" (it cancels and exits within about 5 s).
 */
export async function signalToolGroupsAgain(signal: NodeJS.Signals, waitMs: number): Promise<void> {
  const exits = [...runningGroups.entries()].map(([groupId, exited]) => {
    try {
      process.kill(-groupId, signal);
    } catch {
      // the group is already gone
    }
    return exited;
  });
  if (exits.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(exits), new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
  clearTimeout(timer);
}

export async function runTool(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const { execa } = await import('execa');
  const tail: string[] = [];
  const stdoutTail: string[] = [];
  const remember = (buffer: string[], line: string) => {
    buffer.push(line);
    if (buffer.length > TAIL_LINES) buffer.shift();
  };
  const lineHandler = (stream: 'stdout' | 'stderr') =>
    function* (line: unknown) {
      const text = String(line);
      remember(stream === 'stderr' ? tail : stdoutTail, text);
      options.onLine?.(text, stream);
      yield text;
    };
  const groupAbort = options.processGroup ? options.signal : undefined;
  // The umask is inherited at spawn, which is synchronous: set it around the call only.
  const previousUmask = options.umask === undefined ? undefined : process.umask(options.umask);
  let child: ReturnType<typeof execa>;
  try {
    child = execa(file, args, {
      detached: options.processGroup === true,
      cwd: options.cwd,
      env: childEnvironment(process.env, options.env),
      extendEnv: false,
      reject: false,
      input: options.input,
      stdin: options.inheritStdio ? 'inherit' : options.input === undefined ? 'ignore' : 'pipe',
      cancelSignal: groupAbort ? undefined : options.signal,
      killSignal: options.killSignal ?? 'SIGINT',
      forceKillAfterDelay: options.forceKillAfterMs ?? 60_000,
      timeout: options.timeoutMs,
      stdout: options.inheritStdio ? 'inherit' : { transform: lineHandler('stdout') },
      stderr: options.inheritStdio ? 'inherit' : { transform: lineHandler('stderr') },
      stripFinalNewline: true,
    });
  } finally {
    if (previousUmask !== undefined) process.umask(previousUmask);
  }
  let groupAborted = false;
  let forceKillTimer: NodeJS.Timeout | undefined;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // the group is already gone
    }
  };
  const onGroupAbort = () => {
    groupAborted = true;
    signalGroup(options.killSignal ?? 'SIGINT');
    forceKillTimer = setTimeout(() => signalGroup('SIGKILL'), options.forceKillAfterMs ?? 60_000);
    forceKillTimer.unref();
  };
  if (groupAbort?.aborted) onGroupAbort();
  else groupAbort?.addEventListener('abort', onGroupAbort, { once: true });
  const groupId = options.processGroup ? child.pid : undefined;
  if (groupId !== undefined) runningGroups.set(groupId, child.then(() => undefined, () => undefined));
  const outcome = await child;
  if (groupId !== undefined) runningGroups.delete(groupId);
  groupAbort?.removeEventListener('abort', onGroupAbort);
  if (forceKillTimer) clearTimeout(forceKillTimer);
  const result: RunResult = {
    exitCode: outcome.exitCode ?? -1,
    signal: outcome.signal,
    stdout: typeof outcome.stdout === 'string' ? outcome.stdout : String(outcome.stdout ?? ''),
    stderr: typeof outcome.stderr === 'string' ? outcome.stderr : String(outcome.stderr ?? ''),
    tail: tail.length > 0 ? tail : stdoutTail,
  };
  const command = [file, ...args.slice(0, 1)].join(' ');
  if (groupAborted) throw new SubprocessError('aborted', command, result, outcome);
  if (outcome.failed) {
    if ((outcome as { code?: string }).code === 'ENOENT' || outcome.exitCode === undefined && !outcome.signal && !outcome.isCanceled && !outcome.timedOut) {
      throw new SubprocessError('spawn-failed', command, result, outcome);
    }
    if (outcome.isCanceled) throw new SubprocessError('aborted', command, result, outcome);
    if (outcome.timedOut) throw new SubprocessError('timed-out', command, result, outcome);
    if (outcome.signal) throw new SubprocessError('killed', command, result, outcome);
    if (!options.allowFailure) throw new SubprocessError('exited', command, result, outcome);
  }
  return result;
}

/** Finds an executable on PATH, like `command -v`. */
export async function findExecutable(name: string, pathEnv = process.env.PATH ?? ''): Promise<string | undefined> {
  const { access, constants } = await import('node:fs/promises');
  const { join } = await import('node:path');
  for (const dir of pathEnv.split(':').filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}
