/** `k8s-bootstrap add-control-plane`: each --host parsed here, then the workflow through the CLI host. */
import { parseHostFlag } from '../../config/resolve.js';
import { addControlPlane } from '../../workflows/control-plane/add.js';
import type { AddControlPlaneFlags } from '../commands/add-control-plane.js';
import type { CliContext } from '../context.js';
import { clusterRefOf, runCommand } from '../host.js';

export async function runAddControlPlane(ctx: CliContext, options: AddControlPlaneFlags): Promise<number> {
  const hosts = options.host.map((text) => parseHostFlag(text, 'control-plane', '--host'));
  await runCommand(ctx, 'add-control-plane', (host) =>
    addControlPlane(host, {
      ...clusterRefOf(ctx),
      hosts,
      count: options.count,
      skipBackup: options.skipBackup,
      dryRun: options.dryRun,
      sshTimeoutMs: options.sshTimeout,
      timeoutMs: options.timeout,
    }),
  );
  return 0;
}
