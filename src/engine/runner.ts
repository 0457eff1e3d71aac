/**
 * CONTRACT STUB (owned by the engine helper, who replaces the body):
 * runs phases in order; steps inside a phase with bounded concurrency; per-step timeout,
 * retries with exponential backoff, skip via checkpoint or step.check(); cancellation through
 * `signal`; emits EngineEvents to `events`; records finished steps in `state`.
 */
import type { EventSink } from './events.js';
import type { Phase } from './step.js';
import type { StateStore } from '../state/state-store.js';

export interface RunPhasesOptions {
  events: EventSink;
  /** Checkpoints: a step whose id+inputs is recorded is skipped ("already done"). */
  state?: StateStore;
  signal: AbortSignal;
  /** Default per-step timeout when a step sets none. */
  defaultTimeoutMs?: number;
  /** Base delay of the exponential backoff between attempts. */
  retryBaseDelayMs?: number;
}

export interface RunSummary {
  succeeded: string[];
  skipped: string[];
  failed: Array<{ stepId: string; error: unknown }>;
}

export async function runPhases(_phases: Phase[], _options: RunPhasesOptions): Promise<RunSummary> {
  throw new Error('runPhases: not implemented yet');
}
