/** The two ways a run ends badly, each carrying the summary so callers can report per step. */
import { AbortError, BootstrapError } from '../errors.js';

export interface FailedStep {
  stepId: string;
  node?: string;
  error: unknown;
}

export interface RunSummary {
  succeeded: string[];
  skipped: string[];
  failed: FailedStep[];
  /** Failures on nodes the run went on without (RunPhasesOptions.tolerate); the caller fails at its end. */
  tolerated: FailedStep[];
  /**
   * Steps never started: an earlier step of their phase failed, the run was stopped, or their
   * node was left behind after a tolerated failure.
   */
  notStarted: string[];
}

const RESUME = 'Run the same command again to resume: finished steps are skipped.';

export class RunFailedError extends BootstrapError {
  override readonly source = 'tool' as const;
  /**
   * Names every failed step, the tolerated ones too: a run that went on without a worker still failed it.
   * `next` replaces the generic "fix the cause, run the same command again" when the command knows better.
   */
  constructor(readonly summary: RunSummary, logFile?: string, next?: string) {
    const failed = [...summary.tolerated, ...summary.failed];
    const lines = failed.map((f) => `  - ${f.node ?? f.stepId}: ${messageOf(f.error)}`);
    const noun = failed.length === 1 ? 'step' : 'steps';
    super('RunFailed', `${failed.length} ${noun} failed:\n${lines.join('\n')}`, {
      hint: `${logFile ? `Full output: ${logFile}. ` : ''}${next ?? `Fix the cause, then ${RESUME.charAt(0).toLowerCase()}${RESUME.slice(1)}`}`,
    });
  }
}

export class RunInterruptedError extends AbortError {
  constructor(readonly summary: RunSummary, logFile?: string) {
    const finished = summary.succeeded.length + summary.skipped.length;
    super('Interrupted', `Interrupted: ${finished} steps finished, the running ones were stopped`, {
      hint: `${RESUME}${logFile ? ` Full output: ${logFile}` : ''}`,
    });
  }
}

function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}
