/**
 * Helm values as data: read from the real files under templates/addons/<name>/, merged, and
 * written as the YAML that reaches `helm upgrade --install --values -` on stdin.
 *
 * The rendered object is kept JSON-normalised (no undefined, no shared sub-objects, numbers stay
 * numbers) because the add-on's "already done?" check compares it deep-equal with what
 * `helm get values -o json` returns: Helm stores the user-supplied values as given (research-15
 * §1, pkg/cmd/get_values.go: `output.EncodeJSON(out, rel.Config)`).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { InternalError } from '../../errors.js';
import { renderTemplate, templatePath } from '../../tools/template.js';

export type Values = Record<string, unknown>;

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * `override` over `base`: objects merge key by key, anything else (arrays included) replaces, as
 * Helm itself merges several values files (helm.sh/docs/chart_template_guide/values_files: "the
 * last one wins", lists are not merged). A `null` stays: it tells Helm to drop the chart's default.
 */
export function deepMerge(base: Values, override: Values): Values {
  const out: Values = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return out;
}

/** A JSON round trip: what Helm stores and prints back (undefined gone, every sub-object its own). */
export function normaliseValues(values: Values): Values {
  return JSON.parse(JSON.stringify(values)) as Values;
}

/**
 * YAML as Go reads it: Helm and kubectl parse with sigs.k8s.io/yaml (go-yaml, YAML 1.1), where
 * `on`, `yes`, `n`, `0755` or `1:20` are not strings; written as YAML 1.1, the yaml package quotes
 * every such string (and key), so what Go reads back is what was meant. No anchors, no folding.
 */
export function goYaml(value: unknown, options: { sortKeys?: boolean } = {}): string {
  return stringify(value, { version: '1.1', sortMapEntries: options.sortKeys ?? false, aliasDuplicateObjects: false, lineWidth: 0 });
}

/**
 * The YAML sent to Helm: keys sorted at every level (the same values give the same text, whatever
 * the order they were built in), YAML 1.1-safe (goYaml).
 */
export function valuesToYaml(values: Values): string {
  return goYaml(values, { sortKeys: true });
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * templates/addons/<addon>/<file> with its placeholders filled. Every value goes in as a JSON
 * scalar (a quoted string, a number, true/false/null): JSON is YAML, so no value can add a key,
 * a line or a document, whatever it holds.
 */
export function renderAddonFile(addon: string, file: string, vars: Record<string, string | number | boolean | null> = {}): string {
  const text = readFileSync(templatePath('addons', addon, file), 'utf8');
  const encoded = Object.fromEntries(Object.entries(vars).map(([key, value]) => [key, JSON.stringify(value)]));
  return renderTemplate(text, encoded, `addons/${addon}/${file}`);
}

/** An add-on values file parsed: always a mapping (an empty file is `{}`). */
export function readAddonValues(addon: string, file: string, vars: Record<string, string | number | boolean | null> = {}): Values {
  const parsed: unknown = parse(renderAddonFile(addon, file, vars));
  if (parsed === null || parsed === undefined) return {};
  if (!isPlainObject(parsed)) throw new InternalError('AddonValuesNotAMapping', `templates/addons/${addon}/${file} is not a YAML mapping`);
  return parsed;
}

/**
 * The chart versions a values file says its keys were checked against (its
 * `# checked-chart-versions: A, B` line): a pin outside the list means the keys were not re-read
 * for that chart (test/unit/kube/addons/values.test.ts fails then).
 */
export function checkedChartVersions(addon: string): string[] {
  const text = readFileSync(templatePath('addons', addon, 'values.yaml'), 'utf8');
  const line = /^# checked-chart-versions:(.*)$/m.exec(text)?.[1] ?? '';
  return line
    .split(',')
    .map((version) => version.trim())
    .filter((version) => version !== '');
}
