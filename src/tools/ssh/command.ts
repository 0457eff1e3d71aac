/**
 * Building remote command lines (always fully quoted) and their redacted display form, plus the
 * tail of output lines kept for error messages. Pure: no SSH here. Splitting output into lines
 * is remote-output.ts's job.
 */
import { UsageError } from '../../errors.js';
import { assertSafeCommandLine, quoteArg, quoteCommand } from '../shell-quote.js';

/** An argv array (preferred), or a shell script run with `bash -c`. */
export type RemoteCommand = readonly string[] | { script: string };

export interface CommandLineOptions {
  /** Run through `sudo -n` (never an interactive sudo). */
  sudo?: boolean;
  /** Passed as `env K=V … cmd`, so they survive sudo's env_reset. */
  env?: Record<string, string>;
  /** Keys of `env` whose values are secret: shown as *** everywhere. */
  secretEnv?: string[];
  /** Other secret strings (tokens, keys in argv): replaced by *** in displays, lines and errors. */
  secrets?: string[];
}

export interface BuiltCommand {
  /** What is sent to the node. */
  line: string;
  /** What people and logs see: secrets replaced, long scripts shortened. */
  display: string;
  /** Every secret string that must not leave this process in output. */
  secrets: string[];
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

export function buildCommandLine(command: RemoteCommand, options: CommandLineOptions = {}): BuiltCommand {
  const words = 'script' in command ? ['bash', '-c', command.script] : [...command];
  const env = options.env ?? {};
  const secretKeys = new Set(options.secretEnv ?? []);
  const prefix: string[] = options.sudo ? ['sudo', '-n'] : [];
  const shownPrefix = [...prefix];
  const envNames = Object.keys(env);
  if (envNames.length > 0) {
    prefix.push('env');
    shownPrefix.push('env');
    for (const name of envNames) {
      if (!ENV_NAME.test(name)) throw new UsageError('InvalidEnvName', `Invalid environment variable name for a remote command: ${JSON.stringify(name)}`);
      prefix.push(`${name}=${env[name]}`);
      shownPrefix.push(secretKeys.has(name) ? `${name}=***` : `${name}=${env[name]}`);
    }
  }
  const secrets = [...(options.secrets ?? []), ...envNames.filter((n) => secretKeys.has(n)).map((n) => env[n]!)].filter((s) => s.length > 0);
  const line = quoteCommand([...prefix, ...words]);
  assertSafeCommandLine(line);
  const shownWords = 'script' in command ? ['bash', '-c', shorten(command.script)] : words;
  const display = redact([...shownPrefix, ...shownWords].map(displayWord).join(' '), secrets);
  return { line, display, secrets };
}

function shorten(script: string): string {
  const firstLine = script.trim().split('\n')[0] ?? '';
  return firstLine.length > 80 || script.trim().includes('\n') ? `${firstLine.slice(0, 80)}…` : firstLine;
}

function displayWord(word: string): string {
  return PLAIN_WORD.test(word) ? word : quoteArg(word);
}

/** Replaces every occurrence of each secret with ***. Longest first, so overlaps are covered. */
export function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length > 0) result = result.split(secret).join('***');
  }
  return result;
}

/** Keeps the last `size` items. */
export class Tail {
  private readonly items: string[] = [];
  constructor(private readonly size = 20) {}
  push(item: string): void {
    this.items.push(item);
    if (this.items.length > this.size) this.items.shift();
  }
  lines(): string[] {
    return [...this.items];
  }
}
