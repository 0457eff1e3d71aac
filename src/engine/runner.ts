/**
 * Runs phases in order (a background phase alongside the ones after it); steps inside a phase
 * with bounded concurrency; per-step timeout, retries with exponential backoff, skip via
 * checkpoint or step.check(); failures of tolerated nodes set aside until the caller's end;
 * cancellation through `signal`; emits EngineEvents to `events`; records finished steps in `state`.
 */
import type { EventSink } from './events.js';
import type { Phase } from './step.js';
import type { StateStore } from '../state/state-store.js';
import { mapWithConcurrency } from './pool.js';
import { runStep, type StepOutcome, type StepRunEnv } from './run-step.js';
import { RunFailedError, RunInterruptedError, type FailedStep, type RunSummary } from './run-errors.js';

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
  /**
   * Nodes the run may go on without (workers). When every failure of a continueOnError phase is
   * on one of them, the run continues without those nodes: their steps in later phases are left
   * out, and the failures land in `summary.tolerated` instead of failing the run. The caller
   * finishes what it can (verifies the other nodes), then fails with RunFailedError(summary).
   */
  tolerate?: ReadonlySet<string>;
}

type PhaseOutcome = 'succeeded' | 'failed' | 'interrupted';

/** The nodes a run went on without: they failed, and the caller fails the command at its end. */
export function toleratedNodes(summary: RunSummary): Set<string> {
  return new Set(summary.tolerated.flatMap((failure) => (failure.node ? [failure.node] : [])));
}

export async function runPhases(phases: Phase[], options: RunPhasesOptions): Promise<RunSummary> {
  const now = options.now ?? Date.now;
  const summary: RunSummary = { succeeded: [], skipped: [], failed: [], tolerated: [], notStarted: [] };
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
  const left = new Set<string>();
  const start = (phase: Phase): Promise<PhaseOutcome> => {
    const steps = phase.steps.filter((step) => !step.node || !left.has(step.node));
    summary.notStarted.push(...phase.steps.filter((step) => !steps.includes(step)).map((step) => step.stepId));
    if (steps.length === 0) return Promise.resolve('succeeded');
    return runPhase({ ...phase, steps }, env, summary, (failures) => {
      if (!phase.continueOnError || !failures.every((f) => f.node !== undefined && options.tolerate?.has(f.node))) return false;
      for (const failure of failures) left.add(failure.node!);
      return true;
    });
  };

  const background: Array<Promise<PhaseOutcome>> = [];
  const settled = () => Promise.all(background.splice(0));
  let stopped = false;
  try {
    for (const phase of phases) {
      if (!stopped && phase.waitsForBackground) stopped = (await settled()).includes('failed');
      if (stopped) continue;
      if (options.signal.aborted) {
        summary.notStarted.push(...phase.steps.map((s) => s.stepId));
        continue;
      }
      if (!phase.background) stopped = (await start(phase)) === 'failed';
      else {
        const running = start(phase);
        // Observed now, awaited later: a rejection (only bookkeeping can reject) must not go unhandled meanwhile.
        running.catch(() => undefined);
        background.push(running);
      }
    }
    await settled();
  } finally {
    // A background phase is never left running behind a failure.
    await Promise.allSettled(background.splice(0));
  }
  if (options.signal.aborted) throw new RunInterruptedError(summary, options.logFile);
  if (summary.failed.length > 0) throw new RunFailedError(summary, options.logFile);
  return summary;
}

/**
 * One phase; its failures go to `summary.failed`, or to `summary.tolerated` when `tolerates`
 * accepts all of them (the phase then counts as done for the run, though its event says failed).
 */
async function runPhase(phase: Phase, env: StepRunEnv, summary: RunSummary, tolerates: (failures: FailedStep[]) => boolean): Promise<PhaseOutcome> {
  const startedAt = env.now();
  const concurrency = Math.max(1, phase.concurrency ?? 1);
  env.emit({
    type: 'phase-started',
    time: startedAt,
    group: phase.title,
    concurrency,
    steps: phase.steps.map((s) => ({ stepId: s.stepId, title: s.title, ...(s.node ? { node: s.node } : {}) })),
    ...(phase.background ? { background: true as const } : {}),
  });
  // Stops the pool from starting more steps after a failure; running steps are left to finish.
  const stopStarting = new AbortController();
  const started = new Set<string>();
  const failures: FailedStep[] = [];
  await mapWithConcurrency(
    phase.steps,
    concurrency,
    async (step) => {
      started.add(step.stepId);
      const result: StepOutcome = await runStep(step, phase.title, env);
      if (result.status === 'succeeded') summary.succeeded.push(step.stepId);
      else if (result.status === 'skipped') summary.skipped.push(step.stepId);
      else if (result.status === 'failed') {
        failures.push({ stepId: step.stepId, ...(step.node ? { node: step.node } : {}), error: result.error });
        if (!phase.continueOnError) stopStarting.abort();
      }
    },
    AbortSignal.any([env.runSignal, stopStarting.signal]),
  ).catch(() => undefined); // the pool only rejects because we stopped it; outcomes are already recorded
  summary.notStarted.push(...phase.steps.filter((s) => !started.has(s.stepId)).map((s) => s.stepId));

  const failed = failures.length > 0;
  const outcome = env.runSignal.aborted ? 'interrupted' : failed ? 'failed' : 'succeeded';
  env.emit({ type: 'phase-finished', time: env.now(), group: phase.title, outcome, durationMs: env.now() - startedAt });
  if (!failed) return outcome;
  if (outcome === 'failed' && tolerates(failures)) {
    summary.tolerated.push(...failures);
    return 'succeeded';
  }
  summary.failed.push(...failures);
  return outcome;
}
