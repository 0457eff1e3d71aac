// What kubeadm's init, join, reset and upgrade share in the fleet: versions, preflight checks,
// the files each phase writes, the kubelet start, and failures injected inside a phase.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { consumePhaseFault, fail, installedVersion, isRoot, nodeState, thisNode, updateNodeState, upstreamVersion } from './context.mjs';
import { extraArg } from './kubeadm-config.mjs';
import { currentRuntime } from './containerd.mjs';

export const CERT_KEY_TTL_MS = 2 * 3_600_000;
export const TOKEN_RE = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;
export const CONTAINERD_SOCKET = 'unix:///var/run/containerd/containerd.sock';
export const CRIO_SOCKET = 'unix:///var/run/crio/crio.sock';
export const MANIFESTS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd'];
export const STACK_HINT = 'To see the stack trace of this error execute with --v=5 or higher';

export const parseVersion = (text) => {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(String(text ?? ''));
  return match ? { major: +match[1], minor: +match[2], patch: +match[3], text: `v${match[1]}.${match[2]}.${match[3]}` } : null;
};
export const compare = (a, b) => a.major - b.major || a.minor - b.minor || a.patch - b.patch;

/** The installed kubeadm's version ({ major, minor, patch, text }). */
export function kubeadmVersion() {
  return parseVersion(upstreamVersion(installedVersion('kubeadm')));
}

/**
 * Runs kubeadm phases in order, printing each phase's lines as it goes. A `failInPhase` fault
 * for this operation and phase (or a parent phase, e.g. "control-plane-join" for
 * "control-plane-join/etcd") stops the run there, after the earlier phases' effects, with
 * kubeadm's "error execution phase" message.
 */
export async function runPhases(phases) {
  for (const phase of phases) {
    const fault = consumePhaseFault(phase.name);
    if (fault) {
      // Some phases do part of their work before they can fail (an etcd member is added, then waited for).
      const printed = phase.partial ? (await phase.partial()) ?? [] : [];
      if (printed.length > 0) process.stdout.write(`${printed.join('\n')}\n`);
      fail(1, `error execution phase ${phase.name}: ${fault.message ?? phase.failure ?? 'fleet: injected failure'}\n${STACK_HINT}`);
    }
    const lines = (await phase.run()) ?? [];
    if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
  }
}

export function preflightFailure(errors) {
  fail(
    1,
    `error execution phase preflight: [preflight] Some fatal errors occurred:\n${errors.map((e) => `\t[ERROR ${e.check}]: ${e.message}`).join('\n')}\n` +
      '[preflight] If you know what you are doing, you can make a check non-fatal with `--ignore-preflight-errors=...`\nTo see the stack trace of this error execute with --v=5 or higher',
  );
}

export function requireRootPreflight() {
  if (!isRoot()) {
    process.stdout.write('[preflight] Running pre-flight checks\n');
    preflightFailure([{ check: 'IsPrivilegedUser', message: 'user is not running as root' }]);
  }
}

