/**
 * Each option is declared once: its type (what the handler receives), its default (shown in
 * --help from the value) and its parsing (a bad value is a usage error naming the flag).
 */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { choice, commanderOptions, defineCommand, duration, flag, flagOf, integer, list, settleOptions, text, type OptionsOf } from '../../../src/cli/command.js';
import { COMMANDS } from '../../../src/cli/commands/index.js';
import { removeWorkers } from '../../../src/cli/commands/remove-workers.js';
import { EXIT_USAGE } from '../../../src/cli/main.js';
import { runCli } from '../../helpers/fake-io.js';

const ALL = COMMANDS.flatMap((command) => [
  { path: [command.name], definition: command },
  ...command.subcommands.map((sub) => ({ path: [command.name, sub.name], definition: sub })),
]);

/** The --help entry of each option: its flag, then its description with commander's wrapping undone. */
function helpEntries(helpText: string): Map<string, string> {
  const options = helpText.split('\nOptions:\n')[1]?.split('\n\n')[0] ?? '';
  const entries = new Map<string, string>();
  let current: string | undefined;
  for (const line of options.split('\n')) {
    const start = /^ {2}(?:-\w, )?(--[\w-]+)/.exec(line);
    if (start) {
      current = start[1]!;
      entries.set(current, line.trim());
    } else if (current) entries.set(current, `${entries.get(current)} ${line.trim()}`);
  }
  return entries;
}

/** Parses `args` with the declarations' commander options and settles them as a handler gets them. */
function parse<Decls extends Parameters<typeof commanderOptions>[0]>(decls: Decls, args: string[]) {
  const command = new Command('test').exitOverride().configureOutput({ writeErr: () => undefined });
  for (const option of commanderOptions(decls)) command.addOption(option);
  command.parse(args, { from: 'user' });
  return settleOptions(decls, command.opts());
}

describe('--help shows each declared default from its value', () => {
  // Today's values, written out here so that a changed default is a visible change.
  it.each([
    ['init', '--timeout', '1h'],
    ['init', '--ssh-timeout', '5m'],
    ['add-workers', '--timeout', '1h'],
    ['add-workers', '--concurrency', '16'],
    ['add-workers', '--ssh-timeout', '5m'],
    ['remove-workers', '--timeout', '1h'],
    ['remove-workers', '--drain-timeout', '10m'],
    ['remove-workers', '--ssh-timeout', '30s'],
    ['upgrade', '--timeout', '3h'],
    ['upgrade', '--drain-timeout', '10m'],
    ['upgrade', '--max-unavailable', '1'],
    ['destroy', '--timeout', '1h'],
    ['destroy', '--concurrency', '20'],
    ['status', '--timeout', '2m'],
    ['ssh', '--timeout', '24h'],
    ['config example', '--provider', 'exoscale'],
  ])('%s %s (default %s)', async (command, option, shown) => {
    const run = await runCli([...command.split(' '), '--help']);
    expect(helpEntries(run.stdout).get(option)).toContain(`(default ${shown})`);
  });

  it.each(ALL.map((entry) => [entry.path.join(' '), entry] as const))('%s: every option in --help, a default only where one is declared', async (_label, { path, definition }) => {
    const entries = helpEntries((await runCli([...path, '--help'])).stdout);
    for (const [key, decl] of Object.entries(definition.options)) {
      const entry = entries.get(flagOf(key));
      expect(entry, flagOf(key)).toBeDefined();
      if (decl.defaultText === undefined) expect(entry).not.toContain('(default');
      else expect(entry).toContain(`(default ${decl.defaultText})`);
    }
  });

  it('the handler gets the declared default when the flag is absent, in milliseconds for a duration', () => {
    expect(settleOptions(removeWorkers.options, {})).toEqual({
      node: [],
      count: undefined,
      force: false,
      drainTimeout: 10 * 60_000,
      availabilityTimeout: 10 * 60_000,
      waitForBudgets: false,
      sshTimeout: 30_000,
      timeout: 60 * 60_000,
      dryRun: false,
    });
  });
});

