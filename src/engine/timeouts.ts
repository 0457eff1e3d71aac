/**
 * Durations as people type them ("45m", "90s", "1h30m") and the error a step gets when its
 * time runs out.
 */
import { BootstrapError, UsageError } from '../errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;

/**
 * Parses "45m", "90s", "1h30m", "500ms" into milliseconds. A bare number is refused: "30" could
 * mean seconds or minutes, and guessing wrong turns a timeout into a hang or an instant failure.
 * @param flag shown in the error, e.g. "--timeout"
 */
export function parseDuration(text: string, flag: string): number {
  const trimmed = text.trim().toLowerCase();
  let total = 0;
  let consumed = 0;
  PART.lastIndex = 0;
  for (let match = PART.exec(trimmed); match; match = PART.exec(trimmed)) {
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
    consumed = PART.lastIndex;
  }
  if (trimmed === '' || consumed !== trimmed.length || !Number.isFinite(total) || total <= 0) {
    throw new UsageError('InvalidDuration', `${flag}: "${text}" is not a duration`, {
      hint: `Use a number with a unit: ms, s, m, h or d, combined if needed, e.g. ${flag} 45m, ${flag} 90s or ${flag} 1h30m.`,
    });
  }
  return Math.round(total);
}

/** "1h 30m", "45s", "250ms": the inverse of parseDuration, for messages. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  const totalSeconds = Math.round(ms / 1_000);
  const hours = Math.floor(totalSeconds / 3_600);
  const minutes = Math.floor((totalSeconds % 3_600) / 60);
  const seconds = totalSeconds % 60;
  const parts: string[] = [];
  if (hours) parts.push(`${hours}h`);
  if (minutes) parts.push(`${minutes}m`);
  if (seconds || parts.length === 0) parts.push(`${seconds}s`);
  return parts.join(' ');
}

/** A step attempt ran past its time limit. Retryable by default, like any tool failure. */
export class TimeoutError extends BootstrapError {
  override readonly source = 'tool' as const;
  readonly stepId: string;
  readonly node?: string;
  readonly limitMs: number;

  constructor(step: { stepId: string; title: string; node?: string }, limitMs: number, extra = '') {
    const where = step.node ? ` on ${step.node}` : '';
    super('StepTimedOut', `Step "${step.title}" (${step.stepId})${where} did not finish within ${formatDuration(limitMs)}${extra}`, {
      hint: 'Check that the node is reachable and not overloaded; raise the limit with --timeout if the work is just slow, then run the same command again.',
    });
    this.stepId = step.stepId;
    this.node = step.node;
    this.limitMs = limitMs;
  }
}
