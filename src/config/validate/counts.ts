/**
 * How many control planes and workers a spec has, and whether those numbers are allowed. For
 * static clusters the host list is the truth: the counts are derived from it, and a count written
 * next to it must agree.
 */
import type { ValidationIssue } from '../../errors.js';
import { controlPlaneCountProblem, workerCountProblem } from '../field-checks.js';
import type { ClusterSpec } from '../schema.js';
import { valueAt } from '../zod-issues.js';
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

export function checkCounts(spec: ClusterSpec): ValidationIssue[] {
  const counts = nodeCounts(spec);
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

/**
 * For static clusters the host list decides the counts. A count the person wrote explicitly must
 * agree with it; otherwise the count is set from the hosts (mutates `spec`).
 */
export function deriveStaticCounts(spec: ClusterSpec, raw: unknown): ValidationIssue[] {
  if (spec.provider.name !== 'static') return [];
  const hosts = spec.provider.hosts;
  const issues: ValidationIssue[] = [];
  const groups = [
    { key: 'controlPlane', role: 'control-plane', group: spec.controlPlane },
    { key: 'workers', role: 'worker', group: spec.workers },
  ] as const;
  for (const { key, role, group } of groups) {
    const listed = hosts.filter((host) => host.role === role).length;
    const explicit = valueAt(raw, [key, 'count']);
    if (typeof explicit === 'number' && explicit !== listed && hosts.length > 0) {
      issues.push({
        path: `${key}.count`,
        message: `does not match provider.hosts, which lists ${listed} ${role} host${listed === 1 ? '' : 's'}`,
        value: explicit,
        fix: `for static clusters the count follows the host list: remove ${key}.count or list ${explicit} ${role} hosts`,
      });
    }
    group.count = listed;
  }
  return issues;
}
