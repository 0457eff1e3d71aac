/**
 * What add-workers and remove-workers will do, decided from cluster.yaml, inventory.json and
 * state.json alone (no SSH, no Terraform), so --dry-run, the confirmation and the real run agree.
 *
 * A worker counts as part of the cluster once its `join:<name>` checkpoint is recorded. A worker
 * in the inventory without one (an add-workers that was interrupted, a worker that failed during
 * init) is "unfinished": add-workers joins it, which is how an interrupted add-workers resumes.
 */
import { UsageError } from '../../errors.js';
import type { Inventory, InventoryNode } from '../../providers/inventory.js';
import { inventoryFromSpec } from '../../providers/static.js';
import type { ClusterSpec, StaticHost } from '../../config/schema.js';
import { parseHostFlag } from '../../config/resolve.js';
import { validateSpec } from '../../config/validate/index.js';
import type { ClusterState } from '../../state/state-store.js';
import type { PlannedChange } from '../../tools/terraform.js';
import { ExternalToolError } from '../../errors.js';
import { defaultNodeName } from '../../config/node-names.js';

export interface ClusterFacts {
  spec: ClusterSpec;
  inventory: Inventory;
  state: Pick<ClusterState, 'steps' | 'kubernetesVersion'>;
}

/** The version nodes joining now must run: the cluster's, which upgrades change. */
export function currentVersion(cluster: Pick<ClusterFacts, 'spec' | 'state'>): string {
  return cluster.state.kubernetesVersion ?? cluster.spec.kubernetes.version;
}

export function isJoined(state: ClusterFacts['state'], name: string): boolean {
  return state.steps[`join:${name}`] !== undefined;
}

// ---- add-workers ------------------------------------------------------------------------------

export interface AddWorkersRequest {
  /** Workers to add to the joined ones. */
  count?: number;
  /** Desired number of workers. */
  total?: number;
  /** Static: `ADDRESS[,user=…,private=…,name=…,port=…]` per new host. */
  hosts?: string[];
}

export interface AddWorkersPlan {
  cloud: boolean;
  /** Kubernetes version the new workers get. */
  version: string;
  /** Workers already joined; never touched. */
  joined: string[];
  /** Workers the run prepares and joins, when known before provisioning (static: all; cloud: unfinished ones). */
  newNodes: string[];
  /** Cloud: machines Terraform adds. Static: 0. */
  machinesToCreate: number;
  /** Worker count after the run. */
  targetCount: number;
  /** cluster.yaml after the run. */
  target: ClusterSpec;
  /** Static hosts appended to cluster.yaml. */
  addedHosts: StaticHost[];
}

export type AddWorkersDecision = { kind: 'nothing'; message: string } | { kind: 'add'; plan: AddWorkersPlan };

export function planAddWorkers(cluster: ClusterFacts, request: AddWorkersRequest): AddWorkersDecision {
  if (request.count !== undefined && request.total !== undefined) {
    throw new UsageError('CountAndTotal', '--count and --total cannot be used together', {
      hint: '--count N adds N workers; --total N sets the number of workers. Pass one of them.',
    });
  }
  if (request.count === 0) throw new UsageError('InvalidCount', '--count must be at least 1, got 0', { hint: 'Pass the number of workers to add, e.g. --count 2.' });
  const { spec, inventory, state } = cluster;
  const joined = inventory.workers.filter((node) => isJoined(state, node.name)).map((node) => node.name);
  const unfinished = inventory.workers.filter((node) => !isJoined(state, node.name)).map((node) => node.name);
  const common = { version: currentVersion(cluster), joined };
  if (request.total !== undefined && request.total < joined.length) {
    throw new UsageError('TotalBelowCurrent', `--total ${request.total} is below the ${joined.length} workers the cluster has; add-workers only adds`, {
      hint: `To go down to ${request.total} workers, run "k8s-bootstrap remove-workers --count ${joined.length - request.total}" (it drains the nodes first).`,
    });
  }
  return spec.provider.name === 'static'
    ? planStaticAdd(cluster, request, common, unfinished)
    : planCloudAdd(cluster, request, common, unfinished);
}

