/** `k8s-bootstrap remove-workers`: the flags as the core's options, then the workflow through the CLI host. */
import { removeWorkers } from '../../workflows/workers/remove.js';
import type { RemoveWorkersFlags } from '../commands/remove-workers.js';
import type { CliContext } from '../context.js';
import { removalOptionsOf } from './removal-flags.js';
import { clusterRefOf, runCommand } from '../host.js';

export async function runRemoveWorkers(ctx: CliContext, options: RemoveWorkersFlags): Promise<number> {
  await runCommand(ctx, 'remove-workers', (host) =>
    removeWorkers(host, {
      ...clusterRefOf(ctx),
      nodes: options.node.length > 0 ? options.node : undefined,
      count: options.count,
      force: options.force,
      ...removalOptionsOf(options),
    }),
  );
  return 0;
}