/** The runtime socket kubeadm will use, and whether that runtime answers. */
export function criCheck(criSocket) {
  const state = nodeState();
  // The CRI plugin as containerd loaded it at its last start (Docker's stock config disables it).
  const runtime = currentRuntime(state);
  const containerdUp = state.services.containerd?.running && runtime?.kind === 'containerd' && runtime.criEnabled !== false;
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

export function commonPreflight({ criSocket, kubernetesVersion }) {
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

export function alreadyInitialisedErrors() {
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

export function filterIgnored(errors, ignored) {
  const list = [].concat(ignored ?? []).flatMap((entry) => String(entry).split(',')).map((entry) => entry.trim().toLowerCase()).filter(Boolean);
  if (list.includes('all')) return [];
  return errors.filter((error) => !list.includes(error.check.toLowerCase()));
}

// ---------------------------------------------------------------- files and registration

export function nodeIp(nodeRegistration, fallback) {
  return extraArg(nodeRegistration?.kubeletExtraArgs, 'node-ip') ?? fallback;
}

export function registration(now, name, role, kubeletPackage, internalIP, controlPlaneVersion) {
  return {
    name,
    host: thisNode().name,
    role,
    kubeletVersion: `v${upstreamVersion(kubeletPackage)}`,
    registeredAt: now.toISOString(),
    unschedulable: false,
    internalIP,
    ...(role === 'control-plane' ? { controlPlaneVersion } : {}),
    ...kubeletRegistrationFlags(),
  };
}

export const sharedPkiFile = () => `${thisNode().fleetRoot}/shared/cluster-pki.json`;

/** certs phase: the cluster CA on this node (control planes also get the CA key). */
export function writeCerts(pki, { controlPlane }) {
  mkdirSync('/etc/kubernetes/pki/etcd', { recursive: true });
  writeFileSync('/etc/kubernetes/pki/ca.crt', pki.caCert, { mode: 0o644 });
  if (controlPlane) {
    writeFileSync('/etc/kubernetes/pki/ca.key', pki.caKey, { mode: 0o600 });
    writeFileSync('/etc/kubernetes/pki/etcd/ca.crt', pki.caCert, { mode: 0o644 });
    for (const name of ['server', 'peer', 'healthcheck-client']) writeFileSync(`/etc/kubernetes/pki/etcd/${name}.crt`, pki.caCert, { mode: 0o644 });
    // The rest of kubeadm's certs phase that a backup of the PKI carries (stand-in bytes: the
    // cluster CA's; kubeadm makes its own pairs): sa, front-proxy-ca, the etcd CA key and pair keys.
    for (const [path, content, mode] of [['sa.key', pki.caKey, 0o600], ['sa.pub', pki.caCert, 0o644], ['front-proxy-ca.crt', pki.caCert, 0o644], ['front-proxy-ca.key', pki.caKey, 0o600], ['etcd/ca.key', pki.caKey, 0o600], ['etcd/server.key', pki.caKey, 0o600], ['etcd/peer.key', pki.caKey, 0o600], ['etcd/healthcheck-client.key', pki.caKey, 0o600]]) {
      writeFileSync(`/etc/kubernetes/pki/${path}`, content, { mode });
    }
  }
}

/** kubeconfig phase: admin.conf (and super-admin.conf on the init node) and the components' files. */
export function writeKubeconfigs(adminConf, { superAdmin, kubeletNode }) {
  mkdirSync('/etc/kubernetes', { recursive: true });
  writeFileSync('/etc/kubernetes/admin.conf', adminConf, { mode: 0o600 });
  if (superAdmin) writeFileSync('/etc/kubernetes/super-admin.conf', adminConf, { mode: 0o600 });
  for (const name of ['controller-manager.conf', 'scheduler.conf']) writeFileSync(`/etc/kubernetes/${name}`, adminConf, { mode: 0o600 });
  if (kubeletNode) writeKubeletConf(kubeletNode, adminConf);
}

/** Static pod manifests: the given components ("etcd" is written by its own phase). */
export function writeManifests(kubernetesVersion, nodeName, names = MANIFESTS) {
  mkdirSync('/etc/kubernetes/manifests', { recursive: true });
  for (const name of names) {
    const image = name === 'etcd' ? 'registry.k8s.io/etcd:3.6.5-0' : `registry.k8s.io/${name}:${kubernetesVersion}`;
    writeFileSync(
      `/etc/kubernetes/manifests/${name}.yaml`,
      `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  namespace: kube-system\n  labels:\n    component: ${name}\n    tier: control-plane\nspec:\n  hostNetwork: true\n  nodeName: ${nodeName}\n  containers:\n  - name: ${name}\n    image: ${image}\n`,
      { mode: 0o600 },
    );
  }
  if (names.includes('etcd')) mkdirSync('/var/lib/etcd/member', { recursive: true, mode: 0o700 });
}

export function writeKubeletConf(nodeName, confSource) {
  writeFileSync('/etc/kubernetes/kubelet.conf', confSource.replace(/kubernetes-admin/g, `system:node:${nodeName}`), { mode: 0o600 });
}

/**
 * kubeadm's kubelet flags plus nodeRegistration.kubeletExtraArgs (either shape), sorted by name as
 * kubeadm's ArgumentsToCommand does (cmd/kubeadm/app/phases/kubelet/flags.go writes them into
 * KUBELET_KUBEADM_ARGS); an extra arg overrides kubeadm's own of the same name.
 */
export function kubeletFlagLine(criSocket, kubeletExtraArgs) {
  const args = { 'container-runtime-endpoint': criSocket ?? CONTAINERD_SOCKET, 'pod-infra-container-image': 'registry.k8s.io/pause:3.10' };
  const extra = Array.isArray(kubeletExtraArgs) ? kubeletExtraArgs.map((entry) => [entry.name, entry.value]) : Object.entries(kubeletExtraArgs ?? {});
  for (const [name, value] of extra) args[name] = String(value);
  return Object.keys(args).sort().map((name) => `--${name}=${args[name]}`).join(' ');
}

/**
 * What the kubelet's flags make of its Node at registration (pkg/kubelet/kubelet_node_status.go,
 * initialNode): `--cloud-provider=external` registers it with the
 * node.cloudprovider.kubernetes.io/uninitialized=true:NoSchedule taint for the CCM to remove;
 * `--provider-id` is written into spec.providerID by the kubelet itself.
 */
export function kubeletRegistrationFlags() {
  const text = existsSync('/var/lib/kubelet/kubeadm-flags.env') ? readFileSync('/var/lib/kubelet/kubeadm-flags.env', 'utf8') : '';
  const flag = (name) => new RegExp(`--${name}=(\\S+?)"?(?:\\s|$)`).exec(text)?.[1];
  const external = flag('cloud-provider') === 'external';
  const providerID = flag('provider-id');
  return { ...(external ? { cloudProvider: 'external', uninitialized: true } : {}), ...(providerID ? { providerID } : {}) };
}

/** kubelet-start phase: the kubelet's config and flags (kubeadm-flags.env names the CRI socket). */
export function writeKubeletFiles(criSocket, kubeletExtraArgs) {
  mkdirSync('/var/lib/kubelet', { recursive: true });
  writeFileSync(
    '/var/lib/kubelet/config.yaml',
    'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncgroupDriver: systemd\nclusterDNS:\n- 10.96.0.10\nclusterDomain: cluster.local\nrotateCertificates: true\nstaticPodPath: /etc/kubernetes/manifests\n',
    { mode: 0o644 },
  );
  writeFileSync('/var/lib/kubelet/kubeadm-flags.env', `KUBELET_KUBEADM_ARGS="${kubeletFlagLine(criSocket, kubeletExtraArgs)}"\n`, { mode: 0o644 });
}

/** kubeadm's kubelet-start phase (re)starts the kubelet: it runs the installed version from now on. */
export function startKubelet() {
  const state = updateNodeState((next) => {
    next.services.kubelet = { ...next.services.kubelet, running: true, enabled: next.services.kubelet?.enabled ?? true };
    next.kubelet = { runningVersion: next.packages.installed.kubelet, startedAt: new Date().toISOString() };
    return next;
  });
  return state.kubelet.runningVersion;
}

export function randomToken() {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const pick = (length) => Array.from(randomBytes(length), (byte) => alphabet[byte % alphabet.length]).join('');
  return `${pick(6)}.${pick(16)}`;
}

/** Go durations as kubeadm accepts them ("24h0m0s", "2h", "90m", "0" = never). */
export function expiry(now, ttl) {
  const text = String(ttl);
  if (text === '0' || text === '0s') return null;
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (!match || text === '') fail(1, `invalid duration "${text}"`);
  const ms = ((+match[1] || 0) * 3600 + (+match[2] || 0) * 60 + (+match[3] || 0)) * 1000;
  return new Date(now.getTime() + ms).toISOString();
}

export function readIfExists(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------- join
