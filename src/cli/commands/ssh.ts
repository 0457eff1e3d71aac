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
  // How the words are read is the handler's chooseNode: the first word names a node, or starts the command.
  examples: [
    'k8s-bootstrap ssh                               # a shell on the first control plane',
    'k8s-bootstrap ssh -- sudo kubectl get nodes     # the first word is no node\'s name: runs on the first control plane',
    'k8s-bootstrap ssh worker-1 -- hostname          # the first word names a node: runs there (a near-miss like "wroker-1" is refused)',
  ],
  options,
  load: async () => (await import('../handlers/ssh.js')).runSsh,
});
