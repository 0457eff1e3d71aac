/**
 * What add-workers will do, decided from cluster.yaml, inventory.json and state.json alone (no
 * SSH, no Terraform), so --dry-run, the confirmation and the real run agree.
 *
 * A worker counts as part of the cluster once its `join:<name>` checkpoint is recorded. A worker
 * in the inventory without one (an add-workers that was interrupted, a worker that failed during
 * init) is "unfinished": add-workers joins it, which is how an interrupted add-workers resumes.
 */
import { UsageError } from '../../errors.js';
import type { Inventory } from '../../providers/inventory.js';
import { inventoryFromSpec } from '../../providers/static.js';
import type { ClusterSpec, StaticHost, StaticHostInput } from '../../config/schema.js';
import { validateSpec } from '../../config/validate/index.js';
import type { ClusterState } from '../../state/state-store.js';
import { defaultNodeName } from '../../config/node-names.js';
import { stepId } from '../run/step-ids.js';

export interface ClusterFacts {
  spec: ClusterSpec;
  inventory: Inventory;
  state: Pick<ClusterState, 'steps' | 'kubernetesVersion' | 'image'>;
}

/** The version nodes joining now must run: the cluster's, which upgrades change. */
export function currentVersion(cluster: Pick<ClusterFacts, 'spec' | 'state'>): string {
  return cluster.state.kubernetesVersion ?? cluster.spec.kubernetes.version;
}

export function isJoined(state: ClusterFacts['state'], name: string): boolean {
  return state.steps[stepId.join(name)] !== undefined;
}

export interface AddWorkersRequest {
  /** Workers to add to the joined ones. */
  count?: number;
  /** Desired number of workers. */
  total?: number;
  /** Static: the new hosts (the CLI parses them from --host ADDRESS[,user=…,private=…,name=…,port=…]). */
  hosts?: StaticHostInput[];
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
      hint: `Run "k8s-bootstrap add-workers" without --count/--total to finish joining them, or remove them with "k8s-bootstrap remove-workers ${unfinished.map((node) => `--node ${node}`).join(' ')}".`,
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
  for (const parsed of request.hosts ?? []) {
    const port = parsed.port ?? 22;
    const text = `${parsed.address}${parsed.port !== undefined ? `,port=${parsed.port}` : ''}${parsed.name !== undefined ? `,name=${parsed.name}` : ''}`;
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

  const newNodes = [...new Set([...unfinished, ...fromSpec, ...resumed, ...addedHosts.map((host) => host.name!)])];
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
  const target = validateSpec(raw, { existingCluster: true });
  return {
    kind: 'add',
    plan: { ...common, cloud: false, newNodes, machinesToCreate: 0, targetCount: target.workers.count, target, addedHosts },
  };
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
