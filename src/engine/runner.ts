/**
 * Runs phases in order; steps inside a phase with bounded concurrency; per-step timeout,
 * retries with exponential backoff, skip via checkpoint or step.check(); cancellation through
 * `signal`; emits EngineEvents to `events`; records finished steps in `state`.
 */
import type { EventSink } from './events.js';
import type { Phase } from './step.js';
import type { StateStore } from '../state/state-store.js';
import { mapWithConcurrency } from './pool.js';
import { runStep, type StepOutcome, type StepRunEnv } from './run-step.js';
import { RunFailedError, RunInterruptedError, type RunSummary } from './run-errors.js';

export type { RunSummary, FailedStep } from './run-errors.js';
export { RunFailedError, RunInterruptedError } from './run-errors.js';

export interface RunPhasesOptions {
  events: EventSink;
  /** Checkpoints: a step whose id+inputs is recorded is skipped ("already done"). */
  state?: StateStore;
  signal: AbortSignal;
  /** Default per-step timeout when a step sets none. @default no limit */
  defaultTimeoutMs?: number;
  /** Base delay of the exponential backoff between attempts. @default 1000 */
  retryBaseDelayMs?: number;
  /** How long a timed-out step may take to honour its aborted signal before it is abandoned. @default 5000 */
  timeoutGraceMs?: number;
  /** After cancellation, how long running steps may take to settle before they are abandoned. @default 30000 */
  cancelGraceMs?: number;
  /** Named in the hint of a failure so the person finds the full output. */
  logFile?: string;
  /** Clock for event times. @default Date.now */
  now?: () => number;
  /** Source of backoff jitter. @default Math.random */
  random?: () => number;
}

export async function runPhases(phases: Phase[], options: RunPhasesOptions): Promise<RunSummary> {
  const now = options.now ?? Date.now;
  const summary: RunSummary = { succeeded: [], skipped: [], failed: [], notStarted: [] };
  const env: StepRunEnv = {
    emit: (event) => options.events.emit(event),
    now,
    state: options.state,
    runSignal: options.signal,
    limits: {
      defaultTimeoutMs: options.defaultTimeoutMs,
      timeoutGraceMs: options.timeoutGraceMs ?? 5_000,
      cancelGraceMs: options.cancelGraceMs ?? 30_000,
    },
    retryBaseDelayMs: options.retryBaseDelayMs ?? 1_000,
    random: options.random,
  };

  for (const phase of phases) {
    if (options.signal.aborted) {
      summary.notStarted.push(...phase.steps.map((s) => s.stepId));
      continue;
    }
    if (phase.steps.length === 0) continue;
    const outcome = await runPhase(phase, env, summary);
    if (outcome === 'failed') break;
  }
  if (options.signal.aborted) throw new RunInterruptedError(summary, options.logFile);
  if (summary.failed.length > 0) throw new RunFailedError(summary, options.logFile);
  return summary;
}

async function runPhase(phase: Phase, env: StepRunEnv, summary: RunSummary): Promise<'succeeded' | 'failed' | 'interrupted'> {
  const startedAt = env.now();
  const concurrency = Math.max(1, phase.concurrency ?? 1);
  env.emit({
    type: 'phase-started',
    time: startedAt,
    group: phase.title,
    concurrency,
    steps: phase.steps.map((s) => ({ stepId: s.stepId, title: s.title, ...(s.node ? { node: s.node } : {}) })),
  });
  // Stops the pool from starting more steps after a failure; running steps are left to finish.
  const stopStarting = new AbortController();
  const started = new Set<string>();
  let failed = false;
  await mapWithConcurrency(
    phase.steps,
    concurrency,
    async (step) => {
      started.add(step.stepId);
      const result: StepOutcome = await runStep(step, phase.title, env);
      if (result.status === 'succeeded') summary.succeeded.push(step.stepId);
      else if (result.status === 'skipped') summary.skipped.push(step.stepId);
      else if (result.status === 'failed') {
        failed = true;
        summary.failed.push({ stepId: step.stepId, ...(step.node ? { node: step.node } : {}), error: result.error });
        if (!phase.continueOnError) stopStarting.abort();
      }
    },
    AbortSignal.any([env.runSignal, stopStarting.signal]),
  ).catch(() => undefined); // the pool only rejects because we stopped it; outcomes are already recorded
  summary.notStarted.push(...phase.steps.filter((s) => !started.has(s.stepId)).map((s) => s.stepId));

  const outcome = env.runSignal.aborted ? 'interrupted' : failed ? 'failed' : 'succeeded';
  env.emit({ type: 'phase-finished', time: env.now(), group: phase.title, outcome, durationMs: env.now() - startedAt });
  return outcome;
}
