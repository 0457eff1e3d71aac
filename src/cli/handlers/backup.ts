/** `k8s-bootstrap backup`: the flags as the core's options, then the workflow through the CLI host. */
import { backupCluster } from '../../workflows/backup/index.js';
import type { BackupFlags } from '../commands/backup.js';
import type { CliContext } from '../context.js';
import { clusterRefOf, runCommand } from '../host.js';

export async function runBackup(ctx: CliContext, options: BackupFlags): Promise<number> {
  await runCommand(ctx, 'backup', (host) =>
    backupCluster(host, {
      ...clusterRefOf(ctx),
      dryRun: options.dryRun,
      sshTimeoutMs: options.sshTimeout,
      timeoutMs: options.timeout,
    }),
  );
  return 0;
}
