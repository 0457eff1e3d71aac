/**
 * What every command handler receives: the global flags, decided once, and the streams.
 * Results go to stdout; progress, logs and prompts go to stderr.
 */
import type { SecretSet } from '../engine/redact.js';

export type OutputMode = 'auto' | 'tty' | 'plain' | 'json';

export interface GlobalOptions {
  config?: string;
  dir?: string;
  yes: boolean;
  output: OutputMode;
  verbose: boolean;
  color: boolean;
}

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface CliContext extends CliIo {
  globals: GlobalOptions;
  /**
   * Every secret value this invocation knows (credentials, tokens, keys learned mid-run): the
   * event redactor and the final error message on stderr read the same set.
   */
  secrets: SecretSet;
  /** True when a person can answer prompts: keys from a terminal, questions drawn on one, not CI, no --yes. */
  canPrompt: boolean;
  /** The renderer this run uses, with `auto` resolved. */
  outputMode: Exclude<OutputMode, 'auto'>;
  useColor: boolean;
  /** Aborted on the first Ctrl-C. */
  signal: AbortSignal;
  write(text: string): void;
  error(text: string): void;
}

export function isCi(env: NodeJS.ProcessEnv): boolean {
  const value = env.CI;
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

/**
 * Prompts read stdin and draw on stderr, so those two decide; stdout may be a pipe
 * (`init | tee log` still asks, and never takes the pipe for a yes).
 */
export function decideCanPrompt(io: CliIo, globals: GlobalOptions): boolean {
  return Boolean(io.stdin.isTTY && io.stderr.isTTY) && !isCi(io.env) && !globals.yes;
}

export function decideOutputMode(io: CliIo, globals: GlobalOptions): Exclude<OutputMode, 'auto'> {
  if (globals.output !== 'auto') return globals.output;
  return io.stderr.isTTY && !isCi(io.env) ? 'tty' : 'plain';
}

export function decideColor(io: CliIo, globals: GlobalOptions): boolean {
  if (!globals.color) return false;
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return false;
  if (io.env.FORCE_COLOR !== undefined && io.env.FORCE_COLOR !== '0') return true;
  return Boolean(io.stderr.isTTY);
}
