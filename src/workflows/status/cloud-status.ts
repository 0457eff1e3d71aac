/**
 * status's view of the cloud integration and storage: for each part the spec asks for
 * (kube/cloud-integration.ts), the version its workload runs and whether it is available (its
 * node DaemonSets too, with desired and ready pods), and whether the expected default StorageClass is there. Read-only: `kubectl get` only.
 */
import type { ClusterSpec } from '../../config/schema.js';
import type { StepContext } from '../../engine/step.js';
import { cloudIntegrationPlan, expectedDefaultClass, readStorageClasses, readWorkload, type Workload } from '../../kube/cloud-integration.js';
import { kubectl, type Argv } from '../../kube/node-commands.js';
import type { ClusterNode } from '../../nodes/topology.js';
import type { StatusCloud } from './report.js';

/** Runs one read-only kubectl command on a control plane: its stdout, or undefined when it failed. */
export type KubectlReader = (node: ClusterNode, argv: Argv, ctx: Pick<StepContext, 'signal' | 'output'>) => Promise<string | undefined>;

const workloadProbeArgv = (w: Workload): Argv => kubectl(['-n', w.namespace, 'get', w.kind, w.name, '-o', 'json', '--ignore-not-found']);

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
    const probed = step.probe.workload;
    // The workload the step is judged by, then its node DaemonSets (CSI node plugin, MetalLB speaker).
    const others = (step.workloads ?? []).filter((w) => w.kind === 'daemonset' && !(w.namespace === probed.namespace && w.name === probed.name));
    for (const workload of [probed, ...others]) {
      const out = await read(via, workload === probed ? step.probe.argv : workloadProbeArgv(workload), ctx);
      const installed = out === undefined ? undefined : readWorkload(workload, out);
      parts.push({
        part: step.kind,
        component: workload === probed ? step.component : `${step.component} (${workload.name})`,
        workload: `${workload.namespace}/${workload.kind}/${workload.name}`,
        pinned: step.version!,
        ...(installed?.version ? { running: installed.version } : {}),
        present: installed === undefined ? null : installed.present,
        available: installed === undefined ? null : installed.present && installed.available === true,
        ...(installed?.desired !== undefined ? { desired: installed.desired, ready: installed.ready ?? 0 } : {}),
      });
    }
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
    `${p.present === null ? 'unknown' : !p.present ? 'not installed' : p.available ? 'available' : 'not available'}${p.present && p.desired !== undefined ? ` (${p.ready ?? 0}/${p.desired} pods ready)` : ''}`,
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
