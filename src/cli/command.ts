/**
 * A command is declared, not coded: name, summary, examples, its options and a lazy handler.
 * Each option is declared once, here in one builder call, with its type, default and help: the
 * help text shows the default from the declared value, commander parses the value as it reads
 * the flag (a bad one is a usage error naming the flag), and the handler receives typed values.
 * Keeping handlers behind dynamic import is what keeps --help and --version fast.
 */
import { InvalidArgumentError, Option, type OptionValues } from 'commander';
import { UsageError } from '../errors.js';
import { formatDuration, parseDuration } from '../engine/timeouts.js';
import type { CliContext } from './context.js';

/** One option: how commander reads it and what the handler gets. The flag is `--` + the kebab-case key. */
export interface OptionDecl<Value> {
  /** Shown after the flag, e.g. "<n>"; absent for a boolean flag. */
  readonly valueName?: string;
  readonly help: string;
  readonly choices?: readonly string[];
  readonly repeatable?: boolean;
  /** The declared default as written, shown in --help as "(default …)". */
  readonly defaultText?: string;
  /** Turns one typed argument into its value; commander calls it as it reads the flag. */
  readonly parse?: (text: string, flag: string) => unknown;
  /** The handler's value from what commander read (undefined when the flag was absent). */
  readonly settle: (read: unknown) => Value;
}

export type OptionDecls = Readonly<Record<string, OptionDecl<unknown>>>;

type ValuesOf<Decls extends OptionDecls> = { [Key in keyof Decls]: Decls[Key] extends OptionDecl<infer Value> ? Value : never };

/** The typed options a handler receives, from a command or from its option declarations. */
export type OptionsOf<T> = T extends CommandDefinition<infer Decls> ? ValuesOf<Decls> : T extends OptionDecls ? ValuesOf<T> : never;

export type CommandHandler<Options> = (ctx: CliContext, options: Options, args: string[]) => Promise<number | void>;

interface CommandSpec<Decls extends OptionDecls> {
  name: string;
  /** Positional arguments in commander syntax, e.g. "[node]". */
  arguments?: string;
  summary: string;
  /** 1-3 examples, shown under --help. */
  examples: string[];
  options?: Decls;
  /** Sub-commands (config schema, config example). */
  subcommands?: CommandDefinition[];
  load?: () => Promise<CommandHandler<ValuesOf<Decls>>>;
}

export interface CommandDefinition<Decls extends OptionDecls = OptionDecls> {
  readonly name: string;
  readonly arguments?: string;
  readonly summary: string;
  readonly examples: readonly string[];
  readonly options: Decls;
  readonly subcommands: readonly CommandDefinition[];
  /** Loads the handler and calls it with commander's values settled; absent for a group such as `config`. */
  readonly run?: (ctx: CliContext, read: OptionValues, args: string[]) => Promise<number | void>;
}

export function defineCommand<const Decls extends OptionDecls = {}>(spec: CommandSpec<Decls>): CommandDefinition<Decls> {
  const options = spec.options ?? ({} as Decls);
  const load = spec.load;
  return {
    name: spec.name,
    arguments: spec.arguments,
    summary: spec.summary,
    examples: spec.examples,
    options,
    subcommands: spec.subcommands ?? [],
    run: load && (async (ctx, read, args) => (await load())(ctx, settleOptions(options, read), args)),
  };
}

/** The handler's options: each declared key from what commander read, defaults applied. */
export function settleOptions<Decls extends OptionDecls>(decls: Decls, read: OptionValues): ValuesOf<Decls> {
  const values: Record<string, unknown> = {};
  for (const [key, decl] of Object.entries(decls)) values[key] = decl.settle(read[key]);
  return values as ValuesOf<Decls>;
}

