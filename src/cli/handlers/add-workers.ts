/**
 * `k8s-bootstrap add-workers`: the flags as the core's options (each --host parsed here, where
 * its syntax belongs), then the add-workers workflow through the CLI host.
 */
import { parseHostFlag } from '../../config/resolve.js';
import { addWorkers } from '../../workflows/workers/add.js';
import type { AddWorkersFlags } from '../commands/add-workers.js';
import type { CliContext } from '../context.js';
import { clusterRefOf, runCommand } from '../host.js';

export async function runAddWorkers(ctx: CliContext, options: AddWorkersFlags): Promise<number> {
  const hosts = options.host.map((text) => parseHostFlag(text, 'worker', '--host'));
  await runCommand(ctx, 'add-workers', (host) =>
    addWorkers(host, {
      ...clusterRefOf(ctx),
      count: options.count,
      total: options.total,
      hosts,
      dryRun: options.dryRun,
      concurrency: options.concurrency,
      timeoutMs: options.timeout,
      sshTimeoutMs: options.sshTimeout,
    }),
  );
  return 0;
}
