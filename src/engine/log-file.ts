/**
 * logs/<timestamp>.log: every event (full tool output included) as a timestamped line, already
 * redacted by the bus. Written synchronously so that a run killed with SIGKILL keeps its log up
 * to the last line; the file is 0600 because tool output can hold internal addresses and names.
 */
import { closeSync, fchmodSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { EngineEvent, EventSink } from './events.js';
import { describeEvent, isoTime } from './event-text.js';

export const LOG_FILE_MODE = 0o600;

/** `<logsDir>/2026-11-23T10-00-00-000Z.log`: colons are not portable in file names. */
export function logFilePath(logsDir: string, at: Date = new Date()): string {
  return join(logsDir, `${at.toISOString().replace(/[:.]/g, '-')}.log`);
}

export class LogFileSink implements EventSink {
  private fd: number | undefined;

  private constructor(readonly path: string, fd: number) {
    this.fd = fd;
  }

  static open(path: string): LogFileSink {
    mkdirSync(dirname(path), { recursive: true });
    const fd = openSync(path, 'a', LOG_FILE_MODE);
    fchmodSync(fd, LOG_FILE_MODE); // the umask or an existing file may have left it wider
    return new LogFileSink(path, fd);
  }

  emit(event: EngineEvent): void {
    if (this.fd === undefined) return;
    const stamp = isoTime(event.time);
    const lines = [`${stamp} ${event.type.padEnd(14)} ${describeEvent(event)}`];
    if (event.type === 'failed') for (const line of event.error.details ?? []) lines.push(`${stamp} ${'detail'.padEnd(14)}   ${line}`);
    writeSync(this.fd, `${lines.join('\n')}\n`);
  }

  /** Writes a line that is not an event (a notice, the final error). The caller redacts it. */
  note(text: string, time = Date.now()): void {
    if (this.fd === undefined) return;
    writeSync(this.fd, `${text.split('\n').map((line) => `${isoTime(time)} ${'note'.padEnd(14)} ${line}`).join('\n')}\n`);
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}
