// `kubeadm init`, phase by phase in kubeadm's order (kubeadm-init docs): preflight, certs,
// kubeconfig, etcd, control-plane, kubelet-start, wait-control-plane, upload-config,
// upload-certs, mark-control-plane, bootstrap-token, kubelet-finalize, addon. Each phase leaves
// its files and API objects behind, so a failure in a later phase (a `failInPhase` fault, or a
// runtime that cannot run the static pods) leaves what the real tool leaves: admin.conf written
// in the kubeconfig phase, no kubeadm-config ConfigMap, no bootstrap token.
import { randomBytes } from 'node:crypto';
import { apiState, fail, flagValue, fleetNow, nodeState, recordHistory, thisNode, updateApi } from './context.mjs';
import { kubeletStatus, runtimeProblemOf } from './cluster.mjs';
import { addMember } from './etcd.mjs';
import {
  alreadyInitialisedErrors,
  commonPreflight,
  compare,
  expiry,
  filterIgnored,
  kubeadmVersion,
  nodeIp,
  parseVersion,
  preflightFailure,
  randomToken,
  registration,
  requireRootPreflight,
  runPhases,
  sharedPkiFile,
  startKubelet,
  STACK_HINT,
  TOKEN_RE,
  writeCerts,
  writeKubeconfigs,
  writeKubeletFiles,
  writeManifests,
} from './kubeadm-common.mjs';
import { loadKubeadmConfig } from './kubeadm-config.mjs';
import { writeJsonAtomic } from './lock.mjs';
import { caCertHash, kubeconfig, makeClusterPki } from './pki.mjs';
import { putObject } from './objects.mjs';

