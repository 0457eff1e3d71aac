/**
 * What remove-control-plane and add-control-plane will do to cluster.yaml and inventory.json,
 * decided from the cluster folder alone (no SSH), so the dry run, the confirmation and the run agree.
 *
 * Counts: a cluster is built with 1, 3 or 5 control planes. Removing one may leave 2 or 4, an even
 * etcd membership that survives no more failures than one member fewer: accepted as a transitional
 * state (config validation's existingCluster) and said as a warning; add-control-plane must end on
 * an odd count again (2 → 3, or 1 → 3 with two hosts), at most 5.
 *
 * Static clusters only for now: on a cloud the control planes are a Terraform count behind the
 * provider's load balancer, and a count shrinks from its highest index only; that is refused with
 * a hint rather than half done.
 */
import { UsageError } from '../../errors.js';
import type { Inventory, InventoryNode } from '../../providers/inventory.js';
import { inventoryFromSpec } from '../../providers/static.js';
import type { ClusterSpec, StaticHost, StaticHostInput } from '../../config/schema.js';
import { defaultNodeName } from '../../config/node-names.js';
import { controlPlaneCountProblem } from '../../config/field-checks.js';
import { validateSpec } from '../../config/validate/index.js';

export interface ControlPlaneFacts {
  spec: ClusterSpec;
  inventory: Inventory;
}

export interface RemoveControlPlanePlan {
  node: InventoryNode;
  /** Control planes left, in inventory order (the first is the one later commands use first). */
  remaining: string[];
  target: ClusterSpec;
  targetInventory: Inventory;
  /** The count left is even (2 or 4). */
  even: boolean;
}

export type RemoveControlPlaneDecision = { kind: 'nothing'; message: string } | { kind: 'remove'; plan: RemoveControlPlanePlan };

function refuseCloud(spec: ClusterSpec, command: string): void {
  if (spec.provider.name === 'static') return;
  throw new UsageError('ControlPlaneChangeUnsupported', `${command} is not supported on ${spec.provider.name} yet: its control planes are a Terraform count behind the provider's load balancer`, {
    hint: 'On a cloud, replace a broken control plane by restoring from a backup (k8s-bootstrap restore), or remove its etcd member by hand (etcdctl member remove) and run init again. Nothing was changed.',
  });
}

/** Static hosts with explicit names, so none is renamed when another leaves. */
function namedHosts(spec: Extract<ClusterSpec['provider'], { name: 'static' }>): Array<StaticHost & { name: string }> {
  const counters = { 'control-plane': 0, worker: 0 };
  return spec.hosts.map((host) => {
    counters[host.role] += 1;
    return { ...host, name: host.name ?? defaultNodeName(host.role, counters[host.role]) };
  });
}

export function planRemoveControlPlane(cluster: ControlPlaneFacts, name: string | undefined): RemoveControlPlaneDecision {
  const { spec, inventory } = cluster;
  if (!name) throw new UsageError('NoNodeNamed', 'Say which control plane to remove', { hint: 'k8s-bootstrap remove-control-plane NODE (k8s-bootstrap status lists them).' });
  if (inventory.workers.some((node) => node.name === name)) {
    throw new UsageError('NotAControlPlane', `${name} is a worker, not a control plane`, { hint: `Remove workers with "k8s-bootstrap remove-workers --node ${name}". Nothing was changed.` });
  }
  const node = inventory.control_plane.find((entry) => entry.name === name);
  if (!node) return { kind: 'nothing', message: `${name} is not a control plane of cluster ${spec.name} (already removed?): nothing to do.` };
  refuseCloud(spec, 'remove-control-plane');
  if (inventory.control_plane.length === 1) {
    throw new UsageError('LastControlPlane', `${name} is the only control plane of ${spec.name}: removing it would end the cluster`, { hint: 'Add a control plane first (k8s-bootstrap add-control-plane --host ADDRESS), or destroy the cluster. Nothing was changed.' });
  }
  if (spec.provider.name !== 'static') throw new Error('unreachable');
  const hosts = namedHosts(spec.provider).filter((host) => !(host.role === 'control-plane' && host.name === name));
  const target: ClusterSpec = { ...spec, provider: { ...spec.provider, hosts }, controlPlane: { ...spec.controlPlane, count: hosts.filter((h) => h.role === 'control-plane').length } };
  const targetInventory: Inventory = { ...inventory, control_plane: inventory.control_plane.filter((entry) => entry.name !== name) };
  const remaining = targetInventory.control_plane.map((entry) => entry.name);
  return { kind: 'remove', plan: { node, remaining, target, targetInventory, even: remaining.length % 2 === 0 } };
}

