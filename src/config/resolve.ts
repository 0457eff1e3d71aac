/**
 * The non-interactive path to a ClusterSpec: --config file, `init` flags and K8SB_* variables
 * merged into one raw document (flag > file > environment), which validateSpec then checks like
 * any other. Without prompts, findMissingValues names what is still needed and how to give it.
 */
import { UsageError } from '../errors.js';
import { envValue } from './env-vars.js';
import { INIT_FIELDS, initField, initFieldKey, type InitFieldKey, type InitFieldRow, type InitSpecFlags } from './init-fields.js';
import { API_VERSION, KIND, type StaticHostInput } from './schema.js';

type Doc = Record<string, unknown>;

function isMapping(value: unknown): value is Doc {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The mapping at `key`, created when absent (a non-mapping there is replaced; flags win). */
function section(doc: Doc, key: string): Doc {
  const current = doc[key];
  if (isMapping(current)) return current;
  const created: Doc = {};
  doc[key] = created;
  return created;
}

/** The mapping that holds a dotted path's last key, and that key. */
function parentOf(doc: Doc, path: string): [Doc, string] {
  const keys = path.split('.');
  const last = keys.pop()!;
  return [keys.reduce(section, doc), last];
}

function valueAt(doc: Doc, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (isMapping(value) ? value[key] : undefined), doc);
}

function providerNameOf(doc: Doc): string | undefined {
  const name = valueAt(doc, 'provider.name');
  return typeof name === 'string' ? name : undefined;
}

/** "the exoscale provider", "the aws and openstack providers". */
function providerList(providers: readonly string[]): string {
  if (providers.length === 1) return `the ${providers[0]} provider`;
  return `the ${providers.slice(0, -1).join(', ')} and ${providers.at(-1)} providers`;
}

/** The flag's value when it was given (a list counts when it has an entry). */
function flagValue(flags: InitSpecFlags, row: InitFieldRow): unknown {
  const value: unknown = flags[initFieldKey(row)];
  return Array.isArray(value) && value.length === 0 ? undefined : value;
}

/** The row's variable, read as its kind reads text (a list is comma-separated). */
function envFor(row: InitFieldRow, env: NodeJS.ProcessEnv): unknown {
  if (!('env' in row)) return undefined;
  const text = envValue(env, row.env.name);
  if (text === undefined || row.kind !== 'list') return text;
  const items = text.split(',').map((item) => item.trim()).filter((item) => item !== '');
  return items.length > 0 ? items : undefined;
}

/** Orders provider.hosts control planes first, then workers, then anything else, each as it came. */
const ROLE_ORDER = ['control-plane', 'worker'];
function roleRank(host: unknown): number {
  const rank = isMapping(host) && typeof host.role === 'string' ? ROLE_ORDER.indexOf(host.role) : -1;
  return rank === -1 ? ROLE_ORDER.length : rank;
}

/** One row's flag or variable into the document; the row says where and under which conditions. */
function mergeField(doc: Doc, row: InitFieldRow, flag: unknown, fromEnv: unknown): void {
  if (row.field === 'provider.name') {
    // Switching the provider with --provider drops the file's settings of the other provider.
    if (flag !== undefined && flag !== providerNameOf(doc)) doc.provider = { name: flag };
    else if (doc.provider === undefined && fromEnv !== undefined) doc.provider = { name: fromEnv };
    return;
  }
  const providerName = providerNameOf(doc);
  const applies = !('providers' in row) || (providerName !== undefined && (row.providers as readonly string[]).includes(providerName));
  if (flag !== undefined && 'providers' in row && providerName !== undefined && !applies) {
    const hint = 'wrongProviderHint' in row ? (row.wrongProviderHint as Partial<Record<string, string>>)[providerName] : undefined;
    throw new UsageError('FlagNotApplicable', `${row.flag} applies to ${providerList(row.providers)} only (provider is ${providerName})`, { hint });
  }
  const current = valueAt(doc, row.field);
  let value: unknown;
  if ('hostRole' in row) {
    if (!Array.isArray(flag)) return;
    const given = flag.map((text: string) => parseHostFlag(text, row.hostRole));
    const kept = Array.isArray(current) ? current.filter((host: unknown) => !isMapping(host) || host.role !== row.hostRole) : [];
    value = [...kept, ...given].sort((a, b) => roleRank(a) - roleRank(b));
  } else if (flag !== undefined) {
    value = Array.isArray(flag) ? [...flag] : flag;
  } else if (fromEnv !== undefined && applies && current === undefined) {
    value = fromEnv;
  } else {
    return;
  }
  const [parent, key] = parentOf(doc, row.field);
  parent[key] = value;
}

/** The sections init's fields live in; provider has its own rules (switching, hosts). */
const FIELD_SECTIONS = [...new Set(INIT_FIELDS.map((row) => row.field.split('.')).filter((path) => path.length > 1).map((path) => path[0]!))].filter(
  (key) => key !== 'provider',
);

/**
 * The file, then each INIT_FIELDS flag over it, then each field's K8SB_* variable where the value
 * is still open, as one raw document for validateSpec.
 */
