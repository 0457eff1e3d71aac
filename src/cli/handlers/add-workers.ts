/**
 * `k8s-bootstrap add-workers`: decide from the cluster folder what to add (--count, --total, or
 * static --host), show the plan, confirm (--yes skips; --dry-run stops after the plan), then hand
 * over to the add-workers workflow, which takes the cluster lock.
 *
 * --total below the current worker count is refused (exit 2) with a pointer to remove-workers:
 * shrinking drains nodes, and that should never happen as a side effect of "add".
 */
import { AbortError } from '../../errors.js';
import { parseDuration } from '../../engine/timeouts.js';
import { confirmChange } from '../../wizard/prompts.js';
import { loadCluster } from '../../workflows/run/load-cluster.js';
import { formatAddPlan, planAddWorkers } from '../../workflows/workers/plan.js';
import type { CommandHandler } from '../command.js';
import { requireCredentials, showPlan } from './plan-output.js';

export const DEFAULT_ADD_WORKERS_TIMEOUT = '60m';
export const DEFAULT_ADD_WORKERS_CONCURRENCY = 16;

export interface AddWorkersOptions {
  count?: number;
  total?: number;
  host?: string[];
  concurrency?: number;
  timeout?: string;
  sshTimeout?: string;
  dryRun?: boolean;
}

export const runAddWorkers: CommandHandler = async (ctx, rawOptions) => {
  const options = rawOptions as AddWorkersOptions;
  const timeoutMs = parseDuration(options.timeout ?? DEFAULT_ADD_WORKERS_TIMEOUT, '--timeout');
  const sshTimeoutMs = options.sshTimeout === undefined ? undefined : parseDuration(options.sshTimeout, '--ssh-timeout');
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_ADD_WORKERS_CONCURRENCY);
  const cluster = await loadCluster(ctx);
  const decision = planAddWorkers(cluster, { count: options.count, total: options.total, hosts: options.host });
  if (decision.kind === 'nothing') {
    ctx.error(decision.message);
    return 0;
  }
  const { plan } = decision;
  if (showPlan(ctx, formatAddPlan(cluster, plan), options.dryRun)) return 0;
  requireCredentials(ctx, cluster.spec, 'Cannot add workers');
  const count = plan.targetCount - plan.joined.length;
  const go = await confirmChange(ctx, { command: 'add-workers', message: `Add ${count} worker(s) to ${cluster.spec.name}?`, doing: `adding ${count} worker(s) to ${cluster.spec.name}` });
  if (!go) throw new AbortError('Declined', 'Nothing was added');

  // Loaded only now: the workflow pulls in the engine, renderers and tool drivers.
  const { runAddWorkersWorkflow } = await import('../../workflows/workers/add.js');
  const outcome = await runAddWorkersWorkflow(ctx, { cluster, plan, concurrency, timeoutMs, sshTimeoutMs });
  ctx.write(
    outcome.added.length > 0
      ? `Added ${outcome.added.length} worker(s) to ${cluster.spec.name}: ${outcome.added.join(', ')} (Kubernetes ${plan.version}, Ready).`
      : `Every worker of ${cluster.spec.name} is already joined.`,
  );
  return 0;
};
