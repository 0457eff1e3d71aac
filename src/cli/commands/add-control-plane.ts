/** `add-control-plane`: new control planes join; static: --host SPEC, cloud: Terraform makes them (--count). */
import { DEFAULTS } from '../../workflows/defaults.js';
import { defineCommand, duration, flag, integer, list, type OptionsOf } from '../command.js';

const options = {
  host: list('<spec>', 'static: ADDRESS[,user=U][,private=IP][,name=NAME][,port=N]'),
  count: integer('<n>', 'cloud: control planes to add; unset: as many as end on an odd count'),
  skipBackup: flag('do not take the etcd snapshot taken first (not recommended)'),
  sshTimeout: duration('how long to wait for a node to answer SSH', { default: DEFAULTS.addWorkers.sshTimeoutMs }),
  timeout: duration('overall time limit', { default: DEFAULTS.addWorkers.timeoutMs }),
  dryRun: flag('print the plan only'),
};

export type AddControlPlaneFlags = OptionsOf<typeof options>;

export const addControlPlane = defineCommand({
  name: 'add-control-plane',
  summary: 'Join a new control plane (kubeadm join --control-plane), load balancer updated',
  examples: ['k8s-bootstrap add-control-plane --host 10.0.0.14,name=cp-4', 'k8s-bootstrap add-control-plane   # cloud: one machine back after remove-control-plane'],
  options,
  load: async () => (await import('../handlers/add-control-plane.js')).runAddControlPlane,
});
