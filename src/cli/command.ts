/**
 * A command is declared, not coded: name, summary, examples, its options, and a lazy handler.
 * Keeping handlers behind dynamic import is what keeps --help and --version fast.
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { CliContext } from './context.js';

export type CommandHandler = (
  ctx: CliContext,
  options: Record<string, unknown>,
  args: string[],
) => Promise<number | void>;

export interface CommandDefinition {
  name: string;
  /** Positional arguments in commander syntax, e.g. "[node]". */
  arguments?: string;
  summary: string;
  /** 1-3 examples, shown under --help. */
  examples: string[];
  configure?: (command: Command) => void;
  /** Sub-commands (config schema, config example). */
  subcommands?: CommandDefinition[];
  load?: () => Promise<CommandHandler>;
}

/** Collects a repeatable flag's values. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function parseInteger(flag: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) {
      // commander reports this as a usage error (exit 2) that names the flag.
      throw new InvalidArgumentError(`${flag} takes a whole number, got "${value}"`);
    }
    return Number(value);
  };
}
