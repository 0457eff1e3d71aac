// kubectl against the fleet's shared API state: get (any stored kind, plus Nodes, Pods, Events
// and Secrets derived from the state), cordon/uncordon/drain/label, delete, apply (client-side
// and server-side, with field-manager conflicts) and create (AlreadyExists per object), wait
// (Ready, Established, Available, jsonpath), rollout status and restart (Deployments, DaemonSets), exec (etcdctl
// in the etcd pod), logs, /readyz.
import { readFileSync } from 'node:fs';
import { apiState, commandNotFound, fail, flagValue, fleetNow, installedVersion, parseArgs, recordHistory, sleep, updateApi, upstreamVersion } from './context.mjs';
import { hostDown, machineOf, nodeStateOf, readiness } from './cluster.mjs';
import { settledApi } from './controllers.mjs';
import { fetchCanned } from './download.mjs';
import { etcdctl } from './etcd.mjs';
import { etcdutl } from './etcd-snapshot.mjs';
import { connect } from './kubeclient.mjs';
import { CLUSTER_SCOPED, DEFAULT_NAMESPACES, deleteObject, effectiveBody, getObject, listObjects, namespaceOf, putObject, specDiffers } from './objects.mjs';
import { daemonSetStatus, deploymentStatus, deriveEvents, derivePods, isMarked, nodeLabels, nodeTaints, podLogs, statefulSetStatus } from './workloads.mjs';
import { parseDocuments } from './yaml.mjs';
import { deriveReplicaSets, evictPods, podsToEvict, storedPdbStatus } from './disruption.mjs';

const VALUE_FLAGS = [
  'kubeconfig', 'n', 'namespace', 'o', 'output', 'f', 'filename', 'for', 'timeout', 'request-timeout', 'raw', 'l', 'selector', 'grace-period',
  'context', 'field-selector', 'field-manager', 'c', 'container', 'tail', 'p', 'patch', 'type',
];
const BUILTIN_GROUPS = new Set(['v1', 'apps/v1', 'rbac.authorization.k8s.io/v1', 'apiextensions.k8s.io/v1', 'policy/v1', 'networking.k8s.io/v1', 'batch/v1',
  'admissionregistration.k8s.io/v1', 'scheduling.k8s.io/v1', 'storage.k8s.io/v1', 'coordination.k8s.io/v1', 'apiregistration.k8s.io/v1', 'autoscaling/v2']);
/** CRDs answer `no matches for kind` until the API server has them Established. */
const ESTABLISH_MS = 300;

/** resource words kubectl accepts → kind. Anything else matches a stored kind by name. */
const RESOURCES = {
  node: 'Node', nodes: 'Node', no: 'Node',
  pod: 'Pod', pods: 'Pod', po: 'Pod',
  configmap: 'ConfigMap', configmaps: 'ConfigMap', cm: 'ConfigMap',
  secret: 'Secret', secrets: 'Secret',
  deployment: 'Deployment', deployments: 'Deployment', deploy: 'Deployment', 'deployment.apps': 'Deployment', 'deployments.apps': 'Deployment',
  daemonset: 'DaemonSet', daemonsets: 'DaemonSet', ds: 'DaemonSet', 'daemonset.apps': 'DaemonSet', 'daemonsets.apps': 'DaemonSet',
  statefulset: 'StatefulSet', statefulsets: 'StatefulSet', sts: 'StatefulSet', 'statefulset.apps': 'StatefulSet', 'statefulsets.apps': 'StatefulSet',
  ingress: 'Ingress', ingresses: 'Ingress', ing: 'Ingress', 'ingress.networking.k8s.io': 'Ingress', 'ingresses.networking.k8s.io': 'Ingress',
  ingressclass: 'IngressClass', ingressclasses: 'IngressClass', 'ingressclass.networking.k8s.io': 'IngressClass', 'ingressclasses.networking.k8s.io': 'IngressClass',
  service: 'Service', services: 'Service', svc: 'Service',
  namespace: 'Namespace', namespaces: 'Namespace', ns: 'Namespace',
  crd: 'CustomResourceDefinition', crds: 'CustomResourceDefinition', customresourcedefinition: 'CustomResourceDefinition', customresourcedefinitions: 'CustomResourceDefinition',
  'customresourcedefinition.apiextensions.k8s.io': 'CustomResourceDefinition', 'customresourcedefinitions.apiextensions.k8s.io': 'CustomResourceDefinition',
  event: 'Event', events: 'Event', ev: 'Event',
  installation: 'Installation', installations: 'Installation', 'installation.operator.tigera.io': 'Installation', 'installations.operator.tigera.io': 'Installation',
  storageclass: 'StorageClass', storageclasses: 'StorageClass', sc: 'StorageClass', 'storageclass.storage.k8s.io': 'StorageClass', 'storageclasses.storage.k8s.io': 'StorageClass',
  persistentvolumeclaim: 'PersistentVolumeClaim', persistentvolumeclaims: 'PersistentVolumeClaim', pvc: 'PersistentVolumeClaim',
  persistentvolume: 'PersistentVolume', persistentvolumes: 'PersistentVolume', pv: 'PersistentVolume',
  poddisruptionbudget: 'PodDisruptionBudget', poddisruptionbudgets: 'PodDisruptionBudget', pdb: 'PodDisruptionBudget', 'poddisruptionbudget.policy': 'PodDisruptionBudget', 'poddisruptionbudgets.policy': 'PodDisruptionBudget',
  replicaset: 'ReplicaSet', replicasets: 'ReplicaSet', rs: 'ReplicaSet', 'replicaset.apps': 'ReplicaSet', 'replicasets.apps': 'ReplicaSet',
  csidriver: 'CSIDriver', csidrivers: 'CSIDriver', 'csidriver.storage.k8s.io': 'CSIDriver', 'csidrivers.storage.k8s.io': 'CSIDriver',
};
const NAMESPACED_DERIVED = new Set(['Pod', 'Event', 'Secret']);

