/**
 * Checks a Terraform module (its parsed .tf files) against a provider-schema snapshot: resource
 * and data types, argument and block names, required arguments, references to attributes,
 * lifecycle.ignore_changes, the provider block, and the version constraint in required_providers.
 * Returns findings (file, line, address, message) instead of throwing, so a test can show them all.
 */
import { effectiveBlocks, type HclAttribute, type HclBlock, type HclFile } from '../../../helpers/hcl-reader.js';
import type { BlockSchema, NestedBlockSchema, ProviderSchemaSnapshot } from './schema-types.js';
import { constraintAdmits } from './version-constraint.js';

export interface Finding {
  file: string;
  line: number;
  /** e.g. exoscale_compute_instance.control_plane, or provider.exoscale. */
  address: string;
  kind: 'unknown-type' | 'unknown-argument' | 'unknown-block' | 'read-only' | 'argument-as-block' | 'block-as-argument' | 'missing-required' | 'too-many-blocks' | 'unknown-attribute' | 'undeclared-reference' | 'deprecated' | 'version';
  message: string;
}

export function formatFinding(f: Finding): string {
  return `${f.file}:${f.line}: ${f.address}: ${f.message}`;
}

// Terraform's own meta-arguments, allowed on every resource / data source: hashicorp/terraform
// internal/configs/resource.go, commonResourceAttributes, resourceBlockSchema, dataBlockSchema.
const RESOURCE_META_ARGUMENTS = new Set(['count', 'for_each', 'provider', 'depends_on']);
const RESOURCE_META_BLOCKS = new Set(['lifecycle', 'provisioner', 'connection']);
const DATA_META_BLOCKS = new Set(['lifecycle']);
const PROVIDER_META_ARGUMENTS = new Set(['alias']);

const names = (schema: BlockSchema) => [...schema.arguments.required, ...schema.arguments.optional, ...schema.attributes, ...Object.keys(schema.blocks)];

/** Edit distance where swapping two neighbouring letters counts as one edit (a common typo). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest known name, for "did you mean" (at most 3 edits). */
function closest(name: string, candidates: string[]): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const candidate of candidates) {
    const d = distance(name, candidate);
    if (d <= 3 && (!best || d < best.d)) best = { name: candidate, d };
  }
  return best?.name;
}

const didYouMean = (name: string, candidates: string[]) => {
  const hint = closest(name, candidates);
  return hint ? ` (did you mean "${hint}"?)` : '';
};

interface Context {
  file: string;
  address: string;
  label: string;
  findings: Finding[];
}

function add(ctx: Context, line: number, kind: Finding['kind'], message: string): void {
  ctx.findings.push({ file: ctx.file, line, address: ctx.address, kind, message });
}

/** Checks one body (a resource, a data source, a provider block or a nested block) against its schema. */
function checkBody(ctx: Context, body: Pick<HclBlock, 'attributes' | 'blocks' | 'line'>, schema: BlockSchema, where: string, meta: { arguments: Set<string>; blocks: Set<string> }): void {
  const settable = [...schema.arguments.required, ...schema.arguments.optional];
  const inBlock = where ? ` in block ${where}` : '';
  for (const attribute of body.attributes) {
    const name = attribute.name;
    if (meta.arguments.has(name)) continue;
    if (settable.includes(name)) {
      if (schema.deprecated.includes(name)) add(ctx, attribute.line, 'deprecated', `argument "${name}"${inBlock} is deprecated in ${ctx.label}`);
      continue;
    }
    if (schema.attributes.includes(name)) add(ctx, attribute.line, 'read-only', `"${name}"${inBlock} is a read-only attribute in ${ctx.label}; it cannot be set`);
    else if (schema.blocks[name]) add(ctx, attribute.line, 'block-as-argument', `"${name}"${inBlock} is a block in ${ctx.label}: write ${name} { ... }, not ${name} = ...`);
    else add(ctx, attribute.line, 'unknown-argument', `argument "${name}"${inBlock} does not exist in ${ctx.label}${didYouMean(name, settable)}`);
  }
  const blocks = effectiveBlocks(body);
  for (const block of blocks) {
    const name = block.type;
    if (meta.blocks.has(name)) continue;
    const nested = schema.blocks[name];
    if (nested) {
      if (schema.deprecated.includes(name)) add(ctx, block.line, 'deprecated', `block "${name}"${inBlock} is deprecated in ${ctx.label}`);
      checkBody(ctx, block, nested, where ? `${where}.${name}` : name, { arguments: new Set(), blocks: new Set() });
    } else if (settable.includes(name)) add(ctx, block.line, 'argument-as-block', `"${name}"${inBlock} is an argument in ${ctx.label}: write ${name} = ..., not a block`);
    else add(ctx, block.line, 'unknown-block', `block "${name}"${inBlock} does not exist in ${ctx.label}${didYouMean(name, Object.keys(schema.blocks))}`);
  }
  for (const name of schema.arguments.required) {
    if (!body.attributes.some((a) => a.name === name)) add(ctx, body.line, 'missing-required', `required argument "${name}"${inBlock} is not set (${ctx.label})`);
  }
  for (const [name, nested] of Object.entries(schema.blocks) as [string, NestedBlockSchema][]) {
    const count = blocks.filter((b) => b.type === name).length;
    const dynamic = body.blocks.some((b) => b.type === 'dynamic' && b.labels[0] === name);
    if (count < nested.minItems && !dynamic) add(ctx, body.line, 'missing-required', `required block "${name}"${inBlock} is missing (${ctx.label} wants at least ${nested.minItems})`);
    if (nested.maxItems !== undefined && count > nested.maxItems && !dynamic) add(ctx, body.line, 'too-many-blocks', `block "${name}"${inBlock} appears ${count} times; ${ctx.label} allows ${nested.maxItems}`);
  }
}

