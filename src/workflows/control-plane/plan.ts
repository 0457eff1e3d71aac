/**
 * What remove-control-plane and add-control-plane will do to cluster.yaml and inventory.json,
 * decided from the cluster folder alone (no SSH), so the dry run, the confirmation and the run agree.
 *
 * Counts: a cluster is built with 1, 3 or 5 control planes. Removing one may leave 2 or 4, an even
 * etcd membership that survives no more failures than one member fewer: accepted as a transitional
 * state (config validation's existingCluster) and said as a warning; add-control-plane must end on
 * an odd count again (2 → 3, or 1 → 3 with two hosts), at most 5.
 *
 * Static clusters: the host list of cluster.yaml changes. Clouds: controlPlane.numbers does (the N
 * of each machine <name>-cp-N; the modules make one machine per number with for_each, so any one
 * can go alone, and the lowest free number in 1..5 is the next one made). The inventory lists the
 * control planes in number order, so inventory.control_plane[i] is the machine of the i-th number.
 */
import { UsageError } from '../../errors.js';
import type { Inventory, InventoryNode } from '../../providers/inventory.js';
import { inventoryFromSpec } from '../../providers/static.js';
import type { ClusterSpec, StaticHost, StaticHostInput } from '../../config/schema.js';
import { controlPlaneNumbers, defaultNodeName, planNodeNames } from '../../config/node-names.js';
import { controlPlaneCountProblem } from '../../config/field-checks.js';
import { validateSpec } from '../../config/validate/index.js';
import { MAX_CONTROL_PLANE_NUMBER } from '../../config/schema.js';

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
  /** Cloud: the N of the machine <name>-cp-N that Terraform destroys. */
  machine?: number;
}

export type RemoveControlPlaneDecision = { kind: 'nothing'; message: string } | { kind: 'remove'; plan: RemoveControlPlanePlan };

/** The numbers of a cloud cluster's control planes, checked against the inventory they describe. */
function cloudNumbers(spec: ClusterSpec, inventory: Inventory): number[] {
  const numbers = controlPlaneNumbers(spec);
  if (numbers.length !== inventory.control_plane.length) {
    throw new UsageError('ControlPlaneNumbersMismatch', `cluster.yaml names ${numbers.length} control-plane machines (controlPlane.numbers ${numbers.join(', ')}) but inventory.json lists ${inventory.control_plane.length} (${inventory.control_plane.map((n) => n.name).join(', ')})`, {
      hint: `An add-control-plane was interrupted: run "k8s-bootstrap add-control-plane" (no flags) to finish it, or set controlPlane.numbers in cluster.yaml to the N of the machines inventory.json lists. Nothing was changed.`,
    });
  }
  // The built-in modules name machine N <name>-cp-N: a module whose order is not the numbers' is refused.
  inventory.control_plane.forEach((node, i) => {
    const named = new RegExp(`^${spec.name}-cp-(\\d+)$`).exec(node.name);
    if (named && Number(named[1]) !== numbers[i]) {
      throw new UsageError('ControlPlaneOrder', `inventory.json lists ${node.name} where cluster.yaml's controlPlane.numbers has ${numbers[i]}: the module's control_plane output must follow the numbers`, { hint: 'Check the module in the cluster folder\'s terraform/ (its control_plane output, in number order). Nothing was changed.' });
    }
  });
  return numbers;
}

/** A cloud spec without the control-plane machine of number `machine`. */
export function withoutMachine(spec: ClusterSpec, machine: number): ClusterSpec {
  const left = controlPlaneNumbers(spec).filter((number) => number !== machine);
  return { ...spec, controlPlane: { ...spec.controlPlane, count: left.length, numbers: left } };
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
  if (inventory.control_plane.length === 1) {
    const add = spec.provider.name === 'static' ? 'add-control-plane --host ADDRESS' : 'add-control-plane';
    throw new UsageError('LastControlPlane', `${name} is the only control plane of ${spec.name}: removing it would end the cluster`, { hint: `Add a control plane first (k8s-bootstrap ${add}), or destroy the cluster. Nothing was changed.` });
  }
  const targetInventory: Inventory = { ...inventory, control_plane: inventory.control_plane.filter((entry) => entry.name !== name) };
  const remaining = targetInventory.control_plane.map((entry) => entry.name);
  if (spec.provider.name !== 'static') {
    const numbers = cloudNumbers(spec, inventory);
    const machine = numbers[inventory.control_plane.indexOf(node)]!;
    return { kind: 'remove', plan: { node, remaining, target: withoutMachine(spec, machine), targetInventory, even: remaining.length % 2 === 0, machine } };
  }
  const hosts = namedHosts(spec.provider).filter((host) => !(host.role === 'control-plane' && host.name === name));
  const target: ClusterSpec = { ...spec, provider: { ...spec.provider, hosts }, controlPlane: { ...spec.controlPlane, count: hosts.filter((h) => h.role === 'control-plane').length } };
  return { kind: 'remove', plan: { node, remaining, target, targetInventory, even: remaining.length % 2 === 0 } };
}

