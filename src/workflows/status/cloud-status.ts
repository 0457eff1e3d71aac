/**
 * status's view of the cloud integration and storage: for each part the spec asks for
 * (kube/cloud-integration.ts), the version its workload runs and whether it is available, and
 * whether the expected default StorageClass is there. Read-only: `kubectl get` only.
 */
import type { ClusterSpec } from '../../config/schema.js';
import type { StepContext } from '../../engine/step.js';
import { cloudIntegrationPlan, expectedDefaultClass, readStorageClasses, readWorkload } from '../../kube/cloud-integration.js';
import { kubectl, type Argv } from '../../kube/node-commands.js';
import type { ClusterNode } from '../../nodes/topology.js';
import type { StatusCloud } from './report.js';

/** Runs one read-only kubectl command on a control plane: its stdout, or undefined when it failed. */
export type KubectlReader = (node: ClusterNode, argv: Argv, ctx: Pick<StepContext, 'signal' | 'output'>) => Promise<string | undefined>;

export async function cloudStatus(spec: ClusterSpec, version: string, via: ClusterNode, read: KubectlReader, ctx: Pick<StepContext, 'signal' | 'output'>): Promise<StatusCloud | undefined> {
  let plan;
  try {
    plan = cloudIntegrationPlan(spec, version);
  } catch {
    // A version or storage class this release cannot install: status still shows the rest.
    return undefined;
  }
  const expected = expectedDefaultClass(spec);
  if (plan.length === 0 && !expected) return undefined;
  const parts: StatusCloud['parts'] = [];
  for (const step of plan) {
    if (!('workload' in step.probe) || step.kind === 'storage-class') continue;
    const out = await read(via, step.probe.argv, ctx);
    const installed = out === undefined ? undefined : readWorkload(step.probe.workload, out);
    parts.push({
      part: step.kind,
      component: step.component,
      workload: `${step.probe.workload.namespace}/${step.probe.workload.kind}/${step.probe.workload.name}`,
      pinned: step.version!,
      ...(installed?.version ? { running: installed.version } : {}),
      present: installed === undefined ? null : installed.present,
      available: installed === undefined ? null : installed.present && installed.available === true,
    });
  }
  let defaultStorageClass: StatusCloud['defaultStorageClass'];
  if (expected) {
    const out = await read(via, kubectl(['get', 'storageclass', '-o', 'json']), ctx);
    const defaults = out === undefined ? undefined : readStorageClasses(out).filter((c) => c.isDefault).map((c) => c.name);
    defaultStorageClass = { expected: expected.name, defaults: defaults ?? [], present: defaults === undefined ? null : defaults.length === 1 && defaults[0] === expected.name };
  }
  const healthy = parts.every((p) => p.available === true) && (defaultStorageClass === undefined || defaultStorageClass.present === true);
  return { parts, ...(defaultStorageClass ? { defaultStorageClass } : {}), healthy };
}

/** The report's lines for a person. */
export function formatCloudStatus(cloud: StatusCloud): string[] {
  const lines = ['Cloud integration and storage:'];
  const rows = cloud.parts.map((p) => [
    p.component,
    p.running ?? '-',
    p.present === null ? 'unknown' : !p.present ? 'not installed' : p.available ? 'available' : 'not available',
    p.running !== undefined && p.running !== p.pinned ? `(this release pins ${p.pinned}: run upgrade or init to move it)` : '',
  ]);
  if (cloud.defaultStorageClass) {
    const sc = cloud.defaultStorageClass;
    rows.push([`default StorageClass ${sc.expected}`, '', sc.present === null ? 'unknown' : sc.present ? 'present' : `missing (default: ${sc.defaults.join(', ') || 'none'})`, '']);
  }
  const widths = [0, 1].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows) lines.push(`  ${row[0]!.padEnd(widths[0]!)}   ${row[1]!.padEnd(widths[1]!)}   ${row[2]}${row[3] ? ` ${row[3]}` : ''}`.trimEnd());
  return lines;
}
