/**
 * Text from outside (a node, Terraform, Packer, a file) made inert before a terminal shows it.
 * A compromised kubelet may write its own Node status, and a hostile SSH server its own output:
 * escape sequences there could retitle the window, erase or fake lines, or write the operator's
 * clipboard (OSC 52). So every such string loses its escape sequences (ECMA-48 CSI; OSC, DCS, SOS,
 * PM and APC strings, in their 7-bit and 8-bit forms), C0/C1 control characters other than tab
 * and newline, and the Unicode bidirectional overrides that can make text read in another order.
 *
 * Text renderers, the log file and the final error get inert text; JSON output keeps the data
 * and escapes those characters instead (toSafeJson).
 */
import type { EngineEvent, EventSink } from './events.js';

// A string sequence runs to BEL or ST (ESC \ or 0x9C); an unterminated one to the end of its line
// (a message's later lines, such as our hint, stay).
const STRING_SEQUENCE = /(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\n]*?(?:\x07|\x1b\\|\x9c|(?=\n)|$)/g;
// CSI: parameter bytes 0x30-0x3F, intermediate bytes 0x20-0x2F, one final byte 0x40-0x7E.
const CONTROL_SEQUENCE = /(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?/g;
// Any other escape: ESC, intermediates, one final byte (ESC c resets the terminal, ESC ( 0 …).
const OTHER_ESCAPE = /\x1b[\x20-\x2f]*[\x30-\x7e]?/g;
// C0 except tab and newline, DEL, C1.
const CONTROL_CHARACTER = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
// Bidirectional embeddings, overrides and isolates (the "Trojan Source" characters).
const BIDI_CONTROL = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `text` without escape sequences and control characters; tabs and newlines stay. */
export function inertText(text: string): string {
  if (!/[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(text)) return text;
  return text
    .replace(STRING_SEQUENCE, '')
    .replace(CONTROL_SEQUENCE, '')
    .replace(OTHER_ESCAPE, '')
    .replace(CONTROL_CHARACTER, '')
    .replace(BIDI_CONTROL, '');
}

/** inertText on one line: a newline inside it becomes a space, so it cannot fake a line of ours. */
export function inertLine(text: string): string {
  return inertText(text).replace(/\n/g, ' ');
}

/** inertText on every string inside `value` (objects and arrays copied); `type` keys are kept. */
export function inertStrings<T>(value: T): T {
  if (typeof value === 'string') return inertText(value) as T;
  if (Array.isArray(value)) return value.map((item) => inertStrings(item)) as T;
  if (value && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) copy[key] = inertStrings(item);
    return copy as T;
  }
  return value;
}

// JSON.stringify escapes C0 already; DEL, C1, the line separators and bidi controls it leaves raw.
const JSON_UNSAFE = /[\u007f-\u009f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** JSON text in which no character can act on a terminal: the data kept, the controls \u-escaped. */
export function toSafeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(JSON_UNSAFE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The bus transform: every string of an event made inert; an output line stays one line. */
export function inertEvent(event: EngineEvent): EngineEvent {
  const copy = inertStrings(event);
  return copy.type === 'output' ? { ...copy, line: inertLine(copy.line) } : copy;
}

/** `sink` seeing every event inert (a text renderer, the log file). */
export function inertSink(sink: EventSink): EventSink {
  return {
    emit: (event) => sink.emit(inertEvent(event)),
    close: () => sink.close?.(),
  };
}
