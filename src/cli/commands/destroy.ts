/** `destroy`: remove the infrastructure, or reset static nodes; the logs stay. */
import { DEFAULTS } from '../../workflows/defaults.js';
import { defineCommand, duration, flag, integer, type OptionsOf } from '../command.js';

const options = {
  resetNodes: flag('static: run kubeadm reset -f on every node'),
  concurrency: integer('<n>', 'nodes reset at once', { default: DEFAULTS.destroy.concurrency }),
  timeout: duration('overall time limit', { default: DEFAULTS.destroy.timeoutMs }),
};

export type DestroyFlags = OptionsOf<typeof options>;

export const destroy = defineCommand({
  name: 'destroy',
  summary: 'Destroy the infrastructure (or reset static nodes); keeps the logs',
  examples: ['k8s-bootstrap destroy', 'k8s-bootstrap destroy --yes --reset-nodes'],
  options,
  load: async () => (await import('../handlers/destroy.js')).runDestroy,
});
