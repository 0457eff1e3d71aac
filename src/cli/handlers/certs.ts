/** `k8s-bootstrap certs check | renew`: the flags as the core's options, then the workflow through the CLI host. */
import { certsCheck, certsRenew } from '../../workflows/certs/index.js';
import type { CertsCheckFlags, CertsRenewFlags } from '../commands/certs.js';
import type { CliContext } from '../context.js';
import { clusterRefOf, runCommand } from '../host.js';

export async function runCertsCheck(ctx: CliContext, options: CertsCheckFlags): Promise<number> {
  const result = await runCommand(ctx, 'certs check', (host) => certsCheck(host, { ...clusterRefOf(ctx), timeoutMs: options.timeout }));
  return result.healthy ? 0 : 1;
}

export async function runCertsRenew(ctx: CliContext, options: CertsRenewFlags): Promise<number> {
  await runCommand(ctx, 'certs renew', (host) =>
    certsRenew(host, {
      ...clusterRefOf(ctx),
      dryRun: options.dryRun,
      skipBackup: options.skipBackup,
      readyTimeoutMs: options.readyTimeout,
      sshTimeoutMs: options.sshTimeout,
      timeoutMs: options.timeout,
    }),
  );
  return 0;
}
