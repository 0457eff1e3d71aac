/**
 * Typed builders for every command the installer runs on a node (argv arrays, quoted later by
 * the SSH layer), and parsers for what they print. The forms are the real tools' own, as
 * docs/node-protocol.md lists them (keep the two in step). All run under `sudo -n`.
 */
import { z } from 'zod';
import { ExternalToolError } from '../errors.js';
import { assertNodeName, assertRemotePath, assertTimeoutSeconds, assertVersion } from './validate-remote.js';

export type Argv = string[];

export const ADMIN_KUBECONFIG = '/etc/kubernetes/admin.conf';
export const CA_CERT_PATH = '/etc/kubernetes/pki/ca.crt';
export const KUBELET_KUBECONFIG = '/etc/kubernetes/kubelet.conf';

const withV = (version: string) => (assertVersion(version).startsWith('v') ? version : `v${version}`);

export const kubeadmInit = (configPath: string): Argv => ['kubeadm', 'init', '--config', assertRemotePath(configPath), '--upload-certs'];
export const kubeadmJoin = (configPath: string): Argv => ['kubeadm', 'join', '--config', assertRemotePath(configPath)];
export const tokenCreatePrintJoin = (ttl = '24h0m0s'): Argv => ['kubeadm', 'token', 'create', '--ttl', ttl, '--print-join-command'];
/**
 * Re-uploads the control-plane certificates with the key from an InitConfiguration at
 * `configPath` (certificateKey), never from argv; the key is not printed back either.
 * kubeadm reference: `kubeadm init phase upload-certs` takes --config, --upload-certs and
 * --skip-certificate-key-print (kubernetes/website generated/kubeadm_init_phase_upload-certs.md).
 */
export const uploadCerts = (configPath: string): Argv => ['kubeadm', 'init', 'phase', 'upload-certs', '--upload-certs', '--config', assertRemotePath(configPath), '--skip-certificate-key-print'];
export const kubeadmVersion = (): Argv => ['kubeadm', 'version', '-o', 'short'];
export const imagesPull = (version: string): Argv => ['kubeadm', 'config', 'images', 'pull', '--kubernetes-version', withV(version)];
export const upgradePlan = (version?: string): Argv => ['kubeadm', 'upgrade', 'plan', ...(version ? [withV(version)] : [])];
export const upgradeApply = (version: string): Argv => ['kubeadm', 'upgrade', 'apply', withV(version), '--yes'];
export const upgradeNode = (): Argv => ['kubeadm', 'upgrade', 'node'];
export const reset = (): Argv => ['kubeadm', 'reset', '-f'];

/** kubectl as root with the admin kubeconfig, always. */
export const kubectl = (args: string[]): Argv => ['kubectl', '--kubeconfig', ADMIN_KUBECONFIG, ...args];
export const getNodesJson = (): Argv => kubectl(['get', 'nodes', '-o', 'json']);
export const getNodeJson = (name: string): Argv => kubectl(['get', 'node', assertNodeName(name), '-o', 'json']);
export const cordon = (name: string): Argv => kubectl(['cordon', assertNodeName(name)]);
export const uncordon = (name: string): Argv => kubectl(['uncordon', assertNodeName(name)]);
export const drain = (name: string, timeoutS: number): Argv =>
  kubectl(['drain', assertNodeName(name), '--ignore-daemonsets', '--delete-emptydir-data', `--timeout=${assertTimeoutSeconds(timeoutS)}s`]);
export const deleteNode = (name: string): Argv => kubectl(['delete', 'node', assertNodeName(name)]);
export const readyzVerbose = (): Argv => kubectl(['get', '--raw', '/readyz?verbose']);
export const applyManifest = (fileOrUrl: string): Argv => kubectl(['apply', '-f', fileOrUrl]);
export const createManifest = (fileOrUrl: string): Argv => kubectl(['create', '-f', fileOrUrl]);
export const waitNodesReady = (timeoutS: number): Argv =>
  kubectl(['wait', '--for=condition=Ready', 'node', '--all', `--timeout=${assertTimeoutSeconds(timeoutS)}s`]);

// ---- what a finished kubeadm init leaves in the cluster, and what a joined control plane runs

