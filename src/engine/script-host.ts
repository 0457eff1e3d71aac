/**
 * A Host for scripts that use the library: no terminal, no prompts. Events are kept in
 * `host.collected` (and passed to `onEvent`), and every question gets the answer the script
 * declared up front, so a script changes nothing unless it says yes.
 */
import { UsageError } from '../errors.js';
import type { EngineEvent } from './events.js';
import type { ConfirmQuestion, Host, SelectQuestion } from './host.js';
import { SecretSet } from './redact.js';

export interface CreateHostOptions {
  /** Environment the command reads (credentials, K8SB_*, HOME). @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Where relative paths (./clusters/<name>) are resolved. @default process.cwd() */
  cwd?: string;
  /** Stops the command when aborted. @default a signal that never aborts */
  signal?: AbortSignal;
  /** Called with each event as it happens (they are also kept in `collected`). */
  onEvent?: (event: EngineEvent) => void;
  /**
   * The answer to "go ahead?" questions. `true` also answers a type-the-name question (destroy)
   * with the name; side questions that have a safe answer get it. A function decides per question.
   * @default false
   */
  confirm?: boolean | ((question: ConfirmQuestion) => boolean | Promise<boolean>);
  /**
   * Answers a choice (the upgrade target when none was given).
   * @default the question's default; without one, a UsageError naming the option to pass
   */
  select?: <T>(question: SelectQuestion<T>) => T | Promise<T>;
}

export interface ScriptHost extends Host {
  /** Every event the command emitted, in order. */
  readonly collected: EngineEvent[];
}

export function createHost(options: CreateHostOptions = {}): ScriptHost {
  const collected: EngineEvent[] = [];
  const { confirm = false, select } = options;
  return {
    env: options.env ?? process.env,
    cwd: options.cwd ?? process.cwd(),
    signal: options.signal ?? new AbortController().signal,
    secrets: new SecretSet(),
    // A script that can choose (a select function) is asked, like a person at a terminal.
    interactive: select !== undefined,
    collected,
    events: {
      emit(event) {
        collected.push(event);
        options.onEvent?.(event);
      },
    },
    assertCanConfirm(command) {
      // Refused before anything is locked or created, rather than a "no" halfway through.
      if (confirm !== false) return;
      throw new UsageError('ConfirmationRequired', `${command} changes things only after a yes, and this host answers no; nothing was changed`, {
        hint: 'Create the host with createHost({ confirm: true }) (or a confirm function) to let the command go ahead.',
      });
    },
    async confirm(question) {
      if (typeof confirm === 'function') return confirm(question);
      return question.safeAnswer ?? confirm;
    },
    async select<T>(question: SelectQuestion<T>): Promise<T> {
      if (select) return select(question);
      if (question.default !== undefined) return question.default;
      throw new UsageError('MissingValue', `No answer for "${question.message}": a script host has no one to ask`, {
        hint: `Pass the value as an option (${question.flag} on the command line), or give createHost a select function.`,
      });
    },
  };
}
