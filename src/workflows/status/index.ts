/**
 * `status`: what the cluster says (nodes from `kubectl get nodes -o json` run over SSH on a
 * control plane, like every cluster query of this tool) next to what the cluster folder says
 * (inventory, finished and pending steps, last run). The folder's view is always shown, even
 * when the API cannot be reached. Read-only: no lock, nothing written.
 */
import { readdir, readFile } from 'node:fs/promises';
import { clientCertificateOf, KUBECONFIG_RENEW_BEFORE_MS } from '../../kube/kubeconfig.js';
import { join } from 'node:path';
import type { StepContext } from '../../engine/step.js';
import { getNodesJson, parseNodesJson } from '../../kube/node-commands.js';
import type { SshPool } from '../../tools/ssh/pool.js';
import { LARGE_OUTPUT_LIMIT_BYTES } from '../../tools/ssh/remote-output.js';
import type { HostKeyStore } from '../../tools/ssh/known-hosts.js';
import { describePhases } from '../../engine/describe.js';
import { initPlanPhases } from '../init/plan.js';
import { addressOf, checkPinned, type LoadedCluster } from '../run/load-cluster.js';
import type { NodeOps, NodeStatus } from '../../nodes/node-ops.js';
import type { StatusNode, StatusReport } from './report.js';
import { allNodes, type ClusterNode, type Topology } from '../../nodes/topology.js';
import { cloudStatus, formatCloudStatus, type KubectlReader } from './cloud-status.js';
import { addonStatus, formatAddonStatus } from './addon-status.js';
import { backupStatus, formatBackupStatus } from './backup-status.js';
import { certStatus, formatCertStatus } from './cert-status.js';
import type { Argv } from '../../kube/node-commands.js';

/** The one NodeOps method status needs (SshNodeOps satisfies it too), and a read-only kubectl for the cloud parts. */
export type NodeLister = Pick<NodeOps, 'getNodes'> & { kubectl?: KubectlReader };

export type { StatusNode, StatusReport } from './report.js';

export interface CollectStatusOptions {
  topology: Topology;
  lister: NodeLister;
  signal: AbortSignal;
  /** Remaining time is what a query may take. */
  deadline: number;
  now?: () => number;
}

export async function collectStatus(cluster: LoadedCluster, options: CollectStatusOptions): Promise<StatusReport> {
  const now = options.now ?? Date.now;
  const { topology } = options;
  const query = await queryNodes(topology, options);
  const nodes = mergeNodes(topology, query.nodes, now());
  const observed = [...new Set((query.nodes ?? []).map((n) => n.kubeletVersion).filter(Boolean))].sort();
  const state = await stateView(cluster, topology);
  const kubeconfig = await kubeconfigView(cluster.dir.kubeconfigFile, now());
  const via = topology.controlPlanes.find((node) => node.name === query.via);
  const recorded = cluster.state.kubernetesVersion ?? cluster.spec.kubernetes.version;
  const quiet = { signal: options.signal, output: () => undefined };
  const cloud = via && options.lister.kubectl ? await cloudStatus(cluster.spec, recorded, via, options.lister.kubectl, quiet).catch(() => undefined) : undefined;
  const addons = via && options.lister.kubectl ? await addonStatus(cluster.spec, recorded, via, options.lister.kubectl, quiet).catch(() => undefined) : undefined;
  // Every control plane's certificates (kubeadm certs check-expiration): one SSH command each.
  const certs = via && options.lister.kubectl ? await certStatus(topology.controlPlanes, options.lister.kubectl, quiet).catch(() => undefined) : undefined;
  return {
    cluster: cluster.spec.name,
    provider: cluster.spec.provider.name,
    dir: cluster.dir.root,
    apiEndpoint: topology.apiEndpoint,
    version: { recorded: cluster.state.kubernetesVersion ?? cluster.spec.kubernetes.version, observed },
    api: query.nodes ? { reachable: true, via: query.via } : { reachable: false, error: query.error },
    nodes,
    state,
    ...(kubeconfig ? { kubeconfig } : {}),
    backup: await backupStatus(cluster.dir, now()),
    ...(cloud ? { cloud } : {}),
    ...(addons && addons.length > 0 ? { addons } : {}),
    ...(certs ? { certs } : {}),
    healthy: query.nodes !== undefined && nodes.every((node) => node.ready === true) && (cloud?.healthy ?? true) && !(certs?.expired ?? false),
  };
}

