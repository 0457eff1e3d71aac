// The cilium CLI (installed by extracting the release tarball to /usr/local/bin): install/status/version.
import { existsSync } from 'node:fs';
import { commandNotFound, fail, flagValue, parseArgs, recordHistory, updateApi } from './context.mjs';
import { connect } from './kubeclient.mjs';

const CLI_VERSION = 'v0.18.7';
const DEFAULT_CILIUM = '1.18.3';

export async function run(_tool, argv) {
  if (!existsSync('/usr/local/bin/cilium')) commandNotFound('cilium');
  const { flags, positional } = parseArgs(argv, { withValue: ['version', 'set', 'helm-set', 'kubeconfig', 'context', 'namespace', 'n', 'wait-duration'] });
  const [command] = positional;
  if (command === 'version') {
    process.stdout.write(`cilium-cli: ${CLI_VERSION} compiled with go1.25.1 on linux/amd64\ncilium image (default): v${DEFAULT_CILIUM}\n`);
    return 0;
  }
  if (command !== 'install' && command !== 'status') fail(1, `Error: unknown command "${command ?? ''}" for "cilium"`);
  const explicit = flagValue(flags, 'kubeconfig');
  if (!explicit && !process.env.KUBECONFIG && !existsSync(`${process.env.HOME ?? '/root'}/.kube/config`)) {
    fail(1, 'Error: Unable to install Cilium: Kubernetes cluster unreachable: Get "http://localhost:8080/version": dial tcp 127.0.0.1:8080: connect: connection refused');
  }
  const { api } = connect(explicit, { tool: 'cilium' });
  if (command === 'status') {
    if (api.cni?.kind !== 'cilium') fail(1, '    /¯¯\\\n /¯¯\\__/¯¯\\    Cilium:             1 errors\n \\__/¯¯\\__/    Operator:           disabled\n\nErrors: cilium    cilium    daemonsets.apps "cilium" not found');
    process.stdout.write('    /¯¯\\\n /¯¯\\__/¯¯\\    Cilium:             OK\n \\__/¯¯\\__/    Operator:           OK\n /¯¯\\__/¯¯\\    Envoy DaemonSet:    OK\n');
    return 0;
  }
  if (api.cni?.kind === 'cilium') fail(1, 'Error: Unable to install Cilium: cannot re-use a name that is still in use');
  const sets = {};
  for (const pair of [].concat(flags.set ?? [], flags['helm-set'] ?? [])) {
    const [key, value] = String(pair).split(/=(.*)/);
    sets[key] = value;
  }
  const mode = sets['ipam.mode'] ?? 'cluster-pool';
  // ipam=kubernetes uses each Node's podCIDR, i.e. kubeadm's podSubnet.
  const pool = mode === 'kubernetes' ? api.cluster.podSubnet : (sets['ipam.operator.clusterPoolIPv4PodCIDRList'] ?? '10.0.0.0/8').replace(/^[[{]|[\]}]$/g, '').split(',')[0];
  const version = String(flagValue(flags, 'version') ?? DEFAULT_CILIUM).replace(/^v/, '');
  updateApi((next) => {
    next.cni = { kind: 'cilium', pool, version };
    next.objects['DaemonSet/kube-system/cilium'] = { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'cilium', namespace: 'kube-system' };
    recordHistory(next, 'cni', next.cni);
  });
  process.stdout.write(`ℹ️  Using Cilium version ${version}\n🔮 Auto-detected cluster name: kubernetes\n🔮 Auto-detected kube-proxy has been installed\n`);
  return 0;
}
