/** `remove-control-plane NODE`: take a control plane out, also a dead one, without losing etcd's quorum. */
import { DEFAULTS, DRAIN_DEFAULTS } from '../../workflows/defaults.js';
import { defineCommand, duration, flag, text, type OptionsOf } from '../command.js';

const options = {
  node: text('<name>', 'the control plane to remove (or as the argument)'),
  skipBackup: flag('do not take the etcd snapshot taken first (not recommended)'),
  drainTimeout: duration('give up draining the node after this long', { default: DEFAULTS.removeWorkers.drainTimeoutMs }),
  availabilityTimeout: duration('after the drain, how long the workloads it moved may take to be available again', { default: DRAIN_DEFAULTS.availabilityTimeoutMs }),
  waitForBudgets: flag('drain even when a PodDisruptionBudget allows no disruption (kubectl retries until --drain-timeout)'),
  sshTimeout: duration('how long the node may take to answer SSH before it counts as dead (not drained, not reset)', { default: DEFAULTS.removeWorkers.sshTimeoutMs }),
  timeout: duration('overall time limit', { default: DEFAULTS.removeWorkers.timeoutMs }),
  dryRun: flag('print the plan only'),
};

export type RemoveControlPlaneFlags = OptionsOf<typeof options>;

export const removeControlPlane = defineCommand({
  name: 'remove-control-plane',
  arguments: '[node]',
  summary: 'Remove a control plane (also a dead one): etcd member, Node, load balancer',
  examples: ['k8s-bootstrap remove-control-plane cp-3', 'k8s-bootstrap remove-control-plane --node cp-3 --yes'],
  options,
  load: async () => (await import('../handlers/remove-control-plane.js')).runRemoveControlPlane,
});