function planCloudAdd(cluster: ClusterFacts, request: AddWorkersRequest, common: Pick<AddWorkersPlan, 'version' | 'joined'>, unfinished: string[]): AddWorkersDecision {
  const { spec, inventory } = cluster;
  if (request.hosts?.length) {
    throw new UsageError('HostOnCloud', `--host is for static clusters; cluster ${spec.name} is on ${spec.provider.name}, where Terraform creates the machines`, {
      hint: 'Pass --count N or --total N instead.',
    });
  }
  // --count counts from the joined workers, so repeating an interrupted `--count 2` finishes it
  // instead of adding two more machines.
  const targetCount =
    request.count !== undefined ? common.joined.length + request.count : (request.total ?? Math.max(spec.workers.count, inventory.workers.length));
  if (targetCount < inventory.workers.length) {
    throw new UsageError('UnfinishedWorkers', `${unfinished.length} worker(s) from an earlier run are not joined yet (${unfinished.join(', ')}); a total of ${targetCount} would destroy machines`, {
      hint: 'Run "k8s-bootstrap add-workers" without --count/--total to finish joining them, or remove them with remove-workers.',
    });
  }
  const machinesToCreate = targetCount - inventory.workers.length;
  if (machinesToCreate === 0 && unfinished.length === 0) {
    return { kind: 'nothing', message: `The cluster already has ${common.joined.length} workers: nothing to add.` };
  }
  const target: ClusterSpec = { ...spec, workers: { ...spec.workers, count: targetCount } };
  return { kind: 'add', plan: { ...common, cloud: true, newNodes: unfinished, machinesToCreate, targetCount, target, addedHosts: [] } };
}

function planStaticAdd(cluster: ClusterFacts, request: AddWorkersRequest, common: Pick<AddWorkersPlan, 'version' | 'joined'>, unfinished: string[]): AddWorkersDecision {
  const { spec, inventory } = cluster;
  if (spec.provider.name !== 'static') throw new Error('planStaticAdd needs a static spec');
  const specInventory = inventoryFromSpec(spec);
  const known = new Set(inventory.workers.map((node) => node.name));
  // Hosts written into cluster.yaml by hand since the last run.
  const fromSpec = specInventory.workers.filter((node) => !known.has(node.name)).map((node) => node.name);
  const allSpecNodes = [...specInventory.control_plane, ...specInventory.workers];

  const addedHosts: StaticHost[] = [];
  const resumed: string[] = [];
  const usedNames = new Set([...allSpecNodes.map((node) => node.name), ...inventory.control_plane.map((n) => n.name), ...known]);
  let nextIndex = nextWorkerIndex([...usedNames], specInventory.workers.length);
  for (const text of request.hosts ?? []) {
    const parsed = parseWorkerHost(text);
    const port = parsed.port ?? 22;
    const same = allSpecNodes.find((node) => node.public_ip === parsed.address && (node.ssh_port ?? 22) === port);
    if (same) {
      // The same --host again after an interrupted run: it is in cluster.yaml but not joined yet.
      if (!isJoined(cluster.state, same.name) && specInventory.workers.some((w) => w.name === same.name)) {
        resumed.push(same.name);
        continue;
      }
      throw new UsageError('HostAlreadyInCluster', `--host ${text}: ${parsed.address}:${port} is already node ${same.name} of cluster ${spec.name}`, {
        hint: 'Pass only hosts that are not part of the cluster yet.',
      });
    }
    if (addedHosts.some((host) => host.address === parsed.address && host.port === port)) {
      throw new UsageError('DuplicateHost', `--host ${parsed.address}:${port} is given twice`, { hint: 'Pass each new host once.' });
    }
    let name = parsed.name;
    if (name === undefined) {
      while (usedNames.has(defaultNodeName('worker', nextIndex))) nextIndex += 1;
      name = defaultNodeName('worker', nextIndex);
    } else if (usedNames.has(name)) {
      throw new UsageError('DuplicateNodeName', `--host ${text}: the name ${name} is already used in cluster ${spec.name}`, {
        hint: 'Choose another name=, or leave it out to get the next worker-N.',
      });
    }
    usedNames.add(name);
    // Names are written out so that later edits of the host list never rename a node.
    addedHosts.push({ address: parsed.address, port, role: 'worker', name, ...(parsed.privateAddress ? { privateAddress: parsed.privateAddress } : {}), ...(parsed.user ? { user: parsed.user } : {}) });
  }

  const newNodes = unique([...unfinished, ...fromSpec, ...resumed, ...addedHosts.map((host) => host.name!)]);
  if (request.count !== undefined && newNodes.length === 0) {
    throw new UsageError('HostsRequired', `--count ${request.count}: cluster ${spec.name} uses the static provider, so the new machines must be named`, {
      hint: 'Pass each new machine with --host ADDRESS[,name=NAME][,private=IP][,user=U][,port=N] (repeatable), or add them to provider.hosts in cluster.yaml and run add-workers.',
    });
  }
  if (request.count !== undefined && request.count !== newNodes.length) {
    throw new UsageError('CountMismatch', `--count ${request.count} does not match the ${newNodes.length} new host(s) (${newNodes.join(', ')})`, {
      hint: 'On static clusters the new hosts decide the count: pass one --host per new worker, or leave --count out.',
    });
  }
  if (request.total !== undefined && request.total !== common.joined.length + newNodes.length) {
    if (request.total === common.joined.length && newNodes.length === 0) {
      return { kind: 'nothing', message: `The cluster already has ${request.total} workers: nothing to add.` };
    }
    throw new UsageError('TotalMismatch', `--total ${request.total} needs ${request.total - common.joined.length} new host(s), but ${newNodes.length} are given`, {
      hint: 'On static clusters each new worker is a --host ADDRESS (or a host added to cluster.yaml).',
    });
  }
  if (newNodes.length === 0) {
    return {
      kind: 'nothing',
      message: `Nothing to add: every worker of cluster.yaml is already joined (${common.joined.length}). Pass --host ADDRESS for each new machine.`,
    };
  }
  const hosts = [...spec.provider.hosts, ...addedHosts];
  const raw: ClusterSpec = {
    ...spec,
    provider: { ...spec.provider, hosts },
    workers: { ...spec.workers, count: hosts.filter((host) => host.role === 'worker').length },
  };
  const target = validateSpec(raw);
  return {
    kind: 'add',
    plan: { ...common, cloud: false, newNodes, machinesToCreate: 0, targetCount: target.workers.count, target, addedHosts },
  };
}

