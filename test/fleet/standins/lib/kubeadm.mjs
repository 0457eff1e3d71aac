// kubeadm: the command dispatcher, version, token, upload-certs, images and upgrade. init, join
// and reset live in their own modules (kubeadm-init/join/reset.mjs). State that the real API
// server would hold lives in the fleet's shared apiserver.json; node files are real files.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  apiState,
  commandNotFound,
  fail,
  flagValue,
  fleetNow,
  installedVersion,
  isRoot,
  parseArgs,
  recordHistory,
  thisNode,
  updateApi,
} from './context.mjs';
import { apiNodeOfHost } from './cluster.mjs';
import { addonImagesOf } from './kubeadm-images.mjs';
import { compare, criCheck, expiry, kubeadmVersion as installedKubeadm, parseVersion, randomToken, sharedPkiFile, STACK_HINT, TOKEN_RE, writeKubeconfigs, writeManifests } from './kubeadm-common.mjs';
import { loadKubeadmConfig } from './kubeadm-config.mjs';
import { init } from './kubeadm-init.mjs';
import { join } from './kubeadm-join.mjs';
import { reset } from './kubeadm-reset.mjs';
import { runCerts } from './kubeadm-certs.mjs';
import { readJson } from './lock.mjs';
import { kubeconfig, signClientCert } from './pki.mjs';

const VALUE_FLAGS = [
  'config', 'token', 'discovery-token-ca-cert-hash', 'certificate-key', 'node-name', 'apiserver-advertise-address', 'apiserver-bind-port',
  'cri-socket', 'ignore-preflight-errors', 'skip-phases', 'kubernetes-version', 'pod-network-cidr', 'service-cidr', 'control-plane-endpoint',
  'ttl', 'description', 'usages', 'groups', 'o', 'output', 'v', 'kubeconfig', 'discovery-token', 'tls-bootstrap-token', 'image-repository',
  'certificate-renewal', 'etcd-upgrade', 'cert-dir', 'patches', 'experimental-output',
];

let kubeadmVersion;

export async function run(_tool, argv) {
  if (!installedVersion('kubeadm')) commandNotFound('kubeadm');
  kubeadmVersion = installedKubeadm();
  const { flags, positional } = parseArgs(argv, { withValue: VALUE_FLAGS });
  const [command, sub, ...rest] = positional;
  const key = [command, sub].filter(Boolean).join(' ');
  if (command === 'version') return version(flags);
  if (command === 'init' && sub === 'phase') return initPhase(rest, flags);
  if (command === 'init') return init(flags, positional.slice(1));
  if (command === 'join') return join(flags, positional.slice(1));
  if (command === 'token') return token(sub, rest, flags);
  if (command === 'reset') return reset(flags);
  if (command === 'upgrade') return upgrade(sub, rest, flags);
  if (key === 'certs certificate-key') {
    process.stdout.write(`${randomBytes(32).toString('hex')}\n`);
    return 0;
  }
  if (command === 'certs') return runCerts(sub, rest, flags);
  if (key === 'config images') return images(rest[0], flags);
  fail(1, `unknown command "${command ?? ''}" for "kubeadm"\nRun 'kubeadm --help' for usage.`);
}

function version(flags) {
  const output = flagValue(flags, 'o') ?? flagValue(flags, 'output');
  const v = kubeadmVersion;
  if (output === 'short') process.stdout.write(`${v.text}\n`);
  else if (output === 'json') {
    process.stdout.write(`${JSON.stringify({ clientVersion: { major: String(v.major), minor: String(v.minor), gitVersion: v.text, gitTreeState: 'clean', goVersion: 'go1.25.1', compiler: 'gc', platform: 'linux/amd64' } }, null, 2)}\n`);
  } else {
    process.stdout.write(
      `kubeadm version: &version.Info{Major:"${v.major}", Minor:"${v.minor}", GitVersion:"${v.text}", GitCommit:"0000000000000000000000000000000000000000", GitTreeState:"clean", BuildDate:"2026-09-15T10:00:00Z", GoVersion:"go1.25.1", Compiler:"gc", Platform:"linux/amd64"}\n`,
    );
  }
  return 0;
}

// ---------------------------------------------------------------- preflight

// ---------------------------------------------------------------- admin commands (need admin.conf)

function requireAdmin() {
  if (!isRoot()) fail(1, 'failed to load admin kubeconfig: open /etc/kubernetes/admin.conf: permission denied\nTo see the stack trace of this error execute with --v=5 or higher');
  if (!existsSync('/etc/kubernetes/admin.conf')) {
    fail(1, 'failed to load admin kubeconfig: open /etc/kubernetes/admin.conf: no such file or directory\nTo see the stack trace of this error execute with --v=5 or higher');
  }
  const api = apiState();
  if (!api.cluster) fail(1, 'The connection to the server was refused - did you specify the right host or port?');
  return api;
}

