import { Option } from 'commander';
import { collect, parseInteger, type CommandDefinition } from '../command.js';

/** Flags that fill ClusterSpec fields; shared with the wizard through config/resolve.ts. */
export const init: CommandDefinition = {
  name: 'init',
  summary: 'Create a cluster: wizard (or flags/--config), image, infrastructure, kubeadm, CNI, kubeconfig',
  examples: [
    'k8s-bootstrap init',
    'k8s-bootstrap init --dry-run --yes --name demo --provider aws --admin-cidr 203.0.113.0/24',
    'k8s-bootstrap init --yes --name lab --provider static --control-plane-host 10.0.0.5 --worker-host 10.0.0.6 --ssh-user ubuntu --ssh-key ~/.ssh/id_ed25519',
  ],
  configure(command) {
    command
      .option('--name <name>', 'cluster name (K8SB_NAME)')
      .addOption(new Option('--provider <provider>', 'where the nodes come from (K8SB_PROVIDER)').choices(['exoscale', 'openstack', 'aws', 'static']))
      .option('--zone <zone>', 'Exoscale zone (K8SB_ZONE)')
      .option('--region <region>', 'AWS or OpenStack region (K8SB_REGION)')
      .option('--control-planes <n>', 'control planes: 1, 3 or 5', parseInteger('--control-planes'))
      .option('--workers <n>', 'workers', parseInteger('--workers'))
      .option('--control-plane-type <type>', 'control-plane instance type')
      .option('--worker-type <type>', 'worker instance type')
      .option('--kubernetes-version <version>', 'Kubernetes version, e.g. 1.37.1 (K8SB_KUBERNETES_VERSION)')
      .addOption(new Option('--runtime <runtime>', 'container runtime').choices(['containerd', 'cri-o']))
      .addOption(new Option('--cni <cni>', 'pod network').choices(['calico', 'flannel', 'cilium']))
      .option('--node-cidr <cidr>', 'node network')
      .option('--pod-cidr <cidr>', 'pod network (kubeadm podSubnet = CNI pool)')
      .option('--service-cidr <cidr>', 'service network')
      .option('--admin-cidr <cidr>', 'CIDR allowed to reach SSH and the API (repeatable)', collect)
      .option('--ssh-key <file>', 'private key file (K8SB_SSH_KEY)')
      .option('--ssh-user <user>', 'SSH user on the nodes')
      .option('--control-plane-host <spec>', 'static: ADDRESS[,private=IP][,name=NAME][,port=N] (repeatable)', collect)
      .option('--worker-host <spec>', 'static: ADDRESS[,private=IP][,name=NAME][,port=N] (repeatable)', collect)
      .option('--api-endpoint <host:port>', 'static: external load balancer or DNS name for the API')
      .option('--virtual-ip <ip>', 'static HA: free node-network address that keepalived holds for the API (haproxy on :8443)')
      .option('--ssh-timeout <duration>', 'how long to wait for a node to answer SSH (default 5m)')
      .option('--known-hosts <file>', 'pinned host keys, OpenSSH known_hosts format')
      .option('--image-id <id>', 'use this node image instead of building one')
      .option('--rebuild-image', 'build the node image even when an up-to-date one exists')
      .option('--allow-destroy', 'apply a Terraform plan that deletes or replaces existing resources (shown first; refused without this)')
      .option('--concurrency <n>', 'nodes worked on at once (default 32)', parseInteger('--concurrency'))
      .option('--timeout <duration>', 'overall time limit, e.g. 45m (default 60m)')
      .option('--dry-run', 'validate and print the plan; run nothing, need no credentials');
  },
  load: async () => (await import('../handlers/init.js')).runInit,
};
