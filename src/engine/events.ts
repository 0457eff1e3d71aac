/**
 * Step -> events contract. Steps only emit; renderers (src/ui) and the log file only consume.
 * Every event passes the redactor (src/engine/redact.ts) before anyone sees it.
 */
import type { PlanStep } from './describe.js';

/** Bumped when an event changes shape incompatibly; carried by run-started and result lines. */
export const EVENTS_VERSION = 1;

export interface StepRef {
  /** Stable id, also the checkpoint key, e.g. "join-worker:worker-3". */
  stepId: string;
  /** Group in the task tree: Preflight, Image, Infrastructure, Control plane, CNI, Workers, Verify, Kubeconfig. */
  group: string;
  title: string;
  /** Node this step touches, if one. */
  node?: string;
}

export interface ErrorSummary {
  code: string;
  message: string;
  hint?: string;
  /** Last lines of tool output, shown under the failing task. */
  details?: string[];
}

export type EngineEvent =
  | ({ type: 'started'; time: number; tool?: string } & StepRef)
  | ({ type: 'output'; time: number; line: string; stream: 'stdout' | 'stderr' | 'info' } & StepRef)
  | ({ type: 'progress'; time: number; done: number; total: number; message?: string } & StepRef)
  | ({ type: 'retrying'; time: number; attempt: number; delayMs: number; reason: string } & StepRef)
  | ({ type: 'succeeded'; time: number; durationMs: number } & StepRef)
  | ({ type: 'failed'; time: number; durationMs: number; error: ErrorSummary } & StepRef)
  | ({ type: 'skipped'; time: number; reason: string } & StepRef)
  /** A phase begins: the renderer learns every step of the group up front (listr2 needs its task list at start). */
  | {
      type: 'phase-started';
      time: number;
      group: string;
      concurrency: number;
      steps: Array<Omit<StepRef, 'group'>>;
      /** Runs alongside the phases that start after it (worker preparation while the control plane comes up). */
      background?: true;
    }
  | { type: 'phase-finished'; time: number; group: string; outcome: 'succeeded' | 'failed' | 'interrupted'; durationMs: number }
  | { type: 'run-started'; v: typeof EVENTS_VERSION; time: number; command: string; cluster: string; logFile?: string }
  | { type: 'run-finished'; time: number; outcome: 'succeeded' | 'failed' | 'interrupted'; durationMs: number; message?: string }
  /** A line for the person outside any step: a warning, what --yes answered, a replaced file. */
  | { type: 'note'; time: number; level: 'info' | 'warning'; text: string }
  /** What the command is about to do (before its confirmation), or would do (--dry-run). */
  | { type: 'plan'; time: number; command: string; cluster: string; dryRun: boolean; steps: PlanStep[]; text: string };

export type EventType = EngineEvent['type'];

/** Anything that consumes events: a renderer, the log file, a test recorder. */
export interface EventSink {
  emit(event: EngineEvent): void;
  /** Flush and release the terminal; called once at the end of a run. */
  close?(): Promise<void> | void;
}

/** Fans one stream out to several sinks. */
export class EventBus implements EventSink {
  private readonly sinks: EventSink[] = [];
  private readonly transforms: Array<(event: EngineEvent) => EngineEvent> = [];

  addSink(sink: EventSink): void {
    this.sinks.push(sink);
  }

  /** Transforms run before any sink (redaction is one). */
  addTransform(transform: (event: EngineEvent) => EngineEvent): void {
    this.transforms.push(transform);
  }

  emit(event: EngineEvent): void {
    const final = this.transforms.reduce((current, transform) => transform(current), event);
    for (const sink of this.sinks) sink.emit(final);
  }

  async close(): Promise<void> {
    for (const sink of this.sinks) await sink.close?.();
  }
}
