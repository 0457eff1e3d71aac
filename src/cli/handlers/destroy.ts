/**
 * `k8s-bootstrap destroy`: asks for the cluster name to be typed (or --yes), then hands over to
 * the destroy workflow, which takes the lock. In CI without --yes nothing is destroyed.
 */
import { AbortError, UsageError, ValidationError } from '../../errors.js';
import { parseDuration } from '../../engine/timeouts.js';
import { credentialIssue } from '../../providers/credentials.js';
import { isCloudProvider } from '../../providers/index.js';
import { assertCanConfirm, input } from '../../wizard/prompts.js';
import { loadCluster } from '../../workflows/run/load-cluster.js';
import type { CommandHandler } from '../command.js';

export const DEFAULT_DESTROY_TIMEOUT = '60m';
export const DEFAULT_DESTROY_CONCURRENCY = 20;

export interface DestroyOptions {
  resetNodes?: boolean;
  timeout?: string;
  concurrency?: number;
}

export const runDestroy: CommandHandler = async (ctx, rawOptions) => {
  const options = rawOptions as DestroyOptions;
  const timeoutMs = parseDuration(options.timeout ?? DEFAULT_DESTROY_TIMEOUT, '--timeout');
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_DESTROY_CONCURRENCY);
  const cluster = await loadCluster(ctx, undefined, { requireInventory: false });
  const { spec, dir } = cluster;
  const cloud = isCloudProvider(spec.provider.name);
  if (options.resetNodes && cloud) {
    throw new UsageError('ResetNodesNotStatic', `--reset-nodes is for static clusters; cluster ${spec.name} is on ${spec.provider.name}, whose machines terraform destroys`, {
      hint: 'Run destroy without --reset-nodes.',
    });
  }
  if (cloud) {
    const issue = credentialIssue(spec.provider.name, ctx.env);
    if (issue) throw new ValidationError([issue], 'Cannot destroy the cluster');
  }

  const what = cloud
    ? `every ${spec.provider.name} resource of cluster ${spec.name} (terraform destroy)`
    : options.resetNodes
      ? `Kubernetes on every host of cluster ${spec.name} (kubeadm reset -f)`
      : `the cluster folder's record of cluster ${spec.name} (the static hosts are left as they are)`;
  assertCanConfirm(ctx, 'destroy');
  if (!ctx.globals.yes) {
    const answer = await input(ctx, { message: `This destroys ${what}. Type the cluster name (${spec.name}) to confirm:`, flag: '--yes' });
    if (answer.trim() !== spec.name) throw new AbortError('Declined', 'The name did not match; nothing was destroyed');
  } else {
    ctx.error(`--yes: destroying ${what} without asking.`);
  }

  // Loaded only now: the workflow pulls in the engine, renderers and tool drivers.
  const { runDestroyWorkflow } = await import('../../workflows/destroy/index.js');
  const outcome = await runDestroyWorkflow(ctx, { cluster, resetNodes: options.resetNodes === true, concurrency, timeoutMs });
  if (ctx.outputMode !== 'json') {
    const machines = {
      destroyed: 'Its infrastructure was destroyed.',
      reset: 'kubeadm reset -f ran on every host.',
      'left-as-they-are': 'The static hosts were left as they are.',
    }[outcome.machines];
    ctx.write(`Cluster ${spec.name} destroyed. ${machines}`);
    ctx.write(`Kept ${dir.specFile} and the logs in ${dir.logsDir}.`);
  }
  return 0;
};
