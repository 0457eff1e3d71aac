/**
 * INIT_FIELDS is the one table of init's spec flags: each row is an init option, names a real
 * ClusterSpec field that the merge fills, and is where ENV_VARS and the missing-value message
 * take their flag, field and variable from.
 */
import { describe, expect, it } from 'vitest';
import { flagOf } from '../../../src/cli/command.js';
import { init } from '../../../src/cli/commands/init.js';
import { runCli } from '../../helpers/fake-io.js';
import { ENV_VARS } from '../../../src/config/env-vars.js';
import { INIT_FIELDS, initFieldKey, type InitFieldRow, type InitSpecFlags } from '../../../src/config/init-fields.js';
import { findMissingValues, mergeSpecSources, MissingValuesError } from '../../../src/config/resolve.js';
import { clusterJsonSchema } from '../../../src/config/serialize.js';
import { UsageError } from '../../../src/errors.js';

/** init's options about the run itself, not about the cluster. */
const RUN_OPTIONS = ['sshTimeout', 'rebuildImage', 'allowDestroy', 'concurrency', 'timeout', 'dryRun'];
const ROWS = INIT_FIELDS.map((row) => [row.flag, row] as const);

type Schema = { properties?: Record<string, Schema>; oneOf?: Schema[]; anyOf?: Schema[]; const?: unknown };

/** Whether the JSON Schema has `path`; under provider, in the branch of each provider the row applies to. */
function schemaHas(schema: Schema, path: string[], providers?: readonly string[]): boolean {
  const branches = schema.oneOf ?? schema.anyOf;
  if (branches) {
    const relevant = providers ? branches.filter((branch) => providers.includes(String(branch.properties?.name?.const))) : branches;
    return relevant.length > 0 && relevant[providers ? 'every' : 'some']((branch) => schemaHas(branch, path, providers));
  }
  if (path.length === 0) return true;
  const next = schema.properties?.[path[0]!];
  return next !== undefined && schemaHas(next, path.slice(1), providers);
}

function valueAt(doc: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), doc);
}

/** A value of the row's kind, as commander would hand it over. */
function sample(row: InitFieldRow): unknown {
  if ('hostRole' in row) return ['192.0.2.10'];
  if (row.kind === 'list') return ['192.0.2.0/24'];
  if (row.kind === 'integer') return 3;
  if (row.kind === 'choice') return row.choices[row.choices.length - 1];
  return 'sample';
}

/** Flags with only this row given, and a provider it applies to. */
function flagsFor(row: InitFieldRow, value: unknown): InitSpecFlags {
  const provider = 'providers' in row ? { provider: row.providers[0] } : {};
  return { ...provider, [initFieldKey(row)]: value };
}

