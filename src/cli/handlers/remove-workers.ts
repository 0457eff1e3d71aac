/**
 * `k8s-bootstrap remove-workers`: pick the workers (--node, or --count: the newest), refuse
 * control planes and going below workers.min without --force, show the plan, confirm, then hand
 * over to the workflow (drain, delete, reset, shrink), which takes the cluster lock.
 * Removing a worker that is already gone says so and exits 0.
 */
import { AbortError } from '../../errors.js';
import { parseDuration } from '../../engine/timeouts.js';
import { confirmChange } from '../../wizard/prompts.js';
import { loadCluster } from '../../workflows/run/load-cluster.js';
import { formatRemovePlan, planRemoveWorkers } from '../../workflows/workers/plan.js';
import type { CommandHandler } from '../command.js';
import { requireCredentials, showPlan } from './plan-output.js';

export const DEFAULT_REMOVE_WORKERS_TIMEOUT = '60m';
export const DEFAULT_DRAIN_TIMEOUT = '10m';

export interface RemoveWorkersOptions {
  node?: string[];
  count?: number;
  force?: boolean;
  drainTimeout?: string;
  timeout?: string;
  sshTimeout?: string;
  dryRun?: boolean;
}

export const runRemoveWorkers: CommandHandler = async (ctx, rawOptions) => {
  const options = rawOptions as RemoveWorkersOptions;
  const timeoutMs = parseDuration(options.timeout ?? DEFAULT_REMOVE_WORKERS_TIMEOUT, '--timeout');
  const sshTimeoutMs = options.sshTimeout === undefined ? undefined : parseDuration(options.sshTimeout, '--ssh-timeout');
  const drainTimeout = options.drainTimeout ?? DEFAULT_DRAIN_TIMEOUT;
  const drainTimeoutMs = parseDuration(drainTimeout, '--drain-timeout');
  const cluster = await loadCluster(ctx);
  const decision = planRemoveWorkers(cluster, { nodes: options.node, count: options.count, force: options.force === true });
  if (decision.kind === 'nothing') {
    ctx.error(decision.message);
    return 0;
  }
  const { plan } = decision;
  if (showPlan(ctx, formatRemovePlan(cluster, plan, drainTimeout), options.dryRun)) return 0;
  requireCredentials(ctx, cluster.spec, 'Cannot remove workers');
  const names = plan.remove.map((node) => node.name).join(', ');
  const go = await confirmChange(ctx, { command: 'remove-workers', message: `Drain, delete and reset ${names}?`, doing: `draining, deleting and resetting ${names}` });
  if (!go) throw new AbortError('Declined', 'Nothing was removed');

  const { runRemoveWorkersWorkflow } = await import('../../workflows/workers/remove.js');
  const outcome = await runRemoveWorkersWorkflow(ctx, { cluster, plan, timeoutMs, drainTimeoutMs, sshTimeoutMs });
  for (const name of outcome.notReset) ctx.error(`Warning: ${name} did not answer SSH and was not reset (kubeadm reset -f); it is no longer part of the cluster.`);
  if (plan.alreadyGone.length > 0) ctx.error(`${plan.alreadyGone.join(', ')}: not a worker of the cluster (already removed?), skipped.`);
  ctx.write(`Removed ${outcome.removed.join(', ')} from ${cluster.spec.name}; ${plan.remaining.length} worker(s) remain, all nodes Ready.`);
  return 0;
};
