/**
 * What remove-workers will do, decided from cluster.yaml and inventory.json alone (no SSH, no
 * Terraform): which workers go, in which order, and what cluster.yaml and inventory.json look like
 * after, so --dry-run, the confirmation and the real run agree.
 */
import { UsageError } from '../../errors.js';
import type { Inventory, InventoryNode } from '../../providers/inventory.js';
import type { ClusterSpec } from '../../config/schema.js';
import { defaultNodeName } from '../../config/node-names.js';
import type { ClusterFacts } from './plan-add.js';

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
    for (const name of new Set(names)) {
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
