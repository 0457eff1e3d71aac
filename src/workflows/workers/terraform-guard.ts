/**
 * The review of the Terraform plans add-workers and remove-workers apply: growing may only
 * create, shrinking may only destroy the drained workers' objects. Anything else is refused
 * before apply, with the whole plan in the error.
 */
import type { Inventory, InventoryNode } from '../../providers/inventory.js';
import type { PlannedChange } from '../../tools/terraform.js';
import { ExternalToolError } from '../../errors.js';

/**
 * Changes no review refuses: data reads, nothing to do, and a pure state move (the moved blocks
 * that re-key the control planes of a cluster made when they were a count: no object changes).
 */
function harmless(change: PlannedChange): boolean {
  return change.action === 'read' || change.action === 'noop' || change.action === 'move';
}

/**
 * add-workers' review of the Terraform plan: only creations. Every cloud module has one machine
 * per worker at `<type>.worker[i]` (count), so growing never touches an existing object.
 */
export function nonAdditions(changes: PlannedChange[], _provider: string): PlannedChange[] {
  return changes.filter((change) => !(change.action === 'create' || harmless(change)));
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
    if (harmless(change)) return false;
    if (change.action !== 'delete' || !/worker/.test(change.address)) return true;
    const index = /worker\[(\d+)\]$/.exec(change.address)?.[1];
    return removedIndexes !== undefined && index !== undefined && !removedIndexes.includes(Number(index));
  });
}

/**
 * remove-control-plane's review on a cloud: every module keys its per-control-plane objects (the
 * machine, its port and floating IP, its load-balancer membership or target attachment, its API
 * firewall rule) by the machine's number N, `<type>.<name>["N"]`; only those of the removed
 * machine may be destroyed, and nothing else may change.
 */
export function nonControlPlaneRemovals(changes: PlannedChange[], machine: number): PlannedChange[] {
  return changes.filter((change) => {
    if (harmless(change)) return false;
    return !(change.action === 'delete' && change.address.endsWith(`["${machine}"]`));
  });
}

/** The Terraform count indexes of the workers to remove: their positions in the inventory. */
export function workerIndexes(inventory: Pick<Inventory, 'workers'>, remove: readonly InventoryNode[]): number[] {
  return remove.map((node) => inventory.workers.findIndex((worker) => worker.name === node.name));
}

export function refusedPlanError(what: 'add-workers' | 'remove-workers' | 'add-control-plane' | 'remove-control-plane', unexpected: PlannedChange[], all: PlannedChange[]): ExternalToolError {
  const verb = {
    'add-workers': 'only add machines',
    'remove-workers': 'only remove the drained workers',
    'add-control-plane': 'only add machines',
    'remove-control-plane': "only remove the control plane's machine and its own objects",
  }[what];
  return new ExternalToolError('UnexpectedPlanChanges', `The Terraform plan would do more than ${what} may: it must ${verb}, but it would ${unexpected.map((c) => `${c.action} ${c.address}`).join(', ')}. Nothing was applied.`, {
    details: ['The whole plan:', ...all.map((change) => `  ${change.action.padEnd(7)} ${change.address}${change.reason ? ` (${change.reason})` : ''}`)],
    hint:
      what === 'remove-control-plane'
        ? 'The control plane is untouched: this plan is reviewed before its etcd member is removed. Review it with "terraform plan" in the cluster folder\'s terraform/ directory (a module of your own must key its control planes by number, controlPlane.numbers), then run remove-control-plane again.'
        : 'Something else changed in cluster.yaml or the infrastructure since the last run. Review it with "terraform plan" in the cluster folder\'s terraform/ directory, or run "k8s-bootstrap init" to reconcile it first.',
  });
}
