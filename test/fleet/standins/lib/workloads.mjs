// Pods as the kubelets would run them, derived from the API state and each node's files:
// static pods from /etc/kubernetes/manifests, DaemonSet and Deployment pods placed on the nodes
// whose taints they tolerate, and Pods created directly. A pod that is not on the host network
// runs only where pod networking works: the node is Ready, the CNI's conflist is the first in
// /etc/cni/net.d (a stale one of another CNI sorts first and breaks pods, as it does for real)
// and containerd looks for CNI plugins in /opt/cni/bin, where every CNI installs them.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { fleetNow } from './context.mjs';
import { cniPluginProblem, currentRuntime } from './containerd.mjs';
import { hostPaths, kubeletStatus, nodeStateOf, readiness, runtimeProblemOf } from './cluster.mjs';
import { listObjects } from './objects.mjs';

/** The conflist each CNI's DaemonSet writes on every node. */
export const CNI_CONFLISTS = { calico: '10-calico.conflist', flannel: '10-flannel.conflist', cilium: '05-cilium.conflist' };
const CONFLIST_CNI = Object.fromEntries(Object.entries(CNI_CONFLISTS).map(([cni, file]) => [file, cni]));

const shortHash = (text) => createHash('sha256').update(text).digest('hex').slice(0, 5);

/** Is the control-plane label on the Node? (kubeadm's mark-control-plane phase sets it.) */
export function isMarked(node) {
  return node.marked ?? node.role === 'control-plane';
}

