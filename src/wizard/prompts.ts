/**
 * The only door to @inquirer/prompts. It carries the non-interactive policy: when nobody can
 * answer (CI, no TTY, --yes), a confirmation returns its declared fallback and says so on stderr,
 * and a question without a value fails with a UsageError naming the flag that supplies it.
 * Prompts draw on stderr so stdout stays clean for results. Inquirer is imported on first use
 * only, which keeps --help and --version fast.
 */
import { Writable } from 'node:stream';
import { UsageError } from '../errors.js';

export interface PromptContext {
  /** Whether a person can answer (see decideCanPrompt). */
  canPrompt: boolean;
  /** Keystrokes come from here (process.stdin, or a stream in tests). */
  stdin: NodeJS.ReadableStream;
  /** Prompts and notes are drawn here, never on stdout. */
  stderr: NodeJS.WritableStream;
  signal?: AbortSignal;
  /** Used only to word the auto-confirm note. */
  globals?: { yes: boolean };
  /** Esc abandons the open question with BackRequested, for a driver that can ask the previous one again. @default false */
  allowBack?: boolean;
}

/**
 * Esc was pressed: the person wants the previous question again. @inquirer/prompts has no flow
 * control of its own; its maintainer's advice is a keypress listener that aborts the prompt
 * (SBoudrias/Inquirer.js#979, #876), which is what ask() does.
 */
export class BackRequested extends Error {
  constructor() {
    super('Back to the previous question');
    this.name = 'BackRequested';
  }
}

export type Validate<T> = (value: T) => true | string | Promise<true | string>;

interface QuestionBase {
  message: string;
  /** Flag (or env var) that answers this question without a prompt, named in the non-interactive error. */
  flag?: string;
}

export interface InputQuestion extends QuestionBase {
  default?: string;
  validate?: Validate<string>;
}

export interface NumberQuestion extends QuestionBase {
  default?: number;
  min?: number;
  max?: number;
  validate?: Validate<number>;
}

export interface Choice<T> {
  value: T;
  name?: string;
  description?: string;
  /** Shown dimmed and not selectable; a string says why. */
  disabled?: boolean | string;
}

export interface SelectQuestion<T> extends QuestionBase {
  choices: Choice<T>[];
  default?: T;
}

export interface CheckboxChoice<T> extends Choice<T> {
  /** Ticked when the question opens; without anyone to ask, the ticked ones are the answer. */
  checked?: boolean;
}

export interface CheckboxQuestion<T> extends QuestionBase {
  choices: CheckboxChoice<T>[];
  /** Checks the whole selection (e.g. one choice needs another). */
  validate?: (values: T[]) => true | string;
}

export interface ConfirmQuestion {
  message: string;
  /** Answer shown pre-selected to a person. @default true */
  default?: boolean;
  /** Answer taken when nobody can be asked. */
  fallback: boolean;
}

export interface PasswordQuestion extends QuestionBase {
  validate?: Validate<string>;
}

type Inquirer = typeof import('@inquirer/prompts');
let inquirer: Promise<Inquirer> | undefined;
function loadInquirer(): Promise<Inquirer> {
  inquirer ??= import('@inquirer/prompts');
  return inquirer;
}

function promptStreams(ctx: PromptContext) {
  return { input: ctx.stdin, output: keepOpen(ctx.stderr), signal: ctx.signal };
}

type Streams = ReturnType<typeof promptStreams>;

/**
 * Runs one inquirer prompt. With allowBack, Esc aborts it through its own signal and becomes
 * BackRequested; readline reports a lone Esc as key "escape" once its escape-code wait is over.
 */
async function ask<V>(ctx: PromptContext, run: (streams: Streams) => Promise<V>): Promise<V> {
  if (!ctx.allowBack) return run(promptStreams(ctx));
  const back = new AbortController();
  const onKey = (_text: unknown, key?: { name?: string }) => {
    if (key?.name === 'escape') back.abort();
  };
  ctx.stdin.on('keypress', onKey);
  try {
    const signal = ctx.signal ? AbortSignal.any([ctx.signal, back.signal]) : back.signal;
    return await run({ ...promptStreams(ctx), signal });
  } catch (error) {
    if (back.signal.aborted && !ctx.signal?.aborted) throw new BackRequested();
    throw error;
  } finally {
    ctx.stdin.removeListener('keypress', onKey);
  }
}

/**
 * Inquirer ends its output stream when a prompt is done. Node never closes process.stderr that
 * way, but any other stream (a log tee, a test terminal) would be closed after the first
 * question, so each prompt gets a forwarder whose end stays its own.
 */
function keepOpen(target: NodeJS.WritableStream & { columns?: number; rows?: number; isTTY?: boolean }): NodeJS.WritableStream {
  const forward = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      target.write(chunk);
      done();
    },
  });
  // Inquirer sizes its screen from these.
  for (const key of ['columns', 'rows', 'isTTY'] as const) {
    Object.defineProperty(forward, key, { get: () => target[key], enumerable: true });
  }
  return forward;
}

function noAnswer(question: QuestionBase): never {
  const how = question.flag ? `pass ${question.flag}` : 'run in a terminal';
  throw new UsageError('MissingValue', `No value for "${question.message}" and no one to ask (non-interactive)`, {
    hint: `${how[0]!.toUpperCase()}${how.slice(1)}, or run without --yes/CI in a terminal to answer the wizard.`,
  });
}

