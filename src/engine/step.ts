/** What a workflow hands the engine: phases of steps. */
import type { EngineEvent, StepRef } from './events.js';

export interface StepContext {
  /** Aborted on Ctrl-C or when the step's timeout fires. Pass it to every tool call. */
  signal: AbortSignal;
  /** 1 for the first attempt. */
  attempt: number;
  /** A line of tool output for this step. */
  output(line: string, stream?: 'stdout' | 'stderr' | 'info'): void;
  progress(done: number, total: number, message?: string): void;
}

export interface Step extends Omit<StepRef, 'group'> {
  /** Tool this step runs (packer, terraform, ssh, kubectl), shown in the plan. @default "local" in a plan */
  tool?: string;
  /** What the title leaves out, for the plan a dry run prints ("swap off, kernel modules, containerd, kubeadm 1.37.1"). */
  detail?: string;
  /** Fingerprint of the step's inputs; a checkpoint only counts when it matches. */
  inputs?: string;
  /** Per-attempt timeout. */
  timeoutMs?: number;
  /**
   * How long a cancelled or timed-out attempt may take to stop before it is abandoned; for tools
   * that must finish writing state (Terraform, Packer). Replaces the run's cancel and timeout grace.
   */
  stopGraceMs?: number;
  /** Extra attempts after the first, for idempotent steps. */
  retries?: number;
  /** Decides whether an error is worth another attempt (default: any non-usage error). */
  retryable?: (error: unknown) => boolean;
  /**
   * Asks the world whether the work is already done (admin.conf present, node registered).
   * Returning a reason string skips the step with that reason.
   */
  check?: (ctx: StepContext) => Promise<string | undefined>;
  /**
   * Does the work. Returning `{ alreadyDone: reason }` says the work was found done, as check()
   * would have: the step is skipped with that reason. For a check that costs as much as the work's
   * own first look (one more SSH command per node), the work script looks and says so itself.
   */
  run(ctx: StepContext): Promise<void | StepFoundDone>;
}

export interface StepFoundDone {
  alreadyDone: string;
}

export interface Phase {
  /** Group title in the task tree. */
  title: string;
  steps: Step[];
  /** Steps of this phase running at once; default 1 (in order). */
  concurrency?: number;
  /**
   * Keep running the other steps of the phase after one fails; the phase still fails at its end,
   * unless every failure is on a node the run tolerates (RunPhasesOptions.tolerate).
   */
  continueOnError?: boolean;
  /**
   * Runs alongside the phases after it, until one marked `waitsForBackground` (or the end): worker
   * preparation, which needs no cluster, overlaps the control plane coming up.
   */
  background?: boolean;
  /** Starts only after the background phase before it has finished (worker joins wait for worker preparation). */
  waitsForBackground?: boolean;
}

export type { EngineEvent };
