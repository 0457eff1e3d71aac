/**
 * Templates are real files under the package's templates/ folder. This module finds that folder
 * and fills `{{name}}` placeholders in them — nothing more (no loops, no conditionals, no escaping).
 *
 * Strict on purpose: a placeholder without a value, or a value without a placeholder, is a bug in
 * the caller, so both throw. Values are inserted verbatim: validate them BEFORE rendering (the
 * renderer cannot know whether the target is YAML, HCL or shell).
 *
 *   const text = await renderTemplateFile('cloud-init/node.yaml', { hostname: 'cp-1' });
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InternalError } from '../errors.js';

/** `{{ name }}`; names are identifiers (letters, digits, `_`, `-`, `.`). */
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g;

export type TemplateValues = Readonly<Record<string, string | number | boolean>>;

/** A template that cannot be found or filled: a bug in the caller or a damaged install, never the person's input. */
export class TemplateError extends InternalError {}

let cachedRoot: string | undefined;

/**
 * Absolute path of the package's templates/ folder. Walks up from this module's own location,
 * which works from src/ (tsx, vitest), from dist/src/ (the build) and from an installed package.
 */
export function templatesRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'templates'))) {
      cachedRoot = join(dir, 'templates');
      return cachedRoot;
    }
    const parent = dirname(dir);
    if (parent === dir) throw templatesNotFound('templates/', fileURLToPath(import.meta.url));
    dir = parent;
  }
}

/** The error for a package without its templates (`what`: the folder looked for, `from`: where the search began). */
export function templatesNotFound(what: string, from: string): TemplateError {
  return new TemplateError('TemplatesNotFound', `${what} folder not found above ${from}`, {
    hint: 'The installed package is incomplete (templates/ ships next to dist/): install k8s-bootstrap again.',
  });
}

/** Absolute path of a file under templates/, e.g. `templatePath('packer', 'aws.pkr.hcl')`. */
export function templatePath(...segments: string[]): string {
  const root = templatesRoot();
  const path = resolve(root, ...segments);
  if (!path.startsWith(`${root}/`)) throw new TemplateError('TemplateOutsideRoot', `${segments.join('/')} is outside templates/`);
  return path;
}

/** The text of templates/<segments…>. A missing file means a damaged install or a wrong name: a TemplateError, not a bare ENOENT. */
export async function readTemplate(...segments: string[]): Promise<string> {
  const path = templatePath(...segments);
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new TemplateError('TemplateNotFound', `templates/${segments.join('/')} does not exist (${path})`, {
      cause: error,
      hint: 'The installed package lacks this file: install k8s-bootstrap again, and report it if it stays missing.',
    });
  }
}

/** Placeholder names used by a template text, each once, in order of first use. */
export function templateVariables(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((match) => match[1]!))];
}

/**
 * Replaces every `{{name}}`. Throws when a placeholder has no value or a value is never used
 * (`name` labels the template in the message).
 */
export function renderTemplate(text: string, values: TemplateValues, name = 'template'): string {
  const used = templateVariables(text);
  const missing = used.filter((key) => !Object.hasOwn(values, key));
  if (missing.length > 0) throw new TemplateError('TemplateValueMissing', `${name}: no value for ${missing.map((m) => `{{${m}}}`).join(', ')}`);
  const unknown = Object.keys(values).filter((key) => !used.includes(key));
  if (unknown.length > 0) throw new TemplateError('TemplateVariableUnknown', `${name}: unknown variable(s) ${unknown.join(', ')} (not used by the template)`);
  return text.replace(PLACEHOLDER, (_match, key: string) => String(values[key]));
}

/** Reads `templates/<relativePath>` and renders it. */
export async function renderTemplateFile(relativePath: string, values: TemplateValues): Promise<string> {
  return renderTemplate(await readTemplate(relativePath), values, relativePath);
}
