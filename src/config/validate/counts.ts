/**
 * How many control planes and workers a spec has, and whether those numbers are allowed. For
 * static clusters the host list is the truth: the counts are derived from it (static-fields.ts),
 * and a count written next to it is ignored.
 */
import type { ValidationIssue } from '../../errors.js';
import { controlPlaneCountProblem, workerCountProblem } from '../field-checks.js';
import type { ClusterSpec } from '../schema.js';
import { at } from './issues.js';

export interface NodeCounts {
  controlPlanes: number;
  workers: number;
}

/** For static clusters the host list is the truth, even when counts were not derived yet. */
export function nodeCounts(spec: ClusterSpec): NodeCounts {
  if (spec.provider.name === 'static') {
    const hosts = spec.provider.hosts;
    return {
      controlPlanes: hosts.filter((h) => h.role === 'control-plane').length,
      workers: hosts.filter((h) => h.role === 'worker').length,
    };
  }
  return { controlPlanes: spec.controlPlane.count, workers: spec.workers.count };
}

/** An even count of an existing cluster (remove-control-plane's transitional 2 or 4) is accepted. */
const TRANSITIONAL_CONTROL_PLANES = new Set([2, 4]);

export function checkCounts(spec: ClusterSpec, options: { existingCluster?: boolean } = {}): ValidationIssue[] {
  return [...checkCountValues(spec, options), ...checkControlPlaneNumbers(spec)];
}

/** controlPlane.numbers (cloud): one distinct number per control plane. */
function checkControlPlaneNumbers(spec: ClusterSpec): ValidationIssue[] {
  const numbers = spec.controlPlane.numbers;
  if (numbers === undefined || spec.provider.name === 'static') return [];
  if (new Set(numbers).size !== numbers.length) {
    return [{ path: 'controlPlane.numbers', message: 'lists a number twice: each control-plane machine <name>-cp-N has its own N', value: numbers, fix: 'list the N of each control-plane machine <name>-cp-N once (inventory.json names them)' }];
  }
  if (numbers.length !== spec.controlPlane.count) {
    return [{ path: 'controlPlane.numbers', message: `lists ${numbers.length} control planes but controlPlane.count is ${spec.controlPlane.count}`, value: numbers, fix: 'list the N of each control-plane machine <name>-cp-N (inventory.json names them), one per control plane' }];
  }
  return [];
}

function checkCountValues(spec: ClusterSpec, options: { existingCluster?: boolean }): ValidationIssue[] {
  const counts = nodeCounts(spec);
  if (options.existingCluster && TRANSITIONAL_CONTROL_PLANES.has(counts.controlPlanes)) {
    return spec.provider.name === 'static' ? [] : at('workers.count', spec.workers.count, workerCountProblem(spec.workers.count));
  }
  if (spec.provider.name === 'static') {
    if (counts.controlPlanes === 0) return []; // reported as "no control-plane host"
    const problem = controlPlaneCountProblem(counts.controlPlanes);
    if (!problem) return [];
    return [
      {
        path: 'provider.hosts',
        message: `lists ${counts.controlPlanes} control-plane hosts; their number ${problem.message}`,
        value: counts.controlPlanes,
        fix: 'list 1, 3 or 5 control-plane hosts',
      },
    ];
  }
  return [
    ...at('controlPlane.count', spec.controlPlane.count, controlPlaneCountProblem(spec.controlPlane.count)),
    ...at('workers.count', spec.workers.count, workerCountProblem(spec.workers.count)),
  ];
}