export async function run(_tool, argv) {
  if (!installedVersion('kubectl')) commandNotFound('kubectl');
  const dash = argv.indexOf('--');
  const { flags, positional } = parseArgs(dash >= 0 ? argv.slice(0, dash) : argv, { withValue: VALUE_FLAGS });
  const after = dash >= 0 ? argv.slice(dash + 1) : [];
  const [verb, ...args] = positional;
  if (verb === 'version' && flags.client) return version(flags, null);
  const kubeconfig = flagValue(flags, 'kubeconfig');
  switch (verb) {
    case 'version':
      return version(flags, connect(kubeconfig).api);
    case 'get':
      return get(connect(kubeconfig).api, args, flags);
    case 'cordon':
    case 'uncordon':
      connect(kubeconfig);
      return cordon(args, verb === 'cordon');
    case 'drain':
      connect(kubeconfig);
      return drain(args[0], flags);
    case 'delete':
      connect(kubeconfig);
      return remove(args, flags);
    case 'apply':
    case 'create':
      connect(kubeconfig);
      return applyManifests(verb, flags);
    case 'wait':
      connect(kubeconfig);
      return wait(args, flags);
    case 'rollout':
      connect(kubeconfig);
      return rollout(args, flags);
    case 'label':
      connect(kubeconfig);
      return label(args);
    case 'annotate':
      connect(kubeconfig);
      return annotate(args, flags);
    case 'patch':
      connect(kubeconfig);
      return patch(args, flags);
    case 'exec':
      return exec(connect(kubeconfig).api, args, flags, after);
    case 'logs':
      return logs(connect(kubeconfig).api, args, flags);
    case 'cluster-info': {
      const { api } = connect(kubeconfig);
      process.stdout.write(`Kubernetes control plane is running at https://${api.cluster.controlPlaneEndpoint}\nCoreDNS is running at https://${api.cluster.controlPlaneEndpoint}/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy\n`);
      return 0;
    }
    default:
      fail(1, `error: unknown command "${verb ?? ''}" for "kubectl"`);
  }
}

function version(flags, api) {
  const client = `v${upstreamVersion(installedVersion('kubectl'))}`;
  if ((flagValue(flags, 'o') ?? flagValue(flags, 'output')) === 'json') {
    const body = { clientVersion: { gitVersion: client, platform: 'linux/amd64' }, kustomizeVersion: 'v5.7.1' };
    if (api) body.serverVersion = { gitVersion: api.cluster.kubernetesVersion, platform: 'linux/amd64' };
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  } else {
    process.stdout.write(`Client Version: ${client}\nKustomize Version: v5.7.1\n${api ? `Server Version: ${api.cluster.kubernetesVersion}\n` : ''}`);
  }
  return 0;
}

const namespaceFlag = (flags) => flagValue(flags, 'n') ?? flagValue(flags, 'namespace');

// ---------------------------------------------------------------- objects as the API returns them

function podCidr(api, name) {
  const index = Object.keys(api.nodes).indexOf(name);
  const subnet = api.cluster?.podSubnet;
  if (!subnet || index < 0) return undefined;
  const [base] = subnet.split('/');
  const value = base.split('.').reduce((acc, part) => acc * 256 + Number(part), 0) + index * 256;
  return `${[24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.')}/24`;
}

function runtimeVersionOf(host) {
  const installed = nodeStateOf(host).packages.installed;
  const containerd = installed['containerd.io'] ?? installed.containerd;
  if (containerd) return `containerd://${/^(?:\d+:)?([\d.]+)/.exec(containerd)?.[1] ?? containerd}`;
  return installed['cri-o'] ? `cri-o://${installed['cri-o'].replace(/-.*$/, '')}` : 'unknown://';
}

function nodeObject(api, node) {
  const ready = readiness(api, node);
  const labels = nodeLabels(node);
  const taints = nodeTaints(api, node);
  const cidr = podCidr(api, node.name);
  const now = fleetNow(api).toISOString();
  const distro = nodeStateOf(node.host).distro;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: node.name, creationTimestamp: node.registeredAt, labels, annotations: { 'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///var/run/containerd/containerd.sock' } },
    spec: { ...(cidr ? { podCIDR: cidr, podCIDRs: [cidr] } : {}), ...(node.providerID ? { providerID: node.providerID } : {}), ...(node.unschedulable ? { unschedulable: true } : {}), ...(taints.length ? { taints } : {}) },
    status: {
      addresses: [{ type: 'InternalIP', address: node.internalIP }, { type: 'Hostname', address: node.name }],
      conditions: [
        { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available', lastHeartbeatTime: now, lastTransitionTime: node.registeredAt },
        { type: 'Ready', status: ready.ready ? 'True' : ready.reason === 'NodeStatusUnknown' ? 'Unknown' : 'False', reason: ready.reason, message: ready.message, lastHeartbeatTime: now, lastTransitionTime: node.registeredAt },
      ],
      nodeInfo: {
        architecture: 'amd64',
        containerRuntimeVersion: runtimeVersionOf(node.host),
        kernelVersion: '6.8.0-fleet',
        kubeletVersion: node.kubeletVersion,
        operatingSystem: 'linux',
        systemUUID: machineOf(node.host).uuid,
        osImage: distro?.pretty ?? 'Ubuntu 24.04.3 LTS',
      },
    },
  };
}

/** A stored object as the API server shows it: its manifest plus the status the controllers keep. */
function objectView(api, stored) {
  const body = effectiveBody(stored);
  body.metadata = { ...body.metadata, creationTimestamp: stored.createdAt, managedFields: [{ manager: stored.manager ?? 'kubectl-client-side-apply', operation: stored.manager === 'kubectl' ? 'Apply' : 'Update' }] };
  if (stored.kind === 'Deployment') body.status = deploymentStatus(api, stored);
  if (stored.kind === 'DaemonSet') body.status = daemonSetStatus(api, stored);
  if (stored.kind === 'StatefulSet') body.status = statefulSetStatus(api, stored);
  if (stored.kind === 'PodDisruptionBudget') body.status = storedPdbStatus(api, stored);
  if (stored.kind === 'CustomResourceDefinition') {
    const established = Date.now() - new Date(stored.createdAt ?? 0).getTime() >= ESTABLISH_MS;
    body.status = { conditions: [{ type: 'NamesAccepted', status: 'True' }, { type: 'Established', status: established ? 'True' : 'False' }] };
  }
  if (stored.kind === 'Installation') body.status = installationStatus(api);
  return body;
}

