// kubeadm: init, join, token, upload-certs, upgrade, reset, version, images. State that the real
// API server would hold lives in the fleet's shared apiserver.json; node files are real files.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import {
  apiState,
  commandNotFound,
  fail,
  flagValue,
  fleetNow,
  installedVersion,
  isRoot,
  nodeState,
  parseArgs,
  recordHistory,
  thisNode,
  updateApi,
  updateNodeState,
  upstreamVersion,
} from './context.mjs';
import { apiNodeOfHost, nodeStateOf, readiness } from './cluster.mjs';
import { extraArg, loadKubeadmConfig } from './kubeadm-config.mjs';
import { caCertHash, kubeconfig, makeClusterPki } from './pki.mjs';
import { readJson, writeJsonAtomic } from './lock.mjs';

const CERT_KEY_TTL_MS = 2 * 3_600_000;
const TOKEN_RE = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;
const CONTAINERD_SOCKET = 'unix:///var/run/containerd/containerd.sock';
const CRIO_SOCKET = 'unix:///var/run/crio/crio.sock';
const MANIFESTS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd'];
const VALUE_FLAGS = [
  'config', 'token', 'discovery-token-ca-cert-hash', 'certificate-key', 'node-name', 'apiserver-advertise-address', 'apiserver-bind-port',
  'cri-socket', 'ignore-preflight-errors', 'skip-phases', 'kubernetes-version', 'pod-network-cidr', 'service-cidr', 'control-plane-endpoint',
  'ttl', 'description', 'usages', 'groups', 'o', 'output', 'v', 'kubeconfig', 'discovery-token', 'tls-bootstrap-token', 'image-repository',
  'certificate-renewal', 'etcd-upgrade', 'cert-dir', 'patches',
];

const parseVersion = (text) => {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(String(text ?? ''));
  return match ? { major: +match[1], minor: +match[2], patch: +match[3], text: `v${match[1]}.${match[2]}.${match[3]}` } : null;
};
const compare = (a, b) => a.major - b.major || a.minor - b.minor || a.patch - b.patch;

let kubeadmVersion;

