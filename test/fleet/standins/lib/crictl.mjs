// crictl (cri-tools, which the kubeadm package depends on): the CRI client that talks to the
// container runtime's socket directly, without the API server. What the restore needs when the
// API cannot answer (etcd without quorum): find the etcd static pod's container and exec etcdutl
// in it. Real behaviour (kubernetes-sigs/cri-tools cmd/crictl): global flags before the command
// (`-r`/`--runtime-endpoint`, `--timeout`); `ps` lists running containers by default, `--name` is a
// regular expression on the container name, `--state`, `-q` prints IDs only; `exec [-i] [-t]
// CONTAINER CMD [ARG...]` runs CMD in the container and exits with its code; without root the
// socket refuses ("permission denied"). Containers here are the static pods' (the manifests in the
// node's /etc/kubernetes/manifests, while its kubelet runs): ID = sha256 of node and component.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { apiState, commandNotFound, fail, installedVersion, isRoot, thisNode } from './context.mjs';
import { apiNodeOfHost, hostPaths } from './cluster.mjs';
import { derivePods } from './workloads.mjs';
import { etcdutl } from './etcd-snapshot.mjs';

const ENDPOINTS = new Set(['unix:///run/containerd/containerd.sock', 'unix:///var/run/containerd/containerd.sock', 'unix:///var/run/crio/crio.sock', 'unix:///run/crio/crio.sock']);

function containerId(node, component) {
  return createHash('sha256').update(`${node}/${component}`).digest('hex');
}

/** The static-pod containers of this node that run (manifest present, kubelet running). */
function containers() {
  const host = thisNode().name;
  const dir = hostPaths(host).manifests;
  const present = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, '')) : [];
  const api = apiState();
  const nodeName = apiNodeOfHost(api, host)?.name;
  const pods = nodeName ? derivePods(api).filter((pod) => pod.spec.nodeName === nodeName && pod.metadata.labels?.tier === 'control-plane') : [];
  return present.map((component) => {
    const pod = pods.find((entry) => entry.metadata.labels?.component === component);
    return { id: containerId(host, component), name: component, pod, state: pod?.status.phase === 'Running' ? 'CONTAINER_RUNNING' : 'CONTAINER_CREATED' };
  });
}

export async function run(_tool, argv) {
  if (!installedVersion('cri-tools')) commandNotFound('crictl');
  let i = 0;
  let endpoint;
  for (; i < argv.length && argv[i].startsWith('-'); i++) {
    const flag = argv[i];
    if (flag === '-r' || flag === '--runtime-endpoint' || flag === '--timeout' || flag === '-t') {
      if (flag === '-r' || flag === '--runtime-endpoint') endpoint = argv[i + 1];
      i++;
    } else if (flag.startsWith('--runtime-endpoint=')) endpoint = flag.slice('--runtime-endpoint='.length);
  }
  const command = argv[i];
  const rest = argv.slice(i + 1);
  if (endpoint !== undefined && !ENDPOINTS.has(endpoint)) {
    fail(1, `E1203 validate service connection: validate CRI v1 runtime API for endpoint "${endpoint}": rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial unix ${endpoint.replace(/^unix:\/\//, '')}: connect: no such file or directory"`);
  }
  if (!isRoot()) {
    fail(1, 'E1203 validate service connection: validate CRI v1 runtime API for endpoint "unix:///run/containerd/containerd.sock": rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial unix /run/containerd/containerd.sock: connect: permission denied"');
  }
  if (command === 'ps') return ps(rest);
  if (command === 'exec') return exec(rest);
  fail(1, `No help topic for '${command ?? ''}'`);
}

function ps(argv) {
  let name;
  let state = 'running';
  let quiet = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--name') name = argv[++i];
    else if (arg.startsWith('--name=')) name = arg.slice(7);
    else if (arg === '--state' || arg === '-s') state = argv[++i].toLowerCase();
    else if (arg === '-q' || arg === '--quiet') quiet = true;
    else if (arg === '-a' || arg === '--all') state = 'all';
    else fail(1, `flag provided but not defined: ${arg}`);
  }
  const pattern = name === undefined ? undefined : new RegExp(name);
  const listed = containers().filter((c) => (!pattern || pattern.test(c.name)) && (state === 'all' || c.state === `CONTAINER_${state.toUpperCase()}`));
  if (quiet) process.stdout.write(listed.map((c) => `${c.id}\n`).join(''));
  else {
    const rows = listed.map((c) => `${c.id.slice(0, 13)}       registry.k8s.io/${c.name}    ${c.state === 'CONTAINER_RUNNING' ? 'Running' : 'Created'}    ${c.name}`);
    process.stdout.write(`CONTAINER           IMAGE    STATE    NAME\n${rows.map((r) => `${r}\n`).join('')}`);
  }
  return 0;
}

function exec(argv) {
  let i = 0;
  for (; i < argv.length && argv[i].startsWith('-'); i++) {
    if (!['-i', '-t', '-it', '-ti', '--interactive', '--tty', '-s', '--sync'].includes(argv[i])) fail(1, `flag provided but not defined: ${argv[i]}`);
  }
  const id = argv[i];
  const command = argv.slice(i + 1);
  if (!id) fail(1, 'ID cannot be empty');
  if (command.length === 0) fail(1, 'command is required');
  // An ID prefix of at least a few characters picks one container, as the runtime resolves it.
  const container = containers().find((c) => id.length >= 3 && c.id.startsWith(id));
  if (!container) fail(1, `execing command in container synchronously: rpc error: code = NotFound desc = an error occurred when try to find container "${id}": not found`);
  if (container.state !== 'CONTAINER_RUNNING') fail(1, `execing command in container synchronously: rpc error: code = Unknown desc = container is in CONTAINER_EXITED state`);
  if (container.name === 'etcd' && command[0] === 'etcdutl') return etcdutl(apiState(), container.pod, command.slice(1));
  fail(126, `execing command in container synchronously: rpc error: code = Unknown desc = failed to exec in container: failed to start exec: OCI runtime exec failed: exec failed: unable to start container process: exec: "${command[0]}": executable file not found in $PATH: unknown`);
}