/** lifecycle { ignore_changes = [a, b] } must name arguments or blocks of the resource. */
function checkLifecycle(ctx: Context, block: HclBlock, schema: BlockSchema): void {
  const settable = [...schema.arguments.required, ...schema.arguments.optional, ...Object.keys(schema.blocks)];
  for (const lifecycle of block.blocks.filter((b) => b.type === 'lifecycle')) {
    const ignore = lifecycle.attributes.find((a) => a.name === 'ignore_changes');
    if (!ignore || ignore.expression.trim() === 'all') continue;
    for (const t of ignore.traversals) {
      if (!settable.includes(t.parts[0]!)) add(ctx, t.line, 'unknown-argument', `lifecycle.ignore_changes names "${t.parts[0]}", which is not an argument of ${ctx.label}${didYouMean(t.parts[0]!, settable)}`);
    }
  }
}

function* allAttributes(blocks: HclBlock[]): Generator<HclAttribute> {
  for (const block of blocks) {
    yield* block.attributes;
    yield* allAttributes(block.blocks);
  }
}

interface Declared {
  kind: 'resource' | 'data';
  type: string;
  name: string;
}

/** `type.name.attr` and `data.type.name.attr` references: declared, and attr exists on the type. */
function checkReferences(file: HclFile, prefix: string, snapshot: ProviderSchemaSnapshot, declared: Declared[], label: string, findings: Finding[]): void {
  const attributes = [...file.attributes, ...allAttributes(file.blocks)];
  for (const attribute of attributes) {
    // ignore_changes lists argument names, not references.
    if (attribute.name === 'ignore_changes') continue;
    for (const t of attribute.traversals) {
      const isData = t.parts[0] === 'data';
      const parts = isData ? t.parts.slice(1) : t.parts;
      const [type, name, attr, sub] = parts;
      if (!type?.startsWith(prefix) || !name) continue;
      const address = `${isData ? 'data.' : ''}${type}.${name}`;
      const ctx = { file: file.path, line: t.line, address, label, findings };
      if (!declared.some((d) => d.kind === (isData ? 'data' : 'resource') && d.type === type && d.name === name)) {
        add(ctx, t.line, 'undeclared-reference', `${address} is referenced but not declared in the module`);
        continue;
      }
      const schema = (isData ? snapshot.dataSources : snapshot.resources)[type];
      if (!schema || !attr) continue;
      if (!names(schema).includes(attr)) {
        add(ctx, t.line, 'unknown-attribute', `${address}.${attr}: "${attr}" is not an attribute of ${type} in ${label}${didYouMean(attr, names(schema))}`);
        continue;
      }
      const nested = schema.blocks[attr];
      if (nested && sub && !names(nested).includes(sub)) {
        add(ctx, t.line, 'unknown-attribute', `${address}.${attr}.${sub}: "${sub}" is not an attribute of block ${attr} of ${type} in ${label}${didYouMean(sub, names(nested))}`);
      }
    }
  }
}

