/**
 * Turns zod issues into the tool's own ValidationIssues: a dotted path, a sentence, the value and
 * a fix. Nobody should ever see a raw zod dump; unknown keys get a "did you mean" from the schema.
 */
import type { z } from 'zod';
import type { ValidationIssue } from '../errors.js';
import { credentialFieldIssue } from './credential-fields.js';
import { API_VERSION, KIND } from './schema.js';

type PathKey = PropertyKey;

/** `provider.hosts[0].address`; the whole document is `(document)`. */
export function formatPath(path: readonly PathKey[]): string {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else text += text === '' ? String(key) : `.${String(key)}`;
  }
  return text === '' ? '(document)' : text;
}

export function valueAt(raw: unknown, path: readonly PathKey[]): unknown {
  let current: unknown = raw;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key as string];
  }
  return current;
}

/** Only short scalars are echoed back; whole mappings would drown the message. */
export function shownValue(value: unknown): unknown {
  if (typeof value === 'string') return value.length > 200 ? `${value.slice(0, 200)}…` : value;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
  return undefined;
}

interface ZodDefLike {
  type: string;
  shape?: Record<string, { _zod: { def: ZodDefLike } }>;
  innerType?: { _zod: { def: ZodDefLike } };
  element?: { _zod: { def: ZodDefLike } };
  options?: { _zod: { def: ZodDefLike } }[];
  discriminator?: string;
  in?: { _zod: { def: ZodDefLike } };
  values?: unknown[];
}

function defOf(schema: z.ZodType): ZodDefLike {
  return (schema as unknown as { _zod: { def: ZodDefLike } })._zod.def;
}

/** Peels optional/default/prefault wrappers and picks the union member the data selects. */
function resolve(def: ZodDefLike, data: unknown): ZodDefLike | undefined {
  for (let guard = 0; guard < 20; guard++) {
    if (def.innerType) def = def.innerType._zod.def;
    else if (def.type === 'pipe' && def.in) def = def.in._zod.def;
    else if (def.type === 'union' && def.options) {
      const tag = def.discriminator ? valueAt(data, [def.discriminator]) : undefined;
      const chosen = def.options.find((option) => {
        const field = option._zod.def.shape?.[def.discriminator ?? '']?._zod.def;
        return field?.values?.includes(tag);
      });
      if (!chosen) return undefined;
      def = chosen._zod.def;
    } else return def;
  }
  return undefined;
}

/** The field names the schema allows at `path` (for "did you mean"). */
export function knownKeysAt(schema: z.ZodType, raw: unknown, path: readonly PathKey[]): string[] {
  let def = resolve(defOf(schema), raw);
  let data: unknown = raw;
  for (const key of path) {
    if (!def) return [];
    data = valueAt(data, [key]);
    const next = typeof key === 'number' ? def.element?._zod.def : def.shape?.[String(key)]?._zod.def;
    def = next ? resolve(next, data) : undefined;
  }
  return def?.shape ? Object.keys(def.shape) : [];
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const saved = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = saved;
    }
  }
  return row[b.length]!;
}

/** The closest candidate when it is close enough to be a typo (case, '-'/'_' and 1-2 letters). */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  const squash = (s: string) => s.toLowerCase().replace(/[-_\s]/g, '');
  const exact = candidates.find((c) => squash(c) === squash(input));
  if (exact) return exact;
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(squash(input), squash(candidate));
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  const limit = Math.max(1, Math.min(3, Math.floor(input.length / 3)));
  return best && best.distance <= limit ? best.candidate : undefined;
}

const TYPE_NAMES: Record<string, string> = {
  int: 'a whole number',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping (key: value)',
  record: 'a mapping (key: value)',
  array: 'a list',
};

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'number' && !Number.isInteger(value)) return 'a fraction';
  return `a ${typeof value}`;
}

const REQUIRED_FIXES: Record<string, string> = {
  apiVersion: `add "apiVersion: ${API_VERSION}"`,
  kind: `add "kind: ${KIND}"`,
  name: 'add "name: <cluster-name>" (lowercase letters, digits and -)',
  provider: 'add "provider: { name: exoscale | openstack | aws | static }"',
  'provider.name': 'set it to exoscale, openstack, aws or static',
};

