/**
 * Quoting for every value that reaches a remote shell. Everything is single-quoted, always:
 * inside single quotes a POSIX shell interprets nothing, so the only character to handle is the
 * quote itself ('\'' closes, inserts an escaped quote, reopens). Uniform quoting also makes the
 * command lines checkable: `assertSafeCommandLine` accepts nothing else.
 */
import { UsageError } from '../errors.js';

/** One argument as a single-quoted shell word. NUL cannot travel in an argv, so it is refused. */
export function quoteArg(value: string): string {
  if (value.includes('\0')) {
    throw new UsageError('UnsafeShellArgument', `A value for a remote command contains a NUL byte: ${JSON.stringify(value)}`, {
      hint: 'Remove the NUL character from the value.',
    });
  }
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** An argv array as one command line of single-quoted words separated by spaces. */
export function quoteCommand(argv: readonly string[]): string {
  if (argv.length === 0) throw new UsageError('EmptyCommand', 'A remote command needs at least one word.');
  return argv.map(quoteArg).join(' ');
}

/** A word: one or more pieces, each a single-quoted run or an escaped quote (\'). */
const WORD = String.raw`(?:'[^']*'|\\')+`;
const SAFE_LINE = new RegExp(`^${WORD}(?: ${WORD})*$`);

/**
 * Throws unless `line` consists only of words produced by quoteArg. A command line built any
 * other way (an unquoted `$x`, `;`, a backtick, a newline outside quotes) fails here.
 */
export function assertSafeCommandLine(line: string): void {
  if (!SAFE_LINE.test(line) || line.includes('\0')) {
    throw new UsageError('UnsafeCommandLine', `Refusing to send a command line that is not fully quoted: ${JSON.stringify(line)}`, {
      hint: 'Build remote command lines with quoteCommand() from an argv array.',
    });
  }
}

export function isSafeCommandLine(line: string): boolean {
  try {
    assertSafeCommandLine(line);
    return true;
  } catch {
    return false;
  }
}