describe('INIT_FIELDS drives init\'s options', () => {
  it('every init option is a row of the table or one of the run options, in table order first', () => {
    const keys = Object.keys(init.options);
    expect(keys).toEqual([...INIT_FIELDS.map(initFieldKey), ...RUN_OPTIONS]);
  });

  it.each(ROWS)('%s is the flag of its option, with its variable in the help', async (flag, row) => {
    expect(flagOf(initFieldKey(row))).toBe(flag);
    const help = (await runCli(['init', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(help).toContain(`${flag} ${row.valueName}`);
    if ('env' in row) expect(help).toMatch(new RegExp(`${flag} ${row.valueName} [^]*?\\(${row.env.name}\\)`));
  });
});

describe('INIT_FIELDS drives the merge', () => {
  const schema = clusterJsonSchema() as Schema;

  it.each(ROWS)('%s names a field of the ClusterSpec schema', (_flag, row) => {
    expect(schemaHas(schema, row.field.split('.'), 'providers' in row ? row.providers : undefined)).toBe(true);
  });

  it.each(ROWS)('%s fills its field', (_flag, row) => {
    const value = sample(row);
    const doc = mergeSpecSources({ flags: flagsFor(row, value), env: {} });
    if ('hostRole' in row) expect(valueAt(doc, row.field)).toEqual([{ address: '192.0.2.10', role: row.hostRole }]);
    else expect(valueAt(doc, row.field)).toEqual(value);
  });

  it.each(ROWS.filter(([, row]) => 'env' in row))('%s: its variable fills the field when neither file nor flag does, and loses to both', (_flag, row) => {
    if (!('env' in row)) return;
    const provider = 'providers' in row ? row.providers[0] : undefined;
    const base = provider ? { provider } : {};
    const envText = row.kind === 'list' ? '192.0.2.0/24, 198.51.100.0/24' : row.kind === 'choice' ? row.choices[0]! : 'from-env';
    const expected = row.kind === 'list' ? ['192.0.2.0/24', '198.51.100.0/24'] : envText;
    const env = { [row.env.name]: envText };
    expect(valueAt(mergeSpecSources({ flags: base, env }), row.field)).toEqual(expected);
    expect(valueAt(mergeSpecSources({ flags: flagsFor(row, sample(row)), env }), row.field)).toEqual(sample(row));
    const file: Record<string, unknown> = {};
    const keys = row.field.split('.');
    keys.reduce<Record<string, unknown>>((target, key, index) => {
      if (index === keys.length - 1) target[key] = row.kind === 'list' ? ['203.0.113.0/24'] : 'from-file';
      else target[key] = { ...(key === 'provider' && provider ? { name: provider } : {}) };
      return target[key] as Record<string, unknown>;
    }, file);
    expect(valueAt(mergeSpecSources({ file, flags: {}, env }), row.field)).toEqual(row.kind === 'list' ? ['203.0.113.0/24'] : 'from-file');
  });

  it.each(ROWS.filter(([, row]) => 'providers' in row))('%s is refused, naming itself, for a provider it does not apply to', (flag, row) => {
    if (!('providers' in row)) return;
    const other = ['exoscale', 'aws', 'static'].find((provider) => !(row.providers as readonly string[]).includes(provider))!;
    const flags = { ...flagsFor(row, sample(row)), provider: other } as InitSpecFlags;
    expect(() => mergeSpecSources({ flags, env: {} })).toThrow(UsageError);
    expect(() => mergeSpecSources({ flags, env: {} })).toThrow(`${flag} applies to the`);
    expect(() => mergeSpecSources({ flags, env: {} })).toThrow(`only (provider is ${other})`);
  });
});

describe('INIT_FIELDS drives ENV_VARS and the missing-value message', () => {
  it('every variable of a row is in ENV_VARS with the row\'s flag and field', () => {
    for (const row of INIT_FIELDS) {
      if ('env' in row) expect(ENV_VARS[row.env.name]).toEqual({ field: row.field, flag: row.flag, description: row.env.description });
    }
  });

  it('every ENV_VARS entry with a flag and a field comes from a row', () => {
    const fromRows = INIT_FIELDS.flatMap((row) => ('env' in row ? [row.env.name] : []));
    const withFlagAndField = Object.entries(ENV_VARS).filter(([, info]) => 'flag' in info && 'field' in info);
    expect(withFlagAndField.map(([name]) => name).sort()).toEqual([...fromRows].sort());
  });

  it('the missing-value message names the rows\' flags and variables', () => {
    const cases: Array<[InitSpecFlags, string[]]> = [
      [{}, ['--name', '--provider']],
      [{ name: 'a', provider: 'aws' }, ['--admin-cidr']],
      [{ name: 'a', provider: 'static' }, ['--control-plane-host']],
    ];
    for (const [flags, expectedFlags] of cases) {
      const missing = findMissingValues(mergeSpecSources({ flags, env: {} }));
      expect(missing.map((m) => m.flag)).toEqual(expectedFlags);
      const message = new MissingValuesError(missing).message;
      for (const value of missing) {
        const row = INIT_FIELDS.find((candidate) => candidate.flag === value.flag)!;
        expect(row).toBeDefined();
        expect(value.env).toBe('env' in row ? row.env.name : undefined);
        expect(message).toContain(`pass ${row.flag}${'env' in row ? ` or set ${row.env.name}` : ''}`);
      }
    }
  });
});
