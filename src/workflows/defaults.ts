/**
 * Every default of the commands' options, once: the CLI's flag declarations show and use these
 * values, and a script calling the library gets the same ones when it leaves an option out.
 */
const MINUTE = 60_000;

export const DEFAULTS = {
  init: { timeoutMs: 60 * MINUTE, concurrency: 32, sshTimeoutMs: 5 * MINUTE, readyTimeoutMs: 10 * MINUTE },
  addWorkers: { timeoutMs: 60 * MINUTE, concurrency: 16, sshTimeoutMs: 5 * MINUTE, readyTimeoutMs: 10 * MINUTE },
  removeWorkers: { timeoutMs: 60 * MINUTE, drainTimeoutMs: 10 * MINUTE, sshTimeoutMs: 30_000, readyTimeoutMs: 5 * MINUTE },
  upgrade: { timeoutMs: 180 * MINUTE, drainTimeoutMs: 10 * MINUTE, maxUnavailable: 1, sshTimeoutMs: 2 * MINUTE, readyTimeoutMs: 10 * MINUTE },
  destroy: { timeoutMs: 60 * MINUTE, concurrency: 20, sshTimeoutMs: 2 * MINUTE },
  status: { timeoutMs: 2 * MINUTE },
  /** addons apply: Helm waits up to each chart's own --timeout; list and diff use status's limit. */
  addons: { timeoutMs: 60 * MINUTE, sshTimeoutMs: 2 * MINUTE },
} as const;

/** Safe drains (upgrade, remove-workers, remove-control-plane): how long moved workloads may take to be available again. */
export const DRAIN_DEFAULTS = { availabilityTimeoutMs: 10 * MINUTE } as const;

/** backup: the snapshot, its verification, the download and an upload (spec.backup.s3). */
export const BACKUP_DEFAULTS = { timeoutMs: 30 * MINUTE, sshTimeoutMs: 2 * MINUTE } as const;
/** restore: the whole command, the API coming back on the restored etcd, every node Ready after. */
export const RESTORE_DEFAULTS = { timeoutMs: 60 * MINUTE, sshTimeoutMs: 2 * MINUTE, apiTimeoutMs: 5 * MINUTE, readyTimeoutMs: 10 * MINUTE } as const;
/** certs renew: the whole command, and how long a control plane may take to be Ready after its static pods restarted. */
export const CERTS_DEFAULTS = { timeoutMs: 60 * 60_000, sshTimeoutMs: 2 * 60_000, readyTimeoutMs: 5 * 60_000 } as const;
