/** Turns whatever a step threw into the ErrorSummary carried by a `failed` event. */
import { isBootstrapError } from '../errors.js';
import type { ErrorSummary } from './events.js';

export function toErrorSummary(error: unknown, outputTail: readonly string[] = []): ErrorSummary {
  if (isBootstrapError(error)) {
    return {
      code: error.code,
      message: error.message,
      ...(error.hint ? { hint: error.hint } : {}),
      ...detailsOf(error.details.length > 0 ? error.details : outputTail),
    };
  }
  const message = error instanceof Error ? error.message : String(error ?? 'unknown error');
  return { code: 'StepFailed', message: message || 'unknown error', ...detailsOf(outputTail) };
}

function detailsOf(lines: readonly string[]): { details?: string[] } {
  return lines.length > 0 ? { details: [...lines] } : {};
}

/** Keeps the last `size` lines of a step's output, for the failure tail. */
export class LineTail {
  private lines: string[] = [];
  constructor(private readonly size = 20) {}
  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.size) this.lines.splice(0, this.lines.length - this.size);
  }
  get all(): readonly string[] {
    return this.lines;
  }
}
