// Derived cluster facts that need more than one node's files: kubelet health of any fleet node
// and the Ready condition of a Node object.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { emptyNodeState, thisNode } from './context.mjs';
import { currentRuntime } from './containerd.mjs';
import { readJson } from './lock.mjs';

export const hostPaths = (host) => {
  const root = `${thisNode().fleetRoot}/nodes/${host}`;
  return {
    root,
    state: `${root}/state`,
    kubeletConfig: `${root}/fs/var-lib-kubelet/config.yaml`,
    kubeletFlags: `${root}/fs/var-lib-kubelet/kubeadm-flags.env`,
    manifests: `${root}/fs/etc-kubernetes/manifests`,
    cniConfDir: `${root}/fs/etc-cni/net.d`,
  };
};

/** The CRI socket the node's kubelet talks to (kubeadm-flags.env), containerd by default. */
export function kubeletRuntimeOf(host) {
  const flags = existsSync(hostPaths(host).kubeletFlags) ? readFileSync(hostPaths(host).kubeletFlags, 'utf8') : '';
  return flags.includes('crio.sock') ? 'crio' : 'containerd';
}

/**
 * Why the node's runtime cannot run the kubelet's pods, or null. containerd 1.x has no
 * RuntimeConfig RPC, so its runc must use the systemd cgroup driver the kubelet uses; containerd
 * 2.x tells the kubelet its driver (KubeletCgroupDriverFromCRI).
 */
export function runtimeProblemOf(host) {
  const state = nodeStateOf(host);
  if (kubeletRuntimeOf(host) === 'crio') return state.services.crio?.running ? null : 'container runtime is down: dial unix /var/run/crio/crio.sock: connect: no such file or directory';
  const runtime = currentRuntime(state, `${hostPaths(host).root}/fs/etc-containerd/config.toml`);
  if (!state.services.containerd?.running || runtime?.kind !== 'containerd') {
    return 'container runtime is down: dial unix /run/containerd/containerd.sock: connect: no such file or directory';
  }
  if (runtime.criEnabled === false) return 'container runtime is down: rpc error: code = Unimplemented desc = unknown service runtime.v1.RuntimeService';
  const major = Number(/^(?:\d+:)?(\d+)/.exec(state.packages.installed['containerd.io'] ?? state.packages.installed.containerd ?? '')?.[1] ?? 0);
  if (major < 2 && !runtime.systemdCgroup) {
    return 'failed to create containerd task: failed to create shim task: OCI runtime create failed: expected cgroupsPath to be of format "slice:prefix:name" for systemd cgroups, got "/kubepods/burstable/pod0" instead';
  }
  return null;
}

/**
 * What the cloud's API knows about a fleet machine: its instance id (a stable UUID, also the
 * Node's systemUUID, as on Exoscale), zone, type and instance pool (FleetNodeSpec.cloud).
 */
export function machineOf(host) {
  const info = readJson(`${hostPaths(host).state}/node.json`, {});
  const hex = createHash('sha256').update(`${thisNode().fleetRoot}/${host}`).digest('hex');
  return { uuid: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`, hex, ...(info.cloud ?? {}) };
}

export function nodeStateOf(host) {
  return { ...emptyNodeState(), ...readJson(`${hostPaths(host).state}/node-state.json`, {}) };
}

/** systemd's view of a node's kubelet: active only when installed, started and configured by kubeadm. */
/** The machine is off (Fleet.kill): nothing on it answers; its API objects and etcd member stay. */
export function hostDown(host) {
  return existsSync(`${hostPaths(host).state}/down`);
}

export function kubeletStatus(host) {
  if (hostDown(host)) return { state: 'inactive', unitFound: true, message: 'the machine is down' };
  const state = nodeStateOf(host);
  if (!state.packages.installed.kubelet) return { state: 'inactive', unitFound: false, message: 'Unit kubelet.service could not be found.' };
  if (!state.services.kubelet?.running) return { state: 'inactive', unitFound: true, message: 'kubelet.service: Deactivated successfully.' };
  if (!existsSync(hostPaths(host).kubeletConfig)) {
    return {
      state: 'activating',
      unitFound: true,
      message:
        '"command failed" err="failed to load kubelet config file, path: /var/lib/kubelet/config.yaml, error: failed to load Kubelet config file /var/lib/kubelet/config.yaml, error failed to read kubelet config file \\"/var/lib/kubelet/config.yaml\\", error: open /var/lib/kubelet/config.yaml: no such file or directory"',
    };
  }
  return { state: 'active', unitFound: true, message: 'Started kubelet.service - kubelet: The Kubernetes Node Agent.' };
}

/** The Ready condition of a Node object: registered + kubelet active + CNI with pool == podSubnet. */
export function readiness(api, apiNode) {
  const kubelet = kubeletStatus(apiNode.host);
  if (kubelet.state !== 'active') {
    return { ready: false, reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' };
  }
  const runtime = runtimeProblemOf(apiNode.host);
  if (runtime) return { ready: false, reason: 'KubeletNotReady', message: `container runtime status check may not have completed yet: ${runtime}` };
  if (!api.cni) {
    return {
      ready: false,
      reason: 'KubeletNotReady',
      message: 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized',
    };
  }
  if (api.cluster && api.cni.pool !== api.cluster.podSubnet) {
    return {
      ready: false,
      reason: 'KubeletNotReady',
      message: `container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: ${api.cni.kind} pool ${api.cni.pool} does not contain the node's pod CIDR (cluster podSubnet ${api.cluster.podSubnet})`,
    };
  }
  return { ready: true, reason: 'KubeletReady', message: 'kubelet is posting ready status' };
}

/** The API Node object backed by this fleet node's kubelet, if registered. */
export function apiNodeOfHost(api, host = thisNode().name) {
  return Object.values(api.nodes).find((node) => node.host === host) ?? null;
}
