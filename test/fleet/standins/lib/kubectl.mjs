// kubectl against the fleet's shared API state: nodes (get/cordon/uncordon/drain/delete/wait),
// manifests (apply/create, which is how a CNI gets installed), /readyz.
import { readFileSync } from 'node:fs';
import { commandNotFound, fail, flagValue, fleetNow, installedVersion, parseArgs, recordHistory, sleep, updateApi, upstreamVersion, apiState } from './context.mjs';
import { readiness } from './cluster.mjs';
import { fetchCanned } from './download.mjs';
import { connect } from './kubeclient.mjs';
import { parseDocuments } from './yaml.mjs';

const VALUE_FLAGS = ['kubeconfig', 'n', 'namespace', 'o', 'output', 'f', 'filename', 'for', 'timeout', 'request-timeout', 'raw', 'l', 'selector', 'grace-period', 'context'];
const BUILTIN_GROUPS = new Set(['v1', 'apps/v1', 'rbac.authorization.k8s.io/v1', 'apiextensions.k8s.io/v1', 'policy/v1', 'networking.k8s.io/v1', 'batch/v1',
  'admissionregistration.k8s.io/v1', 'scheduling.k8s.io/v1', 'storage.k8s.io/v1', 'coordination.k8s.io/v1', 'apiregistration.k8s.io/v1', 'autoscaling/v2']);
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PriorityClass', 'StorageClass',
  'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'APIService', 'Installation', 'APIServer', 'Node', 'IPPool']);