/** parseHostFlag speaks of --worker-host; add-workers' flag is --host. */
function parseWorkerHost(text: string) {
  try {
    return parseHostFlag(text, 'worker');
  } catch (error) {
    if (error instanceof UsageError) {
      throw new UsageError(error.code, error.message.replaceAll('--worker-host', '--host'), { hint: error.hint?.replaceAll('--worker-host', '--host') });
    }
    throw error;
  }
}

/** One past the highest worker-N in use, and never below the number of workers + 1. */
export function nextWorkerIndex(names: string[], workerCount: number): number {
  let highest = workerCount;
  for (const name of names) {
    const match = /^worker-(\d+)$/.exec(name);
    if (match) highest = Math.max(highest, Number(match[1]));
  }
  return highest + 1;
}

/**
 * add-workers' review of the Terraform plan: only creations. Every cloud module has one machine
 * per worker at `<type>.worker[i]` (count), so growing never touches an existing object.
 */
export function nonAdditions(changes: PlannedChange[], _provider: string): PlannedChange[] {
  return changes.filter((change) => !(change.action === 'create' || change.action === 'read' || change.action === 'noop'));
}

/**
 * remove-workers' review: only the removed workers' machines (and their per-worker objects, such
 * as OpenStack ports and floating IPs) go. planRemoveWorkers picks the highest indexes, which is
 * what a smaller worker_count destroys; with `removedIndexes` (the inventory positions of the
 * drained workers) a per-worker object at any other index (`aws_instance.worker[i]`,
 * `aws_vpc_security_group_ingress_rule.lb_worker[i]`) is refused as well, so
 * no machine but the drained ones is ever destroyed.
 */
export function nonRemovals(changes: PlannedChange[], _provider: string, removedIndexes?: readonly number[]): PlannedChange[] {
  return changes.filter((change) => {
    if (change.action === 'read' || change.action === 'noop') return false;
    if (change.action !== 'delete' || !/worker/.test(change.address)) return true;
    const index = /worker\[(\d+)\]$/.exec(change.address)?.[1];
    return removedIndexes !== undefined && index !== undefined && !removedIndexes.includes(Number(index));
  });
}

/** The Terraform count indexes of the workers to remove: their positions in the inventory. */
export function workerIndexes(inventory: Pick<Inventory, 'workers'>, remove: readonly InventoryNode[]): number[] {
  return remove.map((node) => inventory.workers.findIndex((worker) => worker.name === node.name));
}