/** The operator reports the Calico version it runs: the one its Deployment was applied for. */
function installationStatus(api) {
  const operator = getObject(api, 'Deployment', 'tigera-operator', 'tigera-operator');
  const calicoVersion = operator?.body?.metadata?.annotations?.['fleet.k8sb/calico-version'];
  return calicoVersion ? { calicoVersion, conditions: [{ type: 'Ready', status: 'True' }] } : { conditions: [] };
}

function derivedSecrets(api) {
  const now = fleetNow(api);
  const secrets = api.tokens
    .filter((token) => token.expires === null || new Date(token.expires) > now)
    .map((token) => ({ apiVersion: 'v1', kind: 'Secret', type: 'bootstrap.kubernetes.io/token', metadata: { name: `bootstrap-token-${token.token.split('.')[0]}`, namespace: 'kube-system' } }));
  if (api.certificateKey && now - new Date(api.certificateKey.uploadedAt) < 2 * 3_600_000) {
    secrets.push({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 'kubeadm-certs', namespace: 'kube-system' } });
  }
  return secrets;
}

/** Every object of a kind, as full API objects; namespace undefined = all namespaces. */
function objectsOf(api, kind, namespace) {
  let items;
  if (kind === 'Node') items = Object.values(api.nodes).map((node) => nodeObject(api, node));
  else if (kind === 'Pod') items = derivePods(api);
  else if (kind === 'Event') items = deriveEvents(api);
  else if (kind === 'ReplicaSet') items = deriveReplicaSets(api);
  else if (kind === 'Namespace') {
    items = [...DEFAULT_NAMESPACES.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })), ...listObjects(api, 'Namespace').map((object) => objectView(api, object))];
  } else {
    items = listObjects(api, kind).map((object) => objectView(api, object));
    if (kind === 'Secret') items.push(...derivedSecrets(api));
  }
  const scoped = NAMESPACED_DERIVED.has(kind) || !['Node', 'Namespace'].includes(kind);
  return items.filter((item) => namespace === undefined || !scoped || !item.metadata.namespace || item.metadata.namespace === namespace);
}

function kindOf(api, word) {
  const lower = String(word ?? '').toLowerCase();
  if (RESOURCES[lower]) return RESOURCES[lower];
  const singular = lower.replace(/\..*$/, '').replace(/ies$/, 'y').replace(/s$/, '');
  const stored = Object.values(api.objects).find((object) => object.kind.toLowerCase() === singular);
  return stored?.kind ?? null;
}

const plural = (kind) => `${kind.toLowerCase().replace(/y$/, 'ie')}s`;