/** The `<local> = { source = "...", version = "..." }` entry for the snapshot's provider. */
function requiredProvider(files: HclFile[], snapshot: ProviderSchemaSnapshot): { file: string; attribute: HclAttribute; source?: string; version?: string } | undefined {
  for (const file of files) {
    for (const terraform of file.blocks.filter((b) => b.type === 'terraform')) {
      for (const providers of terraform.blocks.filter((b) => b.type === 'required_providers')) {
        for (const attribute of providers.attributes) {
          const source = /\bsource\s*=\s*"([^"]+)"/.exec(attribute.expression)?.[1];
          const normalised = source?.toLowerCase().replace(/^registry\.terraform\.io\//, '');
          if (normalised === snapshot.provider.toLowerCase()) {
            return { file: file.path, attribute, source, version: /\bversion\s*=\s*"([^"]+)"/.exec(attribute.expression)?.[1] };
          }
        }
      }
    }
  }
  return undefined;
}

/** The version constraint the module pins for the snapshot's provider, and its local name. */
export function pinnedConstraint(files: HclFile[], snapshot: ProviderSchemaSnapshot): { localName: string; constraint?: string; file: string; line: number } | undefined {
  const found = requiredProvider(files, snapshot);
  return found && { localName: found.attribute.name, constraint: found.version, file: found.file, line: found.attribute.line };
}

export function checkModule(files: HclFile[], snapshot: ProviderSchemaSnapshot): Finding[] {
  const findings: Finding[] = [];
  const label = `${snapshot.provider} ${snapshot.version}`;
  const pinned = pinnedConstraint(files, snapshot);
  if (!pinned) {
    findings.push({ file: files[0]?.path ?? '<module>', line: 1, address: 'terraform.required_providers', kind: 'version', message: `no required_providers entry with source "${snapshot.provider}"` });
    return findings;
  }
  if (!pinned.constraint) {
    findings.push({ file: pinned.file, line: pinned.line, address: `terraform.required_providers.${pinned.localName}`, kind: 'version', message: 'has no version constraint' });
  } else if (!constraintAdmits(pinned.constraint, snapshot.version)) {
    findings.push({ file: pinned.file, line: pinned.line, address: `terraform.required_providers.${pinned.localName}`, kind: 'version', message: `version "${pinned.constraint}" does not admit the snapshot's ${snapshot.version}` });
  }
  const prefix = `${pinned.localName}_`;
  const declared: Declared[] = files.flatMap((f) =>
    f.blocks.filter((b) => (b.type === 'resource' || b.type === 'data') && b.labels.length === 2).map((b) => ({ kind: b.type as 'resource' | 'data', type: b.labels[0]!, name: b.labels[1]! })),
  );
  for (const file of files) {
    for (const block of file.blocks) {
      if (block.type === 'provider' && block.labels[0] === pinned.localName) {
        const ctx = { file: file.path, address: `provider.${pinned.localName}`, label, findings };
        checkBody(ctx, block, snapshot.providerBlock, '', { arguments: PROVIDER_META_ARGUMENTS, blocks: new Set() });
        continue;
      }
      if ((block.type !== 'resource' && block.type !== 'data') || !block.labels[0]?.startsWith(prefix)) continue;
      const [type, name] = block.labels as [string, string];
      const isData = block.type === 'data';
      const address = `${isData ? 'data.' : ''}${type}.${name}`;
      const ctx = { file: file.path, address, label, findings };
      const schema = (isData ? snapshot.dataSources : snapshot.resources)[type];
      if (!schema) {
        const known = Object.keys(isData ? snapshot.dataSources : snapshot.resources);
        add(ctx, block.line, 'unknown-type', `${isData ? 'data source' : 'resource type'} ${type} does not exist in ${label}${didYouMean(type, known)}`);
        continue;
      }
      checkBody(ctx, block, schema, '', { arguments: RESOURCE_META_ARGUMENTS, blocks: isData ? DATA_META_BLOCKS : RESOURCE_META_BLOCKS });
      checkLifecycle(ctx, block, schema);
    }
    checkReferences(file, prefix, snapshot, declared, label, findings);
  }
  return findings;
}
