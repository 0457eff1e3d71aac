/**
 * How the Exoscale module splits network.nodeCidr (templates/terraform/exoscale/addresses.tf
 * computes the same; test/e2e/tools/terraform/exoscale-module.test.ts compares the two):
 *
 *   host 1-9     left alone
 *   host 10-14   control planes, static DHCP leases (at most 5 control planes)
 *   host 16-     workers, static DHCP leases, up to the dynamic range
 *   last quarter the managed network's dynamic DHCP range (minus the broadcast address)
 *
 * The layout depends on the CIDR only, never on the counts, so add-workers and remove-workers
 * never change the private network (their plans may only create or destroy machines).
 */
import { cidrSize, type Cidr } from './cidr.js';
import type { Problem } from './field-checks.js';

export const EXOSCALE_FIRST_CONTROL_PLANE_HOST = 10;
export const EXOSCALE_FIRST_WORKER_HOST = 16;
/** Below a /27 the dynamic range would run into the control-plane block. */
export const EXOSCALE_MAX_NODE_PREFIX = 27;

export interface ExoscaleAddressPlan {
  /** Host numbers (offsets from the network address). */
  firstControlPlaneHost: number;
  firstWorkerHost: number;
  /** How many workers fit before the dynamic range. */
  workerCapacity: number;
  dynamicFirstHost: number;
  dynamicLastHost: number;
}

export function exoscaleAddressPlan(cidr: Cidr): ExoscaleAddressPlan {
  const size = cidrSize(cidr);
  const dynamicFirstHost = (size / 4) * 3;
  return {
    firstControlPlaneHost: EXOSCALE_FIRST_CONTROL_PLANE_HOST,
    firstWorkerHost: EXOSCALE_FIRST_WORKER_HOST,
    workerCapacity: Math.max(0, dynamicFirstHost - EXOSCALE_FIRST_WORKER_HOST),
    dynamicFirstHost,
    dynamicLastHost: size - 2,
  };
}

/** Why this node network cannot hold this many Exoscale workers, if it cannot. */
export function exoscaleNodeCidrProblem(cidr: Cidr, workers: number): Problem | undefined {
  if (cidr.prefix > EXOSCALE_MAX_NODE_PREFIX) {
    return {
      message: `is too small for the Exoscale address plan: control planes take hosts 10-14, workers start at host 16 and the last quarter is the dynamic DHCP range, which needs a /${EXOSCALE_MAX_NODE_PREFIX} or larger`,
      fix: `use a /${EXOSCALE_MAX_NODE_PREFIX} or larger, e.g. 10.240.0.0/16`,
    };
  }
  const { workerCapacity } = exoscaleAddressPlan(cidr);
  if (workers > workerCapacity) {
    const prefix = Math.min(EXOSCALE_MAX_NODE_PREFIX, 32 - Math.ceil(Math.log2(((workers + EXOSCALE_FIRST_WORKER_HOST) * 4) / 3)));
    return {
      message: `has room for ${workerCapacity} workers with static addresses on Exoscale (hosts ${EXOSCALE_FIRST_WORKER_HOST}-${EXOSCALE_FIRST_WORKER_HOST + workerCapacity - 1}; the last quarter is the dynamic DHCP range), not ${workers}`,
      fix: `use a /${prefix} or larger, or fewer workers`,
    };
  }
  return undefined;
}
