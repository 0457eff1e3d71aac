/**
 * Entry point: builds the commander program from the command registry, decides the run's
 * context once, and is the only place that turns errors into messages and exit codes.
 * Exit codes: 0 success, 1 failure while running, 2 bad usage or configuration, 130 interrupted.
 */
import { Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BootstrapError, DeclinedError } from '../errors.js';
import { inertLine, inertText } from '../engine/inert-text.js';
import { redactText, SecretSet } from '../engine/redact.js';
import { COMMANDS } from './commands/index.js';
import { commanderOptions, type CommandDefinition } from './command.js';
import {
  decideCanPrompt,
  decideColor,
  decideOutputMode,
  type CliContext,
  type CliIo,
  type GlobalOptions,
} from './context.js';
import { createInterruptController } from './interrupt.js';
import { guardBrokenPipe } from './broken-pipe.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

function packageVersion(): string {
  const path = fileURLToPath(new URL('../../package.json', import.meta.url));
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
}

export function defaultIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() };
}

export async function main(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  let exitCode = EXIT_OK;
  guardBrokenPipe(io.stdout);
  // `2>&1 | head`, or a log reader that goes away: the same for stderr.
  guardBrokenPipe(io.stderr);
  const interrupt = createInterruptController(io);
  const secrets = new SecretSet();
  const program = buildProgram(io, interrupt.signal, secrets, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    exitCode = reportError(error, io, secrets, program.opts<{ verbose?: boolean }>().verbose === true);
  } finally {
    interrupt.dispose();
  }
  if (interrupt.signal.aborted && exitCode !== EXIT_USAGE) exitCode = EXIT_INTERRUPTED;
  return exitCode;
}

/**
 * Every command's --help lists the global options too (--yes, --config, --dir, --output, which
 * the examples use): commander's Help.showGlobalOptions (commander 9.5.0, tj/commander.js#1828).
 */
const HELP = { showGlobalOptions: true } as const;

function buildProgram(io: CliIo, signal: AbortSignal, secrets: SecretSet, setExitCode: (code: number) => void): Command {
  const program = new Command('k8s-bootstrap')
    .description('From a cloud account, or machines you already have, to a production-grade kubeadm cluster.')
    .version(packageVersion(), '-V, --version')
    .option('-c, --config <file>', 'cluster.yaml to read (K8SB_CONFIG)')
    .option('-d, --dir <folder>', 'cluster folder (default: ./clusters/<name>) (K8SB_DIR)')
    .option('-y, --yes', 'never prompt; accept confirmations (also --non-interactive, CI=true)')
    .option('--non-interactive', 'same as --yes')
    .addOption(
      new Option('-o, --output <mode>', 'how progress is shown').choices(['auto', 'tty', 'plain', 'json']).default('auto'),
    )
    .option('-v, --verbose', 'show tool output and stack traces')
    .option('--no-color', 'no colours (NO_COLOR is respected too)')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp(HELP)
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .exitOverride();

  for (const definition of COMMANDS) program.addCommand(buildCommand(definition, io, signal, secrets, setExitCode, program));
  program.addHelpText(
    'after',
    '\nExit codes: 0 success, 1 failure while running, 2 bad usage or configuration, 130 interrupted.\n' +
      'Quick start without a cloud account: k8s-bootstrap init --dry-run --yes --name demo --provider aws --admin-cidr 203.0.113.0/24',
  );
  return program;
}

function buildCommand(
  definition: CommandDefinition,
  io: CliIo,
  signal: AbortSignal,
  secrets: SecretSet,
  setExitCode: (code: number) => void,
  program: Command,
): Command {
  // addCommand() copies no settings from the parent (commander's copyInheritedSettings runs only
  // for .command()), so each command gets the help configuration itself.
  const command = new Command(definition.name).description(definition.summary).configureHelp(HELP);
  if (definition.arguments) command.arguments(definition.arguments);
  for (const option of commanderOptions(definition.options)) command.addOption(option);
  command.addHelpText('after', `\nExamples:\n${definition.examples.map((e) => `  $ ${e}`).join('\n')}\n`);
  command.exitOverride().configureOutput({
    writeOut: (text) => io.stdout.write(text),
    writeErr: (text) => io.stderr.write(text),
  });
  command.showHelpAfterError('(run with --help for usage)');
  for (const sub of definition.subcommands ?? []) command.addCommand(buildCommand(sub, io, signal, secrets, setExitCode, program));
  const run = definition.run;
  if (run) {
    command.action(async (...actionArgs: unknown[]) => {
      const self = actionArgs[actionArgs.length - 1] as Command;
      const ctx = createContext(io, readGlobals(program, io.env), signal, secrets);
      const code = await run(ctx, self.opts(), self.args);
      setExitCode(typeof code === 'number' ? code : EXIT_OK);
    });
  }
  return command;
}

function readGlobals(program: Command, env: NodeJS.ProcessEnv): GlobalOptions {
  const raw = program.opts<{
    config?: string;
    dir?: string;
    yes?: boolean;
    nonInteractive?: boolean;
    output: GlobalOptions['output'];
    verbose?: boolean;
    color: boolean;
  }>();
  return {
    config: raw.config ?? env.K8SB_CONFIG,
    dir: raw.dir ?? env.K8SB_DIR,
    yes: Boolean(raw.yes || raw.nonInteractive),
    output: raw.output,
    verbose: Boolean(raw.verbose),
    color: raw.color,
  };
}

export function createContext(io: CliIo, globals: GlobalOptions, signal: AbortSignal, secrets = new SecretSet()): CliContext {
  return {
    ...io,
    globals,
    secrets,
    canPrompt: decideCanPrompt(io, globals),
    outputMode: decideOutputMode(io, globals),
    useColor: decideColor(io, globals),
    signal,
    write: (text) => io.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    error: (text) => io.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  };
}

/**
 * The last thing printed: through the run's redactor (a token or key inside a failed command's
 * message must not reach a CI log) and made inert (messages quote nodes and tools).
 */
function reportError(error: unknown, io: CliIo, secrets: SecretSet, verbose: boolean): number {
  const safe = (text: string) => inertText(redactText(text, secrets.values()));
  if (error instanceof CommanderError) {
    // --help and --version arrive here too, as "errors" with exit code 0.
    if (error.exitCode === 0 || error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT_OK;
    return EXIT_USAGE;
  }
  if (error instanceof DeclinedError) {
    // A person's "no" is an answer, not a failure to explain: no "Error:", no stack.
    io.stderr.write(`${safe([error.message, ...(error.hint ? [error.hint] : [])].join('\n'))}\n`);
    return error.exitCode;
  }
  if (error instanceof BootstrapError) {
    const lines = [`Error: ${error.message}`];
    for (const detail of error.details) lines.push(`  | ${inertLine(detail)}`);
    if (error.hint) lines.push(`Hint: ${error.hint}`);
    if (verbose && error.stack) lines.push(error.stack);
    io.stderr.write(`${safe(lines.join('\n'))}\n`);
    return error.exitCode;
  }
  if (error instanceof Error && (error.name === 'ExitPromptError' || error.name === 'AbortPromptError')) {
    io.stderr.write('Cancelled.\n');
    return EXIT_INTERRUPTED;
  }
  const message = error instanceof Error ? (verbose ? error.stack ?? error.message : error.message) : String(error);
  io.stderr.write(`Unexpected error: ${safe(message)}\n${verbose ? '' : 'Run again with --verbose for details.\n'}`);
  return EXIT_FAILURE;
}
