// Derived cluster facts that need more than one node's files: kubelet health of any fleet node
// and the Ready condition of a Node object.
import { existsSync } from 'node:fs';
import { emptyNodeState, thisNode } from './context.mjs';
import { readJson } from './lock.mjs';

const hostPaths = (host) => {
  const root = `${thisNode().fleetRoot}/nodes/${host}`;
  return { state: `${root}/state`, kubeletConfig: `${root}/fs/var-lib-kubelet/config.yaml`, manifests: `${root}/fs/etc-kubernetes/manifests` };
};

export function nodeStateOf(host) {
  return { ...emptyNodeState(), ...readJson(`${hostPaths(host).state}/node-state.json`, {}) };
}

/** systemd's view of a node's kubelet: active only when installed, started and configured by kubeadm. */
export function kubeletStatus(host) {
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
