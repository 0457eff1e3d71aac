/** `k8s-bootstrap remove-control-plane NODE`: the flags as the core's options, then the workflow through the CLI host. */
import { UsageError } from '../../errors.js';
import { removeControlPlane } from '../../workflows/control-plane/remove.js';
import type { RemoveControlPlaneFlags } from '../commands/remove-control-plane.js';
import type { CliContext } from '../context.js';
import { removalOptionsOf } from './removal-flags.js';
import { clusterRefOf, runCommand } from '../host.js';

export async function runRemoveControlPlane(ctx: CliContext, options: RemoveControlPlaneFlags, args: string[]): Promise<number> {
  const names = [...args, ...(options.node ? [options.node] : [])];
  if (new Set(names).size > 1) {
    throw new UsageError('OneControlPlaneAtATime', `remove-control-plane removes one control plane at a time, got ${names.join(', ')}`, { hint: 'Remove them one after the other: etcd changes by one member at a time.' });
  }
  await runCommand(ctx, 'remove-control-plane', (host) =>
    removeControlPlane(host, {
      ...clusterRefOf(ctx),
      node: names[0],
      skipBackup: options.skipBackup,
      ...removalOptionsOf(options),
    }),
  );
  return 0;
}