export function refusedPlanError(what: 'add-workers' | 'remove-workers', unexpected: PlannedChange[], all: PlannedChange[]): ExternalToolError {
  const verb = what === 'add-workers' ? 'only add machines' : 'only remove the drained workers';
  return new ExternalToolError('UnexpectedPlanChanges', `The Terraform plan would do more than ${what} may: it must ${verb}, but it would ${unexpected.map((c) => `${c.action} ${c.address}`).join(', ')}. Nothing was applied.`, {
    details: ['The whole plan:', ...all.map((change) => `  ${change.action.padEnd(7)} ${change.address}${change.reason ? ` (${change.reason})` : ''}`)],
    hint: 'Something else changed in cluster.yaml or the infrastructure since the last run. Review it with "terraform plan" in the cluster folder\'s terraform/ directory, or run "k8s-bootstrap init" to reconcile it first.',
  });
}

// ---- remove-workers ---------------------------------------------------------------------------

export interface RemoveWorkersRequest {
  nodes?: string[];
  /** Remove the newest N workers. */
  count?: number;
  /** Allow going below workers.min. */
  force?: boolean;
}

export interface RemoveWorkersPlan {
  cloud: boolean;
  /** Workers to drain, delete, reset and drop, in this order. */
  remove: InventoryNode[];
  /** Named with --node but not part of the cluster (any more). */
  alreadyGone: string[];
  /** Workers that stay. */
  remaining: string[];
  /** cluster.yaml after the run. */
  target: ClusterSpec;
  /** inventory.json after the run (cloud: what Terraform must report). */
  targetInventory: Inventory;
}

export type RemoveWorkersDecision = { kind: 'nothing'; message: string } | { kind: 'remove'; plan: RemoveWorkersPlan };

export function planRemoveWorkers(cluster: Pick<ClusterFacts, 'spec' | 'inventory'>, request: RemoveWorkersRequest): RemoveWorkersDecision {
  const { spec, inventory } = cluster;
  const names = request.nodes ?? [];
  if (names.length > 0 && request.count !== undefined) {
    throw new UsageError('NodeAndCount', '--node and --count cannot be used together', { hint: '--node NAME names the workers; --count N takes the newest N.' });
  }
  if (names.length === 0 && request.count === undefined) {
    throw new UsageError('NothingToRemove', 'Say which workers to remove', { hint: 'Pass --node NAME (repeatable) or --count N (the newest N workers).' });
  }
  if (request.count === 0) throw new UsageError('InvalidCount', '--count must be at least 1, got 0', { hint: 'Pass the number of workers to remove.' });
  const cloud = spec.provider.name !== 'static';
  const workers = inventory.workers;
  const controlPlanes = new Set(inventory.control_plane.map((node) => node.name));

  let remove: InventoryNode[];
  const alreadyGone: string[] = [];
  if (request.count !== undefined) {
    if (request.count > workers.length) {
      throw new UsageError('CountTooHigh', `--count ${request.count}: the cluster has only ${workers.length} workers`, { hint: `Pass --count ${workers.length} or less.` });
    }
    // The newest are the last of the inventory: the highest Terraform index, the last host added.
    remove = workers.slice(workers.length - request.count).reverse();
  } else {
    remove = [];
    for (const name of unique(names)) {
      if (controlPlanes.has(name)) {
        throw new UsageError('ControlPlaneRemoval', `${name} is a control plane; remove-workers removes workers only`, {
          hint: 'Removing a control plane changes etcd membership and is not supported by this command.',
        });
      }
      const node = workers.find((worker) => worker.name === name);
      if (node) remove.push(node);
      else alreadyGone.push(name);
    }
    if (cloud && remove.length > 0) {
      // Terraform's count removes the highest indexes; a middle machine cannot go alone.
      const newest = workers.slice(workers.length - remove.length).map((node) => node.name);
      const strays = remove.filter((node) => !newest.includes(node.name)).map((node) => node.name);
      if (strays.length > 0) {
        throw new UsageError('NotNewestWorkers', `On ${spec.provider.name}, remove-workers can only remove the newest workers (${newest.join(', ')}); ${strays.join(', ')} is not among them`, {
          hint: `Terraform shrinks the worker count from the highest index. Remove the newest with "--count ${remove.length}", or drain ${strays.join(', ')} and keep it cordoned.`,
        });
      }
      remove = [...remove].sort((a, b) => workers.indexOf(b) - workers.indexOf(a));
    }
  }
  if (remove.length === 0) {
    return { kind: 'nothing', message: `${alreadyGone.join(', ')} ${alreadyGone.length === 1 ? 'is' : 'are'} not a worker of cluster ${spec.name} (already removed?): nothing to do.` };
  }
  const removed = new Set(remove.map((node) => node.name));
  const remaining = workers.filter((node) => !removed.has(node.name)).map((node) => node.name);
  if (remaining.length < spec.workers.min && !request.force) {
    throw new UsageError('BelowMinimum', `Removing ${remove.length} worker(s) leaves ${remaining.length}, below workers.min ${spec.workers.min} of cluster.yaml`, {
      hint: 'Pass --force to go below the minimum anyway, or lower workers.min in cluster.yaml.',
    });
  }
  const targetInventory: Inventory = { ...inventory, workers: workers.filter((node) => !removed.has(node.name)) };
  return { kind: 'remove', plan: { cloud, remove, alreadyGone, remaining, target: specWithout(spec, removed, remaining.length), targetInventory } };
}

