/** `kubeconfig`: hand the admin kubeconfig to the user, as a path, its content, or merged. */
import { defineCommand, flag, type OptionsOf } from '../command.js';

const options = {
  print: flag('print the content instead of the path'),
  merge: flag('merge a context into ~/.kube/config (KUBECONFIG)'),
};

export type KubeconfigFlags = OptionsOf<typeof options>;

export const kubeconfig = defineCommand({
  name: 'kubeconfig',
  summary: 'Print the kubeconfig path (or content), or merge it into ~/.kube/config',
  examples: ['k8s-bootstrap kubeconfig', 'k8s-bootstrap kubeconfig --print > admin.conf', 'k8s-bootstrap kubeconfig --merge'],
  options,
  load: async () => (await import('../handlers/kubeconfig.js')).runKubeconfig,
});
