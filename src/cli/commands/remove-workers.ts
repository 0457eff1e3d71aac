/** `remove-workers`: drain, delete and reset the chosen workers, then shrink the infrastructure. */
import { DEFAULTS, DRAIN_DEFAULTS } from '../../workflows/defaults.js';
import { defineCommand, duration, flag, integer, list, type OptionsOf } from '../command.js';

const options = {
  node: list('<name>', 'worker to remove'),
  count: integer('<n>', 'remove the newest N workers'),
  force: flag('allow going below workers.min'),
  drainTimeout: duration('give up draining a node after this long', { default: DEFAULTS.removeWorkers.drainTimeoutMs }),
  availabilityTimeout: duration('after each drain, how long the workloads it moved may take to be available again', { default: DRAIN_DEFAULTS.availabilityTimeoutMs }),
  waitForBudgets: flag('drain even when a PodDisruptionBudget allows no disruption (kubectl retries until --drain-timeout)'),
  sshTimeout: duration('how long to wait for a node to answer SSH before skipping its reset', { default: DEFAULTS.removeWorkers.sshTimeoutMs }),
  timeout: duration('overall time limit', { default: DEFAULTS.removeWorkers.timeoutMs }),
  dryRun: flag('print the plan only'),
};

export type RemoveWorkersFlags = OptionsOf<typeof options>;

export const removeWorkers = defineCommand({
  name: 'remove-workers',
  summary: 'Drain, delete and reset workers, then shrink the infrastructure',
  examples: ['k8s-bootstrap remove-workers --node worker-4', 'k8s-bootstrap remove-workers --count 2 --yes'],
  options,
  load: async () => (await import('../handlers/remove-workers.js')).runRemoveWorkers,
});
