/** `status`: what the cluster and its state folder say, read only. */
import { DEFAULTS } from '../../workflows/defaults.js';
import { defineCommand, duration, type OptionsOf } from '../command.js';

const options = {
  timeout: duration('time limit', { default: DEFAULTS.status.timeoutMs }),
};

export type StatusFlags = OptionsOf<typeof options>;

export const status = defineCommand({
  name: 'status',
  summary: 'Show nodes, versions, readiness and what the state folder records',
  examples: ['k8s-bootstrap status', 'k8s-bootstrap status --output json'],
  options,
  load: async () => (await import('../handlers/status.js')).runStatus,
});