/** The objects of kubeadm's upload-config and addon phases (exit 1 naming each one missing). */
export const initObjects = (): Argv => kubectl(['-n', 'kube-system', 'get', 'configmap/kubeadm-config', 'deployment/coredns', 'daemonset/kube-proxy', '-o', 'name']);
/** The bootstrap-token phase's public ConfigMap (joins discover the cluster through it). */
export const clusterInfo = (): Argv => kubectl(['-n', 'kube-public', 'get', 'configmap', 'cluster-info', '-o', 'name']);
export const podsOnNode = (name: string): Argv => kubectl(['-n', 'kube-system', 'get', 'pods', '--field-selector', `spec.nodeName=${assertNodeName(name)}`, '-o', 'json']);
/** etcdctl of the etcd image, in the etcd static pod of `node`, with the certificates kubeadm made. */
export const etcdMemberList = (node: string): Argv =>
  kubectl([
    '-n', 'kube-system', 'exec', `etcd-${assertNodeName(node)}`, '--', 'etcdctl', '--endpoints=https://127.0.0.1:2379',
    '--cacert=/etc/kubernetes/pki/etcd/ca.crt', '--cert=/etc/kubernetes/pki/etcd/server.crt', '--key=/etc/kubernetes/pki/etcd/server.key',
    'member', 'list', '-w', 'json',
  ]);
export const waitAvailable = (namespace: string, deployment: string, timeoutS: number): Argv =>
  kubectl(['-n', namespace, 'wait', '--for=condition=Available', `deployment/${assertNodeName(deployment)}`, `--timeout=${assertTimeoutSeconds(timeoutS)}s`]);
export const getPodJson = (namespace: string, name: string): Argv => kubectl(['-n', namespace, 'get', 'pod', assertNodeName(name), '-o', 'json']);
export const podEvents = (namespace: string, name: string): Argv =>
  kubectl(['-n', namespace, 'get', 'events', '--field-selector', `involvedObject.name=${assertNodeName(name)}`, '-o', 'json']);
export const podLogs = (namespace: string, name: string): Argv => kubectl(['-n', namespace, 'logs', assertNodeName(name)]);
export const deletePod = (namespace: string, name: string): Argv => kubectl(['-n', namespace, 'delete', 'pod', assertNodeName(name), '--ignore-not-found', '--wait=false']);
export const podsWithLabel = (namespace: string, selector: string): Argv => kubectl(['-n', namespace, 'get', 'pods', '-l', selector, '-o', 'json']);

export const kubeletJournal = (lines = 20): Argv => ['journalctl', '-u', 'kubelet', '-n', String(lines), '--no-pager'];
export const systemctlIsActive = (unit: string): Argv => ['systemctl', 'is-active', unit];
/** Exit 0 when the file exists: used by "already done?" checks with allowFailure. */
export const fileExists = (path: string): Argv => ['test', '-e', assertRemotePath(path)];
/** Processes named exactly "kubeadm" (procps' pgrep: exit 0 and one pid per line, exit 1 none). */
export const runningKubeadm = (): Argv => ['pgrep', '-x', 'kubeadm'];

/** The pids pgrep printed; empty when it found none or answered something else (no procps). */
export function parsePids(code: number, stdout: string): number[] {
  if (code !== 0) return [];
  const lines = stdout.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  return lines.every((line) => /^\d{1,10}$/.test(line)) ? lines.map(Number) : [];
}
export const packageVersion = (pkg: string): Argv => ['dpkg-query', '-W', '-f=${Version}', pkg];

const nodeSchema = z.object({
  metadata: z.object({
    name: z.string(),
    creationTimestamp: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
  }),
  spec: z.object({ unschedulable: z.boolean().optional(), podCIDR: z.string().optional() }).optional(),
  status: z
    .object({
      conditions: z.array(z.object({ type: z.string(), status: z.string(), reason: z.string().optional(), message: z.string().optional() })).optional(),
      nodeInfo: z.object({ kubeletVersion: z.string() }).partial().optional(),
      addresses: z.array(z.object({ type: z.string(), address: z.string() })).optional(),
    })
    .optional(),
});
const nodeListSchema = z.object({ items: z.array(nodeSchema) });

export interface NodeStatus {
  name: string;
  roles: string[];
  ready: boolean;
  unschedulable: boolean;
  /** "v1.36.2", or "" when not reported yet. */
  kubeletVersion: string;
  internalIp?: string;
  createdAt?: string;
  /** The Ready condition's message: why a node is NotReady (e.g. "network plugin is not ready"). */
  readyMessage?: string;
}

