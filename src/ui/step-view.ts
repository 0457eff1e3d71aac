/**
 * What the task tree knows about one step, fed by events. Listr tasks await `started` and
 * `finished`, which events resolve: that is how an event stream drives listr2.
 */
import type { ErrorSummary, StepRef } from '../engine/events.js';

export type StepViewStatus = 'waiting' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'not-started';

export class StepView {
  status: StepViewStatus = 'waiting';
  currentLine?: string;
  note?: string;
  startedAt?: number;
  durationMs?: number;
  skipReason?: string;
  error?: ErrorSummary;
  readonly started: Promise<void>;
  readonly finished: Promise<void>;
  private resolveStarted!: () => void;
  private resolveFinished!: () => void;

  constructor(readonly ref: Omit<StepRef, 'group'> & { group: string }) {
    this.started = new Promise((resolve) => (this.resolveStarted = resolve));
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
  }

  get label(): string {
    return this.ref.node ? `${this.ref.node}: ${this.ref.title}` : this.ref.title;
  }

  get settled(): boolean {
    return this.status !== 'waiting' && this.status !== 'running';
  }

  start(time: number): void {
    if (this.status !== 'waiting') return;
    this.status = 'running';
    this.startedAt = time;
    this.resolveStarted();
  }

  finish(status: Exclude<StepViewStatus, 'waiting' | 'running'>, details: { durationMs?: number; reason?: string; error?: ErrorSummary } = {}): void {
    if (this.settled) return;
    this.status = status;
    this.durationMs = details.durationMs;
    this.skipReason = details.reason;
    this.error = details.error;
    this.resolveStarted();
    this.resolveFinished();
  }
}
