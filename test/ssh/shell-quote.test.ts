import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildCommandLine, redact } from '../../src/tools/ssh-command.js';
import { assertSafeCommandLine, isSafeCommandLine, quoteArg, quoteCommand } from '../../src/tools/shell-quote.js';

/** What a remote shell makes of a command line: bash re-splits it, printf shows each word. */
function wordsAfterShell(line: string): string[] {
  const out = execFileSync('bash', ['-c', `set -- ${line}; for w in "$@"; do printf '%s\\0' "$w"; done`]);
  return out.toString('utf8').split('\0').slice(0, -1);
}

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

const noNul = fc.string({ unit: 'binary' }).filter((s) => !s.includes('\0'));

describe('shell quoting', () => {
  it('every string survives a real bash as exactly one word', () => {
    fc.assert(
      fc.property(noNul, (value) => {
        const out = execFileSync('bash', ['-c', `printf %s ${quoteArg(value)}`]).toString('utf8');
        expect(out).toBe(Buffer.from(value, 'utf8').toString('utf8'));
      }),
      { numRuns: 150 },
    );
  });

  it('argv arrays come back word for word', () => {
    fc.assert(
      fc.property(fc.array(noNul, { minLength: 1, maxLength: 6 }), (argv) => {
        expect(wordsAfterShell(quoteCommand(argv))).toEqual(argv.map((a) => Buffer.from(a, 'utf8').toString('utf8')));
      }),
      { numRuns: 100 },
    );
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
    fc.assert(
      fc.property(fc.array(noNul, { minLength: 1, maxLength: 4 }), fc.nat(), specials, fc.boolean(), (argv, at, char, insert) => {
        const line = quoteCommand(argv);
        const index = at % (line.length + 1);
        const mutated = insert ? line.slice(0, index) + char + line.slice(index) : line.slice(0, index) + line.slice(index + 1);
        if (!isSafeCommandLine(mutated)) return;
        expect(wordsAfterShell(mutated)).toEqual(readSingleQuoted(mutated));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses NUL bytes', () => {
    expect(() => quoteArg('a\0b')).toThrow(expect.objectContaining({ code: 'UnsafeShellArgument' }));
  });
});

describe('buildCommandLine', () => {
  it('prefixes sudo -n and env, all quoted', () => {
    const built = buildCommandLine(['kubeadm', 'init'], { sudo: true, env: { A: '1 2' } });
    expect(built.line).toBe(`'sudo' '-n' 'env' 'A=1 2' 'kubeadm' 'init'`);
    expect(wordsAfterShell(built.line)).toEqual(['sudo', '-n', 'env', 'A=1 2', 'kubeadm', 'init']);
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
