/**
 * `k8s-bootstrap upgrade --to v1.X.Y`: preflight (read-only, before the lock), the plan, the
 * confirmation (--yes skips it; --dry-run stops after the plan), then the upgrade workflow.
 *
 * Without --to a person at a terminal chooses between the newest patch of the current minor and
 * of the next one; anywhere else --to is required. In CI an upgrade is never auto-confirmed: it
 * drains every node, so without --yes it refuses (exit 2) instead of assuming an answer.
 */
import { AbortError, UsageError } from '../../errors.js';
import { parseDuration } from '../../engine/timeouts.js';
import { isCloudProvider } from '../../providers/index.js';
import { assertCanConfirm, confirmChange, select } from '../../wizard/prompts.js';
import { loadCluster } from '../../workflows/run/load-cluster.js';
import { inspectForUpgrade } from '../../workflows/upgrade/index.js';
import { describeUpgradePlan } from '../../workflows/upgrade/describe.js';
import { parseTargetVersion, planHops, upgradeOffers } from '../../workflows/upgrade/plan.js';
import { checkSnapshot } from '../../workflows/upgrade/preflight.js';
import type { CommandHandler } from '../command.js';

export const DEFAULT_UPGRADE_TIMEOUT = '3h';
export const DEFAULT_DRAIN_TIMEOUT = '10m';
export const DEFAULT_MAX_UNAVAILABLE = 1;

export interface UpgradeOptions {
  to?: string;
  maxUnavailable?: number;
  drainTimeout?: string;
  rebuildImage?: boolean;
  timeout?: string;
  dryRun?: boolean;
}

export const runUpgrade: CommandHandler = async (ctx, rawOptions) => {
  const options = rawOptions as UpgradeOptions;
  const startedAt = Date.now();
  const timeoutMs = parseDuration(options.timeout ?? DEFAULT_UPGRADE_TIMEOUT, '--timeout');
  const drainTimeoutMs = parseDuration(options.drainTimeout ?? DEFAULT_DRAIN_TIMEOUT, '--drain-timeout');
  const maxUnavailable = options.maxUnavailable ?? DEFAULT_MAX_UNAVAILABLE;
  if (maxUnavailable < 1) {
    throw new UsageError('InvalidMaxUnavailable', `--max-unavailable must be 1 or more (got ${maxUnavailable})`, {
      hint: 'Use --max-unavailable 1 (the default) to upgrade one worker at a time.',
    });
  }
  let target = options.to !== undefined ? parseTargetVersion(options.to) : undefined;
  // Decided before any SSH: nothing is asked of a cluster that this run could not upgrade anyway.
  if (!target && !ctx.canPrompt) {
    throw new UsageError('TargetRequired', 'upgrade needs --to when nobody can choose the version (CI, no terminal, or --yes)', {
      hint: 'Pass the target version, e.g. --to 1.37.1.',
    });
  }
  if (!options.dryRun) assertCanConfirm(ctx, 'upgrade');

  const cluster = await loadCluster(ctx);
  const { spec } = cluster;
  if (options.rebuildImage && !isCloudProvider(spec.provider.name)) {
    throw new UsageError('RebuildImageNotCloud', `--rebuild-image is for cloud providers; cluster ${spec.name} runs on static hosts, which have no image`, {
      hint: 'Run upgrade without --rebuild-image.',
    });
  }

  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]);
  const inspection = await inspectForUpgrade(ctx, cluster, { signal });
  const { snapshot, topology } = inspection;
  if (!target) {
    const offers = upgradeOffers(snapshot.clusterVersion);
    if (offers.length === 0) {
      throw new UsageError('NoNewerVersion', `Cluster ${spec.name} runs v${snapshot.clusterVersion}; this k8s-bootstrap knows no newer patch of its minor or the next`, {
        hint: 'Pass --to with the version you want, or update k8s-bootstrap.',
      });
    }
    target = await select(ctx, {
      message: `Cluster ${spec.name} runs v${snapshot.clusterVersion}. Upgrade to:`,
      choices: offers.map((version) => ({ value: version, name: `v${version}` })),
      flag: '--to',
    });
  }
  checkSnapshot(snapshot, topology, inspection.drainedByUs);
  const plan = planHops({
    cluster: snapshot.clusterVersion,
    kubelets: snapshot.nodes.map((node) => ({ name: node.name, version: node.kubeletVersion })),
    target,
    saved: inspection.saved,
  });
  const text = describeUpgradePlan({ spec, topology, plan, maxUnavailable, drainTimeoutMs });
  if (options.dryRun) {
    ctx.write(text);
    ctx.write('[dry run] nothing was changed.');
    return 0;
  }
  ctx.error(text);
  const go = await confirmChange(ctx, { command: 'upgrade', message: `Upgrade cluster ${spec.name} to v${plan.target}?`, doing: `upgrading ${spec.name} to v${plan.target}` });
  if (!go) throw new AbortError('Declined', 'Nothing was upgraded');

  const { runUpgradeWorkflow } = await import('../../workflows/upgrade/index.js');
  const outcome = await runUpgradeWorkflow(ctx, {
    cluster,
    topology,
    plan,
    maxUnavailable,
    drainTimeoutMs,
    rebuildImage: options.rebuildImage === true,
    // --timeout bounds the whole command, preflight and confirmation included.
    timeoutMs: Math.max(1_000, timeoutMs - (Date.now() - startedAt)),
  });
  if (ctx.outputMode !== 'json') {
    ctx.write(`Cluster ${spec.name} upgraded to v${outcome.version}${outcome.hops.length > 1 ? ` (through ${outcome.hops.map((h) => `v${h}`).join(', ')})` : ''}; every node is Ready.`);
  }
  return 0;
};