export interface AddControlPlanePlan {
  /** The new control planes, joined one at a time in this order. */
  added: string[];
  target: ClusterSpec;
  /** Static: the inventory with the new hosts. Cloud: the current one (Terraform makes the machines first). */
  targetInventory: Inventory;
  /** Cloud: the numbers N of the machines <name>-cp-N Terraform makes. */
  machines?: number[];
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

export function planAddControlPlane(cluster: ControlPlaneFacts & { joined: (name: string) => boolean }, hosts: StaticHostInput[], addCount?: number): AddControlPlaneDecision {
  const { spec, inventory } = cluster;
  if (spec.provider.name !== 'static') return planCloudAdd(cluster, hosts, addCount);
  if (addCount !== undefined) throw new UsageError('CountOnStatic', '--count is for cloud clusters: a static control plane is a machine you name', { hint: 'Pass --host ADDRESS[,name=NAME] for each machine that joins. Nothing was changed.' });
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

/** The smallest number of control planes to add that ends on an allowed count (2 -> 3, 1 -> 3, 3 -> 5, 4 -> 5). */
function countToOdd(current: number): number {
  return current % 2 === 0 ? 1 : 2;
}

/**
 * Cloud: new machines take the lowest free numbers; Terraform makes them (add-control-plane saves
 * the target spec first, so an interrupted run resumes with no flags: numbers without a machine in
 * the inventory, or machines not joined yet).
 */
function planCloudAdd(cluster: ControlPlaneFacts & { joined: (name: string) => boolean }, hosts: StaticHostInput[], count: number | undefined): AddControlPlaneDecision {
  const { spec, inventory } = cluster;
  if (hosts.length > 0) {
    throw new UsageError('HostOnCloud', `--host is for static clusters: on ${spec.provider.name} Terraform makes the machine`, { hint: 'Run "k8s-bootstrap add-control-plane" (or --count N). Nothing was changed.' });
  }
  const numbers = controlPlaneNumbers(spec);
  const unfinished = inventory.control_plane.filter((node) => !cluster.joined(node.name)).map((node) => node.name);
  if (numbers.length > inventory.control_plane.length || unfinished.length > 0) {
    // An earlier run saved these numbers: finish it, whatever --count says now. The names of the
    // machines still to make are the built-in modules' (a team's module may name them otherwise:
    // the run takes the names from Terraform's outputs).
    const known = new Set(inventory.control_plane.map((node) => node.name));
    const pending = planNodeNames(spec).controlPlanes.filter((name) => !known.has(name));
    const missing = numbers.length > inventory.control_plane.length ? pending.slice(0, numbers.length - inventory.control_plane.length) : [];
    return { kind: 'add', plan: { added: [...unfinished, ...missing], target: spec, targetInventory: inventory, machines: [] } };
  }
  if (numbers.length >= MAX_CONTROL_PLANE_NUMBER) {
    throw new UsageError('ControlPlaneMaximum', `${spec.name} has ${numbers.length} control planes, the most it may have`, { hint: 'Nothing was changed.' });
  }
  const adding = count ?? countToOdd(numbers.length);
  const total = numbers.length + adding;
  const problem = controlPlaneCountProblem(total);
  if (adding < 1 || problem) {
    throw new UsageError('ControlPlaneCount', `Adding ${adding} control plane(s) to ${numbers.length} makes ${total}; the number of control planes ${problem?.message ?? 'must grow'}`, {
      hint: `Add ${countToOdd(numbers.length)} (the default) to end on ${numbers.length + countToOdd(numbers.length)}. Nothing was changed.`,
    });
  }
  const free = Array.from({ length: MAX_CONTROL_PLANE_NUMBER }, (_, i) => i + 1).filter((n) => !numbers.includes(n));
  const machines = free.slice(0, adding);
  if (machines.length < adding) throw new UsageError('NoFreeControlPlaneNumber', `No free machine number: control planes are <name>-cp-1 to -cp-${MAX_CONTROL_PLANE_NUMBER}`, { hint: 'Remove a control plane first. Nothing was changed.' });
  const after = [...numbers, ...machines].sort((a, b) => a - b);
  const target = validateSpec({ ...spec, controlPlane: { ...spec.controlPlane, count: after.length, numbers: after } }, { existingCluster: true });
  const names = planNodeNames(target).controlPlanes;
  return { kind: 'add', plan: { added: machines.map((n) => names[after.indexOf(n)]!), target, targetInventory: inventory, machines } };
}

