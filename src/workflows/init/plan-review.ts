/**
 * init applies a Terraform plan only when it destroys nothing: a changed zone, node CIDR or
 * control-plane count, drift, or a provider upgrade can plan to delete or replace networks,
 * machines (etcd members among them) or the API load balancer. Such a plan is shown and
 * refused unless --allow-destroy says it is meant.
 */
import { ExternalToolError } from '../../errors.js';
import type { PlannedChange } from '../../tools/terraform-json.js';

/** Terraform's plan actions that remove an existing object (a replace deletes it first or after). */
const DESTRUCTIVE_ACTIONS = new Set(['delete', 'replace', 'forget']);

/**
 * The changes that remove something. Replacing a tainted object is not one of them: Terraform
 * taints an object whose create failed part-way (developer.hashicorp.com/terraform/cli/commands/untaint),
 * so its replace (planned_change reason "tainted") is how an interrupted init finishes that create.
 */
export function destructiveChanges(changes: PlannedChange[]): PlannedChange[] {
  return changes
    .filter((change) => DESTRUCTIVE_ACTIONS.has(change.action) && !(change.action === 'replace' && change.reason === 'tainted'))
    // Terraform reports changes as it plans them, in no fixed order.
    .sort((a, b) => a.address.localeCompare(b.address));
}

export function destructivePlanError(destructive: PlannedChange[], all: PlannedChange[]): ExternalToolError {
  return new ExternalToolError('DestructivePlan', `The Terraform plan would ${destructive.map((c) => `${c.action} ${c.address}`).join(', ')}. Nothing was applied.`, {
    details: ['The whole plan:', ...all.map((change) => `  ${change.action.padEnd(7)} ${change.address}${change.reason ? ` (${change.reason})` : ''}`)],
    hint: 'The spec is unchanged, so this comes from the module, the provider or a change made outside k8s-bootstrap (review it with "terraform plan" in the cluster folder\'s terraform/). If it is meant, run init again with --allow-destroy; otherwise undo that change.',
  });
}