describe('values are parsed as commander reads the flag', () => {
  const durations = ALL.flatMap(({ path, definition }) =>
    Object.entries(definition.options)
      .filter(([, decl]) => decl.valueName === '<duration>')
      .map(([key]) => [`${path.join(' ')} ${flagOf(key)}`, path, flagOf(key)] as const),
  );

  it('there are duration flags to check', () => {
    expect(durations.length).toBeGreaterThanOrEqual(10);
  });

  it.each(durations)('%s 10 (no unit) exits 2 naming the flag', async (_label, path, option) => {
    const run = await runCli([...path, option, '10']);
    expect(run.code).toBe(EXIT_USAGE);
    expect(run.stderr).toContain(`${option}: "10" is not a duration`);
    expect(run.stderr).toContain('Use a number with a unit');
  });

  it.each([
    [['upgrade', '--max-unavailable', '0'], '--max-unavailable must be 1 or more (got 0)'],
    [['destroy', '--concurrency', 'lots'], '--concurrency takes a whole number, got "lots"'],
    [['add-workers', '--count', '-1'], '--count takes a whole number, got "-1"'],
  ])('%j exits 2 naming the flag', async (args, message) => {
    const run = await runCli(args);
    expect(run.code).toBe(EXIT_USAGE);
    expect(run.stderr).toContain(message);
  });

  it('each builder hands over its type: boolean, string, number, milliseconds, list, choice', () => {
    const decls = {
      dryRun: flag('print only'),
      name: text('<name>', 'a name'),
      user: text('<user>', 'a user', { default: 'root' }),
      count: integer('<n>', 'how many', { min: 2 }),
      drainTimeout: duration('how long', { default: '10m' }),
      sshTimeout: duration('how long', { default: 90_000 }),
      host: list('<spec>', 'a host'),
      cni: choice('<cni>', 'pod network', ['calico', 'cilium'] as const, { default: 'calico' }),
    };
    const absent: OptionsOf<typeof decls> = parse(decls, []);
    expect(absent).toEqual({ dryRun: false, name: undefined, user: 'root', count: undefined, drainTimeout: 600_000, sshTimeout: 90_000, host: [], cni: 'calico' });
    const given = parse(decls, ['--dry-run', '--name', 'a', '--count', '3', '--drain-timeout', '1h30m', '--host', 'h1', '--host', 'h2', '--cni', 'cilium']);
    expect(given).toMatchObject({ dryRun: true, name: 'a', count: 3, drainTimeout: 90 * 60_000, host: ['h1', 'h2'], cni: 'cilium' });
    expect(() => parse(decls, ['--count', '1'])).toThrow('--count must be 2 or more (got 1)');
    expect(() => parse(decls, ['--cni', 'weave'])).toThrow(/Allowed choices are calico, cilium/);
  });

  it('a declared default that is not a duration fails when the declaration loads', () => {
    expect(() => duration('how long', { default: '10' })).toThrow('is not a duration');
  });

  it('a key that commander would not give back is refused when the command is built', () => {
    expect(() => commanderOptions({ ssh2Key: text('<key>', 'x') })).not.toThrow();
    expect(() => commanderOptions({ 'dry-run': flag('x') })).toThrow('does not round-trip');
  });

  it('a command runs its handler with the settled options and the positional arguments', async () => {
    const seen: unknown[] = [];
    const options = { timeout: duration('limit', { default: '2m' }), node: list('<n>', 'node') };
    const command = defineCommand({
      name: 'probe',
      summary: 'probe',
      examples: ['probe'],
      options,
      load: async () => async (_ctx, values: OptionsOf<typeof options>, args) => {
        seen.push(values, args);
        return 3;
      },
    });
    const ctx = {} as Parameters<NonNullable<typeof command.run>>[0];
    expect(await command.run?.(ctx, { node: ['a'] }, ['x'])).toBe(3);
    expect(seen).toEqual([{ timeout: 120_000, node: ['a'] }, ['x']]);
  });
});
