/**
 * Parser for `packer build -machine-readable` output
 * (https://developer.hashicorp.com/packer/docs/commands#machine-readable-output).
 *
 * Each line is `timestamp,target,type,data...`. Packer escapes commas inside data as
 * `%!(PACKER_COMMA)` and newlines as a literal `\n` (`\r` likewise). Captured from Packer 1.6.6:
 *
 *   1795430972,,ui,say,==> null.test: Running local shell script: /tmp/packer-shell3674567101
 *   1795430972,,ui,message,    null.test: from%!(PACKER_COMMA) json
 *   1795430976,,ui,error,Build 'null.test' errored after 9 milliseconds 593 microseconds: Script exited ...
 *   1795430972,null.test,artifact,0,id,Null
 *   1795430976,null.test,error,Script exited with non-zero exit status: 3.Allowed exit codes are: [0]
 *
 * Unknown types are kept (as `unknown`), never rejected: newer Packer releases add types.
 */

export interface MachineReadableLine {
  timestamp: number;
  /** Build name (e.g. "amazon-ebs.node"); empty for ui lines. */
  target: string;
  type: string;
  /** The remaining comma-separated fields, decoded. */
  data: string[];
}

export type PackerEvent =
  /** A step of a build: ui "say" lines of the form "==> builder: text". */
  | { type: 'step'; builder?: string; message: string }
  /** Other ui text: provisioner output ("    builder: text") and summary lines. */
  | { type: 'output'; builder?: string; message: string }
  /** ui "error" lines: what Packer itself shows in red. */
  | { type: 'error'; builder?: string; message: string }
  | { type: 'artifact'; builder: string; index: number; id: string }
  /** Per-build error summary (`target,error,message`). */
  | { type: 'build-error'; builder: string; message: string }
  | { type: 'unknown'; target: string; kind: string; data: string[] }
  /** A line that is not in machine-readable form at all (plugin noise). */
  | { type: 'raw'; line: string };

/** Undoes Packer's escaping of one data field. */
export function decodePackerField(field: string): string {
  return field.replaceAll('%!(PACKER_COMMA)', ',').replaceAll('\\n', '\n').replaceAll('\\r', '\r');
}

const LINE = /^(\d+),([^,]*),([^,]+),?(.*)$/s;

/** Splits one line; undefined when it is not machine-readable output. */
export function parseMachineReadableLine(line: string): MachineReadableLine | undefined {
  const match = LINE.exec(line.replace(/\r?\n$/, ''));
  if (!match) return undefined;
  const [, timestamp, target, type, rest] = match as unknown as [string, string, string, string, string];
  return { timestamp: Number(timestamp), target, type, data: rest === '' ? [] : rest.split(',').map(decodePackerField) };
}

interface UiText {
  /** "==>" marks a step, "-->" an artifact summary, "    " indented tool output. */
  marker: '==>' | '-->' | 'indent' | 'none';
  builder?: string;
  message: string;
}

// "==> amazon-ebs.node: Creating temporary keypair...", "    null.test: output", "--> null.test: ...".
const WITH_BUILDER = /^(==> |--> | {4})([A-Za-z0-9_.-]+): ?(.*)$/s;

function splitUiText(text: string): UiText {
  const trimmed = text.replace(/^\n+/, '').replace(/\s+$/, '');
  const match = WITH_BUILDER.exec(trimmed);
  if (match) {
    const marker = match[1] === '==> ' ? '==>' : match[1] === '--> ' ? '-->' : 'indent';
    return { marker, builder: match[2], message: match[3]! };
  }
  if (trimmed.startsWith('==> ')) return { marker: '==>', message: trimmed.slice(4) };
  return { marker: 'none', message: trimmed };
}

/** Turns one output line into an event (one line gives at most one event). */
export function toPackerEvent(line: string): PackerEvent | undefined {
  if (line.trim() === '') return undefined;
  const parsed = parseMachineReadableLine(line);
  if (!parsed) return { type: 'raw', line };
  const { target, type, data } = parsed;
  if (type === 'ui') {
    const level = data[0] ?? '';
    const { marker, builder, message } = splitUiText(data.slice(1).join(','));
    if (message === '') return undefined;
    if (level === 'error') return { type: 'error', builder, message };
    if (level === 'say' && marker === '==>' && builder) return { type: 'step', builder, message };
    return { type: 'output', builder, message };
  }
  if (type === 'artifact' && data[1] === 'id' && data[2] !== undefined) {
    return { type: 'artifact', builder: target, index: Number(data[0]), id: data.slice(2).join(',') };
  }
  if (type === 'error' && target !== '') return { type: 'build-error', builder: target, message: data.join(',') };
  return { type: 'unknown', target, kind: type, data };
}

/** `packer version -machine-readable` → "1.6.6" (first `version` line). */
export function parsePackerVersion(output: string): string | undefined {
  for (const line of output.split('\n')) {
    const parsed = parseMachineReadableLine(line);
    if (parsed?.type === 'version' && parsed.data[0]) return parsed.data[0];
  }
  // Human form: "Packer v1.11.2".
  return /Packer v(\d+\.\d+\.\d+)/.exec(output)?.[1];
}

/** True when `version` (x.y.z) is at least `minimum`. */
export function versionAtLeast(version: string, minimum: string): boolean {
  const a = version.split('.').map((part) => Number.parseInt(part, 10) || 0);
  const b = minimum.split('.').map((part) => Number.parseInt(part, 10) || 0);
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff > 0;
  }
  return true;
}
