// Pods as the kubelets would run them, derived from the API state and each node's files:
// static pods from /etc/kubernetes/manifests, DaemonSet and Deployment pods placed on the nodes
// whose taints they tolerate, StatefulSet pods (<name>-<ordinal>), and Pods created directly. A pod that is not on the host network
// runs only where pod networking works: the node is Ready, the CNI's conflist is the first in
// /etc/cni/net.d (a stale one of another CNI sorts first and breaks pods, as it does for real)
// and containerd looks for CNI plugins in /opt/cni/bin, where every CNI installs them.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { fleetNow } from './context.mjs';
import { cniPluginProblem, currentRuntime } from './containerd.mjs';
import { hostPaths, kubeletStatus, nodeStateOf, readiness, runtimeProblemOf } from './cluster.mjs';
import { startupProblem } from './cloud-apps.mjs';
import { getObject, listObjects } from './objects.mjs';
import { podConfigProblem } from './pod-config.mjs';
import { READY_AFTER_ANNOTATION, startingPod } from './disruption.mjs';

/** The conflist each CNI's DaemonSet writes on every node. */
export const CNI_CONFLISTS = { calico: '10-calico.conflist', flannel: '10-flannel.conflist', cilium: '05-cilium.conflist' };
const CONFLIST_CNI = Object.fromEntries(Object.entries(CNI_CONFLISTS).map(([cni, file]) => [file, cni]));

const shortHash = (text) => createHash('sha256').update(text).digest('hex').slice(0, 5);

/** Is the control-plane label on the Node? (kubeadm's mark-control-plane phase sets it.) */
export function isMarked(node) {
  return node.marked ?? node.role === 'control-plane';
}

/** The taint a kubelet with --cloud-provider=external registers with, until a CCM initialises the Node. */
export const UNINITIALIZED_TAINT = { key: 'node.cloudprovider.kubernetes.io/uninitialized', value: 'true', effect: 'NoSchedule' };

/** The Node's labels: the kubelet's own, kubeadm's control-plane ones, and those set later (kubectl label, a CCM). */
export function nodeLabels(node) {
  return {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': node.name,
    'kubernetes.io/os': 'linux',
    ...(isMarked(node) ? { 'node-role.kubernetes.io/control-plane': '', 'node.kubernetes.io/exclude-from-external-load-balancers': '' } : {}),
    ...(node.labels ?? {}),
  };
}