function token(sub, rest, flags) {
  if (sub === 'generate') {
    process.stdout.write(`${randomToken()}\n`);
    return 0;
  }
  const api = requireAdmin();
  if (sub === 'create') {
    const value = rest[0] ?? randomToken();
    if (!TOKEN_RE.test(value)) fail(1, `token "${value}" was not of form "\\\\A([a-z0-9]{6})\\\\.([a-z0-9]{16})\\\\z"`);
    const ttl = flagValue(flags, 'ttl') ?? '24h0m0s';
    updateApi((next) => {
      const now = fleetNow(next);
      next.tokens.push({ token: value, expires: expiry(now, ttl), createdAt: now.toISOString() });
    });
    if (flags['print-join-command']) {
      const key = flagValue(flags, 'certificate-key');
      const controlPlane = key ? `--control-plane --certificate-key ${key}` : '';
      process.stdout.write(`kubeadm join ${api.cluster.controlPlaneEndpoint} --token ${value} --discovery-token-ca-cert-hash ${api.cluster.caCertHash} ${controlPlane}\n`);
    } else process.stdout.write(`${value}\n`);
    return 0;
  }
  if (sub === 'list') {
    const now = fleetNow(api);
    const rows = api.tokens.filter((entry) => entry.expires === null || new Date(entry.expires) > now);
    const lines = ['TOKEN                     TTL         EXPIRES                USAGES                   DESCRIPTION   EXTRA GROUPS'];
    for (const entry of rows) {
      const ttl = entry.expires === null ? '<forever>' : `${Math.max(0, Math.round((new Date(entry.expires) - now) / 3_600_000))}h`;
      lines.push(`${entry.token}   ${ttl.padEnd(11)} ${entry.expires ?? '<never>'}   authentication,signing   <none>        system:bootstrappers:kubeadm:default-node-token`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  }
  if (sub === 'delete') {
    updateApi((next) => {
      next.tokens = next.tokens.filter((entry) => !rest.some((id) => entry.token === id || entry.token.startsWith(`${id}.`)));
    });
    process.stdout.write(rest.map((id) => `bootstrap token "${id.split('.')[0]}" deleted\n`).join(''));
    return 0;
  }
  fail(1, `unknown command "${sub ?? ''}" for "kubeadm token"`);
}

async function initPhase(rest, flags) {
  const [phase] = rest;
  if (phase !== 'upload-certs') fail(1, `fleet: kubeadm init phase ${phase ?? ''} is not simulated`);
  requireAdmin();
  if (!flags['upload-certs']) {
    process.stdout.write('[upload-certs] Skipping phase. Please see --upload-certs\n');
    return 0;
  }
  let key = flagValue(flags, 'certificate-key');
  const configFile = flagValue(flags, 'config');
  if (configFile) {
    if (key) fail(1, "can not mix '--config' with arguments [certificate-key]");
    const docs = await loadKubeadmConfig(configFile, kubeadmVersion.minor, ['InitConfiguration', 'ClusterConfiguration']);
    key = docs.InitConfiguration?.certificateKey;
  }
  key ??= randomBytes(32).toString('hex');
  if (!/^[0-9a-f]{64}$/.test(key)) fail(1, 'error execution phase upload-certs: error uploading certs: error decoding certificate key: encoding/hex: invalid byte');
  updateApi((next) => {
    next.certificateKey = { key, uploadedAt: fleetNow(next).toISOString() };
    recordHistory(next, 'upload-certs');
  });
  process.stdout.write('[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace\n');
  if (!flags['skip-certificate-key-print']) process.stdout.write(`[upload-certs] Using certificate key:\n${key}\n`);
  return 0;
}

function images(sub, flags) {
  const version = parseVersion(flagValue(flags, 'kubernetes-version')) ?? kubeadmVersion;
  const extra = addonImagesOf(kubeadmVersion.minor);
  const list = [
    ...['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kube-proxy'].map((name) => `registry.k8s.io/${name}:${version.text}`),
    `registry.k8s.io/coredns/coredns:${extra.coredns}`,
    `registry.k8s.io/pause:${extra.pause}`,
    `registry.k8s.io/etcd:${extra.etcd}`,
  ];
  if (sub === 'list') {
    process.stdout.write(`${list.join('\n')}\n`);
    return 0;
  }
  if (sub !== 'pull') fail(1, `unknown command "${sub ?? ''}" for "kubeadm config images"`);
  if (!isRoot()) fail(1, 'failed to create new CRI runtime service: validate service connection: validate CRI v1 runtime API for endpoint "unix:///var/run/containerd/containerd.sock": rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial unix /var/run/containerd/containerd.sock: connect: permission denied"');
  const cri = criCheck(flagValue(flags, 'cri-socket'));
  if (cri) fail(1, `failed to create new CRI runtime service: ${cri.message}`);
  process.stdout.write(list.map((image) => `[config/images] Pulled ${image}\n`).join(''));
  return 0;
}

function readLine() {
  return new Promise((resolve) => {
    let data = '';
    process.stdin.on('data', (chunk) => {
      data += chunk;
      if (data.includes('\n')) resolve(data);
    });
    process.stdin.on('end', () => resolve(data));
    process.stdin.on('error', () => resolve(data));
  });
}

// ---------------------------------------------------------------- upgrade

async function upgrade(sub, rest, flags) {
  if (!isRoot()) {
    fail(1, '[preflight] Running pre-flight checks.\nerror execution phase preflight: [preflight] Some fatal errors occurred:\n\t[ERROR IsPrivilegedUser]: user is not running as root');
  }
  if (sub === 'node') return upgradeNode();
  const api = requireAdmin();
  const clusterVersion = parseVersion(api.cluster.kubernetesVersion);
  if (sub === 'plan') return upgradePlan(api, clusterVersion, rest[0]);
  if (sub !== 'apply') fail(1, `unknown command "${sub ?? ''}" for "kubeadm upgrade"`);
  if (!existsSync('/etc/kubernetes/manifests/kube-apiserver.yaml')) {
    fail(1, '[upgrade] FATAL: this node is not a control-plane node: /etc/kubernetes/manifests/kube-apiserver.yaml not found');
  }
  const target = parseVersion(rest[0]);
  if (!target) fail(1, 'missing one or more required arguments. Required arguments: [version]');
  process.stdout.write(`[upgrade] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...\n[preflight] Running pre-flight checks.\n[upgrade] Running cluster health checks\n[upgrade/version] You have chosen to change the cluster version to "${target.text}"\n[upgrade/versions] Cluster version: ${clusterVersion.text}\n[upgrade/versions] kubeadm version: ${kubeadmVersion.text}\n`);
  const problems = [];
  if (compare(target, kubeadmVersion) > 0) {
    problems.push(`Specified version to upgrade to "${target.text}" is higher than the kubeadm version "${kubeadmVersion.text}". Upgrade kubeadm first using the tool you used to install kubeadm`);
  }
  if (target.minor > clusterVersion.minor + 1) problems.push(`Specified version to upgrade to "${target.text}" is too high; kubeadm can upgrade only 1 minor version at a time`);
  if (compare(target, clusterVersion) < 0) problems.push(`Specified version to upgrade to "${target.text}" is lower than the cluster version "${clusterVersion.text}". Downgrades are not supported yet`);
  if (compare(target, clusterVersion) === 0 && !flags.force) problems.push(`Specified version to upgrade to "${target.text}" is equal to the cluster version "${clusterVersion.text}". Use --force to re-apply it`);
  if (problems.length > 0) {
    fail(1, `[upgrade/version] FATAL: the --version argument is invalid due to these fatal errors:\n\n${problems.map((problem) => `\t- ${problem}`).join('\n')}\n\nTo see the stack trace of this error execute with --v=5 or higher`);
  }
  if (!flags.yes && !flags.y) {
    process.stdout.write('[upgrade] Are you sure you want to proceed? [y/N]: ');
    const answer = await readLine();
    if (!/^y/i.test(answer)) fail(1, "won't proceed; the user didn't answer (Y|y) in order to continue\nTo see the stack trace of this error execute with --v=5 or higher");
  }
  const me = apiNodeOfHost(api);
  writeManifests(target.text, me?.name ?? thisNode().name);
  const renewed = flagValue(flags, 'certificate-renewal') !== 'false' && renewAdminConf(api);
  updateApi((next) => {
    recordHistory(next, 'upgrade-apply', { from: next.cluster.kubernetesVersion, to: target.text, ...(renewed ? { renewed: true } : {}) });
    next.cluster.kubernetesVersion = target.text;
    const node = apiNodeOfHost(next);
    if (node) node.controlPlaneVersion = target.text;
  });
  process.stdout.write(
    `[upgrade/staticpods] Writing new Static Pod manifests to "/etc/kubernetes/tmp/kubeadm-upgraded-manifests"\n[upgrade/staticpods] Component "kube-apiserver" upgraded successfully!\n[upgrade/addons] Applied essential addon: CoreDNS\n[upgrade/addons] Applied essential addon: kube-proxy\n\n[upgrade] SUCCESS! A control plane node of your cluster was upgraded to "${target.text}".\n\n[upgrade] Now please proceed with upgrading the rest of the nodes by following the right order.\n`,
  );
  return 0;
}

/** kubeadm upgrade renews the certificates it manages on this node, admin.conf's client certificate among them. */
function renewAdminConf(api) {
  const pki = readJson(sharedPkiFile(), null);
  if (!pki) return false;
  const client = signClientCert(pki, { commonName: 'kubernetes-admin', organization: 'kubeadm:cluster-admins', days: 365 });
  writeKubeconfigs(kubeconfig({ server: api.cluster.controlPlaneEndpoint, caCert: pki.caCert, clientCert: client.cert, clientKey: client.key }), { superAdmin: false });
  return true;
}

function upgradePlan(api, clusterVersion, wanted) {
  const target = parseVersion(wanted) ?? kubeadmVersion;
  const lines = [
    '[preflight] Running pre-flight checks.',
    '[upgrade/config] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...',
    '[upgrade] Running cluster health checks',
    '[upgrade] Fetching available versions to upgrade to',
    `[upgrade/versions] Cluster version: ${clusterVersion.text}`,
    `[upgrade/versions] kubeadm version: ${kubeadmVersion.text}`,
  ];
  if (compare(target, clusterVersion) <= 0) {
    lines.push('', "Awesome, you're up-to-date! Enjoy!");
  } else {
    lines.push('', 'Components that must be upgraded manually after you have upgraded the control plane with \'kubeadm upgrade apply\':', 'COMPONENT   NODE      CURRENT   TARGET');
    for (const node of Object.values(api.nodes)) lines.push(`kubelet     ${node.name.padEnd(9)} ${node.kubeletVersion.padEnd(9)} ${target.text}`);
    lines.push('', 'Upgrade to the latest stable version:', '', 'COMPONENT                 NODE      CURRENT   TARGET');
    for (const node of Object.values(api.nodes).filter((entry) => entry.role === 'control-plane')) {
      lines.push(`kube-apiserver            ${node.name.padEnd(9)} ${clusterVersion.text.padEnd(9)} ${target.text}`);
    }
    lines.push('', 'You can now apply the upgrade by executing the following command:', '', `\tkubeadm upgrade apply ${target.text}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

function upgradeNode() {
  if (!existsSync('/etc/kubernetes/kubelet.conf')) {
    fail(1, 'error execution phase preflight: couldn\'t create a Kubernetes client from file "/etc/kubernetes/kubelet.conf": failed to load admin kubeconfig: open /etc/kubernetes/kubelet.conf: no such file or directory\nTo see the stack trace of this error execute with --v=5 or higher');
  }
  const api = apiState();
  if (!api.cluster) fail(1, 'error execution phase preflight: unable to fetch the kubeadm-config ConfigMap: connection refused');
  const clusterVersion = parseVersion(api.cluster.kubernetesVersion);
  if (compare(kubeadmVersion, clusterVersion) < 0) {
    fail(1, `[upgrade] FATAL: this kubeadm (${kubeadmVersion.text}) is older than the cluster version (${clusterVersion.text}): upgrade the kubeadm package first`);
  }
  if (kubeadmVersion.minor !== clusterVersion.minor || compare(kubeadmVersion, clusterVersion) !== 0) {
    fail(1, `[upgrade] FATAL: the cluster version is ${clusterVersion.text} but this kubeadm is ${kubeadmVersion.text}: run "kubeadm upgrade apply ${kubeadmVersion.text}" on the first control-plane node first`);
  }
  const controlPlane = existsSync('/etc/kubernetes/manifests/kube-apiserver.yaml');
  const me = apiNodeOfHost(api);
  if (controlPlane) writeManifests(clusterVersion.text, me?.name ?? thisNode().name);
  updateApi((next) => {
    recordHistory(next, 'upgrade-node', { version: clusterVersion.text, controlPlane });
    const node = apiNodeOfHost(next);
    if (node && controlPlane) node.controlPlaneVersion = clusterVersion.text;
  });
  const lines = ['[upgrade] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...', '[preflight] Running pre-flight checks'];
  if (controlPlane) {
    lines.push(`[upgrade/staticpods] Preparing for "kube-apiserver" upgrade`, `[upgrade] Upgrading your Static Pod-hosted control plane instance to version "${clusterVersion.text}"...`, '[upgrade] The control plane instance for this node was successfully upgraded!');
  } else lines.push('[upgrade/preflight] Skipping prepull. Not a control plane node.', '[upgrade/control-plane] Skipping phase. Not a control plane node.');
  lines.push('[upgrade/kubelet-config] The kubelet configuration for this node was successfully upgraded!', '[upgrade] Now you should go ahead and upgrade the kubelet package using your package manager.');
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

