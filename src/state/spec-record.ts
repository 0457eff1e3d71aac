/**
 * cluster.yaml as the record of what the cluster is: every command that changes the cluster
 * (init, add-workers, remove-workers, upgrade) writes the file and, in state.json, the spec it
 * wrote. init compares a new spec with that record, not with the file: an edited cluster.yaml (a
 * new node CIDR, 3 control planes made 1) is a different cluster, wherever the edit was made.
 */
import type { ClusterSpec } from '../config/schema.js';
import { clusterJsonSchemaText, serializeSpec } from '../config/serialize.js';
import { validateSpec } from '../config/validate/index.js';
import { writeFileAtomic } from './atomic.js';
import type { ClusterDir } from './cluster-dir.js';
import type { ClusterState, StateStore } from './state-store.js';

export const FACT_APPLIED_SPEC = 'appliedSpec';

/**
 * The spec the cluster was last built or changed with, if recorded. Validated again, so defaults
 * a later release adds are filled the same way on both sides of a comparison.
 */
export function appliedSpec(state: Readonly<ClusterState>): ClusterSpec | undefined {
  const text = state.facts[FACT_APPLIED_SPEC];
  if (typeof text !== 'string') return undefined;
  try {
    return validateSpec(JSON.parse(text), { existingCluster: true });
  } catch {
    return undefined;
  }
}

/**
 * Writes cluster.yaml, with the JSON Schema its first line points editors at beside it, and
 * records the spec in state.json (call with the cluster lock held).
 */
export async function saveSpec(dir: ClusterDir, state: StateStore, spec: ClusterSpec): Promise<void> {
  await writeFileAtomic(dir.schemaFile, clusterJsonSchemaText(), 0o644);
  await writeFileAtomic(dir.specFile, serializeSpec(spec), 0o644);
  await state.update((current) => {
    current.facts[FACT_APPLIED_SPEC] = JSON.stringify(spec);
  });
}

/**
 * Whether anything of the cluster exists yet: infrastructure, a control plane, a join. Checking
 * the tools, building an image or preparing hosts leaves nothing a changed spec could break.
 */
export function clusterBuilt(state: Readonly<ClusterState>): boolean {
  return Object.keys(state.steps).some((step) => !/^(preflight|image|prepare:)/.test(step));
}

/** The fields that differ, as `path: before → after`, at most `limit` of them. */
export function specChanges(before: unknown, after: unknown, limit = 8): string[] {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (out.length >= limit) return;
    const objects = a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b);
    if (objects) {
      const keys = [...new Set([...Object.keys(a as object), ...Object.keys(b as object)])].sort();
      for (const key of keys) walk((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], path ? `${path}.${key}` : key);
      return;
    }
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${path}: ${shown(a)} → ${shown(b)}`);
  };
  walk(before, after, '');
  return out;
}

/** Equal as specs: a field left out and a field set to undefined are the same. */
export function sameClusterSpec(a: ClusterSpec, b: ClusterSpec): boolean {
  return specChanges(a, b, 1).length === 0;
}

function shown(value: unknown): string {
  return value === undefined ? '(not set)' : JSON.stringify(value);
}
