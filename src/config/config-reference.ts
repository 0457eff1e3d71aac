/**
 * The config reference (docs/config-reference.md) rendered from the JSON Schema, so the document
 * cannot drift from the schema: a test regenerates it and compares.
 */
import { clusterJsonSchema } from './serialize.js';

interface JsonSchema {
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  default?: unknown;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
}

interface Row {
  path: string;
  type: string;
  default: string;
  description: string;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function typeOf(schema: JsonSchema): string {
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (schema.type === 'array') return `list of ${schema.items ? typeOf(schema.items) : 'values'}`;
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : schema.type ?? 'mapping';
  const name = type === 'object' ? 'mapping' : type;
  const maximum = schema.maximum !== undefined && schema.maximum < 2 ** 31 ? schema.maximum : undefined;
  if ((name === 'integer' || name === 'number') && (schema.minimum !== undefined || maximum !== undefined)) {
    return maximum === undefined ? `${name} (≥ ${schema.minimum})` : `${name} (${schema.minimum ?? "…"}–${maximum})`;
  }
  return name;
}

function defaultOf(schema: JsonSchema, required: boolean): string {
  if (required) return 'required';
  if (schema.default === undefined) return '';
  if (typeof schema.default === 'object' && schema.default !== null && Object.keys(schema.default).length === 0 && !Array.isArray(schema.default)) return '';
  return `\`${JSON.stringify(schema.default)}\``;
}

function walk(schema: JsonSchema, path: string, required: boolean, rows: Row[], note = ''): void {
  const variants = schema.oneOf ?? schema.anyOf;
  if (variants) {
    const tags = variants.map((variant) => variant.properties?.name?.const).filter((tag) => tag !== undefined);
    rows.push({ path, type: 'mapping', default: defaultOf(schema, required), description: schema.description ?? '' });
    rows.push({ path: `${path}.name`, type: tags.map((t) => JSON.stringify(t)).join(' | '), default: 'required', description: 'Selects the variant; the fields below apply to the variant named in brackets.' });
    for (const variant of variants) {
      const tag = String(variant.properties?.name?.const ?? '');
      for (const [key, child] of Object.entries(variant.properties ?? {})) {
        if (key === 'name') continue;
        walk(child, `${path}.${key}`, variant.required?.includes(key) ?? false, rows, `(${tag}) `);
      }
    }
    return;
  }
  if (path !== '') rows.push({ path, type: typeOf(schema), default: defaultOf(schema, required), description: note + (schema.description ?? '') });
  const objectSchema = schema.type === 'array' ? schema.items : schema;
  const prefix = schema.type === 'array' ? `${path}[]` : path;
  if (objectSchema?.properties) {
    for (const [key, child] of Object.entries(objectSchema.properties)) {
      walk(child, prefix === '' ? key : `${prefix}.${key}`, objectSchema.required?.includes(key) ?? false, rows, note);
    }
  }
}

export function renderConfigReference(schema: Record<string, unknown> = clusterJsonSchema()): string {
  const rows: Row[] = [];
  walk(schema as JsonSchema, '', true, rows);
  const lines = [
    '<!-- Generated from the schema in src/config/schema.ts by `npx tsx scripts/gen-config-reference.ts`. Do not edit by hand. -->',
    '# cluster.yaml reference',
    '',
    `${String((schema as JsonSchema).description ?? '')} JSON Schema: \`k8s-bootstrap config schema\` (init writes it as cluster.schema.json beside cluster.yaml, whose first line points editors at it); an example: \`k8s-bootstrap config example --provider static\`.`,
    '',
    'Credentials never go in this file: they come from the environment (EXOSCALE_API_KEY/EXOSCALE_API_SECRET, OS_CLOUD or OS_AUTH_URL and friends, the AWS SDK chain).',
    '',
    '| Field | Type | Default | Description |',
    '|---|---|---|---|',
    ...rows.map((row) => `| \`${cell(row.path)}\` | ${cell(row.type)} | ${cell(row.default)} | ${cell(row.description)} |`),
    '',
  ];
  return lines.join('\n');
}