export interface AddControlPlanePlan {
  /** The new control planes, joined one at a time in this order. */
  added: string[];
  target: ClusterSpec;
  targetInventory: Inventory;
}

export type AddControlPlaneDecision = { kind: 'nothing'; message: string } | { kind: 'add'; plan: AddControlPlanePlan };

/** One past the highest cp-N in use, never below the count + 1. */
function nextControlPlaneIndex(names: string[], count: number): number {
  let highest = count;
  for (const name of names) {
    const match = /^cp-(\d+)$/.exec(name);
    if (match) highest = Math.max(highest, Number(match[1]));
  }
  return highest + 1;
}

export function planAddControlPlane(cluster: ControlPlaneFacts & { joined: (name: string) => boolean }, hosts: StaticHostInput[]): AddControlPlaneDecision {
  const { spec, inventory } = cluster;
  refuseCloud(spec, 'add-control-plane');
  if (spec.provider.name !== 'static') throw new Error('unreachable');
  const existing = namedHosts(spec.provider);
  const unfinished = inventory.control_plane.filter((node) => !cluster.joined(node.name)).map((node) => node.name);
  if (hosts.length === 0) {
    if (unfinished.length > 0) return { kind: 'add', plan: { added: unfinished, target: spec, targetInventory: inventory } };
    throw new UsageError('NoHostGiven', 'Say which machine joins as a control plane', { hint: 'Pass --host ADDRESS[,name=NAME][,private=IP][,user=U][,port=N] (repeatable).' });
  }
  const taken = new Set(existing.map((host) => host.name));
  const addresses = new Set(existing.map((host) => host.address));
  let index = nextControlPlaneIndex([...taken], inventory.control_plane.length);
  const added: Array<StaticHost & { name: string }> = [];
  for (const input of hosts) {
    if (addresses.has(input.address)) {
      const owner = existing.find((host) => host.address === input.address)!;
      if (owner.role === 'control-plane' && (input.name === undefined || input.name === owner.name)) continue; // given again: resume
      throw new UsageError('HostInUse', `--host ${input.address} is already ${owner.name} of cluster ${spec.name}`, { hint: 'Give a machine that is not part of the cluster. Nothing was changed.' });
    }
    const name = input.name ?? `cp-${index++}`;
    if (taken.has(name)) throw new UsageError('NameInUse', `--host ${input.address},name=${name}: ${name} is already a node of ${spec.name}`, { hint: 'Choose another name=. Nothing was changed.' });
    taken.add(name);
    addresses.add(input.address);
    added.push({ ...input, role: 'control-plane', name } as StaticHost & { name: string });
  }
  if (added.length === 0) {
    if (unfinished.length > 0) return { kind: 'add', plan: { added: unfinished, target: spec, targetInventory: inventory } };
    return { kind: 'nothing', message: `Every control plane given is already joined: nothing to do.` };
  }
  const count = inventory.control_plane.length + added.length;
  const problem = controlPlaneCountProblem(count);
  if (problem) {
    throw new UsageError('ControlPlaneCount', `Adding ${added.length} control plane(s) to ${inventory.control_plane.length} makes ${count}; the number of control planes ${problem.message}`, {
      hint: `${problem.fix ?? 'End on 1, 3 or 5'}: pass as many --host flags as that takes. Nothing was changed.`,
    });
  }
  // Control-plane hosts first in the list (inventory order = join order; the first stays first).
  const lastCp = existing.map((host) => host.role).lastIndexOf('control-plane');
  const list = [...existing.slice(0, lastCp + 1), ...added, ...existing.slice(lastCp + 1)];
  const target = validateSpec({ ...spec, provider: { ...spec.provider, hosts: list }, controlPlane: { ...spec.controlPlane, count } });
  const fresh = inventoryFromSpec(target);
  // The nodes that exist keep their inventory entries as they are.
  const targetInventory: Inventory = { ...inventory, control_plane: [...inventory.control_plane, ...fresh.control_plane.filter((node) => added.some((host) => host.name === node.name))] };
  return { kind: 'add', plan: { added: [...unfinished, ...added.map((host) => host.name)], target, targetInventory } };
}
