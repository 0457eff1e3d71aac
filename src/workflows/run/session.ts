/**
 * Everything a mutating command needs around its phases: the lock, the state, the event bus with
 * redaction, the log file, and a signal that fires on Ctrl-C or on --timeout. The events go on to
 * the host (the CLI's renderer, a script's collector); the session never picks a renderer.
 */
import { noteTo, type Host } from '../../engine/host.js';
import { BootstrapError } from '../../errors.js';
import { EVENTS_VERSION, EventBus, type EngineEvent } from '../../engine/events.js';
import type { Phase } from '../../engine/step.js';
import { runPhases, RunInterruptedError, type RunPhasesOptions, type RunSummary } from '../../engine/runner.js';
import { createRedactor } from '../../engine/redact.js';
import { inertSink, inertText } from '../../engine/inert-text.js';
import { LogFileSink } from '../../engine/log-file.js';
import { formatDuration } from '../../engine/timeouts.js';
import { acquireLock, type Lock } from '../../state/lock.js';
import { StateStore } from '../../state/state-store.js';
import type { ClusterDir } from '../../state/cluster-dir.js';
import type { SecretSet } from '../../engine/redact.js';

export interface RunHarness {
  readonly bus: EventBus;
  readonly state: StateStore;
  readonly dir: ClusterDir;
  readonly secrets: SecretSet;
  /** Fires on Ctrl-C or when --timeout runs out. */
  readonly signal: AbortSignal;
  readonly logFile: string;
  runPhases(phases: Phase[], options?: Pick<RunPhasesOptions, 'tolerate'>): Promise<RunSummary>;
  /** A line of the run's progress (the renderer shows it like tool output; the log keeps it). */
  note(message: string): void;
  /** A line the person must see whatever the renderer: a `note` event, redacted and logged. */
  say(message: string, level?: 'info' | 'warning'): void;
  finish(outcome: 'succeeded' | 'failed' | 'interrupted', message?: string): Promise<void>;
}

export interface OpenRunOptions {
  command: string;
  cluster: string;
  timeoutMs: number;
  /** Read-only commands (status) take no lock. */
  lock?: boolean;
  /** A lock the caller already holds (init takes it before it writes cluster.yaml); released at the end. */
  heldLock?: Lock;
  /** Secret values known before the run starts (cloud credentials). */
  secrets?: string[];
}

export class RunTimedOutError extends BootstrapError {
  constructor(command: string, timeoutMs: number) {
    super('RunTimedOut', `${command} did not finish within ${formatDuration(timeoutMs)}`, {
      hint: 'Raise --timeout, or run the same command again to continue from where it stopped.',
    });
  }
}

export async function openRun(host: Host, dir: ClusterDir, options: OpenRunOptions): Promise<RunHarness> {
  await dir.ensure();
  const lock: Lock | undefined = options.heldLock ?? (options.lock === false ? undefined : await acquireLock(dir, options.command));
  // A state this version refuses (newer, unknown, corrupt) must leave the folder as it was.
  const state = await StateStore.open(dir.stateFile, options.cluster).catch(async (error: unknown) => {
    await lock?.release();
    throw error;
  });
  // The notice quotes lock.json (a holder's command and host): a file's text, shown inert.
  if (lock?.notice) noteTo(host, inertText(lock.notice), 'warning');
  const secrets = host.secrets;
  secrets.add(...(options.secrets ?? []));

  const bus = new EventBus();
  bus.addTransform(createRedactor(() => secrets.values()));
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const log = await LogFileSink.open(`${dir.logsDir}/${stamp}-${options.command}.log`);
  // The log gets inert text; the host decides for its own output (the CLI's JSON keeps the data, escaped).
  bus.addSink(inertSink(log));
  // The host's sink outlives the run (notes may follow it): the host closes it, not the run.
  bus.addSink({ emit: (event) => host.events.emit(event) });

  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = AbortSignal.any([host.signal, timeout]);
  const startedAt = Date.now();
  bus.emit({ type: 'run-started', v: EVENTS_VERSION, time: startedAt, command: options.command, cluster: options.cluster, logFile: log.path });

  let finished = false;
  // Steps finished by the earlier runPhases calls of this run: a Ctrl-C during Verify reports the
  // preparations, init and joins before it too, not the 0 steps of the call it interrupted.
  const earlier: Pick<RunSummary, 'succeeded' | 'skipped'> = { succeeded: [], skipped: [] };
  const harness: RunHarness = {
    bus,
    state,
    dir,
    secrets,
    signal,
    logFile: log.path,
    async runPhases(phases, phaseOptions) {
      try {
        const summary = await runPhases(phases, { ...phaseOptions, events: bus, state, signal, logFile: log.path });
        earlier.succeeded.push(...summary.succeeded);
        earlier.skipped.push(...summary.skipped);
        return summary;
      } catch (error) {
        // A --timeout is a failure (exit 1), not a person's Ctrl-C (exit 130).
        if (timeout.aborted && !host.signal.aborted) throw new RunTimedOutError(options.command, options.timeoutMs);
        if (error instanceof RunInterruptedError) {
          const { summary } = error;
          throw new RunInterruptedError(
            { ...summary, succeeded: [...earlier.succeeded, ...summary.succeeded], skipped: [...earlier.skipped, ...summary.skipped] },
            log.path,
          );
        }
        throw error;
      }
    },
    note(message) {
      const event: EngineEvent = { type: 'output', time: Date.now(), stepId: 'run', group: 'Run', title: options.command, line: message, stream: 'info' };
      bus.emit(event);
    },
    say(message, level = 'info') {
      bus.emit({ type: 'note', time: Date.now(), level, text: message });
    },
    async finish(outcome, message) {
      if (finished) return;
      finished = true;
      try {
        bus.emit({ type: 'run-finished', time: Date.now(), outcome, durationMs: Date.now() - startedAt, message });
        await bus.close();
      } finally {
        await lock?.release();
      }
    },
  };
  return harness;
}

/** Runs `body` inside a harness and always finishes it (lock released, renderer closed). */
export async function withRun<T>(host: Host, dir: ClusterDir, options: OpenRunOptions, body: (run: RunHarness) => Promise<T>): Promise<T> {
  const run = await openRun(host, dir, options);
  try {
    const result = await body(run);
    await run.finish('succeeded');
    return result;
  } catch (error) {
    const interrupted = host.signal.aborted;
    await run.finish(interrupted ? 'interrupted' : 'failed', error instanceof Error ? error.message : String(error));
    throw error;
  }
}
