/**
 * Loading an existing cluster for the day-2 commands: which cluster folder (--dir, --config's
 * name, or the only folder under ./clusters/), its spec, inventory and state. Also the read-only
 * SSH pool of status and ssh, which never pins a new host key: a node whose key is not pinned yet
 * is refused, because trust-on-first-use belongs to the runs that create nodes.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Host } from '../../engine/host.js';
import type { ClusterRef } from './cluster-ref.js';

export type { ClusterRef } from './cluster-ref.js';
import { PreflightError, UsageError } from '../../errors.js';
import { readInventory } from '../../state/inventory-file.js';
import type { Inventory } from '../../providers/inventory.js';
import { readSpecFile } from '../../config/load.js';
import type { ClusterSpec } from '../../config/schema.js';
import { validateSpec } from '../../config/validate/index.js';
import { assertClusterName, ClusterDir } from '../../state/cluster-dir.js';
import { StateStore, type ClusterState } from '../../state/state-store.js';
import { SshPool, type NodeAddress } from '../../tools/ssh/pool.js';
import { HostKeyStore, knownHostName } from '../../tools/ssh/known-hosts.js';
import { defaultNodeName } from '../../config/node-names.js';
import { expandHome, privateKeyPathFor } from './ssh-pool.js';
import { allNodes, topologyFromInventory, type ClusterNode, type Topology } from '../../nodes/topology.js';
import { cloudIntegrationInstalled } from './step-ids.js';

export interface LoadedCluster {
  spec: ClusterSpec;
  dir: ClusterDir;
  inventory: Inventory;
  state: Readonly<ClusterState>;
}

/** A cluster whose inventory may be missing (destroy after a failed provisioning). */
export interface PartialCluster extends Omit<LoadedCluster, 'inventory'> {
  inventory?: Inventory;
}


export interface LoadClusterOptions {
  /** Missing inventory.json is an error ("run init first"). @default true */
  requireInventory?: boolean;
}

export function loadCluster(host: Pick<Host, 'cwd'>, ref: ClusterRef): Promise<LoadedCluster>;
export function loadCluster(host: Pick<Host, 'cwd'>, ref: ClusterRef, options: LoadClusterOptions): Promise<PartialCluster>;
export async function loadCluster(host: Pick<Host, 'cwd'>, ref: ClusterRef, options: LoadClusterOptions = {}): Promise<PartialCluster> {
  const { dir, askedFor } = await locateCluster(host, ref);
  if (!(await isFile(dir.specFile))) {
    throw new UsageError('ClusterNotFound', `No cluster.yaml in ${dir.root}`, {
      hint: 'Run "k8s-bootstrap init" first, or point --dir at an existing cluster folder.',
    });
  }
  const spec = validateSpec(await readSpecFile(dir.specFile), { existingCluster: true });
  if (askedFor && askedFor.name !== spec.name) {
    throw new UsageError('ClusterMismatch', `${dir.specFile} describes cluster "${spec.name}", but ${askedFor.source} names "${askedFor.name}"`, {
      hint: 'Point --dir at the folder of that cluster (or drop --config); nothing was changed.',
    });
  }
  const inventory = await readInventory(dir, spec);
  const state = (await StateStore.open(dir.stateFile, spec.name)).current;
  if (state.cluster !== '' && state.cluster !== spec.name) {
    throw new UsageError('ClusterMismatch', `${dir.stateFile} belongs to cluster "${state.cluster}", but ${dir.specFile} describes "${spec.name}"`, {
      hint: 'The folder mixes two clusters\' files; restore the right state.json or cluster.yaml. Nothing was changed.',
    });
  }
  if (!inventory && options.requireInventory !== false) {
    const destroyedAt = state.facts.destroyedAt;
    const why = typeof destroyedAt === 'string' ? `was destroyed (${destroyedAt})` : 'has not been built';
    throw new UsageError('ClusterNotBuilt', `${dir.inventoryFile} does not exist: cluster ${spec.name} ${why}`, {
      hint: `Run "k8s-bootstrap init --dir ${dir.root}" first.`,
    });
  }
  return { spec: specAsBuilt(spec, state), dir, inventory, state };
}

/** --dir, else the folder of `name` or of --config's cluster name, else the only folder under ./clusters/. */
export async function findClusterDir(host: Pick<Host, 'cwd'>, ref: ClusterRef): Promise<ClusterDir> {
  return (await locateCluster(host, ref)).dir;
}

interface LocatedCluster {
  dir: ClusterDir;
  /** The cluster the person named (by argument or --config), which the folder must hold. */
  askedFor?: { name: string; source: string };
}

async function locateCluster(host: Pick<Host, 'cwd'>, ref: ClusterRef): Promise<LocatedCluster> {
  const askedFor = ref.name ? { name: ref.name, source: 'the cluster name' } : ref.config ? await configClusterName(resolve(host.cwd, ref.config)) : undefined;
  if (ref.dir) return { dir: ClusterDir.forCluster('', ref.dir, host.cwd), askedFor };
  if (askedFor) return { dir: ClusterDir.forCluster(askedFor.name, undefined, host.cwd, askedFor.source), askedFor };
  const root = join(host.cwd, 'clusters');
  const found = await listClusterFolders(root);
  if (found.length === 1) return { dir: new ClusterDir(join(root, found[0]!)) };
  if (found.length === 0) {
    throw new UsageError('NoCluster', `No cluster folder found under ${root}`, {
      hint: 'Run "k8s-bootstrap init" first, or name the cluster folder with --dir.',
    });
  }
  throw new UsageError('SeveralClusters', `There are ${found.length} clusters under ${root}: ${found.join(', ')}`, {
    hint: `Choose one with --dir, e.g. --dir ${join(root, found[0]!)}`,
  });
}