function toStatus(node: z.infer<typeof nodeSchema>): NodeStatus {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const roles = Object.keys(node.metadata.labels ?? {})
    .filter((label) => label.startsWith('node-role.kubernetes.io/'))
    .map((label) => label.slice('node-role.kubernetes.io/'.length))
    .filter((role) => role.length > 0)
    .sort();
  return {
    name: node.metadata.name,
    roles,
    ready: ready?.status === 'True',
    unschedulable: node.spec?.unschedulable === true,
    kubeletVersion: node.status?.nodeInfo?.kubeletVersion ?? '',
    internalIp: node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address,
    createdAt: node.metadata.creationTimestamp,
    readyMessage: ready?.message ?? ready?.reason,
  };
}

function badOutput(what: string, text: string, why: string): never {
  throw new ExternalToolError('UnexpectedKubectlOutput', `kubectl ${what} printed something that is not the expected JSON: ${why}`, {
    details: text.split('\n').slice(0, 20),
  });
}

function parseJson(what: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    return badOutput(what, text, (error as Error).message);
  }
}

/** `kubectl get nodes -o json` → one status per node. */
export function parseNodesJson(text: string): NodeStatus[] {
  const parsed = nodeListSchema.safeParse(parseJson('get nodes -o json', text));
  if (!parsed.success) return badOutput('get nodes -o json', text, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return parsed.data.items.map(toStatus);
}

/** `kubectl get node NAME -o json`. */
export function parseNodeJson(text: string): NodeStatus {
  const parsed = nodeSchema.safeParse(parseJson('get node -o json', text));
  if (!parsed.success) return badOutput('get node -o json', text, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return toStatus(parsed.data);
}

const podListSchema = z.object({
  items: z.array(
    z.object({
      metadata: z.object({ name: z.string(), labels: z.record(z.string(), z.string()).optional() }),
      spec: z.object({ nodeName: z.string().optional() }).optional(),
      status: z.object({ phase: z.string().optional(), message: z.string().optional() }).optional(),
    }),
  ),
});

export interface PodStatus {
  name: string;
  phase: string;
  node?: string;
  message?: string;
}

/** `kubectl get pods -o json` → name, phase, node. */
export function parsePodsJson(text: string): PodStatus[] {
  const parsed = podListSchema.safeParse(parseJson('get pods -o json', text));
  if (!parsed.success) return badOutput('get pods -o json', text, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return parsed.data.items.map((pod) => ({ name: pod.metadata.name, phase: pod.status?.phase ?? 'Unknown', node: pod.spec?.nodeName, message: pod.status?.message }));
}

const etcdMembersSchema = z.object({ members: z.array(z.object({ name: z.string().optional(), isLearner: z.boolean().optional() })).optional() });

/** `etcdctl member list -w json` → names; learners (still joining) marked. */
export function parseEtcdMembers(text: string): Array<{ name: string; learner: boolean }> {
  const parsed = etcdMembersSchema.safeParse(parseJson('exec etcd-… -- etcdctl member list -w json', text));
  if (!parsed.success) return badOutput('exec etcd-… -- etcdctl member list -w json', text, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return (parsed.data.members ?? []).map((member) => ({ name: member.name ?? '(unstarted)', learner: member.isLearner === true }));
}

const eventsSchema = z.object({ items: z.array(z.object({ reason: z.string().optional(), message: z.string().optional() })) });

/** `kubectl get events -o json` → "Reason: message" lines. */
export function parseEvents(text: string): string[] {
  const parsed = eventsSchema.safeParse(parseJson('get events -o json', text));
  if (!parsed.success) return [];
  return parsed.data.items.map((event) => `${event.reason ?? 'Event'}: ${event.message ?? ''}`.trim());
}

/** `kubeadm version -o short` → "1.36.2". */
export function parseKubeadmVersion(text: string): string {
  const match = /^v?(\d+\.\d+\.\d+)\s*$/.exec(text.trim());
  if (!match) throw new ExternalToolError('UnexpectedKubeadmOutput', 'kubeadm version -o short printed an unexpected value.', { details: text.split('\n').slice(0, 5) });
  return match[1]!;
}
