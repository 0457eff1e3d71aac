// `kubeadm join`, phase by phase (kubeadm-join docs): preflight, control-plane-prepare
// (download-certs, certs, kubeconfig, control-plane), kubelet-start (kubelet.conf, the Node
// registers itself), control-plane-join (etcd: the member is added as a learner, waited for and
// promoted; mark-control-plane: label and taint), wait-control-plane. A control-plane join that
// fails in control-plane-join/etcd therefore leaves a registered Node without the control-plane
// label and a learner in etcd, as the real one does.
import { existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { apiState, fail, flagValue, fleetNow, nodeState, recordHistory, thisNode, updateApi } from './context.mjs';
import { kubeletStatus, readiness, runtimeProblemOf } from './cluster.mjs';
import { addMember, promoteMember } from './etcd.mjs';
import {
  alreadyInitialisedErrors,
  CERT_KEY_TTL_MS,
  commonPreflight,
  filterIgnored,
  kubeadmVersion,
  nodeIp,
  parseVersion,
  preflightFailure,
  registration,
  requireRootPreflight,
  runPhases,
  sharedPkiFile,
  startKubelet,
  STACK_HINT,
  TOKEN_RE,
  writeCerts,
  writeKubeconfigs,
  writeKubeletConf,
  writeKubeletFiles,
  writeManifests,
} from './kubeadm-common.mjs';
import { loadKubeadmConfig } from './kubeadm-config.mjs';
import { readJson } from './lock.mjs';

const IDENTITY = "error execution phase preflight: couldn't validate the identity of the API Server:";

export async function join(flags, positional) {
  requireRootPreflight();
  const kubeadm = kubeadmVersion();
  const cfg = await readJoinConfig(flags, positional, kubeadm);
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
  const criSocket = cfg.nodeRegistration?.criSocket;
  const advertise = cfg.controlPlane?.localAPIEndpoint?.advertiseAddress ?? me.address;
  const taints = cfg.nodeRegistration?.taints;
  process.stdout.write('[preflight] Running pre-flight checks\n');
  let api = apiState();
  const clusterVersion = parseVersion(api.cluster?.kubernetesVersion);
  const pki = readJson(sharedPkiFile(), null);

  const phases = [
    {
      name: 'preflight',
      run: () => {
        const errors = [...alreadyInitialisedErrors(), ...commonPreflight({ criSocket, kubernetesVersion: clusterVersion })];
        if (!controlPlane && existsSync('/etc/kubernetes/pki/ca.crt')) {
          errors.push({ check: 'FileAvailable--etc-kubernetes-pki-ca.crt', message: '/etc/kubernetes/pki/ca.crt already exists' });
        }
        const remaining = filterIgnored(errors, [flags['ignore-preflight-errors'], cfg.nodeRegistration?.ignorePreflightErrors]);
        if (remaining.length > 0) preflightFailure(remaining);
        checkDiscovery(api, discovery, tokenValue, hashes);
        if (kubeadm.minor > clusterVersion.minor + 1 || kubeadm.minor < clusterVersion.minor - 1) {
          fail(1, `error execution phase preflight: this version of kubeadm only supports deploying clusters with the control plane version >= ${kubeadm.major}.${kubeadm.minor - 1}.0. Current version: ${clusterVersion.text}`);
        }
        if (controlPlane) checkCertificateKey(api, cfg.controlPlane.certificateKey);
        return [
          '[preflight] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...',
          "[preflight] Use 'kubeadm init phase upload-config kubeadm --config your-config-file' to re-upload it.",
          ...(controlPlane ? ['[preflight] Running pre-flight checks before initializing the new control plane instance'] : []),
        ];
      },
    },
  ];
  if (controlPlane) {
    phases.push(
      { name: 'control-plane-prepare/download-certs', run: () => ['[download-certs] Downloading the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace'] },
      {
        name: 'control-plane-prepare/certs',
        run: () => {
          writeCerts(pki, { controlPlane: true });
          return ['[certs] Using certificateDir folder "/etc/kubernetes/pki"'];
        },
      },
      {
        name: 'control-plane-prepare/kubeconfig',
        run: () => {
          writeKubeconfigs(pki.adminConf, { superAdmin: false });
          return ['[kubeconfig] Generating kubeconfig files', '[kubeconfig] Using kubeconfig folder "/etc/kubernetes"'];
        },
      },
      {
        name: 'control-plane-prepare/control-plane',
        run: () => {
          writeManifests(clusterVersion.text, nodeName, ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler']);
          return ['[control-plane] Using manifest folder "/etc/kubernetes/manifests"', '[control-plane] Creating static Pod manifest for "kube-apiserver"'];
        },
      },
    );
  }
  phases.push({
    name: 'kubelet-start',
    run: () => {
      if (!controlPlane) {
        mkdirSync('/etc/kubernetes/pki', { recursive: true });
        writeFileSync('/etc/kubernetes/pki/ca.crt', pki.caCert, { mode: 0o644 });
      }
      api = apiState();
      const existing = api.nodes[nodeName];
      if (existing && readiness(api, existing).ready) {
        fail(1, `error execution phase kubelet-start: a Node with name "${nodeName}" and status "Ready" already exists in the cluster. You must delete the existing Node or change the name of this new joining Node\n${STACK_HINT}`);
      }
      writeKubeletFiles(criSocket, cfg.nodeRegistration?.kubeletExtraArgs);
      writeKubeletConf(nodeName, pki.adminConf);
      startKubelet();
      if (kubeletStatus(me.name).state !== 'active' || runtimeProblemOf(me.name)) {
        fail(1, `[kubelet-check] The kubelet is not healthy after 4m0s\nerror execution phase kubelet-start: timed out waiting for the condition\n${STACK_HINT}`);
      }
      updateApi((next) => {
        const time = fleetNow(next);
        next.nodes[nodeName] = {
          ...registration(time, nodeName, controlPlane ? 'control-plane' : 'worker', nodeState().kubelet.runningVersion, nodeIp(cfg.nodeRegistration, advertise), next.cluster.kubernetesVersion),
          marked: false,
        };
        recordHistory(next, 'join', { name: nodeName, role: controlPlane ? 'control-plane' : 'worker' });
      });
      return [
        '[kubelet-start] Writing kubelet configuration to file "/var/lib/kubelet/config.yaml"',
        '[kubelet-start] Writing kubelet environment file with flags to file "/var/lib/kubelet/kubeadm-flags.env"',
        '[kubelet-start] Starting the kubelet',
        '[kubelet-check] Waiting for a healthy kubelet at http://127.0.0.1:10248/healthz. This can take up to 4m0s',
        '[kubelet-check] The kubelet is healthy after 1.0s',
        '[kubelet-start] Waiting for the kubelet to perform the TLS Bootstrap',
      ];
    },
  });
  if (controlPlane) {
    const addLearner = () => {
      updateApi((next) => addMember(next, { name: nodeName, host: me.name, address: advertise, learner: true }));
      writeManifests(clusterVersion.text, nodeName, ['etcd']);
      return [
        '[etcd] Announced new etcd member joining to the existing etcd cluster',
        '[etcd] Creating static Pod manifest for "etcd"',
        '[etcd] Waiting for the new etcd member to join the cluster. This can take up to 40s',
      ];
    };
    phases.push(
      {
        name: 'control-plane-join/etcd',
        failure: 'error creating local etcd static pod manifest file: etcdserver: can only promote a learner member which is in sync with leader',
        partial: addLearner,
        run: () => {
          const lines = addLearner();
          updateApi((next) => promoteMember(next, nodeName));
          return lines;
        },
      },
      {
        name: 'control-plane-join/mark-control-plane',
        run: () => {
          updateApi((next) => {
            const node = next.nodes[nodeName];
            if (node) Object.assign(node, { marked: true, ...(Array.isArray(taints) ? { taints } : {}) });
          });
          return [`[mark-control-plane] Marking the node ${nodeName} as control-plane by adding the labels: [node-role.kubernetes.io/control-plane node.kubernetes.io/exclude-from-external-load-balancers]`];
        },
      },
      {
        name: 'wait-control-plane',
        run: () => ['[control-plane-check] Waiting for healthy control plane components. This can take up to 4m0s', '[control-plane-check] kube-apiserver is healthy after 1.2s'],
      },
    );
  }
  await runPhases(phases);
  process.stdout.write(`${successText(controlPlane).join('\n')}\n`);
  return 0;
}

async function readJoinConfig(flags, positional, kubeadm) {
  const configFile = flagValue(flags, 'config');
  if (configFile) {
    const mixed = ['token', 'discovery-token-ca-cert-hash', 'certificate-key', 'node-name', 'control-plane'].filter((name) => flags[name] !== undefined);
    if (mixed.length > 0 || positional.length > 0) fail(1, `can not mix '--config' with arguments [${[...mixed, ...positional].join(' ')}]`);
    const docs = await loadKubeadmConfig(configFile, kubeadm.minor, ['JoinConfiguration']);
    if (!docs.JoinConfiguration) fail(1, `no JoinConfiguration kind was found in the YAML file ${configFile}`);
    return docs.JoinConfiguration;
  }
  return {
    discovery: {
      bootstrapToken: {
        token: flagValue(flags, 'discovery-token') ?? flagValue(flags, 'token'),
        apiServerEndpoint: positional[0],
        caCertHashes: [].concat(flags['discovery-token-ca-cert-hash'] ?? []),
        unsafeSkipCAVerification: Boolean(flags['discovery-token-unsafe-skip-ca-verification']),
      },
    },
    nodeRegistration: { name: flagValue(flags, 'node-name'), criSocket: flagValue(flags, 'cri-socket') },
    controlPlane: flags['control-plane']
      ? { certificateKey: flagValue(flags, 'certificate-key'), localAPIEndpoint: { advertiseAddress: flagValue(flags, 'apiserver-advertise-address') } }
      : undefined,
  };
}

function checkDiscovery(api, discovery, tokenValue, hashes) {
  const endpoint = discovery.apiServerEndpoint;
  if (!api.cluster || api.cluster.controlPlaneEndpoint !== endpoint) {
    fail(1, `${IDENTITY} failed to request the cluster-info ConfigMap: Get "https://${endpoint}/api/v1/namespaces/kube-public/configmaps/cluster-info?timeout=10s": dial tcp ${endpoint}: connect: connection refused\n${STACK_HINT}`);
  }
  const now = fleetNow(api);
  const known = api.tokens.find((entry) => entry.token === tokenValue && (entry.expires === null || new Date(entry.expires) > now));
  if (!known) fail(1, `${IDENTITY} could not find a JWS signature in the cluster-info ConfigMap for token ID "${tokenValue.split('.')[0]}"\n${STACK_HINT}`);
  if (!discovery.unsafeSkipCAVerification && !hashes.includes(api.cluster.caCertHash)) {
    fail(1, `${IDENTITY} cluster CA found in cluster-info ConfigMap is invalid: none of the public keys "${api.cluster.caCertHash}" are pinned\n${STACK_HINT}`);
  }
}

function checkCertificateKey(api, key) {
  if (!key) {
    fail(1, "error execution phase control-plane-prepare/certs: error creating PKI assets: failure loading ca certificate authority: couldn't load the certificate file /etc/kubernetes/pki/ca.crt: open /etc/kubernetes/pki/ca.crt: no such file or directory");
  }
  const uploaded = api.certificateKey;
  if (!uploaded || fleetNow(api).getTime() - new Date(uploaded.uploadedAt).getTime() >= CERT_KEY_TTL_MS) {
    fail(1, `error execution phase control-plane-prepare/download-certs: error downloading certs: error downloading the secret: secrets "kubeadm-certs" not found\n${STACK_HINT}`);
  }
  if (uploaded.key !== key) {
    fail(1, `error execution phase control-plane-prepare/download-certs: error downloading certs: error decoding secret data with provided key: cipher: message authentication failed\n${STACK_HINT}`);
  }
}

function successText(controlPlane) {
  if (!controlPlane) {
    return ['', 'This node has joined the cluster:', '* Certificate signing request was sent to apiserver and a response was received.', '* The Kubelet was informed of the new secure connection details.', '', "Run 'kubectl get nodes' on the control-plane to see this node join the cluster."];
  }
  return [
    '',
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
  ];
}