/** The `name` of a --config file, checked as a DNS-1123 label before it names a folder. */
async function configClusterName(file: string): Promise<{ name: string; source: string }> {
  const raw = await readSpecFile(file);
  const configName = (raw as { name?: unknown } | null)?.name;
  const name = typeof configName === 'string' && configName !== '' ? configName : validateSpec(raw).name;
  const source = `name in ${file}`;
  assertClusterName(name, source);
  return { name, source };
}

/** Names of the folders under `root` that hold a cluster.yaml, sorted. */
export async function listClusterFolders(root: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const found: string[] = [];
  for (const entry of entries.sort()) if (await isFile(join(root, entry, 'cluster.yaml'))) found.push(entry);
  return found;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Static hosts may each have their own SSH user; keyed by node name like the inventory. */
export function nodeUsersOf(spec: ClusterSpec): Record<string, string | undefined> {
  if (spec.provider.name !== 'static') return {};
  const users: Record<string, string | undefined> = {};
  const counters = { 'control-plane': 0, worker: 0 };
  for (const host of spec.provider.hosts) {
    counters[host.role] += 1;
    users[host.name ?? defaultNodeName(host.role, counters[host.role])] = host.user;
  }
  return users;
}

export function topologyOf(cluster: { spec: ClusterSpec; inventory: Inventory }): Topology {
  return topologyFromInventory(cluster.inventory, nodeUsersOf(cluster.spec));
}

/** The node called `name`; a UsageError listing every node name when there is none. */
export function findNode(topology: Topology, name: string): ClusterNode {
  const node = allNodes(topology).find((candidate) => candidate.name === name);
  if (node) return node;
  throw new UsageError('UnknownNode', `There is no node named "${name}" in this cluster`, {
    hint: `Nodes: ${allNodes(topology).map((n) => n.name).join(', ')}`,
  });
}

export function addressOf(node: ClusterNode): NodeAddress {
  return { name: node.name, host: node.host, port: node.port, user: node.user };
}

export interface ReadOnlyPoolOptions {
  signal: AbortSignal;
  /** Overall wait for a node to accept SSH. */
  readyWaitMs: number;
  env: NodeJS.ProcessEnv;
  concurrency?: number;
}

/** The read-only commands' SSH: pinned keys only (see checkPinned), the cluster's key or ssh-agent. */
export function openReadOnlyPool(cluster: { spec: ClusterSpec; dir: ClusterDir }, topology: Topology, options: ReadOnlyPoolOptions): { pool: SshPool; knownHosts: HostKeyStore } {
  const knownHosts = new HostKeyStore({ file: cluster.dir.knownHostsFile, readOnlyFiles: readOnlyKnownHosts(cluster.spec) });
  const privateKeyPath = privateKeyPathFor(cluster.spec, cluster.dir);
  const pool = new SshPool({
    user: topology.sshUser,
    privateKeyPath,
    agent: privateKeyPath ? undefined : options.env.SSH_AUTH_SOCK,
    bastion: topology.bastion,
    knownHosts,
    concurrency: options.concurrency ?? 8,
    readyWaitMs: options.readyWaitMs,
    connectTimeoutMs: Math.min(15_000, options.readyWaitMs),
    signal: options.signal,
  });
  return { pool, knownHosts };
}

export function readOnlyKnownHosts(spec: ClusterSpec): string[] {
  return spec.ssh.knownHosts ? [expandHome(spec.ssh.knownHosts)] : [];
}

/**
 * Refuses a node (or the bastion) whose host key is not pinned yet, before any connection:
 * the SSH pool would otherwise trust and record the first key it sees.
 */
export function checkPinned(knownHosts: HostKeyStore, topology: Topology, node: ClusterNode): void {
  const targets = [{ label: `node ${node.name}`, host: node.host, port: node.port }];
  if (topology.bastion) targets.unshift({ label: 'the bastion', host: topology.bastion.host, port: topology.bastion.port ?? 22 });
  for (const target of targets) {
    if (knownHosts.knownKeys(target.host, target.port).length === 0) {
      throw new PreflightError('HostKeyNotPinned', `No pinned host key for ${target.label} (${knownHostName(target.host, target.port)}) in ${knownHosts.path}`, {
        hint: 'Host keys are pinned when init (or add-workers) first connects. Run init again to pin it, or give a known_hosts file in ssh.knownHosts.',
      });
    }
  }
}

/**
 * The spec as the cluster was built: one bootstrapped before the cloud integration existed has
 * kubelets without cloud-provider external and no credentials outputs, so its add-workers,
 * upgrade, status and a repeated init go on without a CCM or CSI instead of waiting for one that
 * never comes. (kubernetesVersion is recorded only when init has verified the cluster.)
 */
export function specAsBuilt(spec: ClusterSpec, state: Readonly<ClusterState>): ClusterSpec {
  if (state.kubernetesVersion === undefined || cloudIntegrationInstalled(state.steps)) return spec;
  // What the defaults would add (CCM and CSI on clouds, local-path on static) was never installed.
  const storage = spec.storage.defaultClass === 'auto' ? { ...spec.storage, defaultClass: 'none' as const } : spec.storage;
  return { ...spec, cloudIntegration: { ...spec.cloudIntegration, ccm: false, csi: false }, storage };
}