export function nodeTaints(api, node) {
  const taints = [];
  if (Array.isArray(node.taints)) taints.push(...node.taints);
  else if (isMarked(node)) taints.push({ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' });
  if (node.uninitialized) taints.push(UNINITIALIZED_TAINT);
  if (node.unschedulable) taints.push({ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' });
  if (!readiness(api, node).ready) taints.push({ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' });
  return taints;
}

function tolerates(tolerations, taint) {
  return (tolerations ?? []).some(
    (t) => (t.operator === 'Exists' && !t.key) || (t.key === taint.key && (!t.effect || t.effect === taint.effect) && (t.operator === 'Exists' || t.value === undefined || t.value === (taint.value ?? ''))),
  );
}

/** nodeSelector and required node affinity (In, NotIn, Exists, DoesNotExist), as the scheduler filters nodes. */
export function nodeMatches(node, podSpec) {
  const labels = nodeLabels(node);
  for (const [key, value] of Object.entries(podSpec?.nodeSelector ?? {})) if (labels[key] !== String(value)) return false;
  const terms = podSpec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!terms?.length) return true;
  return terms.some((term) =>
    (term.matchExpressions ?? []).every((expression) => {
      const has = expression.key in labels;
      const value = labels[expression.key];
      switch (expression.operator) {
        case 'In':
          return has && (expression.values ?? []).includes(value);
        case 'NotIn':
          return !has || !(expression.values ?? []).includes(value);
        case 'Exists':
          return has;
        case 'DoesNotExist':
          return !has;
        default:
          return false;
      }
    }),
  );
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

/** Container logs of pods whose container exits at start (CrashLoopBackOff), for `kubectl logs`. */
const crashLogs = new WeakMap();

function podObject({ name, namespace, node, labels = {}, owner, hostNetwork, problem, phase, containers, createdAt, waiting, crash, volumes }) {
  const running = (phase === 'Running' && !crash) || phase === 'Succeeded';
  const ready = phase === 'Running' && !crash;
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels, creationTimestamp: createdAt, ownerReferences: owner ? [{ kind: owner.kind, name: owner.name }] : [] },
    spec: { ...(node ? { nodeName: node } : {}), hostNetwork: Boolean(hostNetwork), containers: containers ?? [], ...(volumes ? { volumes } : {}) },
    status: {
      phase,
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: (containers ?? []).map((container) => ({
        name: container.name,
        image: container.image,
        ready,
        restartCount: crash ? 5 : 0,
        state: crash
          ? { waiting: { reason: 'CrashLoopBackOff', message: `back-off 2m40s restarting failed container=${container.name} pod=${name}_${namespace}` } }
          : running
            ? { running: {} }
            : phase === 'Failed'
              ? { terminated: { exitCode: 1, reason: 'Error' } }
              : { waiting: { reason: waiting?.reason ?? (node ? 'ContainerCreating' : 'Pending'), ...(waiting?.message ? { message: waiting.message } : {}) } },
      })),
      ...(problem ? { message: problem } : {}),
    },
  };
  if (crash) crashLogs.set(pod, crash);
  return pod;
}

/**
 * A workload pod on a node that can run it: Pending while the kubelet lacks a Secret it needs
 * (CreateContainerConfigError, or FailedMount and ContainerCreating), crash-looping when its
 * container exits at start (a cloud component without credentials), else Running.
 */
function startedPod(api, base, spec, problem) {
  if (problem) return podObject({ ...base, phase: 'Pending', problem });
  const config = podConfigProblem(api, base.namespace, spec);
  if (config?.reason === 'FailedMount') return podObject({ ...base, phase: 'Pending', waiting: { reason: 'ContainerCreating' }, problem: config.message });
  if (config) return podObject({ ...base, phase: 'Pending', waiting: { reason: 'CreateContainerConfigError', message: config.message }, problem: `Error: ${config.message}` });
  const crash = startupProblem(api, base.namespace, spec);
  return podObject({ ...base, phase: 'Running', crash: crash ?? undefined });
}

/** Is the pod Running and Ready (not crash-looping)? */
export const podReady = (pod) => pod.status.phase === 'Running' && pod.status.conditions[0]?.status === 'True';

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
      if (!nodeMatches(node, spec) || !nodeTaints(api, node).every((taint) => tolerates(tolerations, taint))) continue;
      const problem = nodeCanRun(api, node, spec.hostNetwork);
      const base = { name: `${ds.name}-${shortHash(node.name)}`, namespace: ds.namespace, node: node.name, labels: ds.template?.metadata?.labels, owner: { kind: 'DaemonSet', name: ds.name }, hostNetwork: spec.hostNetwork, containers: spec.containers };
      pods.push(startedPod(api, base, spec, problem));
    }
  }
  for (const object of listObjects(api, 'Deployment')) pods.push(...deploymentPods(api, object));
  for (const object of listObjects(api, 'StatefulSet')) pods.push(...statefulSetPods(api, object));
  for (const object of listObjects(api, 'Pod')) pods.push(standalonePod(api, object));
  return pods;
}

function schedulable(api, node, tolerations, podSpec) {
  return !node.unschedulable && readiness(api, node).ready && nodeMatches(node, podSpec) && nodeTaints(api, node).every((taint) => taint.effect !== 'NoSchedule' || tolerates(tolerations, taint));
}

function deploymentPods(api, object) {
  const hash = shortHash(JSON.stringify(object.body?.spec?.template ?? {}));
  return replicaPods(api, object, (index) => `${object.name}-${hash}-${shortHash(`${object.name}${index}`)}`, { kind: 'ReplicaSet', name: `${object.name}-${hash}` });
}

/** A StatefulSet's pods, named <name>-0, <name>-1… as the StatefulSet controller names them. */
function statefulSetPods(api, object) {
  return replicaPods(api, object, (index) => `${object.name}-${index}`, { kind: 'StatefulSet', name: object.name });
}

function replicaPods(api, object, podName, owner) {
  const spec = object.body?.spec ?? {};
  const template = spec.template?.spec ?? {};
  const replicas = spec.replicas ?? 1;
  const candidates = Object.values(api.nodes).filter((node) => schedulable(api, node, template.tolerations, template));
  // Pods go where they can run, as a scheduler with the network ready would place them.
  const runnable = candidates.filter((node) => !nodeCanRun(api, node, template.hostNetwork));
  const pods = [];
  for (let index = 0; index < replicas; index++) {
    const name = podName(index);
    const base = { name, namespace: object.namespace, labels: spec.template?.metadata?.labels, owner, hostNetwork: template.hostNetwork, containers: template.containers, createdAt: object.createdAt };
    if (candidates.length === 0) {
      pods.push(podObject({ ...base, phase: 'Pending', problem: `0/${Object.keys(api.nodes).length} nodes are available: ${unschedulableReason(api)}` }));
      continue;
    }
    const node = runnable.length > 0 ? runnable[index % runnable.length] : candidates[index % candidates.length];
    const problem = nodeCanRun(api, node, template.hostNetwork);
    // A pod a drain evicted from a workload with delayed availability (disruption.mjs) is still starting.
    if (!problem && object.body?.metadata?.annotations?.[READY_AFTER_ANNOTATION] !== undefined && startingPod(api, object.namespace, name)) {
      pods.push(podObject({ ...base, node: node.name, phase: 'Pending', waiting: { reason: 'ContainerCreating' } }));
      continue;
    }
    pods.push(startedPod(api, { ...base, node: node.name }, template, problem));
  }
  return pods;
}

function unschedulableReason(api) {
  const nodes = Object.values(api.nodes);
  const tainted = nodes.filter((node) => isMarked(node) && !Array.isArray(node.taints)).length;
  const notReady = nodes.filter((node) => !readiness(api, node).ready).length;
  const uninitialized = nodes.filter((node) => node.uninitialized).length;
  const parts = [];
  if (tainted) parts.push(`${tainted} node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }`);
  if (uninitialized) parts.push(`${uninitialized} node(s) had untolerated taint {node.cloudprovider.kubernetes.io/uninitialized: true}`);
  if (notReady) parts.push(`${notReady} node(s) had untolerated taint {node.kubernetes.io/not-ready: }`);
  return `${parts.join(', ') || 'no nodes'}. preemption: 0/${nodes.length} nodes are available.`;
}

/** Deployment status as the controller reports it. */
export function deploymentStatus(api, object) {
  const replicas = object.body?.spec?.replicas ?? 1;
  const pods = deploymentPods(api, object);
  const available = pods.filter(podReady).length;
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

/** StatefulSet status as its controller reports it (all replicas on the current revision). */
export function statefulSetStatus(api, object) {
  const replicas = object.body?.spec?.replicas ?? 1;
  const ready = statefulSetPods(api, object).filter(podReady).length;
  const revision = `${object.name}-${shortHash(JSON.stringify(object.body?.spec?.template ?? {}))}`;
  return { replicas, readyReplicas: ready, availableReplicas: ready, currentReplicas: replicas, updatedReplicas: replicas, currentRevision: revision, updateRevision: revision };
}

export function daemonSetStatus(api, object) {
  const pods = derivePods(api).filter((pod) => pod.metadata.ownerReferences[0]?.kind === 'DaemonSet' && pod.metadata.ownerReferences[0]?.name === object.name && pod.metadata.namespace === object.namespace);
  const ready = pods.filter(podReady).length;
  return { desiredNumberScheduled: pods.length, currentNumberScheduled: pods.length, numberReady: ready, numberAvailable: ready, updatedNumberScheduled: pods.length };
}

/** The node the scheduler gives a Pod created directly (spec.nodeName, else the first schedulable node), or null. */
export function placePod(api, spec) {
  if (spec?.nodeName) return api.nodes[spec.nodeName] ?? null;
  return Object.values(api.nodes).find((entry) => schedulable(api, entry, spec?.tolerations, spec)) ?? null;
}

/** The PersistentVolumeClaims a pod spec mounts: [{ volume, claimName }]. */
export function podClaims(spec) {
  return (spec?.volumes ?? []).filter((volume) => volume.persistentVolumeClaim?.claimName).map((volume) => ({ volume: volume.name, claimName: volume.persistentVolumeClaim.claimName }));
}

/** Why a pod's claims keep it from starting, or null: unbound claims keep it Pending (the scheduler's VolumeBinding). */
function claimProblem(api, namespace, spec) {
  for (const { claimName } of podClaims(spec)) {
    const claim = getObject(api, 'PersistentVolumeClaim', namespace, claimName);
    if (!claim) return `persistentvolumeclaim "${claimName}" not found`;
    if (claim.status?.phase !== 'Bound') return `0/${Object.keys(api.nodes).length} nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/${Object.keys(api.nodes).length} nodes are available: ${Object.keys(api.nodes).length} Preemption is not helpful for scheduling.`;
  }
  return null;
}

/** A Pod created with kubectl create/run: runs its command once where it is placed. */
function standalonePod(api, object) {
  const spec = object.body?.spec ?? {};
  const container = spec.containers?.[0] ?? {};
  const base = { name: object.name, namespace: object.namespace, labels: object.body?.metadata?.labels, hostNetwork: spec.hostNetwork, containers: spec.containers, createdAt: object.createdAt, volumes: spec.volumes };
  const node = placePod(api, spec);
  if (!node) return podObject({ ...base, phase: 'Pending', problem: spec.nodeName ? `node "${spec.nodeName}" not found` : `0/${Object.keys(api.nodes).length} nodes are available` });
  const volumes = claimProblem(api, object.namespace, spec);
  if (volumes) return podObject({ ...base, phase: 'Pending', problem: volumes });
  const problem = nodeCanRun(api, node, spec.hostNetwork);
  if (problem) return podObject({ ...base, node: node.name, phase: 'Pending', problem });
  const config = podConfigProblem(api, object.namespace, spec);
  if (config) return startedPod(api, { ...base, node: node.name }, spec, null);
  const command = [...(container.command ?? []), ...(container.args ?? [])].join(' ');
  if (!/nslookup|getent|dig /.test(command) || spec.restartPolicy === 'Always' || !spec.restartPolicy) return podObject({ ...base, node: node.name, phase: 'Running' });
  const dns = listObjects(api, 'Deployment', 'kube-system').find((entry) => entry.name === 'coredns');
  const dnsUp = dns && deploymentStatus(api, dns).availableReplicas > 0;
  return podObject({ ...base, node: node.name, phase: dnsUp ? 'Succeeded' : 'Failed' });
}

/** What `kubectl logs` shows: a crash-looping container's last words, a DNS lookup's answer. */
export function podLogs(api, pod) {
  if (crashLogs.has(pod)) return crashLogs.get(pod);
  if (pod.status.phase === 'Succeeded') {
    return 'Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\nName:\tkubernetes.default.svc.cluster.local\nAddress: 10.96.0.1\n';
  }
  if (pod.status.phase === 'Failed') return ';; connection timed out; no servers could be reached\n';
  return '';
}

/** Why a pod does not run, as the kubelet or scheduler reports it in its Warning event. */
function podEventReason(pod) {
  const waiting = pod.status.containerStatuses?.[0]?.state?.waiting?.reason;
  if (waiting === 'CrashLoopBackOff') return 'BackOff';
  if (waiting === 'CreateContainerConfigError') return 'Failed';
  if (pod.status.message?.startsWith('MountVolume.')) return 'FailedMount';
  return pod.spec.nodeName ? 'FailedCreatePodSandBox' : 'FailedScheduling';
}

/**
 * Warning events of pods that cannot start (FailedCreatePodSandBox / FailedScheduling /
 * FailedMount / Failed / BackOff), plus the events controllers recorded (api.events: the CCMs'
 * load balancer events, the PV controller's and provisioners', MetalLB's).
 */
export function deriveEvents(api) {
  const now = fleetNow(api).toISOString();
  const podEvents = derivePods(api)
    .filter((pod) => (pod.status.message && pod.status.phase === 'Pending') || pod.status.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff')
    .map((pod) => {
      const reason = podEventReason(pod);
      const message = reason === 'BackOff' ? `Back-off restarting failed container ${pod.spec.containers[0]?.name} in pod ${pod.metadata.name}_${pod.metadata.namespace}` : pod.status.message;
      return {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${pod.metadata.name}.${shortHash(message)}`, namespace: pod.metadata.namespace },
        involvedObject: { kind: 'Pod', name: pod.metadata.name, namespace: pod.metadata.namespace },
        type: 'Warning',
        reason,
        message,
        source: { component: reason === 'FailedScheduling' ? 'default-scheduler' : 'kubelet' },
        lastTimestamp: now,
      };
    });
  return [...podEvents, ...(api.events ?? [])];
}