export async function init(flags, extra) {
  if (extra.length > 0) fail(1, `unknown command "${extra[0]}" for "kubeadm init"`);
  requireRootPreflight();
  const kubeadm = kubeadmVersion();
  const { initCfg, clusterCfg } = await readInitConfig(flags, kubeadm);
  let kubernetesVersion = parseVersion(clusterCfg.kubernetesVersion);
  if (!clusterCfg.kubernetesVersion) {
    process.stderr.write(
      `W1123 version.go:109] could not fetch a Kubernetes version from the internet: unable to get URL "https://dl.k8s.io/release/stable-1.txt": Get "https://dl.k8s.io/release/stable-1.txt": dial tcp: lookup dl.k8s.io: no such host\nW1123 version.go:110] falling back to the local client version: ${kubeadm.text}\n`,
    );
    kubernetesVersion = kubeadm;
  }
  if (!kubernetesVersion) fail(1, `couldn't parse Kubernetes version "${clusterCfg.kubernetesVersion}"`);
  if (kubernetesVersion.minor < kubeadm.minor) {
    fail(1, `this version of kubeadm only supports deploying clusters with the control plane version >= ${kubeadm.major}.${kubeadm.minor}.0. Current version: ${kubernetesVersion.text}\n${STACK_HINT}`);
  }
  if (compare(kubernetesVersion, kubeadm) > 0) {
    fail(1, `the Kubernetes version ${kubernetesVersion.text} is higher than the kubeadm version ${kubeadm.text}; upgrade kubeadm first. Kubernetes version: ${kubernetesVersion.text.slice(1)}. Kubeadm version: ${kubeadm.text.slice(1)}\n${STACK_HINT}`);
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
  const criSocket = initCfg.nodeRegistration?.criSocket;
  let endpoint = clusterCfg.controlPlaneEndpoint ?? `${advertise}:${bindPort}`;
  if (!/:\d+$/.test(endpoint)) endpoint = `${endpoint}:${bindPort}`;
  const taints = initCfg.nodeRegistration?.taints;
  const uploadCerts = Boolean(flags['upload-certs']);
  process.stdout.write(`[init] Using Kubernetes version: ${kubernetesVersion.text}\n[preflight] Running pre-flight checks\n`);

  let pki;
  let adminConf;
  await runPhases([
    {
      name: 'preflight',
      run: () => {
        const ignored = [flags['ignore-preflight-errors'], initCfg.nodeRegistration?.ignorePreflightErrors];
        const errors = filterIgnored([...alreadyInitialisedErrors(), ...commonPreflight({ criSocket, kubernetesVersion })], ignored);
        if (errors.length > 0) preflightFailure(errors);
        const existing = apiState().cluster;
        if (existing) fail(1, `fleet: a cluster was already initialised by ${existing.firstControlPlane}; this fake holds one cluster per fleet`);
        return ['[preflight] Pulling images required for setting up a Kubernetes cluster'];
      },
    },
    {
      name: 'certs',
      run: () => {
        pki = makeClusterPki();
        // What the kubeadm-certs Secret carries to joining control planes (root-only, like a Secret).
        adminConf = kubeconfig({ server: endpoint, caCert: pki.caCert, clientCert: pki.adminCert, clientKey: pki.adminKey });
        writeJsonAtomic(sharedPkiFile(), { ...pki, adminConf }, 0o600);
        writeCerts(pki, { controlPlane: true });
        return [
          '[certs] Using certificateDir folder "/etc/kubernetes/pki"',
          '[certs] Generating "ca" certificate and key',
          `[certs] apiserver serving cert is signed for DNS names [kubernetes kubernetes.default kubernetes.default.svc kubernetes.default.svc.cluster.local ${nodeName}] and IPs [10.96.0.1 ${advertise}]`,
        ];
      },
    },
    {
      name: 'kubeconfig',
      run: () => {
        writeKubeconfigs(adminConf, { superAdmin: true, kubeletNode: nodeName });
        return [
          '[kubeconfig] Using kubeconfig folder "/etc/kubernetes"',
          '[kubeconfig] Writing "admin.conf" kubeconfig file',
          '[kubeconfig] Writing "super-admin.conf" kubeconfig file',
          '[kubeconfig] Writing "kubelet.conf" kubeconfig file',
          '[kubeconfig] Writing "controller-manager.conf" kubeconfig file',
          '[kubeconfig] Writing "scheduler.conf" kubeconfig file',
        ];
      },
    },
    {
      name: 'etcd',
      run: () => {
        writeManifests(kubernetesVersion.text, nodeName, ['etcd']);
        return ['[etcd] Creating static Pod manifest for local etcd in "/etc/kubernetes/manifests"'];
      },
    },
    {
      name: 'control-plane',
      run: () => {
        writeManifests(kubernetesVersion.text, nodeName, ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler']);
        return ['[control-plane] Using manifest folder "/etc/kubernetes/manifests"', '[control-plane] Creating static Pod manifest for "kube-apiserver"'];
      },
    },
    {
      name: 'kubelet-start',
      run: () => {
        writeKubeletFiles(criSocket, initCfg.nodeRegistration?.kubeletExtraArgs);
        startKubelet();
        return ['[kubelet-start] Writing kubelet environment file with flags to file "/var/lib/kubelet/kubeadm-flags.env"', '[kubelet-start] Writing kubelet configuration to file "/var/lib/kubelet/config.yaml"', '[kubelet-start] Starting the kubelet'];
      },
    },
    {
      name: 'wait-control-plane',
      failure: waitControlPlaneFailure(),
      partial: () => waitControlPlaneLines(false),
      run: () => {
        const lines = waitControlPlaneLines(true);
        const problem = kubeletStatus(me.name).state !== 'active' ? 'kubelet' : runtimeProblemOf(me.name) ? 'runtime' : null;
        if (problem) {
          process.stdout.write(`${waitControlPlaneLines(false).join('\n')}\n`);
          fail(1, `error execution phase wait-control-plane: ${waitControlPlaneFailure(problem)}\n${STACK_HINT}`);
        }
        // The API server answers from here on: the cluster exists, and the kubelet registers its Node.
        updateApi((api) => {
          const now = fleetNow(api);
          api.cluster = {
            clusterName: clusterCfg.clusterName ?? 'kubernetes',
            controlPlaneEndpoint: endpoint,
            podSubnet,
            serviceSubnet,
            kubernetesVersion: kubernetesVersion.text,
            caCertHash: `sha256:${caCertHash(pki.caCert)}`,
            firstControlPlane: nodeName,
            initializedAt: now.toISOString(),
          };
          Object.assign(api, { tokens: [], certificateKey: null, nodes: {}, cni: null, objects: {}, events: [], etcd: { members: [] } });
          api.nodes[nodeName] = {
            ...registration(now, nodeName, 'control-plane', nodeStateKubelet(), nodeIp(initCfg.nodeRegistration, advertise), kubernetesVersion.text),
            marked: false,
          };
          addMember(api, { name: nodeName, host: me.name, address: advertise, learner: false });
        });
        return lines;
      },
    },
    {
      name: 'upload-config',
      run: () => {
        updateApi((api) => {
          putObject(api, configMap('kube-system', 'kubeadm-config', { ClusterConfiguration: clusterConfigurationText(clusterCfg, kubernetesVersion.text, endpoint, podSubnet, serviceSubnet) }));
          putObject(api, configMap('kube-system', 'kubelet-config', { kubelet: 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncgroupDriver: systemd\n' }));
        });
        return [
          '[upload-config] Storing the configuration used in ConfigMap "kubeadm-config" in the "kube-system" Namespace',
          '[kubelet] Creating a ConfigMap "kubelet-config" in namespace kube-system with the configuration for the kubelets in the cluster',
        ];
      },
    },
    {
      name: 'upload-certs',
      run: () => {
        if (!uploadCerts) return ['[upload-certs] Skipping phase. Please see --upload-certs'];
        updateApi((api) => {
          api.certificateKey = { key: certificateKey, uploadedAt: fleetNow(api).toISOString() };
        });
        return ['[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace', '[upload-certs] Using certificate key:', certificateKey];
      },
    },
    {
      name: 'mark-control-plane',
      run: () => {
        updateApi((api) => {
          const node = api.nodes[nodeName];
          if (node) Object.assign(node, { marked: true, ...(Array.isArray(taints) ? { taints } : {}) });
        });
        return [
          `[mark-control-plane] Marking the node ${nodeName} as control-plane by adding the labels: [node-role.kubernetes.io/control-plane node.kubernetes.io/exclude-from-external-load-balancers]`,
          `[mark-control-plane] Marking the node ${nodeName} as control-plane by adding the taints [node-role.kubernetes.io/control-plane:NoSchedule]`,
        ];
      },
    },
    {
      name: 'bootstrap-token',
      run: () => {
        updateApi((api) => {
          const now = fleetNow(api);
          api.tokens = [{ token: tokenValue, expires: expiry(now, initCfg.bootstrapTokens?.[0]?.ttl ?? '24h0m0s'), createdAt: now.toISOString() }];
          putObject(api, configMap('kube-public', 'cluster-info', { kubeconfig: `apiVersion: v1\nclusters:\n- cluster:\n    server: https://${endpoint}\n  name: ""\nkind: Config\n` }));
        });
        return [
          `[bootstrap-token] Using token: ${tokenValue}`,
          '[bootstrap-token] Configuring bootstrap tokens, cluster-info ConfigMap, RBAC Roles',
          '[bootstrap-token] Creating the "cluster-info" ConfigMap in the "kube-public" namespace',
        ];
      },
    },
    { name: 'kubelet-finalize', run: () => ['[kubelet-finalize] Updating "/etc/kubernetes/kubelet.conf" to point to a rotatable kubelet client certificate and key'] },
    {
      name: 'addon',
      run: () => {
        updateApi((api) => {
          putObject(api, deployment('kube-system', 'coredns', 'registry.k8s.io/coredns/coredns:v1.12.1', { replicas: 2, tolerations: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }], labels: { 'k8s-app': 'kube-dns' } }));
          putObject(api, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'kube-dns', namespace: 'kube-system' }, spec: { clusterIP: '10.96.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] } });
          // kubeadm's kube-proxy DaemonSet tolerates every taint (cmd/kubeadm/app/phases/addons/proxy/manifests.go).
          putObject(api, { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'kube-proxy', namespace: 'kube-system' }, spec: { template: { spec: { hostNetwork: true, tolerations: [{ operator: 'Exists' }], containers: [{ name: 'kube-proxy', image: `registry.k8s.io/kube-proxy:${kubernetesVersion.text}` }] } } } });
          recordHistory(api, 'init', { name: nodeName, version: kubernetesVersion.text, endpoint });
        });
        return ['[addons] Applied essential addon: CoreDNS', '[addons] Applied essential addon: kube-proxy'];
      },
    },
  ]);
  process.stdout.write(`${successText(endpoint, tokenValue, caCertHash(pki.caCert), certificateKey).join('\n')}\n`);
  return 0;
}

async function readInitConfig(flags, kubeadm) {
  const configFile = flagValue(flags, 'config');
  if (configFile) {
    const mixed = ['certificate-key', 'pod-network-cidr', 'control-plane-endpoint', 'kubernetes-version', 'token', 'node-name', 'service-cidr'].filter((name) => flags[name] !== undefined);
    if (mixed.length > 0) fail(1, `can not mix '--config' with arguments [${mixed.join(' ')}]`);
    const docs = await loadKubeadmConfig(configFile, kubeadm.minor, ['InitConfiguration', 'ClusterConfiguration']);
    return { initCfg: docs.InitConfiguration ?? {}, clusterCfg: docs.ClusterConfiguration ?? {} };
  }
  return {
    clusterCfg: {
      kubernetesVersion: flagValue(flags, 'kubernetes-version'),
      controlPlaneEndpoint: flagValue(flags, 'control-plane-endpoint'),
      networking: { podSubnet: flagValue(flags, 'pod-network-cidr'), serviceSubnet: flagValue(flags, 'service-cidr') },
    },
    initCfg: {
      bootstrapTokens: flags.token ? [{ token: flagValue(flags, 'token') }] : undefined,
      certificateKey: flagValue(flags, 'certificate-key'),
      nodeRegistration: { name: flagValue(flags, 'node-name'), criSocket: flagValue(flags, 'cri-socket') },
      localAPIEndpoint: { advertiseAddress: flagValue(flags, 'apiserver-advertise-address') },
    },
  };
}

/** The kubelet package version that kubelet-start started. */
function nodeStateKubelet() {
  return nodeState().kubelet.runningVersion;
}

export function waitControlPlaneLines(healthy) {
  const lines = [
    '[wait-control-plane] Waiting for the kubelet to boot up the control plane as static Pods from directory "/etc/kubernetes/manifests"',
    '[kubelet-check] Waiting for a healthy kubelet at http://127.0.0.1:10248/healthz. This can take up to 4m0s',
  ];
  if (healthy) {
    lines.push('[kubelet-check] The kubelet is healthy after 501.2ms', '[control-plane-check] Waiting for healthy control plane components. This can take up to 4m0s', '[control-plane-check] kube-apiserver is healthy after 1.5s');
  } else {
    lines.push('[kubelet-check] The kubelet is not healthy after 4m0.000404s', '', 'Unfortunately, an error has occurred, likely caused by:', '\t- The kubelet is not running', '\t- The kubelet is unhealthy due to a misconfiguration of the node in some way (required cgroups disabled)', '', 'If you are on a systemd-powered system, you can try to troubleshoot the error with the following commands:', "\t- 'systemctl status kubelet'", "\t- 'journalctl -xeu kubelet'");
  }
  return lines;
}

export function waitControlPlaneFailure(problem = 'kubelet') {
  if (problem === 'runtime') {
    return 'failed while waiting for the control plane to start: kube-apiserver check failed at https://127.0.0.1:6443/livez: Get "https://127.0.0.1:6443/livez?timeout=10s": dial tcp 127.0.0.1:6443: connect: connection refused';
  }
  return "failed while waiting for the kubelet to start: The HTTP call equal to 'curl -sSL http://127.0.0.1:10248/healthz' returned error: Get \"http://127.0.0.1:10248/healthz\": context deadline exceeded";
}

function configMap(namespace, name, data) {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data };
}

export function deployment(namespace, name, image, { replicas = 1, tolerations = [], labels = {}, hostNetwork = false } = {}) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels },
    spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { hostNetwork, tolerations, containers: [{ name, image }] } } },
  };
}

function clusterConfigurationText(clusterCfg, version, endpoint, podSubnet, serviceSubnet) {
  return [
    'apiVersion: kubeadm.k8s.io/v1beta4',
    'kind: ClusterConfiguration',
    `clusterName: ${clusterCfg.clusterName ?? 'kubernetes'}`,
    `controlPlaneEndpoint: ${endpoint}`,
    `kubernetesVersion: ${version}`,
    'networking:',
    ...(podSubnet ? [`  podSubnet: ${podSubnet}`] : []),
    `  serviceSubnet: ${serviceSubnet}`,
    '',
  ].join('\n');
}

function successText(endpoint, tokenValue, caHash, certificateKey) {
  return [
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
  ];
}