export function mergeSpecSources(input: { file?: unknown; flags: InitSpecFlags; env: NodeJS.ProcessEnv }): Doc {
  if (input.file !== undefined && input.file !== null && !isMapping(input.file)) {
    throw new UsageError('InvalidConfig', 'The configuration file must be a YAML mapping (key: value) at the top level', {
      hint: 'start from "k8s-bootstrap config example"',
    });
  }
  const doc: Doc = isMapping(input.file) ? (structuredClone(input.file) as Doc) : {};
  doc.apiVersion ??= API_VERSION;
  doc.kind ??= KIND;
  // A section the file names but leaves empty (YAML "network:" is null) counts as an empty mapping.
  for (const key of FIELD_SECTIONS) if (key in doc && !isMapping(doc[key])) doc[key] = {};
  for (const row of INIT_FIELDS) mergeField(doc, row, flagValue(input.flags, row), envFor(row, input.env));
  return doc;
}

const HOST_KEYS = ['private', 'name', 'port', 'user'] as const;

/** `ADDRESS[,private=IP][,name=NAME][,port=N][,user=U]`, as --control-plane-host / --worker-host take it. */
export function parseHostFlag(text: string, role: 'control-plane' | 'worker', flag = role === 'control-plane' ? '--control-plane-host' : '--worker-host'): StaticHostInput {
  const [addressPart, ...options] = text.split(',');
  const address = addressPart?.trim() ?? '';
  const usage = `${flag} takes ADDRESS[,private=IP][,name=NAME][,port=N][,user=U]`;
  if (address === '' || address.includes('=')) {
    throw new UsageError('InvalidHost', `${flag} "${text}": the address comes first`, { hint: usage });
  }
  const host: StaticHostInput = { address, role };
  const seen = new Set<string>();
  for (const option of options) {
    const match = /^\s*([a-z]+)=(.*)$/.exec(option);
    const key = match?.[1];
    const value = match?.[2]?.trim() ?? '';
    if (!match || !key || !(HOST_KEYS as readonly string[]).includes(key)) {
      throw new UsageError('InvalidHost', `${flag} "${text}": unknown option "${option.trim()}"; allowed: ${HOST_KEYS.join(', ')}`, { hint: usage });
    }
    if (seen.has(key)) throw new UsageError('InvalidHost', `${flag} "${text}": ${key}= is given twice`, { hint: usage });
    seen.add(key);
    if (value === '') throw new UsageError('InvalidHost', `${flag} "${text}": ${key}= needs a value`, { hint: usage });
    if (key === 'port') {
      const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
      if (!(port >= 1 && port <= 65535)) {
        throw new UsageError('InvalidHost', `${flag} "${text}": port must be a number from 1 to 65535, got "${value}"`, { hint: usage });
      }
      host.port = port;
    } else if (key === 'private') host.privateAddress = value;
    else if (key === 'name') host.name = value;
    else host.user = value;
  }
  return host;
}

export interface MissingValue {
  field: string;
  flag: string;
  env?: string;
}

const CLOUD_PROVIDERS = ['exoscale', 'openstack', 'aws'];

/** What to tell about a missing value: `label` names it, its INIT_FIELDS row how to give it. */
function missingValue(label: string, key: InitFieldKey): MissingValue {
  const row = initField(key);
  return 'env' in row ? { field: label, flag: row.flag, env: row.env.name } : { field: label, flag: row.flag };
}

/** What a run without prompts still lacks; empty when the document can go to validateSpec. */
export function findMissingValues(raw: Record<string, unknown>): MissingValue[] {
  const missing: MissingValue[] = [];
  const blank = (value: unknown) => value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
  if (blank(raw.name)) missing.push(missingValue('name', 'name'));
  const provider = isMapping(raw.provider) ? raw.provider : undefined;
  const providerName = typeof provider?.name === 'string' ? provider.name : undefined;
  if (blank(providerName)) missing.push(missingValue('provider', 'provider'));
  if (providerName === 'static') {
    const hosts = Array.isArray(provider?.hosts) ? provider.hosts : [];
    if (!hosts.some((host) => isMapping(host) && host.role === 'control-plane')) {
      missing.push(missingValue('provider.hosts (a control-plane host)', 'controlPlaneHost'));
    }
  } else if (providerName !== undefined && CLOUD_PROVIDERS.includes(providerName)) {
    const cidrs = valueAt(raw, 'ssh.adminCidrs');
    if (!Array.isArray(cidrs) || cidrs.length === 0) missing.push(missingValue('ssh.adminCidrs', 'adminCidr'));
  }
  return missing;
}

export class MissingValuesError extends UsageError {
  readonly missing: MissingValue[];
  constructor(missing: MissingValue[]) {
    const lines = missing.map((m) => `  - ${m.field}: pass ${m.flag}${m.env ? ` or set ${m.env}` : ''}`);
    super('MissingValues', `Missing values (running without prompts):\n${lines.join('\n')}`, {
      hint: 'give them as flags, environment variables or in --config; or run on a terminal without --yes to be asked',
    });
    this.missing = missing;
  }
}
