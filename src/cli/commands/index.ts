/** The command registry: every command the CLI knows, in --help order. */
import { Option } from 'commander';
import { collect, parseInteger, type CommandDefinition } from '../command.js';
import { init } from './init.js';

const addWorkers: CommandDefinition = {
  name: 'add-workers',
  summary: 'Add workers; only the new nodes are touched',
  examples: ['k8s-bootstrap add-workers --count 5', 'k8s-bootstrap add-workers --total 10 --yes', 'k8s-bootstrap add-workers --host 10.0.0.7 --host 10.0.0.8,private=192.168.1.8'],
  configure(command) {
    command
      .option('--count <n>', 'workers to add', parseInteger('--count'))
      .option('--total <n>', 'desired worker total', parseInteger('--total'))
      .option('--host <spec>', 'static: ADDRESS[,user=U][,private=IP][,name=NAME][,port=N] (repeatable)', collect)
      .option('--concurrency <n>', 'nodes joined at once', parseInteger('--concurrency'))
      .option('--timeout <duration>', 'overall time limit, e.g. 30m')
      .option('--ssh-timeout <duration>', 'how long to wait for a new node to answer SSH (default 5m)')
      .option('--dry-run', 'print the plan only');
  },
  load: async () => (await import('../handlers/add-workers.js')).runAddWorkers,
};

const removeWorkers: CommandDefinition = {
  name: 'remove-workers',
  summary: 'Drain, delete and reset workers, then shrink the infrastructure',
  examples: ['k8s-bootstrap remove-workers --node worker-4', 'k8s-bootstrap remove-workers --count 2 --yes'],
  configure(command) {
    command
      .option('--node <name>', 'worker to remove (repeatable)', collect)
      .option('--count <n>', 'remove the newest N workers', parseInteger('--count'))
      .option('--force', 'allow going below workers.min')
      .option('--drain-timeout <duration>', 'give up draining a node after this long (default 10m)')
      .option('--ssh-timeout <duration>', 'how long to wait for a node to answer SSH before skipping its reset (default 30s)')
      .option('--timeout <duration>', 'overall time limit')
      .option('--dry-run', 'print the plan only');
  },
  load: async () => (await import('../handlers/remove-workers.js')).runRemoveWorkers,
};

const upgrade: CommandDefinition = {
  name: 'upgrade',
  summary: 'Upgrade Kubernetes node by node, the official kubeadm way',
  examples: ['k8s-bootstrap upgrade --to 1.37.1', 'k8s-bootstrap upgrade --to 1.37.1 --max-unavailable 3 --yes'],
  configure(command) {
    command
      .option('--to <version>', 'target version (required in CI)')
      .option('--max-unavailable <n>', 'workers cordoned at once (default 1)', parseInteger('--max-unavailable'))
      .option('--drain-timeout <duration>', 'give up draining a node after this long (default 10m)')
      .option('--rebuild-image', 'rebuild the node image for the new version (cloud providers)')
      .option('--timeout <duration>', 'overall time limit')
      .option('--dry-run', 'print the plan only');
  },
  load: async () => (await import('../handlers/upgrade.js')).runUpgrade,
};

const destroy: CommandDefinition = {
  name: 'destroy',
  summary: 'Destroy the infrastructure (or reset static nodes); keeps the logs',
  examples: ['k8s-bootstrap destroy', 'k8s-bootstrap destroy --yes --reset-nodes'],
  configure(command) {
    command
      .option('--reset-nodes', 'static: run kubeadm reset -f on every node')
      .option('--concurrency <n>', 'nodes reset at once (default 20)', parseInteger('--concurrency'))
      .option('--timeout <duration>', 'overall time limit (default 60m)');
  },
  load: async () => (await import('../handlers/destroy.js')).runDestroy,
};

const status: CommandDefinition = {
  name: 'status',
  summary: 'Show nodes, versions, readiness and what the state folder records',
  examples: ['k8s-bootstrap status', 'k8s-bootstrap status --output json'],
  configure(command) {
    command.option('--timeout <duration>', 'time limit (default 2m)');
  },
  load: async () => (await import('../handlers/status.js')).runStatus,
};

const kubeconfig: CommandDefinition = {
  name: 'kubeconfig',
  summary: 'Print the kubeconfig path (or content), or merge it into ~/.kube/config',
  examples: ['k8s-bootstrap kubeconfig', 'k8s-bootstrap kubeconfig --print > admin.conf', 'k8s-bootstrap kubeconfig --merge'],
  configure(command) {
    command.option('--print', 'print the content instead of the path').option('--merge', 'merge a context into ~/.kube/config (KUBECONFIG)');
  },
  load: async () => (await import('../handlers/kubeconfig.js')).runKubeconfig,
};

const ssh: CommandDefinition = {
  name: 'ssh',
  arguments: '[node] [command...]',
  summary: 'Open a shell on a node (first control plane by default), or run one command',
  examples: ['k8s-bootstrap ssh', 'k8s-bootstrap ssh worker-1 -- hostname'],
  configure(command) {
    command.option('--timeout <duration>', 'time limit of a command given after -- (default 24h)');
  },
  load: async () => (await import('../handlers/ssh.js')).runSsh,
};

const doctor: CommandDefinition = {
  name: 'doctor',
  summary: 'Check this machine: terraform/tofu, packer, ssh, and the provider credentials',
  examples: ['k8s-bootstrap doctor', 'k8s-bootstrap doctor --provider aws'],
  configure(command) {
    command.addOption(new Option('--provider <provider>', 'check this provider\'s credentials').choices(['exoscale', 'openstack', 'aws', 'static']));
  },
  load: async () => (await import('../handlers/doctor.js')).runDoctor,
};

const config: CommandDefinition = {
  name: 'config',
  summary: 'Work with cluster.yaml: its JSON Schema, an example, validation',
  examples: ['k8s-bootstrap config schema > cluster.schema.json', 'k8s-bootstrap config example --provider static', 'k8s-bootstrap config validate -c cluster.yaml'],
  subcommands: [
    {
      name: 'schema',
      summary: 'Print the JSON Schema of cluster.yaml',
      examples: ['k8s-bootstrap config schema > cluster.schema.json'],
      load: async () => (await import('../handlers/config.js')).runConfigSchema,
    },
    {
      name: 'example',
      summary: 'Print an example cluster.yaml',
      examples: ['k8s-bootstrap config example', 'k8s-bootstrap config example --provider static'],
      configure(command) {
        command.addOption(new Option('--provider <provider>', 'provider of the example').choices(['exoscale', 'openstack', 'aws', 'static']).default('exoscale'));
      },
      load: async () => (await import('../handlers/config.js')).runConfigExample,
    },
    {
      name: 'validate',
      summary: 'Validate a cluster.yaml (with --config) and print the problems',
      examples: ['k8s-bootstrap config validate -c cluster.yaml'],
      load: async () => (await import('../handlers/config.js')).runConfigValidate,
    },
  ],
};

export const COMMANDS: CommandDefinition[] = [init, addWorkers, removeWorkers, upgrade, status, kubeconfig, ssh, destroy, doctor, config];