/** cluster.yaml without the removed workers; static hosts get explicit names so none is renamed by the shift. */
function specWithout(spec: ClusterSpec, removed: Set<string>, remaining: number): ClusterSpec {
  if (spec.provider.name !== 'static') return { ...spec, workers: { ...spec.workers, count: remaining } };
  const counters = { 'control-plane': 0, worker: 0 };
  const named = spec.provider.hosts.map((host) => {
    counters[host.role] += 1;
    return { ...host, name: host.name ?? defaultNodeName(host.role, counters[host.role]) };
  });
  const hosts = named.filter((host) => !(host.role === 'worker' && removed.has(host.name)));
  return { ...spec, provider: { ...spec.provider, hosts }, workers: { ...spec.workers, count: hosts.filter((h) => h.role === 'worker').length } };
}

// ---- text -------------------------------------------------------------------------------------

export function formatAddPlan(cluster: Pick<ClusterFacts, 'spec' | 'inventory'>, plan: AddWorkersPlan): string {
  const first = cluster.inventory.control_plane[0]?.name ?? 'the first control plane';
  const lines = [`add-workers on cluster ${cluster.spec.name}: ${plan.joined.length} → ${plan.targetCount} workers, Kubernetes ${plan.version}`];
  if (plan.cloud && plan.machinesToCreate > 0) {
    lines.push(`  terraform: workers.count ${cluster.inventory.workers.length} → ${plan.targetCount} (${plan.machinesToCreate} new machine(s)); the plan must only add, or nothing is applied`);
  }
  for (const host of plan.addedHosts) lines.push(`  new host ${host.name}: ${host.address}${host.port !== 22 ? `:${host.port}` : ''}${host.privateAddress ? ` (node IP ${host.privateAddress})` : ''}`);
  const known = plan.newNodes.length > 0 ? plan.newNodes.join(', ') : '';
  const joinWhat = plan.cloud ? [known, plan.machinesToCreate > 0 ? `the ${plan.machinesToCreate} new machine(s)` : ''].filter(Boolean).join(' and ') : known;
  lines.push(`  on ${joinWhat}: prepare (containerd/kubeadm ${plan.version}), kubeadm join, wait until Ready`);
  lines.push(`  on ${first}: kubeadm token create --print-join-command (a fresh join token), kubectl get nodes`);
  lines.push(`  every other node: untouched${plan.joined.length ? ` (${plan.joined.join(', ')})` : ''}`);
  return lines.join('\n');
}

export function formatRemovePlan(cluster: Pick<ClusterFacts, 'spec' | 'inventory'>, plan: RemoveWorkersPlan, drainTimeout: string): string {
  const first = cluster.inventory.control_plane[0]?.name ?? 'the first control plane';
  const lines = [`remove-workers on cluster ${cluster.spec.name}: ${cluster.inventory.workers.length} → ${plan.remaining.length} workers`];
  for (const node of plan.remove) {
    lines.push(`  ${node.name}: kubectl drain --ignore-daemonsets (timeout ${drainTimeout}) and kubectl delete node on ${first}, then kubeadm reset -f on ${node.name} if it answers`);
  }
  lines.push(
    plan.cloud
      ? `  terraform: workers.count ${cluster.inventory.workers.length} → ${plan.remaining.length} (destroys ${plan.remove.map((n) => n.name).join(', ')})`
      : `  cluster.yaml and inventory.json: drop ${plan.remove.map((n) => n.name).join(', ')} (the machines stay, reset)`,
  );
  for (const name of plan.alreadyGone) lines.push(`  ${name}: not a worker of this cluster (already removed?), skipped`);
  return lines.join('\n');
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}
