/** `k8s-bootstrap upgrade`: the flags as the core's options, then the workflow through the CLI host. */
import { upgradeCluster } from '../../workflows/upgrade/index.js';
import type { UpgradeFlags } from '../commands/upgrade.js';
import type { CliContext } from '../context.js';
import { clusterRefOf, runCommand } from '../host.js';

export async function runUpgrade(ctx: CliContext, options: UpgradeFlags): Promise<number> {
  await runCommand(ctx, 'upgrade', (host) =>
    upgradeCluster(host, {
      ...clusterRefOf(ctx),
      to: options.to,
      maxUnavailable: options.maxUnavailable,
      drainTimeoutMs: options.drainTimeout,
      availabilityTimeoutMs: options.availabilityTimeout,
      waitForBudgets: options.waitForBudgets,
      rebuildImage: options.rebuildImage,
      skipBackup: options.skipBackup,
      timeoutMs: options.timeout,
      dryRun: options.dryRun,
    }),
  );
  return 0;
}