export function toValidationIssues(schema: z.ZodType, raw: unknown, issues: readonly z.core.$ZodIssue[]): ValidationIssue[] {
  return issues.flatMap((issue) => translate(schema, raw, issue));
}

function translate(schema: z.ZodType, raw: unknown, issue: z.core.$ZodIssue): ValidationIssue[] {
  const path = formatPath(issue.path);
  const value = valueAt(raw, issue.path);
  const shown = shownValue(value);
  const fail = (message: string, fix?: string): ValidationIssue[] => [
    { path, message, ...(shown === undefined ? {} : { value: shown }), ...(fix ? { fix } : {}) },
  ];
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeysAt(schema, raw, issue.path);
      return issue.keys.map((key) => {
        const credential = credentialFieldIssue(valueAt(raw, ['provider', 'name']), issue.path, key);
        if (credential) return { path: formatPath([...issue.path, key]), ...credential };
        const suggestion = didYouMean(key, known);
        const fix = suggestion
          ? `did you mean "${suggestion}"?`
          : known.length > 0
            ? `remove it; known fields here: ${known.join(', ')}`
            : 'remove it';
        return { path: formatPath([...issue.path, key]), message: 'is not a known field', fix };
      });
    }
    case 'invalid_type': {
      if (value === undefined) return fail('is required', REQUIRED_FIXES[path]);
      const expected = TYPE_NAMES[issue.expected] ?? issue.expected;
      if (issue.path.length === 0) return fail(`must be ${expected}, not ${describeType(value)}`, 'start from the output of "k8s-bootstrap config example"');
      // YAML reads 1.30 as the number 1.3: quoting keeps it text.
      const fix = issue.expected === 'string' && typeof value === 'number' ? `quote it: "${String(value)}"` : undefined;
      return fail(`must be ${expected}, not ${describeType(value)}`, fix);
    }
    case 'invalid_value': {
      const options = issue.values.map(String);
      if (value === undefined) return fail('is required', REQUIRED_FIXES[path] ?? `set it to ${options.join(' or ')}`);
      if (options.length === 1) {
        const fix = path === 'apiVersion' ? `this release reads ${API_VERSION}` : undefined;
        return fail(`must be "${options[0]}"`, fix);
      }
      return fail(`must be one of: ${options.join(', ')}`, suggestionFix(value, options));
    }
    case 'invalid_union': {
      const tagged = issue as { discriminator?: string; options?: unknown[] };
      if (tagged.options && tagged.options.length > 0) {
        if (value === undefined) return fail('is required', REQUIRED_FIXES[path]);
        const options = tagged.options.map(String);
        return fail(`must be one of: ${options.join(', ')}`, suggestionFix(value, options));
      }
      // A union of plain types (string | number | boolean): name them all.
      const branches = (issue as { errors?: z.core.$ZodIssue[][] }).errors ?? [];
      const expected = branches.map((branch) => (branch.length === 1 && branch[0]!.code === 'invalid_type' ? branch[0]!.expected : undefined));
      if (expected.length > 0 && expected.every((type) => type !== undefined) && value !== undefined) {
        const names = expected.map((type) => TYPE_NAMES[type!] ?? type!);
        const list = names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}` : names[0]!;
        return fail(`must be ${list}, not ${describeType(value)}`);
      }
      return fail('does not match any allowed form');
    }
    case 'too_small': {
      const minimum = Number(issue.minimum);
      if (issue.origin === 'string') return fail(minimum <= 1 ? 'must not be empty' : `must be at least ${minimum} characters long`);
      if (issue.origin === 'array') return fail(`must list at least ${minimum} item${minimum === 1 ? '' : 's'}`);
      return fail(`must be at least ${minimum}`);
    }
    case 'too_big': {
      const maximum = Number(issue.maximum);
      if (issue.origin === 'string') return fail(`must be at most ${maximum} characters long`);
      if (issue.origin === 'array') return fail(`must list at most ${maximum} items`);
      return fail(`must be at most ${maximum}`);
    }
    default:
      return fail(`is invalid (${issue.message})`);
  }
}

function suggestionFix(value: unknown, options: string[]): string | undefined {
  if (typeof value !== 'string') return undefined;
  const suggestion = didYouMean(value, options);
  return suggestion ? `did you mean "${suggestion}"?` : undefined;
}