/** Days until the kubeconfig's client certificate expires; a warning under 30 days. */
export async function kubeconfigView(file: string, now: number): Promise<StatusReport['kubeconfig']> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  const certificate = clientCertificateOf(text);
  if (!certificate) return undefined;
  const daysLeft = Math.floor((certificate.notAfter.getTime() - now) / 86_400_000);
  const expires = certificate.notAfter.toISOString();
  const warning =
    daysLeft < 0
      ? 'the client certificate has expired: kubectl fails with "x509: certificate has expired"; run "k8s-bootstrap certs renew"'
      : daysLeft * 86_400_000 < KUBECONFIG_RENEW_BEFORE_MS
        ? `the client certificate expires in ${daysLeft} days: run "k8s-bootstrap certs renew" (renews the control planes' certificates and writes this kubeconfig again)`
        : undefined;
  return { file, expires, daysLeft, ...(warning ? { warning } : {}) };
}

interface NodeQuery {
  nodes?: NodeStatus[];
  via?: string;
  error?: string;
}

/** Asks each control plane in turn until one answers, within the deadline. */
async function queryNodes(topology: Topology, options: CollectStatusOptions): Promise<NodeQuery> {
  const errors: string[] = [];
  const quiet: Pick<StepContext, 'signal' | 'output'> = { signal: options.signal, output: () => undefined };
  for (const node of topology.controlPlanes) {
    if (options.signal.aborted) break;
    try {
      const nodes = await untilAborted(options.lister.getNodes(node, quiet), options.signal);
      return { nodes, via: node.name };
    } catch (error) {
      errors.push(`${node.name} (${node.host}:${node.port}): ${firstLine(error)}`);
    }
  }
  if (options.signal.aborted && errors.length < topology.controlPlanes.length) {
    errors.push(`no answer before the time limit (--timeout)`);
  }
  return { error: `The API could not be reached through ${errors.join('; ')}` };
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('stopped by the time limit (--timeout)'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!;
}

/** Inventory nodes first (in inventory order), then nodes the API knows but the inventory does not. */
function mergeNodes(topology: Topology, reported: NodeStatus[] | undefined, now: number): StatusNode[] {
  const byName = new Map((reported ?? []).map((node) => [node.name, node]));
  const rows: StatusNode[] = allNodes(topology).map((node) => {
    const status = byName.get(node.name);
    byName.delete(node.name);
    if (!reported) return unknownRow(node, 'Unknown');
    if (!status) return unknownRow(node, 'NotRegistered');
    return row(status, node.role, node.privateIp, now, true);
  });
  for (const status of byName.values()) rows.push(row(status, status.roles.join(',') || '<none>', status.internalIp ?? '', now, false));
  return rows;
}

function unknownRow(node: ClusterNode, status: 'Unknown' | 'NotRegistered'): StatusNode {
  return {
    name: node.name,
    role: node.role,
    ready: status === 'Unknown' ? null : false,
    status,
    cordoned: false,
    version: '',
    address: node.privateIp,
    age: '',
    inInventory: true,
  };
}

function row(status: NodeStatus, role: string, fallbackAddress: string, now: number, inInventory: boolean): StatusNode {
  const words = [status.ready ? 'Ready' : 'NotReady', ...(status.unschedulable ? ['SchedulingDisabled'] : [])];
  return {
    name: status.name,
    role,
    ready: status.ready,
    status: words.join(','),
    cordoned: status.unschedulable,
    version: status.kubeletVersion,
    address: status.internalIp ?? fallbackAddress,
    age: status.createdAt ? formatAge(now - Date.parse(status.createdAt)) : '',
    ...(status.createdAt ? { createdAt: status.createdAt } : {}),
    ...(!status.ready && status.readyMessage ? { message: status.readyMessage } : {}),
    inInventory,
  };
}

/** kubectl-style age: the largest whole unit. */
export function formatAge(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  const seconds = Math.floor(ms / 1000);
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 120) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

async function stateView(cluster: LoadedCluster, topology: Topology): Promise<StatusReport['state']> {
  const steps = cluster.state.steps;
  const planned = plannedStepIds(cluster, topology);
  const last = Object.entries(steps).sort(([, a], [, b]) => b.finishedAt.localeCompare(a.finishedAt))[0];
  const lastRun = await lastRunOf(cluster.dir.logsDir);
  const destroyedAt = cluster.state.facts.destroyedAt;
  return {
    stateFile: cluster.dir.stateFile,
    finishedSteps: Object.keys(steps).length,
    plannedSteps: planned.length,
    pendingSteps: planned.filter((id) => steps[id] === undefined),
    ...(last ? { lastStep: { id: last[0], finishedAt: last[1].finishedAt } } : {}),
    ...(lastRun ? { lastRun } : {}),
    ...(typeof destroyedAt === 'string' ? { destroyedAt } : {}),
  };
}

/**
 * The step ids init checkpoints for this topology, read from the phases init builds (the same
 * ones its dry run prints), so they cannot drift. No step runs.
 */
export function plannedStepIds(cluster: Pick<LoadedCluster, 'spec' | 'state'>, topology: Topology): string[] {
  return describePhases(initPlanPhases(cluster.spec, topology, { state: cluster.state })).map((step) => step.id);
}

const LOG_NAME = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})-(\d{3})Z(?:-(.+))?\.log$/;

