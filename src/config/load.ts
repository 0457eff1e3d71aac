/**
 * Reading cluster.yaml safely: size-capped, alias-capped (no "billion laughs"), one document, no
 * custom tags, text only. Every failure is a UsageError naming the file and the line; a YAML
 * library's stack trace never reaches the person.
 */
import { constants, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { isCollection, isAlias, parseAllDocuments, visit, type Document } from 'yaml';
import { UsageError } from '../errors.js';
import type { ClusterSpec } from './schema.js';
import { validateSpec } from './validate/index.js';

/** A cluster.yaml is a few KiB; anything above this is a mistake or an attack. */
export const MAX_SPEC_BYTES = 1024 * 1024;
/** Aliases a document may resolve; enough for anchors in hand-written files, too few for a bomb. */
export const MAX_ALIAS_COUNT = 50;

// Control characters other than tab, newline and carriage return mean binary content.
// eslint-disable-next-line no-control-regex
const BINARY = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

function invalid(source: string, problem: string, hint?: string): UsageError {
  return new UsageError('InvalidYaml', `${source}: ${problem}`, hint ? { hint } : {});
}

export function parseSpecYaml(text: string, source: string): unknown {
  if (Buffer.byteLength(text, 'utf8') > MAX_SPEC_BYTES) {
    throw invalid(source, `is larger than ${MAX_SPEC_BYTES / 1024 / 1024} MiB; a cluster configuration is a few KiB`);
  }
  const binary = BINARY.exec(text);
  if (binary) {
    const line = text.slice(0, binary.index).split('\n').length;
    throw invalid(source, `contains binary data (control character at line ${line}); expected YAML text`);
  }
  if (text.trim() === '') throw invalid(source, 'is empty', 'start from "k8s-bootstrap config example"');

  let documents: Document.Parsed[];
  try {
    const parsed = parseAllDocuments(text, {
      version: '1.2',
      schema: 'core',
      customTags: [],
      merge: false,
      uniqueKeys: true,
      strict: true,
      prettyErrors: true,
    });
    documents = Array.isArray(parsed) ? parsed : [];
  } catch (error) {
    throw invalid(source, `could not be parsed as YAML (${shortMessage(error)})`);
  }
  if (documents.length === 0) throw invalid(source, 'contains no YAML document');
  if (documents.length > 1) {
    throw invalid(source, `contains ${documents.length} YAML documents; a cluster configuration is exactly one`, 'remove the extra "---" separated documents');
  }
  const document = documents[0]!;
  const problems = [...document.errors, ...document.warnings];
  if (problems.length > 0) {
    const lines: string[] = [];
    for (const problem of problems) {
      const position = problem.linePos?.[0];
      const where = position ? `${source}:${position.line}:${position.col}` : source;
      const text = /call stack/i.test(problem.message) ? 'nested too deeply' : firstLine(problem.message);
      if (lines.some((line) => line.endsWith(`: ${text}`) && text === 'nested too deeply')) continue;
      lines.push(`${where}: ${text}`);
    }
    const shown = lines.slice(0, 5);
    const more = lines.length > 5 ? `\n  (and ${lines.length - 5} more)` : '';
    throw new UsageError('InvalidYaml', `Invalid YAML in ${source}:\n${shown.map((line) => `  ${line}`).join('\n')}${more}`);
  }
  // A list or mapping used as a key has no JSON form (the library would stringify it with a warning).
  let complexKey: [number, number] | undefined;
  visit(document, {
    Pair(_, pair) {
      if (isCollection(pair.key) || isAlias(pair.key)) {
        complexKey = (pair.key as { range?: [number, number] }).range ?? [0, 0];
        return visit.BREAK;
      }
      return undefined;
    },
  });
  if (complexKey) {
    const line = text.slice(0, complexKey[0]).split('\n').length;
    throw invalid(source, `uses a list, mapping or alias as a key (line ${line}); keys must be plain names`);
  }
  try {
    return document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    if (error instanceof ReferenceError && /alias/i.test(error.message)) {
      throw invalid(source, `uses more than ${MAX_ALIAS_COUNT} YAML aliases; refusing it as a possible "billion laughs" document`);
    }
    throw invalid(source, `could not be read as YAML (${shortMessage(error)})`);
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '').trim();
}

function shortMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return firstLine(message).slice(0, 200);
}

/**
 * Reads at most MAX_SPEC_BYTES + 1 bytes of a regular file, so a huge file cannot exhaust memory.
 * Opened non-blocking and checked on the open handle: a FIFO would otherwise block open() until a
 * writer came (and absorb the first Ctrl-C), and a device such as /dev/zero never ends.
 */
async function readCapped(path: string): Promise<Buffer> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      throw new UsageError('ConfigNotAFile', `${path}: is not a regular file (${fileKind(info)}); --config takes a cluster.yaml file`, {
        hint: 'Save the configuration to a file and pass its path, e.g. "k8s-bootstrap config example > cluster.yaml".',
      });
    }
    const chunks: Buffer[] = [];
    let total = 0;
    while (total <= MAX_SPEC_BYTES) {
      const chunk = Buffer.alloc(64 * 1024);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
    }
    return Buffer.concat(chunks);
  } finally {
    await handle.close();
  }
}

function fileKind(info: Stats): string {
  if (info.isFIFO()) return 'a named pipe';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  if (info.isSocket()) return 'a socket';
  if (info.isDirectory()) return 'a directory';
  return 'not a file';
}

export async function readSpecFile(path: string): Promise<unknown> {
  let bytes: Buffer;
  try {
    bytes = await readCapped(path);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new UsageError('ConfigNotFound', `Configuration file not found: ${path} (given with --config)`, {
        hint: 'pass an existing file with --config, or create one with "k8s-bootstrap config example > cluster.yaml"',
      });
    }
    if (code === 'EISDIR') throw new UsageError('ConfigNotFound', `${path} is a folder, not a file (given with --config)`);
    if (code === 'EACCES') throw new UsageError('ConfigNotReadable', `${path} is not readable (given with --config)`);
    throw new UsageError('ConfigNotReadable', `${path} could not be read (given with --config): ${shortMessage(error)}`);
  }
  if (bytes.length > MAX_SPEC_BYTES) {
    throw invalid(path, `is larger than ${MAX_SPEC_BYTES / 1024 / 1024} MiB; a cluster configuration is a few KiB`);
  }
  if (bytes.includes(0)) throw invalid(path, 'contains binary data (NUL bytes); expected YAML text');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw invalid(path, 'is not UTF-8 text');
  }
  return parseSpecYaml(text, path);
}

/** A cluster.yaml as a validated ClusterSpec: read safely, then every check of validateSpec. */
export async function loadSpec(path: string): Promise<ClusterSpec> {
  return validateSpec(await readSpecFile(path));
}
