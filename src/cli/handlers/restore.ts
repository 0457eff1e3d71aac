/** `k8s-bootstrap restore`: the flags as the core's options, then the workflow through the CLI host. */
import { restoreCluster } from '../../workflows/restore/index.js';
import type { RestoreFlags } from '../commands/restore.js';
import type { CliContext } from '../context.js';
import { clusterRefOf, runCommand } from '../host.js';

export async function runRestore(ctx: CliContext, options: RestoreFlags): Promise<number> {
  await runCommand(ctx, 'restore', (host) =>
    restoreCluster(host, {
      ...clusterRefOf(ctx),
      from: options.from,
      confirmName: options.confirmName,
      yes: ctx.globals.yes === true,
      skipBackup: options.skipBackup,
      dryRun: options.dryRun,
      sshTimeoutMs: options.sshTimeout,
      timeoutMs: options.timeout,
    }),
  );
  return 0;
}