export async function input(ctx: PromptContext, question: InputQuestion): Promise<string> {
  if (!ctx.canPrompt) return question.default ?? noAnswer(question);
  const inquirer = await loadInquirer();
  return ask(ctx, (streams) => inquirer.input({ message: question.message, default: question.default, validate: question.validate }, streams));
}

export async function number(ctx: PromptContext, question: NumberQuestion): Promise<number> {
  if (!ctx.canPrompt) return question.default ?? noAnswer(question);
  const inquirer = await loadInquirer();
  const { min, max, validate } = question;
  // Bounds are checked here, not by inquirer, whose words for an open end are "between 0 and Infinity".
  const range = min !== undefined && max !== undefined ? ` from ${min} to ${max}` : min !== undefined ? ` of at least ${min}` : max !== undefined ? ` of at most ${max}` : '';
  const check = (value: number | undefined): true | string | Promise<true | string> => {
    if (value === undefined || Number.isNaN(value)) return `Enter a whole number${range}`;
    if (!Number.isInteger(value) || (min !== undefined && value < min) || (max !== undefined && value > max)) return `must be a whole number${range} (got ${value})`;
    return validate ? validate(value) : true;
  };
  const answer = await ask(ctx, (streams) =>
    inquirer.number({ message: question.message, default: question.default, required: true, step: 'any', validate: check }, streams),
  );
  // required: true makes inquirer re-ask on an empty line, so undefined cannot arrive here.
  return answer as number;
}

export async function select<T>(ctx: PromptContext, question: SelectQuestion<T>): Promise<T> {
  if (!ctx.canPrompt) return question.default !== undefined ? question.default : noAnswer(question);
  const inquirer = await loadInquirer();
  return ask(ctx, (streams) =>
    inquirer.select<T>(
      {
        message: question.message,
        choices: question.choices.map((choice) => ({ value: choice.value, name: choice.name, description: choice.description, disabled: choice.disabled })),
        default: question.default,
      },
      streams,
    ),
  );
}

/** Several of a list (space ticks, enter accepts). Nobody to ask: the choices ticked from the start. */
export async function checkbox<T>(ctx: PromptContext, question: CheckboxQuestion<T>): Promise<T[]> {
  if (!ctx.canPrompt) return question.choices.filter((choice) => choice.checked && !choice.disabled).map((choice) => choice.value);
  const inquirer = await loadInquirer();
  const validate = question.validate;
  return ask(ctx, (streams) =>
    inquirer.checkbox<T>(
      {
        message: question.message,
        choices: question.choices.map((choice) => ({ value: choice.value, name: choice.name, description: choice.description, disabled: choice.disabled, checked: choice.checked })),
        // Every choice on screen at once: a short list reads better whole than scrolled.
        pageSize: question.choices.length,
        validate: validate ? (items) => validate(items.map((item) => item.value)) : undefined,
      },
      streams,
    ),
  );
}

export async function confirm(ctx: PromptContext, question: ConfirmQuestion): Promise<boolean> {
  if (!ctx.canPrompt) {
    const why = ctx.globals?.yes ? '--yes' : 'non-interactive';
    ctx.stderr.write(`${question.message} ${question.fallback ? 'yes' : 'no'} (auto-confirmed: ${why})\n`);
    return question.fallback;
  }
  const inquirer = await loadInquirer();
  return ask(ctx, (streams) => inquirer.confirm({ message: question.message, default: question.default ?? true }, streams));
}

export interface ChangeQuestion {
  /** The command asking, e.g. "init". */
  command: string;
  /** The question, e.g. "Create cluster demo now? This creates cloud resources." */
  message: string;
  /** What --yes does, for the note: e.g. "creating cluster demo". */
  doing: string;
}

/**
 * The yes a command needs before it creates, changes or removes anything. --yes answers it (and
 * says so). A person at a terminal is asked, with No pre-selected. Without a terminal to ask
 * (stdin or stderr is not one, or CI is set) the command stops: a pipe or a CI job must say --yes itself,
 * never get it by default.
 */
export async function confirmChange(ctx: PromptContext, question: ChangeQuestion): Promise<boolean> {
  if (ctx.globals?.yes) {
    ctx.stderr.write(`--yes: ${question.doing} without asking.\n`);
    return true;
  }
  assertCanConfirm(ctx, question.command);
  const { confirm: askConfirm } = await loadInquirer();
  return askConfirm({ message: question.message, default: false }, promptStreams(ctx));
}

/** Stops `command` early (before any SSH or cloud call) when neither --yes nor a person can say yes. */
export function assertCanConfirm(ctx: PromptContext, command: string): void {
  if (ctx.globals?.yes || ctx.canPrompt) return;
  throw new UsageError('ConfirmationRequired', `${command} changes things only after a yes, and there is no terminal to ask (stdin or stderr is not a terminal, or CI is set); nothing was changed`, {
    hint: 'Run it in a terminal to answer the question, or pass --yes to go ahead without it.',
  });
}

/** Masked input for secrets; there is never a default, so non-interactive always needs the flag/env. */
export async function password(ctx: PromptContext, question: PasswordQuestion): Promise<string> {
  if (!ctx.canPrompt) return noAnswer(question);
  const inquirer = await loadInquirer();
  return ask(ctx, (streams) => inquirer.password({ message: question.message, mask: '*', validate: question.validate }, streams));
}
