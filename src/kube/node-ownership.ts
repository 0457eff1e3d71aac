/**
 * Whose kubeadm state a node holds, from what templates/scripts/kubeadm-state.sh prints: none
 * (a fresh machine), this cluster's (same CA, or the marker k8s-bootstrap writes before kubeadm
 * runs), or another cluster's. Only a node that holds none or this cluster's state is ever reset:
 * a machine that serves another cluster is refused with its name and the fix.
 */
import { caCertHash } from './join-material.js';

/** Written on a node before kubeadm init/join runs there; removed by reset-node.sh. */
export const CLUSTER_MARKER_PATH = '/etc/k8s-bootstrap/cluster';
export const KUBEADM_STATE_SCRIPT = 'kubeadm-state';

export interface KubeadmNodeState {
  adminConf: boolean;
  kubeletConf: boolean;
  manifests: boolean;
  etcdData: boolean;
  /** "sha256:<hex>" of /etc/kubernetes/pki/ca.crt, when the node has one. */
  caCertHash?: string;
  /** The cluster uid of the marker, when it is there and well-formed. */
  markerUid?: string;
}

export type Ownership = 'none' | 'ours' | 'foreign';

const UID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function clusterMarker(uid: string, name: string): string {
  return `uid=${uid} name=${name}\n`;
}

/** Parses kubeadm-state.sh output; anything unexpected counts as absent (it is data from the node). */
export function parseKubeadmState(output: string): KubeadmNodeState {
  const [head = '', ca = ''] = output.split(/^ca:$/m);
  const fields = new Map<string, string>();
  for (const line of head.split('\n')) {
    const match = /^([a-z_]+)=(.*)$/.exec(line.trim());
    if (match) fields.set(match[1]!, match[2]!);
  }
  const yes = (key: string) => fields.get(key) === 'yes';
  const uid = /(?:^|\s)uid=(\S+)/.exec(fields.get('marker') ?? '')?.[1];
  let hash: string | undefined;
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(ca)?.[0];
  if (pem) {
    try {
      hash = caCertHash(pem);
    } catch {
      hash = 'sha256:unreadable';
    }
  }
  return {
    adminConf: yes('admin_conf'),
    kubeletConf: yes('kubelet_conf'),
    manifests: yes('manifests'),
    etcdData: yes('etcd_data'),
    ...(hash ? { caCertHash: hash } : {}),
    ...(uid && UID_PATTERN.test(uid) ? { markerUid: uid } : {}),
  };
}

export function hasKubeadmState(state: KubeadmNodeState): boolean {
  return state.adminConf || state.kubeletConf || state.manifests || state.etcdData || state.caCertHash !== undefined;
}

/**
 * ours: the node's CA is the one this cluster recorded, or (before any CA hash was recorded, a
 * first init that stopped) its marker names this cluster. foreign: anything else that holds state.
 */
export function ownershipOf(state: KubeadmNodeState, cluster: { caCertHash?: string; uid?: string }): Ownership {
  if (!hasKubeadmState(state)) return 'none';
  if (state.caCertHash && cluster.caCertHash) return state.caCertHash === cluster.caCertHash ? 'ours' : 'foreign';
  if (state.markerUid && cluster.uid && state.markerUid === cluster.uid) return 'ours';
  return 'foreign';
}
