/**
 * One step from start to end: checkpoint skip, check(), attempts with timeout and backoff,
 * events, checkpoint write. Never throws: every ending is an outcome the phase decides on.
 */
import { UsageError } from '../errors.js';
import type { StateStore } from '../state/state-store.js';
import { backoffDelay, sleep } from './backoff.js';
import { runBoundedAttempt, type AttemptLimits } from './bounded-attempt.js';
import { LineTail, toErrorSummary } from './error-summary.js';
import type { EngineEvent, StepRef } from './events.js';
import type { Step, StepContext } from './step.js';
import { TimeoutError } from './timeouts.js';

export interface StepRunEnv {
  emit(event: EngineEvent): void;
  now(): number;
  state?: StateStore;
  runSignal: AbortSignal;
  limits: Omit<AttemptLimits, 'timeoutMs'> & { defaultTimeoutMs?: number };
  retryBaseDelayMs: number;
  random?: () => number;
}

export type StepOutcome =
  | { status: 'succeeded' | 'skipped' }
  | { status: 'failed'; error: unknown }
  | { status: 'interrupted' };

export async function runStep(step: Step, group: string, env: StepRunEnv): Promise<StepOutcome> {
  const ref: StepRef = { stepId: step.stepId, group, title: step.title, ...(step.node ? { node: step.node } : {}) };
  const startedAt = env.now();
  // Output tail of the latest attempt: the one whose failure is reported.
  let tail = new LineTail();
  const fail = (error: unknown): StepOutcome => {
    env.emit({ type: 'failed', time: env.now(), durationMs: env.now() - startedAt, error: toErrorSummary(error, tail.all), ...ref });
    return { status: 'failed', error };
  };
  try {
    if (env.state?.isDone(step.stepId, step.inputs)) {
      env.emit({ type: 'skipped', time: env.now(), reason: 'already done', ...ref });
      return { status: 'skipped' };
    }
    env.emit({ type: 'started', time: startedAt, ...(step.tool ? { tool: step.tool } : {}), ...ref });
    const attempts = 1 + Math.max(0, step.retries ?? 0);
    for (let attempt = 1; ; attempt++) {
      if (env.runSignal.aborted) return interrupted(env, ref, startedAt);
      let skipReason: string | undefined;
      tail = new LineTail();
      const timeoutMs = step.timeoutMs ?? env.limits.defaultTimeoutMs;
      let live = true;
      const result = await runBoundedAttempt(
        async (signal) => {
          const ctx = createContext(ref, signal, attempt, env, tail, () => live);
          skipReason = step.check ? await step.check(ctx) : undefined;
          if (!skipReason) skipReason = (await step.run(ctx))?.alreadyDone;
        },
        env.runSignal,
        attemptLimits(step, env, timeoutMs),
        (abandoned) => new TimeoutError(step, timeoutMs ?? 0, abandoned ? ' and ignored the cancellation; it was abandoned' : ''),
      );
      // Lines from an attempt that has ended (abandoned, or racing its own end) would land under the wrong attempt.
      live = false;

      if (result.ok) {
        await env.state?.markDone(step.stepId, { ...(step.inputs ? { inputs: step.inputs } : {}), ...(step.node ? { node: step.node } : {}) }, { unchanged: skipReason !== undefined });
        if (skipReason) env.emit({ type: 'skipped', time: env.now(), reason: skipReason, ...ref });
        else env.emit({ type: 'succeeded', time: env.now(), durationMs: env.now() - startedAt, ...ref });
        return { status: skipReason ? 'skipped' : 'succeeded' };
      }
      if (result.interrupted || env.runSignal.aborted) return interrupted(env, ref, startedAt);
      if (attempt >= attempts || !isRetryable(step, result.error)) return fail(result.error);

      const delayMs = backoffDelay(attempt, { baseMs: env.retryBaseDelayMs, random: env.random });
      env.emit({ type: 'retrying', time: env.now(), attempt: attempt + 1, delayMs, reason: reasonOf(result.error), ...ref });
      await sleep(delayMs, env.runSignal);
    }
  } catch (error) {
    // Only bookkeeping can land here (a check() throwing is handled as an attempt failure): e.g. state.json unwritable.
    return fail(error);
  }
}

/** The step's own stop grace, when it has one, replaces both of the run's. */
function attemptLimits(step: Step, env: StepRunEnv, timeoutMs: number | undefined): AttemptLimits {
  const { timeoutGraceMs, cancelGraceMs } = env.limits;
  if (step.stopGraceMs === undefined) return { timeoutMs, timeoutGraceMs, cancelGraceMs };
  return { timeoutMs, timeoutGraceMs: step.stopGraceMs, cancelGraceMs: step.stopGraceMs };
}

function isRetryable(step: Step, error: unknown): boolean {
  return step.retryable?.(error) ?? !(error instanceof UsageError);
}

function interrupted(env: StepRunEnv, ref: StepRef, startedAt: number): StepOutcome {
  env.emit({
    type: 'failed',
    time: env.now(),
    durationMs: env.now() - startedAt,
    error: { code: 'Interrupted', message: 'Stopped by an interrupt before it finished', hint: 'Run the same command again to resume.' },
    ...ref,
  });
  return { status: 'interrupted' };
}

function createContext(
  ref: StepRef,
  signal: AbortSignal,
  attempt: number,
  env: StepRunEnv,
  tail: LineTail,
  isLive: () => boolean,
): StepContext {
  return {
    signal,
    attempt,
    output(line, stream = 'stdout') {
      if (!isLive()) return;
      tail.push(line);
      env.emit({ type: 'output', time: env.now(), line, stream, ...ref });
    },
    progress(done, total, message) {
      if (!isLive()) return;
      env.emit({ type: 'progress', time: env.now(), done, total, ...(message ? { message } : {}), ...ref });
    },
  };
}

function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] || 'unknown error';
}