function selectorMatches(item, flags) {
  const labelSelector = flagValue(flags, 'l') ?? flagValue(flags, 'selector');
  if (labelSelector) {
    for (const pair of String(labelSelector).split(',')) {
      const [key, value] = pair.split('=');
      if ((item.metadata.labels ?? {})[key] !== value) return false;
    }
  }
  const fieldSelector = flagValue(flags, 'field-selector');
  if (fieldSelector) {
    for (const pair of String(fieldSelector).split(',')) {
      const [path, value] = pair.split('=');
      const actual = path.split('.').reduce((object, part) => object?.[part], item);
      if (String(actual ?? '') !== value) return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------- get

/** A small JSONPath: {.a.b}, {.items[*].x}, {.items[0].x}, several {…} joined by literal text. */
function jsonPath(root, template) {
  const expression = template.replace(/^'(.*)'$/, '$1');
  return expression.replace(/\{([^}]*)\}/g, (_, path) => {
    let values = [root];
    for (const part of path.replace(/^\./, '').split('.').filter(Boolean)) {
      const match = /^([^[]*)(?:\[(\*|\d+)\])?$/.exec(part);
      values = values.flatMap((value) => {
        let next = match[1] ? value?.[match[1]] : value;
        if (match[2] === '*') return Array.isArray(next) ? next : [];
        if (match[2] !== undefined) next = next?.[Number(match[2])];
        return next === undefined ? [] : [next];
      });
    }
    return values.map((value) => (typeof value === 'object' ? JSON.stringify(value) : String(value))).join(' ');
  });
}

/** `kind name…`, `kind/name kind/name…` → [{ kind, name? }]. */
function targets(api, args) {
  if (args.length === 0) return [];
  // `get pdb,deploy,pods`: several resource types at once (no names).
  if (args.length === 1 && args[0].includes(',') && !args[0].includes('/')) return args[0].split(',').map((word) => ({ word, kind: kindOf(api, word) }));
  if (args.every((arg) => arg.includes('/'))) return args.map((arg) => ({ word: arg.split('/')[0], kind: kindOf(api, arg.split('/')[0]), name: arg.split('/').slice(1).join('/') }));
  const [word, ...names] = args;
  const kind = kindOf(api, word);
  return names.length === 0 ? [{ word, kind }] : names.map((name) => ({ word, kind, name }));
}

function get(api, args, flags) {
  const output = flagValue(flags, 'o') ?? flagValue(flags, 'output');
  const raw = flagValue(flags, 'raw');
  if (raw) return getRaw(api, raw);
  const allNamespaces = Boolean(flags.A || flags['all-namespaces']);
  const namespace = allNamespaces ? undefined : namespaceFlag(flags) ?? 'default';
  const wanted = targets(api, args);
  if (wanted.length === 0) fail(1, 'error: Required resource not specified.');
  const found = [];
  const errors = [];
  for (const target of wanted) {
    if (!target.kind) {
      errors.push(`error: the server doesn't have a resource type "${target.word}"`);
      continue;
    }
    const items = objectsOf(api, target.kind, namespace).filter((item) => selectorMatches(item, flags));
    if (!target.name) {
      found.push(...items);
      continue;
    }
    const item = items.find((entry) => entry.metadata.name === target.name);
    if (item) found.push(item);
    else if (!flags['ignore-not-found']) errors.push(`Error from server (NotFound): ${plural(target.kind)} "${target.name}" not found`);
  }
  const single = wanted.length === 1 && wanted[0].name !== undefined;
  // --ignore-not-found: nothing at all is printed for what is not there (not even an empty List).
  if (!(flags['ignore-not-found'] && found.length === 0)) print(api, found, output, single && found.length === 1, namespace);
  if (errors.length > 0) fail(1, errors.join('\n'));
  return 0;
}

function print(api, items, output, single, namespace) {
  if (output === 'json') {
    process.stdout.write(`${JSON.stringify(single ? items[0] : { apiVersion: 'v1', kind: 'List', items, metadata: { resourceVersion: '' } }, null, 4)}\n`);
  } else if (output === 'name') {
    process.stdout.write(items.map((item) => `${item.kind.toLowerCase()}/${item.metadata.name}\n`).join(''));
  } else if (output?.startsWith('jsonpath=')) {
    process.stdout.write(jsonPath(single ? items[0] : { items }, output.slice('jsonpath='.length)));
  } else if (items.length === 0) {
    process.stderr.write(namespace ? `No resources found in ${namespace} namespace.\n` : 'No resources found\n');
  } else if (items[0].kind === 'Node') {
    const rows = [['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', ...(output === 'wide' ? ['INTERNAL-IP'] : [])]];
    for (const item of items) {
      const node = api.nodes[item.metadata.name];
      const status = (readiness(api, node).ready ? 'Ready' : 'NotReady') + (node.unschedulable ? ',SchedulingDisabled' : '');
      rows.push([node.name, status, isMarked(node) ? 'control-plane' : '<none>', age(api, node.registeredAt), node.kubeletVersion, ...(output === 'wide' ? [node.internalIP] : [])]);
    }
    table(rows);
  } else if (items[0].kind === 'Pod') {
    // STATUS is the waiting reason when a container waits (CrashLoopBackOff, CreateContainerConfigError), as kubectl prints it.
    const status = (pod) => pod.status.containerStatuses?.find((c) => c.state?.waiting && c.state.waiting.reason !== 'Pending')?.state.waiting.reason ?? (pod.status.phase === 'Pending' && pod.spec.nodeName ? 'ContainerCreating' : pod.status.phase);
    const ready = (pod) => `${(pod.status.containerStatuses ?? []).filter((c) => c.ready).length}/${Math.max(1, (pod.status.containerStatuses ?? []).length)}`;
    table([['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'], ...items.map((pod) => [pod.metadata.name, pod.status.phase === 'Succeeded' ? '0/1' : ready(pod), status(pod), String(pod.status.containerStatuses?.[0]?.restartCount ?? 0), '1m'])]);
  } else if (items[0].kind === 'Service') {
    const ports = (item) => (item.spec?.ports ?? []).map((port) => `${port.port}${port.nodePort ? `:${port.nodePort}` : ''}/${port.protocol ?? 'TCP'}`).join(',') || '<none>';
    const external = (item) => {
      const ingress = item.status?.loadBalancer?.ingress ?? [];
      if (ingress.length > 0) return ingress.map((entry) => entry.ip ?? entry.hostname).join(',');
      return item.spec?.type === 'LoadBalancer' ? '<pending>' : '<none>';
    };
    table([['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'], ...items.map((item) => [item.metadata.name, item.spec?.type ?? 'ClusterIP', item.spec?.clusterIP ?? '<none>', external(item), ports(item), '1m'])]);
  } else if (items[0].kind === 'PersistentVolumeClaim') {
    table([
      ['NAME', 'STATUS', 'VOLUME', 'CAPACITY', 'ACCESS MODES', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'AGE'],
      ...items.map((item) => [item.metadata.name, item.status?.phase ?? 'Pending', item.spec?.volumeName ?? '', item.status?.capacity?.storage ?? '', (item.status?.accessModes ?? []).map(accessMode).join(','), item.spec?.storageClassName ?? '', '<unset>', '1m']),
    ]);
  } else if (items[0].kind === 'StorageClass') {
    table([
      ['NAME', 'PROVISIONER', 'RECLAIMPOLICY', 'VOLUMEBINDINGMODE', 'ALLOWVOLUMEEXPANSION', 'AGE'],
      ...items.map((item) => [
        `${item.metadata.name}${item.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true' ? ' (default)' : ''}`,
        item.provisioner,
        item.reclaimPolicy ?? 'Delete',
        item.volumeBindingMode ?? 'Immediate',
        String(Boolean(item.allowVolumeExpansion)),
        '1m',
      ]),
    ]);
  } else {
    table([['NAME', 'AGE'], ...items.map((item) => [item.metadata.name, '1m'])]);
  }
}

const accessMode = (mode) => ({ ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' })[mode] ?? mode;

function table(rows) {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => String(row[column]).length)));
  process.stdout.write(rows.map((row) => row.map((cell, column) => String(cell).padEnd(widths[column])).join('   ').trimEnd()).join('\n') + '\n');
}

function age(api, since) {
  const minutes = Math.max(0, Math.floor((fleetNow(api) - new Date(since)) / 60_000));
  if (minutes < 1) return `${Math.max(1, Math.floor((fleetNow(api) - new Date(since)) / 1000))}s`;
  if (minutes < 120) return `${minutes}m`;
  if (minutes < 48 * 60) return `${Math.floor(minutes / 60)}h`;
  return `${Math.floor(minutes / 1440)}d`;
}

function getRaw(api, path) {
  if (!/^\/(readyz|livez|healthz)/.test(path)) fail(1, 'Error from server (NotFound): the server could not find the requested resource');
  if (!path.includes('verbose')) {
    process.stdout.write('ok');
    return 0;
  }
  const checks = ['ping', 'log', 'etcd', 'etcd-readiness', 'informer-sync', 'poststarthook/start-apiserver-admission-initializer', 'poststarthook/rbac/bootstrap-roles', 'shutdown'];
  process.stdout.write(`${checks.map((check) => `[+]${check} ok`).join('\n')}\n${path.split('?')[0].slice(1)} check passed\n`);
  return 0;
}

// ---------------------------------------------------------------- nodes

function requireNode(name) {
  if (!name) fail(1, 'error: USAGE: kubectl cordon NODE [options]');
  const api = apiState();
  if (!api.nodes[name]) fail(1, `Error from server (NotFound): nodes "${name}" not found`);
}

function cordon(names, unschedulable) {
  for (const name of names) requireNode(name);
  const lines = [];
  updateApi((api) => {
    for (const name of names) {
      const node = api.nodes[name];
      const word = unschedulable ? 'cordoned' : 'uncordoned';
      lines.push(node.unschedulable === unschedulable ? `node/${name} already ${word}` : `node/${name} ${word}`);
      if (node.unschedulable !== unschedulable) recordHistory(api, unschedulable ? 'cordon' : 'uncordon', { name });
      node.unschedulable = unschedulable;
    }
  });
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

async function drain(name, flags) {
  requireNode(name);
  // The pods to evict, listed as they run before the cordon (disruption.mjs evicts them, PDBs permitting).
  const pending = podsToEvict(apiState(), name);
  let already = false;
  updateApi((api) => {
    already = api.nodes[name].unschedulable;
    api.nodes[name].unschedulable = true;
  });
  process.stdout.write(`node/${name} ${already ? 'already cordoned' : 'cordoned'}\n`);
  const daemonPods = `kube-system/kube-proxy-${name}`;
  if (!flags['ignore-daemonsets']) {
    fail(
      1,
      `error: unable to drain node "${name}" due to error: cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): ${daemonPods}, continuing command...\nThere are pending nodes to be drained:\n ${name}\ncannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): ${daemonPods}`,
    );
  }
  process.stderr.write(`Warning: ignoring DaemonSet-managed Pods: ${daemonPods}\n`);
  const evicted = await evictPods(name, pending, flagValue(flags, 'timeout'));
  if (evicted !== 0) return evicted;
  updateApi((api) => recordHistory(api, 'drain', { name }));
  process.stdout.write(`node/${name} drained\n`);
  return 0;
}

function label(args) {
  const [resource, name, ...pairs] = args.flatMap((arg, index) => (index === 0 ? arg.split('/') : [arg]));
  if (!['node', 'nodes', 'no'].includes(resource)) fail(1, `fleet: kubectl label ${resource ?? ''} is not simulated`);
  requireNode(name);
  updateApi((api) => {
    const node = api.nodes[name];
    node.labels ??= {};
    for (const pair of pairs) {
      if (pair.endsWith('-')) delete node.labels[pair.slice(0, -1)];
      else {
        const [key, value = ''] = pair.split(/=(.*)/);
        node.labels[key] = value;
      }
    }
  });
  process.stdout.write(`node/${name} labeled\n`);
  return 0;
}

/** A stored object (not a Node) named like kubectl names it: `KIND NAME` or `KIND/NAME`; fails with kubectl's NotFound. */
function storedTarget(api, args, flags) {
  const [first, ...rest] = args;
  const [word, name, pairs] = first?.includes('/') ? [first.split('/')[0], first.split('/').slice(1).join('/'), rest] : [first, rest[0], rest.slice(1)];
  const kind = kindOf(api, word);
  if (!kind) fail(1, `error: the server doesn't have a resource type "${word ?? ''}"`);
  const namespace = CLUSTER_SCOPED.has(kind) ? undefined : namespaceFlag(flags) ?? 'default';
  if (kind !== 'Node' && !getObject(api, kind, namespace, name)) fail(1, `Error from server (NotFound): ${plural(kind)} "${name}" not found`);
  return { kind, name, namespace, pairs };
}

/** kubectl prints the resource with its API group: storageclass.storage.k8s.io/local-path annotated. */
function resourceWord(api, kind, namespace, name) {
  if (kind === 'Node') return 'node';
  return resourceName(getObject(api, kind, namespace, name).body);
}

/** `annotate KIND NAME k=v… [--overwrite]`, `k-` removes. Without --overwrite a changed value is refused, as kubectl does. */
function annotate(args, flags) {
  const target = storedTarget(apiState(), args, flags);
  if (target.kind === 'Node') fail(1, 'fleet: kubectl annotate node is not simulated');
  let refused = null;
  updateApi((api) => {
    const stored = getObject(api, target.kind, target.namespace, target.name);
    const annotations = { ...(stored.body.metadata.annotations ?? {}) };
    for (const pair of target.pairs) {
      if (pair.endsWith('-')) {
        delete annotations[pair.slice(0, -1)];
        continue;
      }
      const [key, value = ''] = pair.split(/=(.*)/);
      if (key in annotations && annotations[key] !== value && !flags.overwrite) {
        refused = `error: --overwrite is false but found the following declared annotation(s): '${key}' already has a value (${annotations[key]})`;
        return;
      }
      annotations[key] = value;
    }
    stored.body.metadata.annotations = annotations;
  });
  if (refused) fail(1, refused);
  process.stdout.write(`${resourceWord(apiState(), target.kind, target.namespace, target.name)}/${target.name} annotated\n`);
  return 0;
}

/** `patch KIND NAME -p JSON [--type merge|strategic]`: a JSON merge patch of the stored manifest. */
function patch(args, flags) {
  const target = storedTarget(apiState(), args, flags);
  if (target.kind === 'Node') fail(1, 'fleet: kubectl patch node is not simulated');
  const text = String(flagValue(flags, 'p') ?? flagValue(flags, 'patch') ?? '');
  let change;
  try {
    change = JSON.parse(text);
  } catch (error) {
    fail(1, `error: unable to parse "${text}": ${error.message}`);
  }
  const merge = (base, next) => {
    if (next === null || typeof next !== 'object' || Array.isArray(next)) return next;
    const out = { ...(base && typeof base === 'object' && !Array.isArray(base) ? base : {}) };
    for (const [key, value] of Object.entries(next)) {
      if (value === null) delete out[key];
      else out[key] = merge(out[key], value);
    }
    return out;
  };
  let changed = false;
  updateApi((api) => {
    const stored = getObject(api, target.kind, target.namespace, target.name);
    const next = merge(stored.body, change);
    changed = JSON.stringify(next) !== JSON.stringify(stored.body);
    stored.body = next;
  });
  process.stdout.write(`${resourceWord(apiState(), target.kind, target.namespace, target.name)}/${target.name} ${changed ? 'patched' : 'patched (no change)'}\n`);
  return 0;
}

// ---------------------------------------------------------------- delete

async function remove(args, flags) {
  if (flags.f || flags.filename) {
    const lines = [];
    for (const source of [].concat(flags.f ?? flags.filename)) {
      for (const doc of await documentsOf(source)) {
        const ns = namespaceOf(doc, namespaceFlag(flags) ?? 'default');
        let existed = false;
        updateApi((api) => {
          existed = deleteObject(api, doc.kind, ns, doc.metadata.name);
          updateCni(api);
        });
        if (existed) lines.push(`${doc.kind.toLowerCase()} "${doc.metadata.name}" deleted`);
        else if (!flags['ignore-not-found']) fail(1, `Error from server (NotFound): error when deleting "${source}": ${plural(doc.kind)} "${doc.metadata.name}" not found`);
      }
    }
    process.stdout.write(lines.map((line) => `${line}\n`).join(''));
    return 0;
  }
  const api = apiState();
  const namespace = namespaceFlag(flags) ?? 'default';
  const lines = [];
  for (const target of targets(api, args)) {
    if (!target.kind) fail(1, `error: the server doesn't have a resource type "${target.word}"`);
    if (target.kind === 'Node') {
      requireNode(target.name);
      updateApi((next) => {
        delete next.nodes[target.name];
        recordHistory(next, 'delete-node', { name: target.name });
      });
      lines.push(`node "${target.name}" deleted`);
      continue;
    }
    const ns = CLUSTER_SCOPED.has(target.kind) ? undefined : namespace;
    let existed = false;
    updateApi((next) => {
      existed = deleteObject(next, target.kind, ns, target.name);
      updateCni(next);
    });
    if (existed) lines.push(`${target.kind.toLowerCase()} "${target.name}" deleted`);
    else if (!flags['ignore-not-found']) fail(1, `Error from server (NotFound): ${plural(target.kind)} "${target.name}" not found`);
  }
  process.stdout.write(lines.map((line) => `${line}\n`).join(''));
  return 0;
}

// ---------------------------------------------------------------- wait

function conditionOf(item, type) {
  return item?.status?.conditions?.find((condition) => condition.type === type)?.status === 'True';
}

async function wait(args, flags) {
  const condition = String(flagValue(flags, 'for') ?? '');
  const timeout = durationMs(flagValue(flags, 'timeout') ?? '30s');
  const deadline = Date.now() + timeout;
  const namespace = namespaceFlag(flags) ?? 'default';
  const jsonpath = /^jsonpath=(?:'|")?\{([^}]*)\}(?:'|")?=(.*)$/.exec(condition);
  const type = /^condition=([A-Za-z]+)(=true)?$/i.exec(condition)?.[1];
  if (!jsonpath && !type) fail(1, `fleet: kubectl wait --for=${condition} is not simulated`);
  for (;;) {
    const api = settledApi();
    let wanted = targets(api, args);
    if (flags.all && wanted.length === 1) wanted = objectsOf(api, wanted[0].kind, namespace).map((item) => ({ kind: item.kind, name: item.metadata.name }));
    if (wanted.length === 0) fail(1, 'error: no matching resources found');
    const pending = [];
    const met = [];
    for (const target of wanted) {
      const item = objectsOf(api, target.kind, namespace).find((entry) => entry.metadata.name === target.name);
      if (!item) fail(1, `Error from server (NotFound): ${plural(target.kind)} "${target.name}" not found`);
      const ok = jsonpath ? jsonPath(item, `{${jsonpath[1]}}`) === jsonpath[2].replace(/^['"]|['"]$/g, '') : conditionOf(item, type);
      (ok ? met : pending).push(target);
    }
    if (pending.length === 0) {
      process.stdout.write(met.map((target) => `${qualifiedName(target)} condition met\n`).join(''));
      return 0;
    }
    if (Date.now() >= deadline) {
      if (met.length > 0) process.stdout.write(met.map((target) => `${qualifiedName(target)} condition met\n`).join(''));
      fail(1, pending.map((target) => `error: timed out waiting for the condition on ${plural(target.kind)}/${target.name}`).join('\n'));
    }
    await sleep(Math.min(200, Math.max(10, deadline - Date.now())));
  }
}

/** The API group of each kind a wait or rollout names ('' = the core group). */
const GROUPS = {
  Deployment: 'apps', DaemonSet: 'apps', StatefulSet: 'apps', ReplicaSet: 'apps', CustomResourceDefinition: 'apiextensions.k8s.io', StorageClass: 'storage.k8s.io',
  VolumeSnapshot: 'snapshot.storage.k8s.io', VolumeSnapshotClass: 'snapshot.storage.k8s.io', VolumeSnapshotContent: 'snapshot.storage.k8s.io', Installation: 'operator.tigera.io',
};

/** What kubectl's name printer prints: kind.group/name, kind/name for the core group ("deployment.apps/coredns", "pod/x"). */
const qualifiedName = (target) => `${target.kind.toLowerCase()}${GROUPS[target.kind] ? `.${GROUPS[target.kind]}` : ''}/${target.name}`;

// ---------------------------------------------------------------- rollout status

/**
 * `kubectl rollout status deployment|daemonset/NAME [--timeout=D]`, as kubectl's status viewers
 * (kubectl pkg/polymorphichelpers/rollout_status.go): one "Waiting for …" line per change it
 * sees, then `… successfully rolled out`; at the timeout "error: timed out waiting for the
 * condition" (watchtools.UntilWithSync's context deadline), exit 1.
 */
async function rollout(args, flags) {
  const [sub, ...rest] = args;
  if (sub === 'restart') return rolloutRestart(rest, flags);
  if (sub !== 'status') fail(1, `fleet: kubectl rollout ${sub ?? ''} is not simulated`);
  const timeoutFlag = flagValue(flags, 'timeout');
  const deadline = timeoutFlag === undefined || timeoutFlag === '0' || timeoutFlag === '0s' ? Infinity : Date.now() + durationMs(timeoutFlag);
  const namespace = namespaceFlag(flags) ?? 'default';
  let last = '';
  for (;;) {
    const api = settledApi();
    const wanted = targets(api, rest);
    if (wanted.length === 0) fail(1, 'error: required resource not specified');
    if (wanted.length !== 1 || !wanted[0].name) fail(1, `error: rollout status is only supported on individual resources and resource collections - ${wanted.length} resources were found`);
    const [target] = wanted;
    if (!target.kind) fail(1, `error: the server doesn't have a resource type "${target.word}"`);
    if (!['Deployment', 'DaemonSet'].includes(target.kind)) fail(1, `error: no status viewer has been implemented for ${target.kind}`);
    const item = objectsOf(api, target.kind, namespace).find((entry) => entry.metadata.name === target.name);
    if (!item) fail(1, `Error from server (NotFound): ${plural(target.kind)}.apps "${target.name}" not found`);
    const { message, done } = rolloutStatus(item);
    if (message !== last) process.stdout.write(message);
    last = message;
    if (done) return 0;
    if (Date.now() >= deadline) fail(1, 'error: timed out waiting for the condition');
    await sleep(Math.min(200, Math.max(10, deadline - Date.now())));
  }
}

/**
 * `kubectl rollout restart deployment|daemonset/NAME…`: sets the pod template's annotation
 * kubectl.kubernetes.io/restartedAt to the time (RFC 3339, as kubectl's
 * pkg/polymorphichelpers/objectrestarter.go does), which makes the controller replace the pods;
 * prints `deployment.apps/NAME restarted` per object (kubectl's restart.go). A missing object →
 * `Error from server (NotFound): deployments.apps "NAME" not found`, exit 1.
 */
function rolloutRestart(args, flags) {
  const namespace = namespaceFlag(flags) ?? 'default';
  const wanted = targets(apiState(), args);
  if (wanted.length === 0 || wanted.some((target) => !target.name)) fail(1, 'error: required resource not specified');
  const lines = [];
  for (const target of wanted) {
    if (!target.kind) fail(1, `error: the server doesn't have a resource type "${target.word}"`);
    if (!['Deployment', 'DaemonSet', 'StatefulSet'].includes(target.kind)) fail(1, `error: ${plural(target.kind)} "${target.name}" restarting is not supported`);
    if (!getObject(apiState(), target.kind, namespace, target.name)) fail(1, `Error from server (NotFound): ${plural(target.kind)}.apps "${target.name}" not found`);
    const restartedAt = fleetNow().toISOString().replace(/\.\d{3}Z$/, 'Z');
    updateApi((api) => {
      const stored = getObject(api, target.kind, namespace, target.name);
      const template = (stored.body.spec ??= {}).template ??= {};
      const metadata = (template.metadata ??= {});
      metadata.annotations = { ...(metadata.annotations ?? {}), 'kubectl.kubernetes.io/restartedAt': restartedAt };
    });
    lines.push(`${qualifiedName(target)} restarted`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

function rolloutStatus(item) {
  const name = item.metadata.name;
  const status = item.status ?? {};
  if (item.kind === 'DaemonSet') {
    // The API server defaults updateStrategy to RollingUpdate.
    const strategy = item.spec?.updateStrategy?.type ?? 'RollingUpdate';
    if (strategy !== 'RollingUpdate') fail(1, 'error: rollout status is only available for RollingUpdate strategy type');
    const desired = status.desiredNumberScheduled ?? 0;
    if ((status.updatedNumberScheduled ?? 0) < desired) return { message: `Waiting for daemon set "${name}" rollout to finish: ${status.updatedNumberScheduled ?? 0} out of ${desired} new pods have been updated...\n`, done: false };
    if ((status.numberAvailable ?? 0) < desired) return { message: `Waiting for daemon set "${name}" rollout to finish: ${status.numberAvailable ?? 0} of ${desired} updated pods are available...\n`, done: false };
    return { message: `daemon set "${name}" successfully rolled out\n`, done: true };
  }
  const replicas = item.spec?.replicas ?? 1;
  if ((status.updatedReplicas ?? 0) < replicas) return { message: `Waiting for deployment "${name}" rollout to finish: ${status.updatedReplicas ?? 0} out of ${replicas} new replicas have been updated...\n`, done: false };
  if ((status.availableReplicas ?? 0) < (status.updatedReplicas ?? 0)) return { message: `Waiting for deployment "${name}" rollout to finish: ${status.availableReplicas ?? 0} of ${status.updatedReplicas} updated replicas are available...\n`, done: false };
  return { message: `deployment "${name}" successfully rolled out\n`, done: true };
}

function durationMs(text) {
  const match = /^(\d+)(ms|s|m|h)?$/.exec(String(text));
  if (!match) fail(1, `error: invalid argument "${text}" for "--timeout" flag: time: invalid duration "${text}"`);
  return Number(match[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 's'];
}

// ---------------------------------------------------------------- exec and logs

function runningPod(api, name, namespace) {
  const pod = derivePods(api).find((entry) => entry.metadata.name === name && entry.metadata.namespace === namespace);
  if (!pod) fail(1, `Error from server (NotFound): pods "${name}" not found`);
  return pod;
}

function exec(api, args, flags, command) {
  const namespace = namespaceFlag(flags) ?? 'default';
  const pod = runningPod(api, args[0], namespace);
  // The API server reaches the pod through its node's kubelet (:10250): a machine that is down answers nothing.
  const podNode = api.nodes[pod.spec.nodeName];
  if (podNode && hostDown(podNode.host)) fail(1, `Error from server: error dialing backend: dial tcp ${podNode.internalIP}:10250: connect: no route to host`);
  if (pod.status.phase !== 'Running') fail(1, `error: unable to upgrade connection: container not found ("${pod.spec.containers[0]?.name ?? args[0]}")`);
  if (command.length === 0) fail(1, 'error: you must specify at least one command for the container');
  if (command[0] === 'etcdctl' && pod.metadata.labels?.component === 'etcd') return etcdctl(api, command.slice(1), pod);
  if (command[0] === 'etcdutl' && pod.metadata.labels?.component === 'etcd') return etcdutl(api, pod, command.slice(1));
  fail(126, `error: Internal error occurred: error executing command in container: failed to exec in container: OCI runtime exec failed: exec failed: unable to start container process: exec: "${command[0]}": executable file not found in $PATH: unknown\ncommand terminated with exit code 126`);
}

function logs(api, args, flags) {
  const namespace = namespaceFlag(flags) ?? 'default';
  const pod = runningPod(api, args[0], namespace);
  if (pod.status.phase === 'Pending') fail(1, `Error from server (BadRequest): container "${pod.spec.containers[0]?.name ?? args[0]}" in pod "${args[0]}" is waiting to start: ContainerCreating`);
  process.stdout.write(podLogs(api, pod));
  return 0;
}

// ---------------------------------------------------------------- manifests

async function readSource(source) {
  if (/^https?:\/\//.test(source)) {
    const body = fetchCanned(source);
    if (!body) fail(1, `error: unable to read URL "${source}", server reported 404 Not Found, status code=404`);
    return body.toString('utf8');
  }
  try {
    return source === '-' ? readFileSync(0, 'utf8') : readFileSync(source, 'utf8');
  } catch {
    fail(1, `error: the path "${source}" does not exist`);
  }
}

async function documentsOf(source) {
  try {
    return (await parseDocuments(await readSource(source))).flatMap((doc) => (doc.kind === 'List' ? doc.items ?? [] : [doc]));
  } catch (error) {
    if (error.code !== undefined && error.stderr !== undefined) throw error;
    fail(1, `error: error parsing ${source}: error converting YAML to JSON: yaml: ${error.message}`);
  }
}

const resourceName = (doc) => {
  const group = doc.apiVersion.includes('/') ? doc.apiVersion.split('/')[0] : '';
  return `${doc.kind.toLowerCase()}${group ? `.${group}` : ''}`;
};

/**
 * create: every object new, else AlreadyExists for that object (the others are created).
 * apply: client-side (manager kubectl-client-side-apply) or --server-side (manager kubectl or
 * --field-manager); server-side apply over fields another manager set (kubectl create) is a
 * conflict unless --force-conflicts, as Calico's upgrade page expects.
 */
async function applyManifests(verb, flags) {
  const sources = [].concat(flags.f ?? flags.filename ?? []);
  if (sources.length === 0) fail(1, 'error: must specify one of -f and -k');
  const serverSide = verb === 'apply' && Boolean(flags['server-side']);
  const manager = verb === 'create' ? 'kubectl-create' : serverSide ? String(flagValue(flags, 'field-manager') ?? 'kubectl') : 'kubectl-client-side-apply';
  const lines = [];
  const errors = [];
  for (const source of sources) {
    const docs = await documentsOf(source);
    updateApi((api) => {
      for (const doc of docs) {
        if (!doc?.apiVersion || !doc.kind || !doc.metadata?.name) {
          errors.push(`error: error validating "${source}": error validating data: [apiVersion not set, kind not set]; if you choose to ignore these errors, turn validation off with --validate=false`);
          continue;
        }
        const namespace = namespaceOf(doc, namespaceFlag(flags) ?? 'default');
        if (!BUILTIN_GROUPS.has(doc.apiVersion)) {
          const group = doc.apiVersion.split('/')[0];
          const crd = listObjects(api, 'CustomResourceDefinition').find((object) => object.body?.spec?.group === group && object.body?.spec?.names?.kind === doc.kind);
          const established = crd && Date.now() - new Date(crd.createdAt ?? 0).getTime() >= ESTABLISH_MS;
          if (!established) {
            errors.push(`error: resource mapping not found for name: "${doc.metadata.name}" namespace: "${namespace ?? ''}" from "${source}": no matches for kind "${doc.kind}" in version "${doc.apiVersion}"\nensure CRDs are installed first`);
            continue;
          }
        }
        if (namespace && !DEFAULT_NAMESPACES.includes(namespace) && !getObject(api, 'Namespace', undefined, namespace)) {
          errors.push(`Error from server (NotFound): error when creating "${source}": namespaces "${namespace}" not found`);
          continue;
        }
        const existing = getObject(api, doc.kind, namespace, doc.metadata.name);
        if (existing && verb === 'create') {
          errors.push(`Error from server (AlreadyExists): error when creating "${source}": ${plural(doc.kind)} "${doc.metadata.name}" already exists`);
          continue;
        }
        if (existing && serverSide && existing.manager !== manager && specDiffers(existing.body, doc) && !flags['force-conflicts']) {
          errors.push(
            `error: Apply failed with 1 conflict: conflict with "${existing.manager}" using ${doc.apiVersion}: .spec\nPlease review the fields above--they currently have other managers. Here\nare the ways you can resolve this warning:\n* If you intend to manage all of these fields, please re-run the apply\n  command with the \`--force-conflicts\` flag.`,
          );
          continue;
        }
        // Client-side apply records the object as applied, in full, in an annotation that `kubectl
        // get -o yaml` and `describe` show (kubectl apply docs, "How apply calculates differences";
        // kubernetes/kubernetes#23564 for Secrets); server-side apply and create do not.
        const stored = verb === 'apply' && !serverSide ? withLastApplied(doc) : doc;
        const result = putObject(api, stored, { manager, namespace, now: new Date().toISOString() });
        lines.push(`${resourceName(doc)}/${doc.metadata.name} ${serverSide ? 'serverside-applied' : result}`);
      }
      updateCni(api);
    });
  }
  if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
  if (errors.length > 0) fail(1, errors.join('\n'));
  return 0;
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

function withLastApplied(doc) {
  const { [LAST_APPLIED]: _previous, ...annotations } = doc.metadata.annotations ?? {};
  const applied = { ...doc, metadata: { ...doc.metadata, annotations } };
  if (Object.keys(annotations).length === 0) delete applied.metadata.annotations;
  return { ...doc, metadata: { ...doc.metadata, annotations: { ...annotations, [LAST_APPLIED]: `${JSON.stringify(applied)}\n` } } };
}

/** Which CNI the objects install: Flannel's ConfigMap + DaemonSet, or Calico's operator + Installation. */
export function updateCni(api) {
  const objects = Object.values(api.objects);
  let cni = api.cni?.kind === 'cilium' ? api.cni : null;
  const flannel = objects.find((object) => object.kind === 'ConfigMap' && object.name === 'kube-flannel-cfg');
  const flannelDs = flannel && objects.find((object) => object.kind === 'DaemonSet' && object.namespace === flannel.namespace);
  if (flannelDs) {
    let pool = null;
    try {
      pool = JSON.parse(flannel.body.data['net-conf.json']).Network ?? null;
    } catch {
      pool = null;
    }
    const image = flannelDs.body?.spec?.template?.spec?.containers?.[0]?.image ?? '';
    cni = { kind: 'flannel', pool, version: /:(v[\d.]+)$/.exec(image)?.[1] };
  }
  const installation = objects.find((object) => object.kind === 'Installation');
  if (installation && objects.some((object) => object.kind === 'Deployment' && object.name === 'tigera-operator')) {
    const pools = installation.body?.spec?.calicoNetwork?.ipPools;
    cni = { kind: 'calico', pool: pools?.[0]?.cidr ?? api.cluster?.podSubnet ?? '192.168.0.0/16', version: installationStatus(api).calicoVersion };
  }
  if (JSON.stringify(cni) !== JSON.stringify(api.cni)) {
    api.cni = cni;
    if (cni) recordHistory(api, 'cni', cni);
  }
}
