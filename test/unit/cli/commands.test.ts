/** Every declared command: --help shows its summary and examples; usage errors exit 2. */
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../src/cli/commands/index.js';
import { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE } from '../../../src/cli/main.js';
import { runCli } from '../../helpers/fake-io.js';

const ALL = COMMANDS.flatMap((command) => [
  { path: [command.name], definition: command },
  ...(command.subcommands ?? []).map((sub) => ({ path: [command.name, sub.name], definition: sub })),
]);

describe('every command is declared with help and examples', () => {
  it('declares the commands the issue asks for', () => {
    const names = COMMANDS.map((c) => c.name);
    for (const name of ['init', 'add-workers', 'upgrade', 'destroy', 'status', 'kubeconfig', 'ssh', 'doctor', 'config']) {
      expect(names).toContain(name);
    }
    const config = COMMANDS.find((c) => c.name === 'config')!;
    expect(config.subcommands?.map((s) => s.name)).toEqual(expect.arrayContaining(['schema', 'example']));
  });

  it.each(ALL.map((entry) => [entry.path.join(' '), entry] as const))('%s --help', async (_label, { path, definition }) => {
    const run = await runCli([...path, '--help']);
    expect(run.code).toBe(EXIT_OK);
    expect(run.stdout).toContain(`Usage: k8s-bootstrap ${path.join(' ')}`);
    // commander wraps long descriptions at the terminal width.
    expect(run.stdout.replace(/\s+/g, ' ')).toContain(definition.summary);
    expect(run.stdout).toContain('Examples:');
    expect(definition.examples.length).toBeGreaterThanOrEqual(1);
    expect(definition.examples.length).toBeLessThanOrEqual(3);
    for (const example of definition.examples) expect(run.stdout).toContain(`$ ${example}`);
  });

  it('top-level --help lists every command and the exit codes', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(EXIT_OK);
    for (const command of COMMANDS) expect(run.stdout).toContain(command.name);
    expect(run.stdout).toContain('Exit codes: 0 success, 1 failure while running, 2 bad usage or configuration, 130 interrupted.');
  });
});

describe('usage errors and exit codes', () => {
  it('documents the exit code table as constants', () => {
    expect({ EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED }).toEqual({ EXIT_OK: 0, EXIT_FAILURE: 1, EXIT_USAGE: 2, EXIT_INTERRUPTED: 130 });
  });

  it.each([
    [['init', '--no-such-flag'], /unknown option '--no-such-flag'/],
    [['--bogus'], /unknown option '--bogus'/],
    [['no-such-command'], /unknown command 'no-such-command'/],
    [['init', '--provider', 'azure'], /argument 'azure' is invalid/],
    [['init', '--workers', 'many'], /--workers takes a whole number, got "many"/],
    [['--output', 'xml', 'status'], /argument 'xml' is invalid/],
  ])('%j exits 2 and names the problem', async (args, message) => {
    const run = await runCli(args as string[]);
    expect(run.code).toBe(EXIT_USAGE);
    expect(run.stderr).toMatch(message);
  });
});