const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export async function run(_tool, argv) {
  if (!installedVersion('kubectl')) commandNotFound('kubectl');
  const { flags, positional } = parseArgs(argv, { withValue: VALUE_FLAGS });
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
    case 'label':
      connect(kubeconfig);
      return label(args);
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

// ---------------------------------------------------------------- nodes

function podCidr(api, name) {
  const index = Object.keys(api.nodes).indexOf(name);
  const subnet = api.cluster?.podSubnet;
  if (!subnet || index < 0) return undefined;
  const [base] = subnet.split('/');
  const value = base.split('.').reduce((acc, part) => acc * 256 + Number(part), 0) + index * 256;
  return `${[24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.')}/24`;
}

function nodeObject(api, node) {
  const ready = readiness(api, node);
  const labels = {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': node.name,
    'kubernetes.io/os': 'linux',
    ...(node.role === 'control-plane' ? { 'node-role.kubernetes.io/control-plane': '', 'node.kubernetes.io/exclude-from-external-load-balancers': '' } : {}),
    ...(node.labels ?? {}),
  };
  const taints = [];
  if (node.role === 'control-plane') taints.push({ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' });
  if (node.unschedulable) taints.push({ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule', timeAdded: fleetNow(api).toISOString() });
  if (!ready.ready) taints.push({ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' });
  const cidr = podCidr(api, node.name);
  const now = fleetNow(api).toISOString();
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: node.name, creationTimestamp: node.registeredAt, labels, annotations: { 'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///var/run/containerd/containerd.sock' } },
    spec: { ...(cidr ? { podCIDR: cidr, podCIDRs: [cidr] } : {}), ...(node.unschedulable ? { unschedulable: true } : {}), ...(taints.length ? { taints } : {}) },
    status: {
      addresses: [{ type: 'InternalIP', address: node.internalIP }, { type: 'Hostname', address: node.name }],
      conditions: [
        { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available', lastHeartbeatTime: now, lastTransitionTime: node.registeredAt },
        { type: 'Ready', status: ready.ready ? 'True' : ready.reason === 'NodeStatusUnknown' ? 'Unknown' : 'False', reason: ready.reason, message: ready.message, lastHeartbeatTime: now, lastTransitionTime: node.registeredAt },
      ],
      nodeInfo: {
        architecture: 'amd64',
        containerRuntimeVersion: 'containerd://2.1.4',
        kernelVersion: '6.8.0-fleet',
        kubeletVersion: node.kubeletVersion,
        operatingSystem: 'linux',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
      },
    },
  };
}

function age(api, since) {
  const minutes = Math.max(0, Math.floor((fleetNow(api) - new Date(since)) / 60_000));
  if (minutes < 1) return `${Math.max(1, Math.floor((fleetNow(api) - new Date(since)) / 1000))}s`;
  if (minutes < 120) return `${minutes}m`;
  if (minutes < 48 * 60) return `${Math.floor(minutes / 60)}h`;
  return `${Math.floor(minutes / 1440)}d`;
}

function printNodes(api, nodes, output, single) {
  const objects = nodes.map((node) => nodeObject(api, node));
  if (output === 'json') {
    process.stdout.write(`${JSON.stringify(single ? objects[0] : { apiVersion: 'v1', kind: 'List', items: objects, metadata: { resourceVersion: '' } }, null, 4)}\n`);
  } else if (output === 'name') {
    process.stdout.write(objects.map((object) => `node/${object.metadata.name}\n`).join(''));
  } else if (output?.startsWith('jsonpath=')) {
    process.stdout.write(jsonPath(single ? objects[0] : { items: objects }, output.slice('jsonpath='.length)));
  } else {
    const rows = [['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', ...(output === 'wide' ? ['INTERNAL-IP'] : [])]];
    for (const node of nodes) {
      const ready = readiness(api, node);
      const status = (ready.ready ? 'Ready' : ready.reason === 'NodeStatusUnknown' ? 'NotReady' : 'NotReady') + (node.unschedulable ? ',SchedulingDisabled' : '');
      rows.push([node.name, status, node.role === 'control-plane' ? 'control-plane' : '<none>', age(api, node.registeredAt), node.kubeletVersion, ...(output === 'wide' ? [node.internalIP] : [])]);
    }
    const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
    process.stdout.write(rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join('   ').trimEnd()).join('\n') + '\n');
  }
}

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

function get(api, args, flags) {
  const output = flagValue(flags, 'o') ?? flagValue(flags, 'output');
  const raw = flagValue(flags, 'raw');
  if (raw) return getRaw(api, raw);
  const [resource, ...names] = args.flatMap((arg) => arg.split('/'));
  if (['nodes', 'node', 'no'].includes(resource)) {
    const all = Object.values(api.nodes);
    if (names.length === 0) {
      printNodes(api, all, output, false);
      return 0;
    }
    const missing = names.filter((name) => !api.nodes[name]);
    if (missing.length > 0) fail(1, `Error from server (NotFound): nodes "${missing[0]}" not found`);
    printNodes(api, names.map((name) => api.nodes[name]), output, names.length === 1);
    return 0;
  }
  if (['pods', 'pod', 'po'].includes(resource)) {
    const namespace = flagValue(flags, 'n') ?? flagValue(flags, 'namespace') ?? 'default';
    const pods = namespace === 'kube-system' ? systemPods(api) : [];
    if (output === 'json') process.stdout.write(`${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: pods }, null, 4)}\n`);
    else if (pods.length === 0) process.stderr.write(`No resources found in ${namespace} namespace.\n`);
    else process.stdout.write(`NAME${' '.repeat(40)}READY   STATUS    RESTARTS   AGE\n${pods.map((pod) => `${pod.metadata.name.padEnd(44)}1/1     ${pod.status.phase.padEnd(9)} 0          1m`).join('\n')}\n`);
    return 0;
  }
  const known = Object.values(api.objects).filter((object) => object.kind.toLowerCase() === resource?.replace(/s$/, '').toLowerCase());
  if (known.length === 0) {
    process.stderr.write('No resources found\n');
    return 0;
  }
  process.stdout.write(known.map((object) => `${object.kind.toLowerCase()}/${object.name}\n`).join(''));
  return 0;
}

function systemPods(api) {
  const pods = [];
  for (const node of Object.values(api.nodes)) {
    const ready = readiness(api, node).ready;
    const pod = (name, owner) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'kube-system', ownerReferences: owner ? [{ kind: owner }] : [] },
      spec: { nodeName: node.name },
      status: { phase: ready || owner !== 'DaemonSet' ? 'Running' : 'Pending' },
    });
    pods.push(pod(`kube-proxy-${node.name}`, 'DaemonSet'));
    if (node.role === 'control-plane') for (const name of ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler']) pods.push(pod(`${name}-${node.name}`, 'Node'));
  }
  return pods;
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

function drain(name, flags) {
  requireNode(name);
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
  updateApi((api) => recordHistory(api, 'drain', { name }));
  process.stdout.write(`node/${name} drained\n`);
  return 0;
}

function remove(args, flags) {
  if (flags.f || flags.filename) fail(1, 'fleet: kubectl delete -f is not simulated');
  const [resource, ...names] = args.flatMap((arg) => arg.split('/'));
  if (!['node', 'nodes', 'no'].includes(resource)) fail(1, `fleet: kubectl delete ${resource ?? ''} is not simulated`);
  for (const name of names) requireNode(name);
  updateApi((api) => {
    for (const name of names) {
      delete api.nodes[name];
      recordHistory(api, 'delete-node', { name });
    }
  });
  process.stdout.write(names.map((name) => `node "${name}" deleted\n`).join(''));
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

async function wait(args, flags) {
  const condition = String(flagValue(flags, 'for') ?? '');
  if (!/^condition=Ready(=true)?$/i.test(condition)) fail(1, `fleet: kubectl wait --for=${condition} is not simulated`);
  const timeout = durationMs(flagValue(flags, 'timeout') ?? '30s');
  const targets = args.flatMap((arg) => arg.split('/'));
  if (!['node', 'nodes', 'no'].includes(targets[0])) fail(1, `fleet: kubectl wait ${targets[0] ?? ''} is not simulated`);
  const deadline = Date.now() + timeout;
  for (;;) {
    const api = apiState();
    const names = flags.all ? Object.keys(api.nodes) : targets.slice(1);
    if (names.length === 0) fail(1, 'error: no matching resources found');
    const missing = names.filter((name) => !api.nodes[name]);
    if (missing.length > 0) fail(1, `Error from server (NotFound): nodes "${missing[0]}" not found`);
    const notReady = names.filter((name) => !readiness(api, api.nodes[name]).ready);
    if (notReady.length === 0) {
      process.stdout.write(names.map((name) => `node/${name} condition met\n`).join(''));
      return 0;
    }
    if (Date.now() >= deadline) {
      const met = names.filter((name) => !notReady.includes(name));
      if (met.length > 0) process.stdout.write(met.map((name) => `node/${name} condition met\n`).join(''));
      fail(1, notReady.map((name) => `error: timed out waiting for the condition on nodes/${name}`).join('\n'));
    }
    await sleep(Math.min(300, Math.max(10, deadline - Date.now())));
  }
}

function durationMs(text) {
  const match = /^(\d+)(ms|s|m|h)?$/.exec(String(text));
  if (!match) fail(1, `error: invalid argument "${text}" for "--timeout" flag: time: invalid duration "${text}"`);
  return Number(match[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 's'];
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
  } catch (error) {
    fail(1, `error: the path "${source}" does not exist`);
  }
}

const resourceName = (doc) => {
  const group = doc.apiVersion.includes('/') ? doc.apiVersion.split('/')[0] : '';
  return `${doc.kind.toLowerCase()}${group ? `.${group}` : ''}`;
};
const plural = (doc) => `${doc.kind.toLowerCase()}${doc.kind.endsWith('s') ? 'es' : 's'}`;

async function applyManifests(verb, flags) {
  const sources = [].concat(flags.f ?? flags.filename ?? []);
  if (sources.length === 0) fail(1, 'error: must specify one of -f and -k');
  const lines = [];
  const errors = [];
  for (const source of sources) {
    let docs;
    try {
      docs = (await parseDocuments(await readSource(source))).flatMap((doc) => (doc.kind === 'List' ? doc.items ?? [] : [doc]));
    } catch (error) {
      if (error.code !== undefined && error.stderr !== undefined) throw error;
      fail(1, `error: error parsing ${source}: error converting YAML to JSON: yaml: ${error.message}`);
    }
    updateApi((api) => {
      for (const doc of docs) {
        if (!doc?.apiVersion || !doc.kind || !doc.metadata?.name) {
          errors.push(`error: error validating "${source}": error validating data: [apiVersion not set, kind not set]; if you choose to ignore these errors, turn validation off with --validate=false`);
          continue;
        }
        const namespaced = !CLUSTER_SCOPED.has(doc.kind);
        const namespace = namespaced ? doc.metadata.namespace ?? flagValue(flags, 'n') ?? flagValue(flags, 'namespace') ?? 'default' : undefined;
        if (!BUILTIN_GROUPS.has(doc.apiVersion)) {
          const group = doc.apiVersion.split('/')[0];
          const crd = Object.values(api.objects).find((object) => object.kind === 'CustomResourceDefinition' && object.body?.spec?.group === group && object.body?.spec?.names?.kind === doc.kind);
          if (!crd) {
            errors.push(`error: resource mapping not found for name: "${doc.metadata.name}" namespace: "${namespace ?? ''}" from "${source}": no matches for kind "${doc.kind}" in version "${doc.apiVersion}"\nensure CRDs are installed first`);
            continue;
          }
        }
        if (namespace && !DEFAULT_NAMESPACES.includes(namespace) && !api.objects[`Namespace//${namespace}`]) {
          errors.push(`Error from server (NotFound): error when creating "${source}": namespaces "${namespace}" not found`);
          continue;
        }
        const key = `${doc.kind}/${namespace ?? ''}/${doc.metadata.name}`;
        const existing = api.objects[key];
        const body = keepBody(doc) ? doc : undefined;
        if (existing && verb === 'create') {
          errors.push(`Error from server (AlreadyExists): error when creating "${source}": ${plural(doc)} "${doc.metadata.name}" already exists`);
          continue;
        }
        const changed = !existing || JSON.stringify(existing.body) !== JSON.stringify(body);
        api.objects[key] = { apiVersion: doc.apiVersion, kind: doc.kind, name: doc.metadata.name, ...(namespace ? { namespace } : {}), ...(body ? { body } : {}) };
        lines.push(`${resourceName(doc)}/${doc.metadata.name} ${!existing ? 'created' : changed ? 'configured' : 'unchanged'}`);
      }
      updateCni(api);
    });
  }
  if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
  if (errors.length > 0) fail(1, errors.join('\n'));
  return 0;
}

/** Only the objects that decide the CNI and its pool are kept whole. */
function keepBody(doc) {
  return doc.kind === 'CustomResourceDefinition' || doc.kind === 'Installation' || (doc.kind === 'ConfigMap' && doc.metadata.name === 'kube-flannel-cfg');
}

function updateCni(api) {
  const objects = Object.values(api.objects);
  let cni = api.cni?.kind === 'cilium' ? api.cni : null;
  const flannel = objects.find((object) => object.kind === 'ConfigMap' && object.name === 'kube-flannel-cfg');
  if (flannel && objects.some((object) => object.kind === 'DaemonSet' && object.namespace === flannel.namespace)) {
    let pool = null;
    try {
      pool = JSON.parse(flannel.body.data['net-conf.json']).Network ?? null;
    } catch {
      pool = null;
    }
    cni = { kind: 'flannel', pool };
  }
  const installation = objects.find((object) => object.kind === 'Installation');
  if (installation && objects.some((object) => object.kind === 'Deployment' && object.name === 'tigera-operator')) {
    const pools = installation.body?.spec?.calicoNetwork?.ipPools;
    cni = { kind: 'calico', pool: pools?.[0]?.cidr ?? api.cluster?.podSubnet ?? '192.168.0.0/16' };
  }
  if (JSON.stringify(cni) !== JSON.stringify(api.cni)) {
    api.cni = cni;
    if (cni) recordHistory(api, 'cni', cni);
  }
}
