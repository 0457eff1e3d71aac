/**
 * One attempt of a step under a time limit and the run's cancellation. The step gets a signal
 * that aborts on either; if it ignores that signal, the attempt is abandoned after a grace period
 * so that one stuck SSH command cannot hang the whole run.
 */
import { TimeoutError } from './timeouts.js';

export interface AttemptLimits {
  /** Per-attempt limit; undefined means none. */
  timeoutMs?: number;
  /** After the timeout fires, how long the step may take to honour its signal. */
  timeoutGraceMs: number;
  /** After the run is cancelled, how long the step may take to settle. */
  cancelGraceMs: number;
}

export type AttemptResult =
  | { ok: true }
  | { ok: false; error: unknown; interrupted: boolean };

/** setTimeout overflows above 2^31-1 ms (~24.8 days) and then fires at once. */
const MAX_TIMER_MS = 2_147_483_647;

export async function runBoundedAttempt(
  work: (signal: AbortSignal) => Promise<void>,
  runSignal: AbortSignal,
  limits: AttemptLimits,
  makeTimeoutError: (abandoned: boolean) => TimeoutError,
): Promise<AttemptResult> {
  const controller = new AbortController();
  const timers: NodeJS.Timeout[] = [];
  let timedOut = false;
  let interrupted = false;
  let abandon!: () => void;
  const abandoned = new Promise<'abandoned'>((resolve) => {
    abandon = () => resolve('abandoned');
  });

  const onRunAbort = () => {
    interrupted = true;
    controller.abort(runSignal.reason);
    timers.push(setTimeout(abandon, Math.min(limits.cancelGraceMs, MAX_TIMER_MS)));
  };
  if (limits.timeoutMs !== undefined) {
    timers.push(
      setTimeout(() => {
        timedOut = true;
        controller.abort(makeTimeoutError(false));
        timers.push(setTimeout(abandon, Math.min(limits.timeoutGraceMs, MAX_TIMER_MS)));
      }, Math.min(limits.timeoutMs, MAX_TIMER_MS)),
    );
  }
  if (runSignal.aborted) onRunAbort();
  else runSignal.addEventListener('abort', onRunAbort, { once: true });

  const running = Promise.resolve().then(() => work(controller.signal));
  // An abandoned attempt may still reject later; that must not become an unhandled rejection.
  running.catch(() => undefined);

  try {
    const outcome = await Promise.race([
      running.then(
        () => ({ kind: 'done' as const }),
        (error: unknown) => ({ kind: 'error' as const, error }),
      ),
      abandoned.then(() => ({ kind: 'abandoned' as const })),
    ]);
    if (outcome.kind === 'done') return { ok: true };
    if (interrupted) return { ok: false, error: outcome.kind === 'error' ? outcome.error : runSignal.reason, interrupted: true };
    if (timedOut) return { ok: false, error: withCause(makeTimeoutError(outcome.kind === 'abandoned'), outcome), interrupted: false };
    return { ok: false, error: outcome.kind === 'error' ? outcome.error : undefined, interrupted: false };
  } finally {
    for (const timer of timers) clearTimeout(timer);
    runSignal.removeEventListener('abort', onRunAbort);
  }
}

function withCause(error: TimeoutError, outcome: { kind: string; error?: unknown }): TimeoutError {
  if (outcome.kind === 'error' && !(outcome.error instanceof TimeoutError)) {
    Object.defineProperty(error, 'cause', { value: outcome.error, configurable: true, writable: true });
  }
  return error;
}