export function nodeTaints(api, node) {
  const taints = [];
  if (Array.isArray(node.taints)) taints.push(...node.taints);
  else if (isMarked(node)) taints.push({ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' });
  if (node.unschedulable) taints.push({ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' });
  if (!readiness(api, node).ready) taints.push({ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' });
  return taints;
}

function tolerates(tolerations, taint) {
  return (tolerations ?? []).some((t) => (t.operator === 'Exists' && !t.key) || (t.key === taint.key && (!t.effect || t.effect === taint.effect)));
}

/** Writes the CNI's conflist on a node whose CNI pod runs (what install-cni does); best effort. */
function ensureConflist(api, node) {
  const file = api.cni && CNI_CONFLISTS[api.cni.kind];
  if (!file) return;
  const dir = hostPaths(node.host).cniConfDir;
  try {
    if (existsSync(`${dir}/${file}`)) return;
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/${file}`, JSON.stringify({ name: 'k8s-pod-network', cniVersion: '1.0.0', plugins: [{ type: api.cni.kind }] }) + '\n');
  } catch {
    // Not root (kubectl run by the login user): the next root call writes it.
  }
}

/** Why a pod that is not on the host network cannot start on this node, or null. */
export function podNetworkProblem(api, node) {
  const ready = readiness(api, node);
  if (!ready.ready) return ready.message;
  ensureConflist(api, node);
  const plugins = cniPluginProblem(currentRuntime(nodeStateOf(node.host), `${hostPaths(node.host).root}/fs/etc-containerd/config.toml`));
  const sandbox = (kind, why) => `Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox: plugin type="${kind}" name="k8s-pod-network" failed (add): ${why}`;
  if (plugins) return sandbox(api.cni.kind, plugins);
  const dir = hostPaths(node.host).cniConfDir;
  const files = existsSync(dir) ? readdirSync(dir).filter((name) => /\.(conflist|conf|json)$/.test(name)).sort() : [];
  // Cilium keeps its own config only (it renames others to *.cilium_bak); the others use the first file.
  if (api.cni.kind !== 'cilium' && files.length > 0 && files[0] !== CNI_CONFLISTS[api.cni.kind]) {
    const other = CONFLIST_CNI[files[0]] ?? files[0];
    return sandbox(other, `${other} is not running on this node (stale /etc/cni/net.d/${files[0]})`);
  }
  return null;
}

function nodeCanRun(api, node, hostNetwork) {
  if (kubeletStatus(node.host).state !== 'active') return 'Kubelet stopped posting node status.';
  const runtime = runtimeProblemOf(node.host);
  if (runtime) return runtime;
  return hostNetwork ? null : podNetworkProblem(api, node);
}

function podObject({ name, namespace, node, labels = {}, owner, hostNetwork, problem, phase, containers, createdAt }) {
  const running = phase === 'Running' || phase === 'Succeeded';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels, creationTimestamp: createdAt, ownerReferences: owner ? [{ kind: owner.kind, name: owner.name }] : [] },
    spec: { ...(node ? { nodeName: node } : {}), hostNetwork: Boolean(hostNetwork), containers: containers ?? [] },
    status: {
      phase,
      conditions: [{ type: 'Ready', status: phase === 'Running' ? 'True' : 'False' }],
      containerStatuses: (containers ?? []).map((container) => ({
        name: container.name,
        image: container.image,
        ready: phase === 'Running',
        state: running ? { running: {} } : phase === 'Failed' ? { terminated: { exitCode: 1, reason: 'Error' } } : { waiting: { reason: node ? 'ContainerCreating' : 'Pending' } },
      })),
      ...(problem ? { message: problem } : {}),
    },
  };
}

/** Every pod of the cluster, each with its phase and, when it cannot run, why (status.message). */
export function derivePods(api) {
  const pods = [];
  const nodes = Object.values(api.nodes);
  for (const node of nodes) {
    const dir = hostPaths(node.host).manifests;
    const manifests = existsSync(dir) ? readdirSync(dir).filter((file) => file.endsWith('.yaml')).map((file) => file.replace(/\.yaml$/, '')) : [];
    for (const component of manifests) {
      const problem = nodeCanRun(api, node, true);
      pods.push(podObject({ name: `${component}-${node.name}`, namespace: 'kube-system', node: node.name, labels: { component, tier: 'control-plane' }, owner: { kind: 'Node', name: node.name }, hostNetwork: true, problem, phase: problem ? 'Pending' : 'Running', containers: [{ name: component, image: `registry.k8s.io/${component}` }] }));
    }
  }
  const daemonSets = listObjects(api, 'DaemonSet').map((object) => ({ namespace: object.namespace, name: object.name, template: object.body?.spec?.template }));
  if (api.cni?.kind === 'calico') {
    daemonSets.push({ namespace: 'calico-system', name: 'calico-node', template: { metadata: { labels: { 'k8s-app': 'calico-node' } }, spec: { hostNetwork: true, tolerations: [{ operator: 'Exists' }], containers: [{ name: 'calico-node', image: 'quay.io/calico/node' }] } } });
  }
  for (const ds of daemonSets) {
    const spec = ds.template?.spec ?? {};
    // DaemonSet pods tolerate not-ready and unschedulable nodes; other taints need a toleration.
    const tolerations = [...(spec.tolerations ?? []), { key: 'node.kubernetes.io/not-ready' }, { key: 'node.kubernetes.io/unschedulable' }];
    for (const node of nodes) {
      if (!nodeTaints(api, node).every((taint) => tolerates(tolerations, taint))) continue;
      const problem = nodeCanRun(api, node, spec.hostNetwork);
      pods.push(podObject({ name: `${ds.name}-${shortHash(node.name)}`, namespace: ds.namespace, node: node.name, labels: ds.template?.metadata?.labels, owner: { kind: 'DaemonSet', name: ds.name }, hostNetwork: spec.hostNetwork, problem, phase: problem ? 'Pending' : 'Running', containers: spec.containers }));
    }
  }
  for (const object of listObjects(api, 'Deployment')) pods.push(...deploymentPods(api, object));
  for (const object of listObjects(api, 'Pod')) pods.push(standalonePod(api, object));
  return pods;
}

function schedulable(api, node, tolerations) {
  return !node.unschedulable && readiness(api, node).ready && nodeTaints(api, node).every((taint) => taint.effect !== 'NoSchedule' || tolerates(tolerations, taint));
}

function deploymentPods(api, object) {
  const spec = object.body?.spec ?? {};
  const template = spec.template?.spec ?? {};
  const replicas = spec.replicas ?? 1;
  const candidates = Object.values(api.nodes).filter((node) => schedulable(api, node, template.tolerations));
  // Pods go where they can run, as a scheduler with the network ready would place them.
  const runnable = candidates.filter((node) => !nodeCanRun(api, node, template.hostNetwork));
  const hash = shortHash(JSON.stringify(spec.template ?? {}));
  const pods = [];
  for (let index = 0; index < replicas; index++) {
    const name = `${object.name}-${hash}-${shortHash(`${object.name}${index}`)}`;
    const base = { name, namespace: object.namespace, labels: spec.template?.metadata?.labels, owner: { kind: 'ReplicaSet', name: `${object.name}-${hash}` }, hostNetwork: template.hostNetwork, containers: template.containers, createdAt: object.createdAt };
    if (candidates.length === 0) {
      pods.push(podObject({ ...base, phase: 'Pending', problem: `0/${Object.keys(api.nodes).length} nodes are available: ${unschedulableReason(api)}` }));
      continue;
    }
    const node = runnable.length > 0 ? runnable[index % runnable.length] : candidates[index % candidates.length];
    const problem = nodeCanRun(api, node, template.hostNetwork);
    pods.push(podObject({ ...base, node: node.name, phase: problem ? 'Pending' : 'Running', problem }));
  }
  return pods;
}

function unschedulableReason(api) {
  const nodes = Object.values(api.nodes);
  const tainted = nodes.filter((node) => isMarked(node) && !Array.isArray(node.taints)).length;
  const notReady = nodes.filter((node) => !readiness(api, node).ready).length;
  const parts = [];
  if (tainted) parts.push(`${tainted} node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }`);
  if (notReady) parts.push(`${notReady} node(s) had untolerated taint {node.kubernetes.io/not-ready: }`);
  return `${parts.join(', ') || 'no nodes'}. preemption: 0/${nodes.length} nodes are available.`;
}

/** Deployment status as the controller reports it. */
export function deploymentStatus(api, object) {
  const replicas = object.body?.spec?.replicas ?? 1;
  const pods = deploymentPods(api, object);
  const available = pods.filter((pod) => pod.status.phase === 'Running').length;
  // Available = at least replicas - maxUnavailable (25%, rounded down) pods are available.
  const needed = replicas - Math.floor(replicas * 0.25);
  return {
    replicas,
    readyReplicas: available,
    availableReplicas: available,
    updatedReplicas: replicas,
    conditions: [{ type: 'Available', status: available >= needed ? 'True' : 'False', reason: available >= needed ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable', message: available >= needed ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.' }],
  };
}

export function daemonSetStatus(api, object) {
  const pods = derivePods(api).filter((pod) => pod.metadata.ownerReferences[0]?.kind === 'DaemonSet' && pod.metadata.ownerReferences[0]?.name === object.name && pod.metadata.namespace === object.namespace);
  const ready = pods.filter((pod) => pod.status.phase === 'Running').length;
  return { desiredNumberScheduled: pods.length, currentNumberScheduled: pods.length, numberReady: ready, numberAvailable: ready, updatedNumberScheduled: pods.length };
}

/** A Pod created with kubectl create/run: runs its command once where it is placed. */
function standalonePod(api, object) {
  const spec = object.body?.spec ?? {};
  const container = spec.containers?.[0] ?? {};
  const base = { name: object.name, namespace: object.namespace, labels: object.body?.metadata?.labels, hostNetwork: spec.hostNetwork, containers: spec.containers, createdAt: object.createdAt };
  const node = spec.nodeName ? api.nodes[spec.nodeName] : Object.values(api.nodes).find((entry) => schedulable(api, entry, spec.tolerations));
  if (!node) return podObject({ ...base, phase: 'Pending', problem: spec.nodeName ? `node "${spec.nodeName}" not found` : `0/${Object.keys(api.nodes).length} nodes are available` });
  const problem = nodeCanRun(api, node, spec.hostNetwork);
  if (problem) return podObject({ ...base, node: node.name, phase: 'Pending', problem });
  const command = [...(container.command ?? []), ...(container.args ?? [])].join(' ');
  if (!/nslookup|getent|dig /.test(command) || spec.restartPolicy === 'Always' || !spec.restartPolicy) return podObject({ ...base, node: node.name, phase: 'Running' });
  const dns = listObjects(api, 'Deployment', 'kube-system').find((entry) => entry.name === 'coredns');
  const dnsUp = dns && deploymentStatus(api, dns).availableReplicas > 0;
  return podObject({ ...base, node: node.name, phase: dnsUp ? 'Succeeded' : 'Failed' });
}

/** What `kubectl logs` shows for a pod created with a DNS lookup. */
export function podLogs(api, pod) {
  if (pod.status.phase === 'Succeeded') {
    return 'Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\nName:\tkubernetes.default.svc.cluster.local\nAddress: 10.96.0.1\n';
  }
  if (pod.status.phase === 'Failed') return ';; connection timed out; no servers could be reached\n';
  return '';
}

/** Warning events of pods that cannot start (FailedCreatePodSandBox / FailedScheduling). */
export function deriveEvents(api) {
  const now = fleetNow(api).toISOString();
  return derivePods(api)
    .filter((pod) => pod.status.message && pod.status.phase === 'Pending')
    .map((pod) => ({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${pod.metadata.name}.${shortHash(pod.status.message)}`, namespace: pod.metadata.namespace },
      involvedObject: { kind: 'Pod', name: pod.metadata.name, namespace: pod.metadata.namespace },
      type: 'Warning',
      reason: pod.spec.nodeName ? 'FailedCreatePodSandBox' : 'FailedScheduling',
      message: pod.status.message,
      lastTimestamp: now,
    }));
}
