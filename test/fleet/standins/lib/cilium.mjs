// The cilium CLI (installed by extracting the release tarball to /usr/local/bin): install,
// upgrade, status, version. Like cilium-cli it drives a Helm release named "cilium": install
// over an existing release fails (Helm: "cannot reuse a name that is still in use"); upgrade
// keeps the release's values (--reset-then-reuse-values) and, without --version, moves to the
// chart the CLI embeds.
import { existsSync } from 'node:fs';
import { commandNotFound, fail, flagValue, parseArgs, recordHistory, updateApi } from './context.mjs';
import { connect } from './kubeclient.mjs';

/** cilium-cli v0.19.7 embeds the v1.19.5 chart (its `cilium version` "default" image). */
const DEFAULT_CILIUM = '1.19.5';

export async function run(_tool, argv) {
  if (!existsSync('/usr/local/bin/cilium')) commandNotFound('cilium');
  const cliVersion = process.env.K8SB_CILIUM_CLI_VERSION ?? 'v0.19.7';
  const { flags, positional } = parseArgs(argv, { withValue: ['version', 'set', 'helm-set', 'kubeconfig', 'context', 'namespace', 'n', 'wait-duration'] });
  const [command] = positional;
  if (command === 'version') {
    process.stdout.write(`cilium-cli: ${cliVersion} compiled with go1.25.1 on linux/amd64\ncilium image (default): v${DEFAULT_CILIUM}\n`);
    return 0;
  }
  if (!['install', 'upgrade', 'status'].includes(command)) fail(1, `Error: unknown command "${command ?? ''}" for "cilium"`);
  const explicit = flagValue(flags, 'kubeconfig');
  if (!explicit && !process.env.KUBECONFIG && !existsSync(`${process.env.HOME ?? '/root'}/.kube/config`)) {
    fail(1, 'Error: Unable to install Cilium: Kubernetes cluster unreachable: Get "http://localhost:8080/version": dial tcp 127.0.0.1:8080: connect: connection refused');
  }
  const { api } = connect(explicit, { tool: 'cilium' });
  const release = api.cni?.kind === 'cilium' ? api.cni : null;
  if (command === 'status') {
    if (!release) fail(1, '    /¯¯\\\n /¯¯\\__/¯¯\\    Cilium:             1 errors\n \\__/¯¯\\__/    Operator:           disabled\n\nErrors: cilium    cilium    daemonsets.apps "cilium" not found');
    process.stdout.write(`    /¯¯\\\n /¯¯\\__/¯¯\\    Cilium:             OK\n \\__/¯¯\\__/    Operator:           OK\n /¯¯\\__/¯¯\\    Envoy DaemonSet:    OK\nImage versions         cilium             quay.io/cilium/cilium:v${release.version}\n`);
    return 0;
  }
  if (command === 'install' && release) fail(1, 'Error: Unable to install Cilium: cannot reuse a name that is still in use');
  if (command === 'upgrade' && !release) fail(1, 'Error: Unable to upgrade Cilium: "cilium" has no deployed releases');
  const sets = { ...(release?.values ?? {}) };
  for (const pair of [].concat(flags.set ?? [], flags['helm-set'] ?? [])) {
    const [key, value] = String(pair).split(/=(.*)/);
    sets[key] = value;
  }
  const mode = sets['ipam.mode'] ?? 'cluster-pool';
  // ipam=kubernetes uses each Node's podCIDR, i.e. kubeadm's podSubnet.
  const pool = mode === 'kubernetes' ? api.cluster.podSubnet : (sets['ipam.operator.clusterPoolIPv4PodCIDRList'] ?? '10.0.0.0/8').replace(/^[[{]|[\]}]$/g, '').split(',')[0];
  const version = String(flagValue(flags, 'version') ?? DEFAULT_CILIUM).replace(/^v/, '');
  updateApi((next) => {
    next.cni = { kind: 'cilium', pool, version, values: sets };
    next.objects['DaemonSet/kube-system/cilium'] = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      name: 'cilium',
      namespace: 'kube-system',
      body: { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'cilium', namespace: 'kube-system' }, spec: { template: { spec: { hostNetwork: true, tolerations: [{ operator: 'Exists' }], containers: [{ name: 'cilium-agent', image: `quay.io/cilium/cilium:v${version}` }] } } } },
      createdAt: next.objects['DaemonSet/kube-system/cilium']?.createdAt ?? new Date().toISOString(),
      manager: 'helm',
    };
    recordHistory(next, command === 'install' ? 'cni' : 'cni-upgrade', { kind: 'cilium', pool, version });
  });
  if (command === 'upgrade') {
    process.stdout.write(`ℹ️  Using Cilium version ${version}\n⚠️  Cilium pods need to be restarted for the upgrade to take effect (pass --restart)\n`);
  } else {
    process.stdout.write(`ℹ️  Using Cilium version ${version}\n🔮 Auto-detected cluster name: kubernetes\n🔮 Auto-detected kube-proxy has been installed\n`);
  }
  return 0;
}
