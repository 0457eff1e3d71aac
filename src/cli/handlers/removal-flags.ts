/** The flags remove-workers and remove-control-plane share, as the workflows' options. */
import type { RemoveWorkersOptions } from '../../workflows/workers/remove.js';

export interface RemovalFlags {
  dryRun: boolean;
  drainTimeout: number;
  availabilityTimeout: number;
  waitForBudgets: boolean;
  sshTimeout: number;
  timeout: number;
}

export function removalOptionsOf(flags: RemovalFlags): Pick<RemoveWorkersOptions, 'dryRun' | 'drainTimeoutMs' | 'availabilityTimeoutMs' | 'waitForBudgets' | 'sshTimeoutMs' | 'timeoutMs'> {
  return {
    dryRun: flags.dryRun,
    drainTimeoutMs: flags.drainTimeout,
    availabilityTimeoutMs: flags.availabilityTimeout,
    waitForBudgets: flags.waitForBudgets,
    sshTimeoutMs: flags.sshTimeout,
    timeoutMs: flags.timeout,
  };
}
