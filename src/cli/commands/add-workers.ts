/** `add-workers`: grow the cluster by a count, to a total, or by the static hosts given. */
import { DEFAULTS } from '../../workflows/defaults.js';
import { defineCommand, duration, flag, integer, list, type OptionsOf } from '../command.js';

const options = {
  count: integer('<n>', 'workers to add'),
  total: integer('<n>', 'desired worker total'),
  host: list('<spec>', 'static: ADDRESS[,user=U][,private=IP][,name=NAME][,port=N]'),
  concurrency: integer('<n>', 'nodes joined at once', { default: DEFAULTS.addWorkers.concurrency }),
  timeout: duration('overall time limit, e.g. 30m', { default: DEFAULTS.addWorkers.timeoutMs }),
  sshTimeout: duration('how long to wait for a new node to answer SSH', { default: DEFAULTS.addWorkers.sshTimeoutMs }),
  dryRun: flag('print the plan only'),
};

export type AddWorkersFlags = OptionsOf<typeof options>;

export const addWorkers = defineCommand({
  name: 'add-workers',
  summary: 'Add workers; only the new nodes are touched',
  examples: ['k8s-bootstrap add-workers --count 5', 'k8s-bootstrap add-workers --total 10 --yes', 'k8s-bootstrap add-workers --host 10.0.0.7 --host 10.0.0.8,private=192.168.1.8'],
  options,
  load: async () => (await import('../handlers/add-workers.js')).runAddWorkers,
});
