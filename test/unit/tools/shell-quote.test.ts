import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildCommandLine, redact } from '../../../src/tools/ssh/command.js';
import { assertSafeCommandLine, isSafeCommandLine, quoteArg, quoteCommand } from '../../../src/tools/shell-quote.js';

/**
 * What a remote shell makes of each command line: one bash reads them all (one process per line
 * made this file take minutes on a loaded machine), printing per line its word count and each
 * word, NUL-terminated.
 */
function wordsAfterShell(lines: string[]): string[][] {
  const script = lines.map((line) => `set -- ${line}; printf '%s\\0' "$#"; for w in "$@"; do printf '%s\\0' "$w"; done`).join('\n');
  const fields = execFileSync('bash', ['-c', script], { maxBuffer: 64 * 1024 * 1024 }).toString('utf8').split('\0');
  const out: string[][] = [];
  let at = 0;
  for (let i = 0; i < lines.length; i++) {
    const count = Number(fields[at++]);
    out.push(fields.slice(at, at + count));
    at += count;
  }
  return out;
}

/** A string as it comes back through UTF-8 (lone surrogates become U+FFFD). */
const viaUtf8 = (value: string) => Buffer.from(value, 'utf8').toString('utf8');

/** Reference reading of a line made of '…' runs, \' and single spaces. */
function readSingleQuoted(line: string): string[] {
  const words: string[] = [];
  let word = '';
  for (let i = 0; i < line.length; i++) {
    if (line[i] === ' ') {
      words.push(word);
      word = '';
    } else if (line[i] === '\\') {
      word += line[++i];
    } else {
      const end = line.indexOf("'", i + 1);
      word += line.slice(i + 1, end);
      i = end;
    }
  }
  words.push(word);
  return words.map((w) => Buffer.from(w, 'utf8').toString('utf8'));
}

/** Characters a shell gives meaning to, plus ordinary and multi-byte ones. */
const shellChar = fc.constantFrom("'", '"', '\\', '$', '`', ' ', '\t', '\n', ';', '&', '|', '*', '?', '!', '~', '#', '(', ')', '{', '}', '<', '>', '=', '%', 'a', 'é', '€');
// Random code points alone would almost never contain a quote: half the values are built from shell characters.
const noNul = fc.oneof(
  fc.string({ unit: 'binary' }).filter((s) => !s.includes('\0')),
  fc.string({ unit: shellChar, maxLength: 12 }),
);

describe('shell quoting', () => {
  it('every string survives a real bash as exactly one word', () => {
    const values = fc.sample(noNul, 300);
    const words = wordsAfterShell(values.map((value) => quoteArg(value)));
    values.forEach((value, i) => expect(words[i], JSON.stringify(value)).toEqual([viaUtf8(value)]));
  });

  it('argv arrays come back word for word', () => {
    const commands = fc.sample(fc.array(noNul, { minLength: 1, maxLength: 6 }), 200);
    const words = wordsAfterShell(commands.map((argv) => quoteCommand(argv)));
    commands.forEach((argv, i) => expect(words[i], JSON.stringify(argv)).toEqual(argv.map(viaUtf8)));
  });

  it('assertSafeCommandLine accepts every quoted line', () => {
    fc.assert(fc.property(fc.array(noNul, { minLength: 1, maxLength: 6 }), (argv) => isSafeCommandLine(quoteCommand(argv))));
  });

  it('assertSafeCommandLine refuses anything unquoted', () => {
    for (const line of ['ls', "'ls' ; rm -rf /", "'echo' $HOME", "'a'\n'b'", "'a'  'b'", "'a' `id`", "'unterminated", "'a'b", ' ', '', "'a' \\'x"]) {
      expect(() => assertSafeCommandLine(line), line).toThrow();
    }
    // Mutated quoted lines: whenever the check still accepts one, bash must read exactly the words
    // a plain single-quote reading gives (nothing expanded, nothing executed).
    const specials = fc.constantFrom("'", ' ', '$', ';', '`', '\\', '"', '\n', '*', 'a');
    const mutations = fc.sample(fc.tuple(fc.array(noNul, { minLength: 1, maxLength: 4 }), fc.nat(), specials, fc.boolean()), 600);
    const accepted = mutations
      .map(([argv, at, char, insert]) => {
        const line = quoteCommand(argv);
        const index = at % (line.length + 1);
        return insert ? line.slice(0, index) + char + line.slice(index) : line.slice(0, index) + line.slice(index + 1);
      })
      .filter((mutated) => isSafeCommandLine(mutated));
    // Enough survive for the comparison to mean something (deletions inside a word, for one).
    expect(accepted.length).toBeGreaterThan(50);
    const words = wordsAfterShell(accepted);
    accepted.forEach((mutated, i) => expect(words[i], JSON.stringify(mutated)).toEqual(readSingleQuoted(mutated)));
  });

  it('refuses NUL bytes', () => {
    expect(() => quoteArg('a\0b')).toThrow(expect.objectContaining({ code: 'UnsafeShellArgument' }));
  });
});

describe('buildCommandLine', () => {
  it('prefixes sudo -n and env, all quoted', () => {
    const built = buildCommandLine(['kubeadm', 'init'], { sudo: true, env: { A: '1 2' } });
    expect(built.line).toBe(`'sudo' '-n' 'env' 'A=1 2' 'kubeadm' 'init'`);
    expect(wordsAfterShell([built.line])[0]).toEqual(['sudo', '-n', 'env', 'A=1 2', 'kubeadm', 'init']);
    expect(built.display).toBe(`sudo -n env 'A=1 2' kubeadm init`);
  });

  it('hides secret env values and secret arguments in the display', () => {
    const built = buildCommandLine(['kubeadm', 'init', 'phase', 'upload-certs', '--certificate-key', 'ab'.repeat(32)], {
      sudo: true,
      env: { TOKEN: 'abcdef.0123456789abcdef', PLAIN: 'x' },
      secretEnv: ['TOKEN'],
      secrets: ['ab'.repeat(32)],
    });
    expect(built.display).toContain('TOKEN=***');
    expect(built.display).toContain('PLAIN=x');
    expect(built.display).not.toContain('abcdef.0123456789abcdef');
    expect(built.display).not.toContain('ab'.repeat(32));
    expect(built.line).toContain('abcdef.0123456789abcdef');
  });

  it('runs scripts with bash -c and refuses bad env names', () => {
    expect(buildCommandLine({ script: 'echo "$x"; exit 1' }).line).toBe(`'bash' '-c' 'echo "$x"; exit 1'`);
    expect(() => buildCommandLine(['true'], { env: { 'A;B': '1' } })).toThrow(/environment variable/);
  });

  it('redacts overlapping secrets', () => {
    expect(redact('token abc.def and abc', ['abc', 'abc.def'])).toBe('token *** and ***');
  });
});