/** drainTimeout -> --drain-timeout: the flag commander turns back into the key. */
export function flagOf(key: string): string {
  return `--${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}

/** The commander options of a declaration set, in declaration order. */
export function commanderOptions(decls: OptionDecls): Option[] {
  return Object.entries(decls).map(([key, decl]) => {
    const flag = flagOf(key);
    const notes = [decl.repeatable ? 'repeatable' : undefined, decl.defaultText !== undefined ? `default ${decl.defaultText}` : undefined];
    const help = [decl.help, ...notes.filter((note) => note !== undefined).map((note) => `(${note})`)].join(' ');
    const option = new Option(decl.valueName ? `${flag} ${decl.valueName}` : flag, help);
    if (option.attributeName() !== key) throw new Error(`option key "${key}" does not round-trip through ${flag}`);
    if (decl.choices) option.choices(decl.choices);
    const parse = decl.parse;
    if (parse && decl.repeatable) option.argParser((text: string, previous: unknown[] | undefined) => [...(previous ?? []), parse(text, flag)]);
    else if (parse) option.argParser((text: string) => parse(text, flag));
    else if (decl.repeatable) option.argParser((text: string, previous: unknown[] | undefined) => [...(previous ?? []), text]);
    return option;
  });
}

interface WithDefault<Default> {
  /** The value when the flag is absent; --help shows it. */
  default?: Default;
}

/** A boolean switch: true when given, false when absent. */
export function flag(help: string): OptionDecl<boolean> {
  return { help, settle: (read) => read === true };
}

/** A string value. */
export function text<Default extends string | undefined = undefined>(
  valueName: string,
  help: string,
  settings: WithDefault<Default> = {},
): OptionDecl<string | Default> {
  const fallback = settings.default;
  return { valueName, help, defaultText: fallback, settle: (read) => (typeof read === 'string' ? read : fallback) as string | Default };
}

/** A whole number; anything else, or one below `min`, is a usage error naming the flag. */
export function integer<Default extends number | undefined = undefined>(
  valueName: string,
  help: string,
  settings: WithDefault<Default> & { min?: number } = {},
): OptionDecl<number | Default> {
  const { default: fallback, min } = settings;
  return {
    valueName,
    help,
    defaultText: fallback === undefined ? undefined : String(fallback),
    parse: (value, flag) => {
      if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${flag} takes a whole number, got "${value}"`);
      const number = Number(value);
      if (min !== undefined && number < min) throw new InvalidArgumentError(`${flag} must be ${min} or more (got ${number})`);
      return number;
    },
    settle: (read) => (typeof read === 'number' ? read : fallback) as number | Default,
  };
}

/**
 * A duration as people type it ("45m", "1h30m"), handed over in milliseconds. The default is
 * written either way: as text, or in milliseconds (the core's DEFAULTS), shown as "10m".
 */
export function duration<Default extends string | number | undefined = undefined>(
  help: string,
  settings: WithDefault<Default> = {},
): OptionDecl<undefined extends Default ? number | undefined : number> {
  const declared = settings.default;
  // Parsed now: a declared default that is not a duration fails as soon as the CLI loads.
  const fallback = typeof declared === 'string' ? parseDuration(declared, 'default') : declared;
  return {
    valueName: '<duration>',
    help,
    defaultText: typeof declared === 'number' ? formatDuration(declared).replace(/ /g, '') : declared,
    parse: (value, flag) => {
      try {
        return parseDuration(value, flag);
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        throw new InvalidArgumentError(error.hint ? `${error.message}. ${error.hint}` : error.message);
      }
    },
    settle: (read) => (typeof read === 'number' ? read : fallback) as undefined extends Default ? number | undefined : number,
  };
}

/** A repeatable value: every occurrence in order, [] when absent. */
export function list(valueName: string, help: string): OptionDecl<string[]> {
  return { valueName, help, repeatable: true, settle: (read) => (Array.isArray(read) ? read.map(String) : []) };
}

/** One of `choices`; commander refuses anything else. */
export function choice<const Choices extends readonly string[], Default extends Choices[number] | undefined = undefined>(
  valueName: string,
  help: string,
  choices: Choices,
  settings: WithDefault<Default> = {},
): OptionDecl<Choices[number] | Default> {
  const fallback = settings.default;
  const isChoice = (read: unknown): read is Choices[number] => typeof read === 'string' && choices.includes(read);
  return { valueName, help, choices, defaultText: fallback, settle: (read) => (isChoice(read) ? read : fallback) as Choices[number] | Default };
}
