/** `ssh`: a shell on a node, or one command there, with the cluster's key and pinned host keys. */
import { defineCommand, duration, type OptionsOf } from '../command.js';

const options = {
  timeout: duration('time limit of a command given after --', { default: '24h' }),
};

export type SshFlags = OptionsOf<typeof options>;

export const ssh = defineCommand({
  name: 'ssh',
  arguments: '[node] [command...]',
  summary: 'Open a shell on a node (first control plane by default), or run one command',
  examples: ['k8s-bootstrap ssh', 'k8s-bootstrap ssh worker-1 -- hostname'],
  options,
  load: async () => (await import('../handlers/ssh.js')).runSsh,
});