export async function run(_tool, argv) {
  const installed = installedVersion('kubeadm');
  if (!installed) commandNotFound('kubeadm');
  kubeadmVersion = parseVersion(upstreamVersion(installed));
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

function preflightFailure(errors) {
  fail(
    1,
    `error execution phase preflight: [preflight] Some fatal errors occurred:\n${errors.map((e) => `\t[ERROR ${e.check}]: ${e.message}`).join('\n')}\n` +
      '[preflight] If you know what you are doing, you can make a check non-fatal with `--ignore-preflight-errors=...`\nTo see the stack trace of this error execute with --v=5 or higher',
  );
}

function requireRootPreflight() {
  if (!isRoot()) {
    process.stdout.write('[preflight] Running pre-flight checks\n');
    preflightFailure([{ check: 'IsPrivilegedUser', message: 'user is not running as root' }]);
  }
}

/** The runtime socket kubeadm will use, and whether that runtime answers. */
function criCheck(criSocket) {
  const state = nodeState();
  const containerdUp = state.services.containerd?.running && !/disabled_plugins\s*=\s*\[[^\]]*"cri"/.test(readIfExists('/etc/containerd/config.toml'));
  const containerdPresent = Boolean(state.services.containerd?.running);
  const crioUp = Boolean(state.services.crio?.running);
  let socket = criSocket;
  if (!socket) {
    const found = [containerdPresent && CONTAINERD_SOCKET, crioUp && CRIO_SOCKET].filter(Boolean);
    if (found.length > 1) {
      fail(1, `found multiple CRI endpoints on the host. Please define which one do you wish to use by setting the 'criSocket' field in the kubeadm configuration file: ${found.join(', ')}\nTo see the stack trace of this error execute with --v=5 or higher`);
    }
    socket = found[0] ?? CONTAINERD_SOCKET;
  }
  const isCrio = socket.includes('crio');
  const up = isCrio ? crioUp : containerdUp;
  if (up) return null;
  const path = socket.replace('unix://', '');
  const detail = !isCrio && containerdPresent
    ? `validate CRI v1 runtime API for endpoint "${socket}": rpc error: code = Unimplemented desc = unknown service runtime.v1.RuntimeService`
    : `validate CRI v1 runtime API for endpoint "${socket}": rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial unix ${path}: connect: no such file or directory"`;
  return { check: 'CRI', message: `container runtime is not running: output: time="2026-11-23T10:00:00Z" level=fatal msg="validate service connection: ${detail}"\n, error: exit status 1` };
}

function commonPreflight({ criSocket, kubernetesVersion }) {
  const errors = [];
  const cri = criCheck(criSocket);
  if (cri) errors.push(cri);
  const state = nodeState();
  if (state.sysctl['net.ipv4.ip_forward'] !== '1') {
    errors.push({ check: 'FileContent--proc-sys-net-ipv4-ip_forward', message: '/proc/sys/net/ipv4/ip_forward contents are not set to 1' });
  }
  const kubelet = parseVersion(upstreamVersion(state.packages.installed.kubelet));
  if (!kubelet) {
    errors.push({ check: 'FileExisting-kubelet', message: 'kubelet not found in system path' });
  } else if (kubernetesVersion) {
    if (compare(kubelet, kubernetesVersion) > 0 && kubelet.minor > kubernetesVersion.minor) {
      errors.push({
        check: 'KubeletVersion',
        message: `the kubelet version is higher than the control plane version. This is not a supported version skew and may lead to a malfunctional cluster. Kubelet version: "${kubelet.text.slice(1)}" Control plane version: "${kubernetesVersion.text.slice(1)}"`,
      });
    } else if (kubernetesVersion.minor - kubelet.minor > 3) {
      errors.push({ check: 'KubeletVersion', message: `Kubelet version "${kubelet.text.slice(1)}" is lower than kubeadm can support. Please upgrade kubelet` });
    }
  }
  return errors;
}

function alreadyInitialisedErrors() {
  const errors = [];
  const apiserverManifest = '/etc/kubernetes/manifests/kube-apiserver.yaml';
  if (existsSync(apiserverManifest)) {
    errors.push({ check: 'Port-6443', message: 'Port 6443 is in use' });
    for (const name of MANIFESTS) {
      const file = `/etc/kubernetes/manifests/${name}.yaml`;
      if (existsSync(file)) errors.push({ check: `FileAvailable-${file.replace(/\//g, '-')}`, message: `${file} already exists` });
    }
  }
  if (existsSync('/etc/kubernetes/kubelet.conf')) {
    errors.push({ check: 'FileAvailable--etc-kubernetes-kubelet.conf', message: '/etc/kubernetes/kubelet.conf already exists' });
    errors.push({ check: 'Port-10250', message: 'Port 10250 is in use' });
  }
  if (existsSync('/var/lib/etcd/member')) errors.push({ check: 'DirAvailable--var-lib-etcd', message: '/var/lib/etcd is not empty' });
  return errors;
}

function filterIgnored(errors, ignored) {
  const list = [].concat(ignored ?? []).flatMap((entry) => String(entry).split(',')).map((entry) => entry.trim().toLowerCase()).filter(Boolean);
  if (list.includes('all')) return [];
  return errors.filter((error) => !list.includes(error.check.toLowerCase()));
}

// ---------------------------------------------------------------- init

async function init(flags, extra) {
  if (extra.length > 0) fail(1, `unknown command "${extra[0]}" for "kubeadm init"`);
  requireRootPreflight();
  const configFile = flagValue(flags, 'config');
  let initCfg = {};
  let clusterCfg = {};
  if (configFile) {
    const mixed = ['certificate-key', 'pod-network-cidr', 'control-plane-endpoint', 'kubernetes-version', 'token', 'node-name', 'service-cidr'].filter((name) => flags[name] !== undefined);
    if (mixed.length > 0) fail(1, `can not mix '--config' with arguments [${mixed.join(' ')}]`);
    const docs = await loadKubeadmConfig(configFile, kubeadmVersion.minor, ['InitConfiguration', 'ClusterConfiguration']);
    initCfg = docs.InitConfiguration ?? {};
    clusterCfg = docs.ClusterConfiguration ?? {};
  } else {
    clusterCfg = {
      kubernetesVersion: flagValue(flags, 'kubernetes-version'),
      controlPlaneEndpoint: flagValue(flags, 'control-plane-endpoint'),
      networking: { podSubnet: flagValue(flags, 'pod-network-cidr'), serviceSubnet: flagValue(flags, 'service-cidr') },
    };
    initCfg = {
      bootstrapTokens: flags.token ? [{ token: flagValue(flags, 'token') }] : undefined,
      certificateKey: flagValue(flags, 'certificate-key'),
      nodeRegistration: { name: flagValue(flags, 'node-name'), criSocket: flagValue(flags, 'cri-socket') },
      localAPIEndpoint: { advertiseAddress: flagValue(flags, 'apiserver-advertise-address') },
    };
  }
  const out = [];
  let kubernetesVersion = parseVersion(clusterCfg.kubernetesVersion);
  if (!clusterCfg.kubernetesVersion) {
    process.stderr.write(
      `W1123 version.go:109] could not fetch a Kubernetes version from the internet: unable to get URL "https://dl.k8s.io/release/stable-1.txt": Get "https://dl.k8s.io/release/stable-1.txt": dial tcp: lookup dl.k8s.io: no such host\nW1123 version.go:110] falling back to the local client version: ${kubeadmVersion.text}\n`,
    );
    kubernetesVersion = kubeadmVersion;
  }
  if (!kubernetesVersion) fail(1, `couldn't parse Kubernetes version "${clusterCfg.kubernetesVersion}"`);
  if (kubernetesVersion.minor < kubeadmVersion.minor) {
    fail(1, `this version of kubeadm only supports deploying clusters with the control plane version >= ${kubeadmVersion.major}.${kubeadmVersion.minor}.0. Current version: ${kubernetesVersion.text}\nTo see the stack trace of this error execute with --v=5 or higher`);
  }
  if (compare(kubernetesVersion, kubeadmVersion) > 0) {
    fail(1, `the Kubernetes version ${kubernetesVersion.text} is higher than the kubeadm version ${kubeadmVersion.text}; upgrade kubeadm first. Kubernetes version: ${kubernetesVersion.text.slice(1)}. Kubeadm version: ${kubeadmVersion.text.slice(1)}\nTo see the stack trace of this error execute with --v=5 or higher`);
  }
  const tokenValue = initCfg.bootstrapTokens?.[0]?.token ?? randomToken();
  if (!TOKEN_RE.test(tokenValue)) fail(1, `bootstrapTokens[0].token: Invalid value: "${tokenValue}": the bootstrap token is invalid`);
  const certificateKey = initCfg.certificateKey ?? randomBytes(32).toString('hex');
  if (!/^[0-9a-f]{64}$/.test(certificateKey)) fail(1, `certificateKey: Invalid value: "${certificateKey}": certificate key must be a hex-encoded 32-byte AES key`);
  const podSubnet = clusterCfg.networking?.podSubnet ?? null;
  const serviceSubnet = clusterCfg.networking?.serviceSubnet ?? '10.96.0.0/12';
  for (const [field, value] of [['networking.podSubnet', podSubnet], ['networking.serviceSubnet', serviceSubnet]]) {
    if (value && !/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(value)) fail(1, `${field}: Invalid value: "${value}": couldn't parse subnet`);
  }
  const me = thisNode();
  const nodeName = initCfg.nodeRegistration?.name ?? me.name;
  const advertise = initCfg.localAPIEndpoint?.advertiseAddress ?? me.address;
  const bindPort = initCfg.localAPIEndpoint?.bindPort ?? 6443;
  let endpoint = clusterCfg.controlPlaneEndpoint ?? `${advertise}:${bindPort}`;
  if (!/:\d+$/.test(endpoint)) endpoint = `${endpoint}:${bindPort}`;
  out.push(`[init] Using Kubernetes version: ${kubernetesVersion.text}`, '[preflight] Running pre-flight checks');
  process.stdout.write(`${out.join('\n')}\n`);
  out.length = 0;
  const ignored = [flags['ignore-preflight-errors'], initCfg.nodeRegistration?.ignorePreflightErrors];
  const errors = filterIgnored([...alreadyInitialisedErrors(), ...commonPreflight({ criSocket: initCfg.nodeRegistration?.criSocket, kubernetesVersion })], ignored);
  if (errors.length > 0) preflightFailure(errors);
  const existing = apiState().cluster;
  if (existing) fail(1, `fleet: a cluster was already initialised by ${existing.firstControlPlane}; this fake holds one cluster per fleet`);

  const pki = makeClusterPki();
  const caHash = caCertHash(pki.caCert);
  const adminConf = kubeconfig({ server: endpoint, caCert: pki.caCert, clientCert: pki.adminCert, clientKey: pki.adminKey });
  // What the kubeadm-certs Secret carries to joining control planes (root-only, like a Secret).
  writeJsonAtomic(sharedPkiFile(), { ...pki, adminConf }, 0o600);
  writeControlPlaneFiles({ pki, adminConf, kubernetesVersion: kubernetesVersion.text, nodeName, superAdmin: true });
  writeKubeletFiles(nodeName, adminConf);
  const kubeletPackage = startKubelet();
  const uploadCerts = Boolean(flags['upload-certs']);
  updateApi((api) => {
    const now = fleetNow(api);
    api.cluster = {
      clusterName: clusterCfg.clusterName ?? 'kubernetes',
      controlPlaneEndpoint: endpoint,
      podSubnet,
      serviceSubnet,
      kubernetesVersion: kubernetesVersion.text,
      caCertHash: `sha256:${caHash}`,
      firstControlPlane: nodeName,
      initializedAt: now.toISOString(),
    };
    api.tokens = [{ token: tokenValue, expires: expiry(now, initCfg.bootstrapTokens?.[0]?.ttl ?? '24h0m0s'), createdAt: now.toISOString() }];
    api.certificateKey = uploadCerts ? { key: certificateKey, uploadedAt: now.toISOString() } : null;
    api.nodes = {};
    api.cni = null;
    api.objects = {};
    api.nodes[nodeName] = registration(now, nodeName, 'control-plane', kubeletPackage, nodeIp(initCfg.nodeRegistration, advertise), kubernetesVersion.text);
    recordHistory(api, 'init', { name: nodeName, version: kubernetesVersion.text, endpoint });
  });
  const lines = [
    '[preflight] Pulling images required for setting up a Kubernetes cluster',
    '[certs] Using certificateDir folder "/etc/kubernetes/pki"',
    '[certs] Generating "ca" certificate and key',
    `[certs] apiserver serving cert is signed for DNS names [kubernetes kubernetes.default kubernetes.default.svc kubernetes.default.svc.cluster.local ${nodeName}] and IPs [10.96.0.1 ${advertise}]`,
    '[kubeconfig] Using kubeconfig folder "/etc/kubernetes"',
    '[kubeconfig] Writing "admin.conf" kubeconfig file',
    '[kubeconfig] Writing "super-admin.conf" kubeconfig file',
    '[kubeconfig] Writing "kubelet.conf" kubeconfig file',
    '[etcd] Creating static Pod manifest for local etcd in "/etc/kubernetes/manifests"',
    '[control-plane] Creating static Pod manifest for "kube-apiserver"',
    '[kubelet-start] Writing kubelet configuration to file "/var/lib/kubelet/config.yaml"',
    '[kubelet-start] Starting the kubelet',
    '[control-plane-check] kube-apiserver is healthy after 1.5s',
  ];
  if (uploadCerts) lines.push('[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace', '[upload-certs] Using certificate key:', certificateKey);
  lines.push(
    `[mark-control-plane] Marking the node ${nodeName} as control-plane by adding the labels: [node-role.kubernetes.io/control-plane node.kubernetes.io/exclude-from-external-load-balancers]`,
    `[bootstrap-token] Using token: ${tokenValue}`,
    '[addons] Applied essential addon: CoreDNS',
    '[addons] Applied essential addon: kube-proxy',
    '',
    'Your Kubernetes control-plane has initialized successfully!',
    '',
    'To start using your cluster, you need to run the following as a regular user:',
    '',
    '  mkdir -p $HOME/.kube',
    '  sudo cp -i /etc/kubernetes/admin.conf $HOME/.kube/config',
    '  sudo chown $(id -u):$(id -g) $HOME/.kube/config',
    '',
    'Alternatively, if you are the root user, you can run:',
    '',
    '  export KUBECONFIG=/etc/kubernetes/admin.conf',
    '',
    'You should now deploy a pod network to the cluster.',
    'Run "kubectl apply -f [podnetwork].yaml" with one of the options listed at:',
    '  https://kubernetes.io/docs/concepts/cluster-administration/addons/',
    '',
    'You can now join any number of control-plane nodes running the following command on each as root:',
    '',
    `  kubeadm join ${endpoint} --token ${tokenValue} \\`,
    `\t--discovery-token-ca-cert-hash sha256:${caHash} \\`,
    `\t--control-plane --certificate-key ${certificateKey}`,
    '',
    'Please note that the certificate-key gives access to cluster sensitive data, keep it secret!',
    'As a safeguard, uploaded-certs will be deleted in two hours; If necessary, you can use',
    '"kubeadm init phase upload-certs --upload-certs" to reload certs afterward.',
    '',
    'Then you can join any number of worker nodes by running the following on each as root:',
    '',
    `kubeadm join ${endpoint} --token ${tokenValue} \\`,
    `\t--discovery-token-ca-cert-hash sha256:${caHash} `,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

function nodeIp(nodeRegistration, fallback) {
  return extraArg(nodeRegistration?.kubeletExtraArgs, 'node-ip') ?? fallback;
}

function registration(now, name, role, kubeletPackage, internalIP, controlPlaneVersion) {
  return {
    name,
    host: thisNode().name,
    role,
    kubeletVersion: `v${upstreamVersion(kubeletPackage)}`,
    registeredAt: now.toISOString(),
    unschedulable: false,
    internalIP,
    ...(role === 'control-plane' ? { controlPlaneVersion } : {}),
  };
}

const sharedPkiFile = () => `${thisNode().fleetRoot}/shared/cluster-pki.json`;

function writeControlPlaneFiles({ pki, adminConf, kubernetesVersion, nodeName, superAdmin }) {
  mkdirSync('/etc/kubernetes/pki', { recursive: true });
  mkdirSync('/etc/kubernetes/manifests', { recursive: true });
  writeFileSync('/etc/kubernetes/pki/ca.crt', pki.caCert, { mode: 0o644 });
  writeFileSync('/etc/kubernetes/pki/ca.key', pki.caKey, { mode: 0o600 });
  writeFileSync('/etc/kubernetes/admin.conf', adminConf, { mode: 0o600 });
  if (superAdmin) writeFileSync('/etc/kubernetes/super-admin.conf', adminConf, { mode: 0o600 });
  for (const name of ['controller-manager.conf', 'scheduler.conf']) writeFileSync(`/etc/kubernetes/${name}`, adminConf, { mode: 0o600 });
  writeManifests(kubernetesVersion, nodeName);
  mkdirSync('/var/lib/etcd/member', { recursive: true, mode: 0o700 });
}

function writeManifests(kubernetesVersion, nodeName) {
  for (const name of MANIFESTS) {
    const image = name === 'etcd' ? 'registry.k8s.io/etcd:3.6.5-0' : `registry.k8s.io/${name}:${kubernetesVersion}`;
    writeFileSync(
      `/etc/kubernetes/manifests/${name}.yaml`,
      `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  namespace: kube-system\n  labels:\n    component: ${name}\n    tier: control-plane\nspec:\n  hostNetwork: true\n  nodeName: ${nodeName}\n  containers:\n  - name: ${name}\n    image: ${image}\n`,
      { mode: 0o600 },
    );
  }
}

function writeKubeletFiles(nodeName, confSource) {
  mkdirSync('/var/lib/kubelet', { recursive: true });
  writeFileSync('/etc/kubernetes/kubelet.conf', confSource.replace(/kubernetes-admin/g, `system:node:${nodeName}`), { mode: 0o600 });
  writeFileSync(
    '/var/lib/kubelet/config.yaml',
    'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncgroupDriver: systemd\nclusterDNS:\n- 10.96.0.10\nclusterDomain: cluster.local\nrotateCertificates: true\nstaticPodPath: /etc/kubernetes/manifests\n',
    { mode: 0o644 },
  );
}

/** kubeadm's kubelet-start phase (re)starts the kubelet: it runs the installed version from now on. */
function startKubelet() {
  const state = updateNodeState((next) => {
    next.services.kubelet = { ...next.services.kubelet, running: true, enabled: next.services.kubelet?.enabled ?? true };
    next.kubelet = { runningVersion: next.packages.installed.kubelet, startedAt: new Date().toISOString() };
    return next;
  });
  return state.kubelet.runningVersion;
}

function randomToken() {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const pick = (length) => Array.from(randomBytes(length), (byte) => alphabet[byte % alphabet.length]).join('');
  return `${pick(6)}.${pick(16)}`;
}

/** Go durations as kubeadm accepts them ("24h0m0s", "2h", "90m", "0" = never). */
function expiry(now, ttl) {
  const text = String(ttl);
  if (text === '0' || text === '0s') return null;
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (!match || text === '') fail(1, `invalid duration "${text}"`);
  const ms = ((+match[1] || 0) * 3600 + (+match[2] || 0) * 60 + (+match[3] || 0)) * 1000;
  return new Date(now.getTime() + ms).toISOString();
}

function readIfExists(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------- join

async function join(flags, positional) {
  requireRootPreflight();
  const configFile = flagValue(flags, 'config');
  let cfg;
  if (configFile) {
    const mixed = ['token', 'discovery-token-ca-cert-hash', 'certificate-key', 'node-name', 'control-plane'].filter((name) => flags[name] !== undefined);
    if (mixed.length > 0 || positional.length > 0) fail(1, `can not mix '--config' with arguments [${[...mixed, ...positional].join(' ')}]`);
    const docs = await loadKubeadmConfig(configFile, kubeadmVersion.minor, ['JoinConfiguration']);
    cfg = docs.JoinConfiguration;
    if (!cfg) fail(1, `no JoinConfiguration kind was found in the YAML file ${configFile}`);
  } else {
    const hashes = [].concat(flags['discovery-token-ca-cert-hash'] ?? []);
    cfg = {
      discovery: {
        bootstrapToken: {
          token: flagValue(flags, 'discovery-token') ?? flagValue(flags, 'token'),
          apiServerEndpoint: positional[0],
          caCertHashes: hashes,
          unsafeSkipCAVerification: Boolean(flags['discovery-token-unsafe-skip-ca-verification']),
        },
      },
      nodeRegistration: { name: flagValue(flags, 'node-name'), criSocket: flagValue(flags, 'cri-socket') },
      controlPlane: flags['control-plane']
        ? { certificateKey: flagValue(flags, 'certificate-key'), localAPIEndpoint: { advertiseAddress: flagValue(flags, 'apiserver-advertise-address') } }
        : undefined,
    };
  }
  const discovery = cfg.discovery?.bootstrapToken ?? {};
  const tokenValue = discovery.token ?? cfg.discovery?.tlsBootstrapToken;
  if (!discovery.apiServerEndpoint) fail(1, 'discovery.bootstrapToken.apiServerEndpoint: Invalid value: "": the apiServerEndpoint is required');
  if (!tokenValue || !TOKEN_RE.test(tokenValue)) fail(1, `discovery.bootstrapToken.token: Invalid value: "${tokenValue ?? ''}": the bootstrap token is invalid`);
  const hashes = discovery.caCertHashes ?? [];
  if (hashes.length === 0 && !discovery.unsafeSkipCAVerification) {
    fail(1, 'discovery.bootstrapToken: Invalid value: "": using token-based discovery without caCertHashes can be unsafe. Set unsafeSkipCAVerification as true in your kubeadm config file or pass --discovery-token-unsafe-skip-ca-verification flag to continue');
  }
  for (const hash of hashes) {
    if (!/^sha256:[0-9a-f]{64}$/.test(hash)) fail(1, `invalid hash "${hash}", expected a "sha256" hash`);
  }
  const controlPlane = Boolean(cfg.controlPlane);
  const me = thisNode();
  const nodeName = cfg.nodeRegistration?.name ?? me.name;
  process.stdout.write('[preflight] Running pre-flight checks\n');
  const api = apiState();
  const clusterVersion = parseVersion(api.cluster?.kubernetesVersion);
  const errors = [...alreadyInitialisedErrors(), ...commonPreflight({ criSocket: cfg.nodeRegistration?.criSocket, kubernetesVersion: clusterVersion })];
  if (!controlPlane && existsSync('/etc/kubernetes/pki/ca.crt')) {
    errors.push({ check: 'FileAvailable--etc-kubernetes-pki-ca.crt', message: '/etc/kubernetes/pki/ca.crt already exists' });
  }
  const remaining = filterIgnored(errors, [flags['ignore-preflight-errors'], cfg.nodeRegistration?.ignorePreflightErrors]);
  if (remaining.length > 0) preflightFailure(remaining);

  const endpoint = discovery.apiServerEndpoint;
  const identity = 'error execution phase preflight: couldn\'t validate the identity of the API Server:';
  if (!api.cluster || api.cluster.controlPlaneEndpoint !== endpoint) {
    fail(1, `${identity} failed to request the cluster-info ConfigMap: Get "https://${endpoint}/api/v1/namespaces/kube-public/configmaps/cluster-info?timeout=10s": dial tcp ${endpoint}: connect: connection refused\nTo see the stack trace of this error execute with --v=5 or higher`);
  }
  const now = fleetNow(api);
  const known = api.tokens.find((entry) => entry.token === tokenValue && (entry.expires === null || new Date(entry.expires) > now));
  if (!known) {
    fail(1, `${identity} could not find a JWS signature in the cluster-info ConfigMap for token ID "${tokenValue.split('.')[0]}"\nTo see the stack trace of this error execute with --v=5 or higher`);
  }
  if (!discovery.unsafeSkipCAVerification && !hashes.includes(api.cluster.caCertHash)) {
    fail(1, `${identity} cluster CA found in cluster-info ConfigMap is invalid: none of the public keys "${api.cluster.caCertHash}" are pinned\nTo see the stack trace of this error execute with --v=5 or higher`);
  }
  if (kubeadmVersion.minor > clusterVersion.minor + 1 || kubeadmVersion.minor < clusterVersion.minor - 1) {
    fail(1, `error execution phase preflight: this version of kubeadm only supports deploying clusters with the control plane version >= ${kubeadmVersion.major}.${kubeadmVersion.minor - 1}.0. Current version: ${clusterVersion.text}`);
  }
  const existingNode = api.nodes[nodeName];
  if (existingNode && readiness(api, existingNode).ready) {
    fail(1, `error execution phase kubelet-start: a Node with name "${nodeName}" and status "Ready" already exists in the cluster. You must delete the existing Node or change the name of this new joining Node\nTo see the stack trace of this error execute with --v=5 or higher`);
  }
  const pki = readJson(sharedPkiFile(), null);
  if (controlPlane) {
    const key = cfg.controlPlane.certificateKey;
    if (!key) {
      fail(1, 'error execution phase control-plane-prepare/certs: error creating PKI assets: failure loading ca certificate authority: couldn\'t load the certificate file /etc/kubernetes/pki/ca.crt: open /etc/kubernetes/pki/ca.crt: no such file or directory');
    }
    const uploaded = api.certificateKey;
    if (!uploaded || now.getTime() - new Date(uploaded.uploadedAt).getTime() >= CERT_KEY_TTL_MS) {
      fail(1, 'error execution phase control-plane-prepare/download-certs: error downloading certs: error downloading the secret: secrets "kubeadm-certs" not found\nTo see the stack trace of this error execute with --v=5 or higher');
    }
    if (uploaded.key !== key) {
      fail(1, 'error execution phase control-plane-prepare/download-certs: error downloading certs: error decoding secret data with provided key: cipher: message authentication failed\nTo see the stack trace of this error execute with --v=5 or higher');
    }
    writeControlPlaneFiles({ pki, adminConf: pki.adminConf, kubernetesVersion: api.cluster.kubernetesVersion, nodeName, superAdmin: false });
  } else {
    mkdirSync('/etc/kubernetes/pki', { recursive: true });
    writeFileSync('/etc/kubernetes/pki/ca.crt', pki.caCert, { mode: 0o644 });
  }
  writeKubeletFiles(nodeName, pki.adminConf);
  const kubeletPackage = startKubelet();
  const advertise = cfg.controlPlane?.localAPIEndpoint?.advertiseAddress ?? me.address;
  updateApi((next) => {
    const time = fleetNow(next);
    next.nodes[nodeName] = registration(time, nodeName, controlPlane ? 'control-plane' : 'worker', kubeletPackage, nodeIp(cfg.nodeRegistration, advertise), next.cluster.kubernetesVersion);
    recordHistory(next, 'join', { name: nodeName, role: controlPlane ? 'control-plane' : 'worker' });
  });
  const lines = [
    '[preflight] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...',
    "[preflight] Use 'kubeadm init phase upload-config kubeadm --config your-config-file' to re-upload it.",
  ];
  if (controlPlane) {
    lines.push(
      '[preflight] Running pre-flight checks before initializing the new control plane instance',
      '[download-certs] Downloading the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace',
      '[certs] Using certificateDir folder "/etc/kubernetes/pki"',
      '[etcd] Announced new etcd member joining to the existing etcd cluster',
      '[control-plane] Creating static Pod manifest for "kube-apiserver"',
    );
  }
  lines.push(
    '[kubelet-start] Writing kubelet configuration to file "/var/lib/kubelet/config.yaml"',
    '[kubelet-start] Starting the kubelet',
    '[kubelet-start] Waiting for the kubelet to perform the TLS Bootstrap',
    '',
  );
  if (controlPlane) {
    lines.push(
      'This node has joined the cluster and a new control plane instance was created:',
      '',
      '* Certificate signing request was sent to apiserver and approval was received.',
      '* The Kubelet was informed of the new secure connection details.',
      '* Control plane label and taint were applied to the new node.',
      '* The Kubernetes control plane instances scaled up.',
      '* A new etcd member was added to the local/stacked etcd cluster.',
      '',
      'To start administering your cluster from this node, you need to run the following as a regular user:',
      '',
      '\tmkdir -p $HOME/.kube',
      '\tsudo cp -i /etc/kubernetes/admin.conf $HOME/.kube/config',
      '\tsudo chown $(id -u):$(id -g) $HOME/.kube/config',
      '',
      "Run 'kubectl get nodes' to see this node join the cluster.",
    );
  } else {
    lines.push(
      'This node has joined the cluster:',
      '* Certificate signing request was sent to apiserver and a response was received.',
      '* The Kubelet was informed of the new secure connection details.',
      '',
      "Run 'kubectl get nodes' on the control-plane to see this node join the cluster.",
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

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
  process.stdout.write(`[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace\n[upload-certs] Using certificate key:\n${key}\n`);
  return 0;
}

function images(sub, flags) {
  const version = parseVersion(flagValue(flags, 'kubernetes-version')) ?? kubeadmVersion;
  const list = [
    ...['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kube-proxy'].map((name) => `registry.k8s.io/${name}:${version.text}`),
    'registry.k8s.io/coredns/coredns:v1.12.1',
    'registry.k8s.io/pause:3.10',
    'registry.k8s.io/etcd:3.6.5-0',
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

// ---------------------------------------------------------------- reset

async function reset(flags) {
  if (!isRoot()) {
    fail(1, '[preflight] Running pre-flight checks\nerror execution phase preflight: [preflight] Some fatal errors occurred:\n\t[ERROR IsPrivilegedUser]: user is not running as root');
  }
  if (!flags.f && !flags.force) {
    process.stdout.write('W1123 [reset] Are you sure you want to proceed? [y/N]: ');
    const answer = await readLine();
    if (!/^y/i.test(answer)) fail(1, 'aborted reset operation\nTo see the stack trace of this error execute with --v=5 or higher');
  }
  const wasControlPlane = existsSync('/etc/kubernetes/manifests/kube-apiserver.yaml');
  for (const dir of ['/etc/kubernetes', '/var/lib/kubelet', '/var/lib/etcd']) {
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir)) rmSync(`${dir}/${entry}`, { recursive: true, force: true });
  }
  mkdirSync('/etc/kubernetes/manifests', { recursive: true });
  updateApi((api) => {
    recordHistory(api, 'reset', { controlPlane: wasControlPlane });
    // Resetting the last stacked-etcd member destroys the cluster's data, like the real thing.
    if (wasControlPlane && api.cluster) {
      const me = thisNode().name;
      const otherControlPlanes = Object.values(api.nodes).filter(
        (node) => node.role === 'control-plane' && node.host !== me && existsSync(`${thisNode().fleetRoot}/nodes/${node.host}/fs/etc-kubernetes/manifests/kube-apiserver.yaml`),
      );
      if (otherControlPlanes.length === 0) Object.assign(api, { cluster: null, tokens: [], certificateKey: null, nodes: {}, cni: null, objects: {} });
    }
  });
  process.stdout.write(
    '[preflight] Running pre-flight checks\n[reset] Stopping the kubelet service\n[reset] Unmounting mounted directories in "/var/lib/kubelet"\n[reset] Deleting contents of directories: [/etc/kubernetes/manifests /var/lib/kubelet /etc/kubernetes/pki]\n[reset] Deleting files: [/etc/kubernetes/admin.conf /etc/kubernetes/super-admin.conf /etc/kubernetes/kubelet.conf /etc/kubernetes/bootstrap-kubelet.conf /etc/kubernetes/controller-manager.conf /etc/kubernetes/scheduler.conf]\n\nThe reset process does not clean CNI configuration. To do so, you must remove /etc/cni/net.d\n',
  );
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
  updateApi((next) => {
    recordHistory(next, 'upgrade-apply', { from: next.cluster.kubernetesVersion, to: target.text });
    next.cluster.kubernetesVersion = target.text;
    const node = apiNodeOfHost(next);
    if (node) node.controlPlaneVersion = target.text;
  });
  process.stdout.write(
    `[upgrade/staticpods] Writing new Static Pod manifests to "/etc/kubernetes/tmp/kubeadm-upgraded-manifests"\n[upgrade/staticpods] Component "kube-apiserver" upgraded successfully!\n[upgrade/addons] Applied essential addon: CoreDNS\n[upgrade/addons] Applied essential addon: kube-proxy\n\n[upgrade] SUCCESS! A control plane node of your cluster was upgraded to "${target.text}".\n\n[upgrade] Now please proceed with upgrading the rest of the nodes by following the right order.\n`,
  );
  return 0;
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

export { nodeStateOf };
