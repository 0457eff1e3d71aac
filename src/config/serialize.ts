/**
 * Writing cluster.yaml and the JSON Schema. Keys come out in the schema's order whatever order the
 * spec object was built in, so files diff cleanly; the first line points editors at the schema,
 * which init writes beside the file (cluster.schema.json). Static files leave out what the host
 * list decides or what static hosts do not use (static-fields.ts).
 * The schema has no credential fields, so nothing secret can be written here.
 */
import { stringify } from 'yaml';
import { z } from 'zod';
import { SCHEMA_FILE, SCHEMA_REF, clusterSpecSchema, type ClusterSpec } from './schema.js';
import { withoutStaticIgnored } from './static-fields.js';

interface DefLike {
  type: string;
  shape?: Record<string, { _zod: { def: DefLike } }>;
  innerType?: { _zod: { def: DefLike } };
  element?: { _zod: { def: DefLike } };
  options?: { _zod: { def: DefLike } }[];
  discriminator?: string;
  values?: unknown[];
}

function unwrap(def: DefLike, value: unknown): DefLike | undefined {
  for (let guard = 0; guard < 20; guard++) {
    if (def.innerType) def = def.innerType._zod.def;
    else if (def.type === 'union' && def.options && def.discriminator && value && typeof value === 'object') {
      const tag = (value as Record<string, unknown>)[def.discriminator];
      const option = def.options.find((o) => o._zod.def.shape?.[def.discriminator!]?._zod.def.values?.includes(tag));
      if (!option) return undefined;
      def = option._zod.def;
    } else return def;
  }
  return undefined;
}

/** Copies `value` with object keys in schema order, dropping undefined values and empty mappings. */
function ordered(value: unknown, def: DefLike | undefined): unknown {
  const resolved = def ? unwrap(def, value) : undefined;
  if (Array.isArray(value)) return value.map((item) => ordered(item, resolved?.element?._zod.def));
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  const schemaKeys = resolved?.shape ? Object.keys(resolved.shape) : [];
  const keys = [...schemaKeys.filter((key) => key in record), ...Object.keys(record).filter((key) => !schemaKeys.includes(key))];
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const child = ordered(record[key], resolved?.shape?.[key]?._zod.def);
    if (child === undefined) continue;
    if (child !== null && typeof child === 'object' && !Array.isArray(child) && Object.keys(child).length === 0) continue;
    out[key] = child;
  }
  return out;
}

export interface SerializeOptions {
  /**
   * Say how to write the schema the first line points at: for a file printed on its own
   * (`config example`), which has no cluster.schema.json beside it yet. @default false
   */
  schemaHint?: boolean;
}

export function serializeSpec(spec: ClusterSpec, options: SerializeOptions = {}): string {
  const root = (clusterSpecSchema as unknown as { _zod: { def: DefLike } })._zod.def;
  const body = stringify(ordered(withoutStaticIgnored(spec), root), { lineWidth: 0, indent: 2 });
  const hint = options.schemaHint ? `# Editors: write the schema next to this file with "k8s-bootstrap config schema > ${SCHEMA_FILE}".\n` : '';
  return `# yaml-language-server: $schema=${SCHEMA_REF}\n${hint}${body}`;
}

/**
 * JSON Schema of what a person may write (input side: defaults make fields optional). No $id:
 * the file is found where it is written (cluster.schema.json beside cluster.yaml), not at a URL.
 * Draft-07, the newest draft the YAML language server (VS Code's YAML extension) fully supports:
 * 2019-09/2020-12 support there is still an open pull request (redhat-developer/yaml-language-server#1115).
 */
export function clusterJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(clusterSpecSchema, { io: 'input', target: 'draft-07' }) as Record<string, unknown>;
  const { $schema, ...rest } = schema;
  return { $schema, title: 'k8s-bootstrap cluster configuration (cluster.yaml)', ...rest };
}

/** cluster.schema.json's text, as init writes it beside cluster.yaml and `config schema` prints it. */
export function clusterJsonSchemaText(): string {
  return `${JSON.stringify(clusterJsonSchema(), null, 2)}\n`;
}
