import { Writable } from 'node:stream';

/** Collects what is written; can pretend to be a terminal. */
export class FakeStream extends Writable {
  chunks: string[] = [];
  isTTY: boolean;
  columns = 120;
  rows = 40;
  constructor(tty = false) {
    super();
    this.isTTY = tty;
  }
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(chunk.toString());
    callback();
  }
  // The tty.WriteStream cursor methods ora and log-update call on a terminal.
  cursorTo(_x: number, _y?: number | (() => void), callback?: () => void): boolean {
    callback?.();
    return true;
  }
  moveCursor(_dx: number, _dy: number, callback?: () => void): boolean {
    callback?.();
    return true;
  }
  clearLine(_dir: number, callback?: () => void): boolean {
    callback?.();
    return true;
  }
  get text(): string {
    return this.chunks.join('');
  }
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007]*\u0007/g;
export const stripAnsi = (text: string): string => text.replace(ANSI, '');