/** The newest logs/<timestamp>-<command>.log. */
async function lastRunOf(logsDir: string): Promise<StatusReport['state']['lastRun']> {
  let names: string[];
  try {
    names = await readdir(logsDir);
  } catch {
    return undefined;
  }
  const newest = names.filter((name) => LOG_NAME.test(name)).sort().pop();
  if (!newest) return undefined;
  const [, day, h, m, s, ms, command] = LOG_NAME.exec(newest)!;
  return { command: command ?? 'unknown', startedAt: `${day}T${h}:${m}:${s}.${ms}Z`, logFile: join(logsDir, newest) };
}

/** `kubectl get nodes -o json` over the read-only pool, on pinned host keys only. */
export function sshNodeLister(pool: SshPool, knownHosts: HostKeyStore, topology: Topology, deadline: number): NodeLister {
  return {
    async getNodes(first, ctx) {
      checkPinned(knownHosts, topology, first);
      const result = await pool.session(addressOf(first)).exec(getNodesJson(), {
        sudo: true,
        timeoutMs: Math.max(1000, deadline - Date.now()),
        signal: ctx.signal,
        idempotent: true,
        maxOutputBytes: LARGE_OUTPUT_LIMIT_BYTES,
      });
      return parseNodesJson(result.stdout);
    },
    async kubectl(first, argv: Argv, ctx) {
      checkPinned(knownHosts, topology, first);
      const result = await pool.session(addressOf(first)).exec(argv, {
        sudo: true,
        timeoutMs: Math.max(1000, deadline - Date.now()),
        signal: ctx.signal,
        idempotent: true,
        allowFailure: true,
        maxOutputBytes: LARGE_OUTPUT_LIMIT_BYTES,
      });
      return result.code === 0 ? result.stdout : undefined;
    },
  };
}

export function formatStatus(report: StatusReport): string {
  const lines: string[] = [];
  const observed = report.version.observed.length > 0 ? ` (nodes report ${report.version.observed.join(', ')})` : '';
  lines.push(`Cluster ${report.cluster} (${report.provider}), Kubernetes ${report.version.recorded}${observed}`);
  lines.push(`API endpoint: ${report.apiEndpoint}`);
  if (!report.api.reachable) lines.push(`API: unreachable. ${report.api.error ?? ''}`.trimEnd());
  lines.push('');
  const header = ['NAME', 'ROLE', 'STATUS', 'VERSION', 'ADDRESS', 'AGE'];
  const rows = report.nodes.map((n) => [n.name, n.role, n.status, n.version || '-', n.address || '-', n.age || '-']);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const cells of [header, ...rows]) lines.push(cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join('   '));
  for (const node of report.nodes) if (node.message) lines.push(`  ${node.name}: ${node.message}`);
  for (const node of report.nodes) if (!node.inInventory) lines.push(`  ${node.name}: registered with the API but not in inventory.json`);
  if (report.cloud) lines.push('', ...formatCloudStatus(report.cloud));
  if (report.addons) lines.push('', ...formatAddonStatus(report.addons));
  if (report.certs && report.certs.nodes.length > 0) lines.push('', ...formatCertStatus(report.certs));
  lines.push('');
  const s = report.state;
  lines.push(`State folder ${report.dir}:`);
  if (s.destroyedAt) lines.push(`  destroyed at ${s.destroyedAt}`);
  lines.push(`  ${s.finishedSteps} steps finished; ${s.pendingSteps.length} of the ${s.plannedSteps} init steps pending${s.pendingSteps.length > 0 ? `: ${s.pendingSteps.join(', ')}` : ''}`);
  if (s.lastStep) lines.push(`  last finished step: ${s.lastStep.id} at ${s.lastStep.finishedAt}`);
  if (s.lastRun) lines.push(`  last run: ${s.lastRun.command} started ${s.lastRun.startedAt} (log ${s.lastRun.logFile})`);
  lines.push(...formatBackupStatus(report.backup));
  if (report.kubeconfig) {
    lines.push(`  kubeconfig ${report.kubeconfig.file}: client certificate valid until ${report.kubeconfig.expires.slice(0, 10)} (${report.kubeconfig.daysLeft} days)`);
    if (report.kubeconfig.warning) lines.push(`  warning: ${report.kubeconfig.warning}`);
  }
  return lines.join('\n');
}
