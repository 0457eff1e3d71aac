/** `upgrade`: the official kubeadm upgrade, control planes first, then workers a few at a time. */
import { DEFAULTS, DRAIN_DEFAULTS } from '../../workflows/defaults.js';
import { defineCommand, duration, flag, integer, text, type OptionsOf } from '../command.js';

const options = {
  to: text('<version>', 'target version (required in CI)'),
  maxUnavailable: integer('<n>', 'workers cordoned at once', { default: DEFAULTS.upgrade.maxUnavailable, min: 1 }),
  drainTimeout: duration('give up draining a node after this long', { default: DEFAULTS.upgrade.drainTimeoutMs }),
  availabilityTimeout: duration('after each node or batch, how long the workloads that ran on it may take to be available again', { default: DRAIN_DEFAULTS.availabilityTimeoutMs }),
  waitForBudgets: flag('drain even when a PodDisruptionBudget allows no disruption (kubectl retries until --drain-timeout)'),
  rebuildImage: flag('rebuild the node image for the new version (cloud providers)'),
  skipBackup: flag('do not take the etcd snapshot upgrade takes first (not recommended)'),
  timeout: duration('overall time limit', { default: DEFAULTS.upgrade.timeoutMs }),
  dryRun: flag('print the plan only'),
};

export type UpgradeFlags = OptionsOf<typeof options>;

export const upgrade = defineCommand({
  name: 'upgrade',
  summary: 'Upgrade Kubernetes node by node, the official kubeadm way',
  examples: ['k8s-bootstrap upgrade --to 1.37.1', 'k8s-bootstrap upgrade --to 1.37.1 --max-unavailable 3 --yes'],
  options,
  load: async () => (await import('../handlers/upgrade.js')).runUpgrade,
});
