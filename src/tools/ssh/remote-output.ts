/**
 * Bounded handling of what a node prints: lines for streaming, capped at MAX_LINE_BYTES, and the
 * captured stdout/stderr of a command, capped per stream. A node is not trusted to print sanely:
 * one endless line or a flood must neither grow this process's memory nor stall the event loop,
 * so every chunk is scanned once (linear time) and nothing is kept past its cap. Pure: no SSH here.
 */
import { StringDecoder } from 'node:string_decoder';

/** A streamed line longer than this is cut here and marked. */
export const MAX_LINE_BYTES = 64 * 1024;
/** Captured stdout (and, separately, stderr) of one command, unless the call asks for more. */
export const DEFAULT_OUTPUT_LIMIT_BYTES = 1024 * 1024;
/** For reads that are large by nature: a remote file, `kubectl get nodes -o json` on a big cluster. */
export const LARGE_OUTPUT_LIMIT_BYTES = 16 * 1024 * 1024;

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** "1 MiB", "64 KiB", or "1500 bytes": how limits are named in messages. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/**
 * Turns a byte stream into lines (without the \n or a trailing \r). A line longer than
 * `maxLineBytes` keeps its first bytes (whole characters only) and ends with a truncation mark;
 * the rest of it is counted, not stored.
 */
export class LineSplitter {
  /** Pieces of the current, unfinished line: at most maxLineBytes in all. */
  private pieces: Buffer[] = [];
  private keptBytes = 0;
  private lineBytes = 0;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLineBytes = MAX_LINE_BYTES,
  ) {}

  push(chunk: Buffer): void {
    // Only the new chunk is searched: the pending line is never scanned again.
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end >= 0; end = chunk.indexOf(NEWLINE, start)) {
      this.append(chunk.subarray(start, end));
      this.emit();
      start = end + 1;
    }
    if (start < chunk.length) this.append(chunk.subarray(start));
  }

  /** Emits what is left as a last line (output that did not end with a newline). */
  end(): void {
    if (this.lineBytes > 0) this.emit();
  }

  private append(part: Buffer): void {
    this.lineBytes += part.length;
    const room = this.maxLineBytes - this.keptBytes;
    if (room <= 0 || part.length === 0) return;
    // A copy: a slice would keep the node's whole packet buffer alive for a one-byte piece.
    const piece = Buffer.from(part.subarray(0, room));
    this.pieces.push(piece);
    this.keptBytes += piece.length;
  }

  private emit(): void {
    const bytes = Buffer.concat(this.pieces, this.keptBytes);
    const total = this.lineBytes;
    this.pieces = [];
    this.keptBytes = 0;
    this.lineBytes = 0;
    if (total <= bytes.length) {
      const end = bytes.length > 0 && bytes[bytes.length - 1] === CARRIAGE_RETURN ? bytes.length - 1 : bytes.length;
      this.onLine(bytes.toString('utf8', 0, end));
      return;
    }
    // StringDecoder.write returns whole characters only: a multi-byte character cut by the cap is dropped.
    this.onLine(`${new StringDecoder('utf8').write(bytes)}… [line truncated: ${total} bytes, only the first ${formatBytes(this.maxLineBytes)} kept]`);
  }
}

/**
 * Keeps a stream's bytes up to `limitBytes`; `push` reports when a chunk would pass the limit.
 * With `keepTail`, a stream that passes the limit is not an error: the oldest bytes are dropped
 * and the last `limitBytes` kept (for long-running commands whose result is their exit code).
 */
export class CappedOutput {
  private pieces: Buffer[] = [];
  private size = 0;
  /** Set once a chunk did not fit; in head mode nothing is kept after that. */
  exceeded = false;

  constructor(
    readonly limitBytes: number,
    private readonly keepTail = false,
  ) {}

  /** false when the chunk would pass the limit (then it is not kept); always true with keepTail. */
  push(chunk: Buffer): boolean {
    if (this.keepTail) return this.pushTail(chunk);
    if (this.exceeded || this.size + chunk.length > this.limitBytes) {
      this.exceeded = true;
      return false;
    }
    this.pieces.push(Buffer.from(chunk));
    this.size += chunk.length;
    return true;
  }

  get text(): string {
    const text = Buffer.concat(this.pieces, this.size).toString('utf8');
    return this.exceeded && this.keepTail ? `[earlier output dropped: only the last ${formatBytes(this.limitBytes)} kept]\n${text}` : text;
  }

  private pushTail(chunk: Buffer): boolean {
    const piece = Buffer.from(chunk.length > this.limitBytes ? chunk.subarray(chunk.length - this.limitBytes) : chunk);
    if (piece.length < chunk.length) this.exceeded = true;
    this.pieces.push(piece);
    this.size += piece.length;
    while (this.size > this.limitBytes) {
      const first = this.pieces[0]!;
      const over = this.size - this.limitBytes;
      this.exceeded = true;
      if (first.length <= over) {
        this.pieces.shift();
        this.size -= first.length;
      } else {
        this.pieces[0] = first.subarray(over);
        this.size -= over;
      }
    }
    return true;
  }
}
