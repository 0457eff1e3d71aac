// `kubeadm reset`: finds the CRI socket (kubeadm-flags.env, else the one runtime present; two
// runtimes without --cri-socket is an error), removes this control plane's etcd member while the
// rest of etcd answers (phase remove-etcd-member), stops the kubelet and empties /etc/kubernetes,
// /var/lib/kubelet and /var/lib/etcd. Like the real one it leaves /etc/cni/net.d, iptables and
// everything outside kubeadm's own folders alone.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { fail, flagValue, isRoot, nodeState, recordHistory, thisNode, updateApi, updateNodeState } from './context.mjs';
import { etcdMembers, removeMemberOfHost, votingMembers } from './etcd.mjs';
import { CONTAINERD_SOCKET, CRIO_SOCKET, STACK_HINT } from './kubeadm-common.mjs';

export async function reset(flags) {
  if (!isRoot()) {
    fail(1, '[preflight] Running pre-flight checks\nerror execution phase preflight: [preflight] Some fatal errors occurred:\n\t[ERROR IsPrivilegedUser]: user is not running as root');
  }
  const socket = flagValue(flags, 'cri-socket') ?? socketFromKubeletFlags() ?? detectSocket();
  if (!flags.f && !flags.force) {
    process.stdout.write('W1123 [reset] Are you sure you want to proceed? [y/N]: ');
    const answer = await readLine();
    if (!/^y/i.test(answer)) fail(1, `aborted reset operation\n${STACK_HINT}`);
  }
  const me = thisNode().name;
  const wasControlPlane = existsSync('/etc/kubernetes/manifests/kube-apiserver.yaml') || existsSync('/etc/kubernetes/manifests/etcd.yaml');
  const lines = ['[preflight] Running pre-flight checks'];
  updateApi((api) => {
    recordHistory(api, 'reset', { controlPlane: wasControlPlane });
    if (!wasControlPlane || !api.cluster) return;
    const others = votingMembers(api).filter((member) => member.host !== me);
    if (others.length === 0) {
      // Resetting the last stacked-etcd member destroys the cluster's data, like the real thing (Helm's releases are Secrets in it).
      Object.assign(api, { cluster: null, tokens: [], certificateKey: null, nodes: {}, cni: null, objects: {}, helmReleases: {}, etcd: { members: [] } });
      return;
    }
    const removed = removeMemberOfHost(api, me);
    if (removed) lines.push(`[reset] Removing member ${removed.id} (${removed.name}) from the etcd cluster`);
    else if (etcdMembers(api).length > 0) lines.push('W1123 [reset] No etcd member of this node was found in the etcd cluster');
  });
  for (const dir of ['/etc/kubernetes', '/var/lib/kubelet', '/var/lib/etcd']) {
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir)) rmSync(`${dir}/${entry}`, { recursive: true, force: true });
  }
  mkdirSync('/etc/kubernetes/manifests', { recursive: true });
  updateNodeState((state) => {
    if (state.services.kubelet) state.services.kubelet = { ...state.services.kubelet, running: false };
  });
  lines.push(
    `[reset] Using the CRI socket ${socket}`,
    '[reset] Stopping the kubelet service',
    '[reset] Unmounting mounted directories in "/var/lib/kubelet"',
    '[reset] Deleting contents of directories: [/etc/kubernetes/manifests /var/lib/kubelet /etc/kubernetes/pki]',
    '[reset] Deleting files: [/etc/kubernetes/admin.conf /etc/kubernetes/super-admin.conf /etc/kubernetes/kubelet.conf /etc/kubernetes/bootstrap-kubelet.conf /etc/kubernetes/controller-manager.conf /etc/kubernetes/scheduler.conf]',
    '',
    'The reset process does not clean CNI configuration. To do so, you must remove /etc/cni/net.d',
    '',
    'The reset process does not reset or clean up iptables rules or IPVS tables.',
    'If you wish to reset iptables, you must do so manually by using the "iptables" command.',
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

function socketFromKubeletFlags() {
  try {
    return /--container-runtime-endpoint=(\S+?)"?(?:\s|$)/.exec(readFileSync('/var/lib/kubelet/kubeadm-flags.env', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

function detectSocket() {
  const state = nodeState();
  const found = [state.services.containerd?.running && CONTAINERD_SOCKET, state.services.crio?.running && CRIO_SOCKET].filter(Boolean);
  if (found.length > 1) {
    fail(1, `found multiple CRI endpoints on the host. Please define which one do you wish to use by setting the 'criSocket' field in the kubeadm configuration file: ${found.join(', ')}\n${STACK_HINT}`);
  }
  return found[0] ?? CONTAINERD_SOCKET;
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
