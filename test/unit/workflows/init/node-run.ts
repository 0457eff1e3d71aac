/**
 * init's node half as src/workflows/init/index.ts runs it, over a FakeNodeOps: the bootstrap
 * phases tolerating the workers, then verify of the nodes that made it and the kubeconfig, the
 * add-ons (over a FakeAddonOps), then the failure naming the workers left behind. The tests of this folder share it.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterSpec } from '../../../../src/config/schema.js';
import { runPhases, RunFailedError, toleratedNodes, type RunSummary } from '../../../../src/engine/runner.js';
import { StateStore } from '../../../../src/state/state-store.js';
import { allNodes, type Topology } from '../../../../src/nodes/topology.js';
import { bootstrapPhases, kubeconfigPhase, verifyPhases } from '../../../../src/workflows/init/phases.js';
import { Recorder } from '../../../helpers/fake-steps.js';
import type { FakeNodeOps } from '../../../helpers/fake-node-ops.js';
import { FakeAddonOps } from '../../../helpers/fake-addon-ops.js';
import { addonPhases } from '../../../../src/workflows/addons/phases.js';
import { AddonMaterialSource } from '../../../../src/workflows/addons/material.js';
import { ClusterDir } from '../../../../src/state/cluster-dir.js';
import { SecretSet } from '../../../../src/engine/redact.js';

export async function tempState(cluster = 'unit'): Promise<StateStore> {
  return StateStore.open(join(await mkdtemp(join(tmpdir(), 'k8sb-init-unit-')), 'state.json'), cluster);
}

export interface NodeRun {
  spec: ClusterSpec;
  topology: Topology;
  ops: FakeNodeOps;
  state: StateStore;
  events?: Recorder;
  /** Helm and the cluster of the add-on steps. @default a fresh FakeAddonOps */
  addons?: FakeAddonOps;
}

/** Resolves with the bootstrap summary; rejects as the run would (RunFailedError naming failed workers last). */
export async function runInitNodes(run: NodeRun): Promise<RunSummary> {
  const { spec, topology, ops, state } = run;
  const engine = { events: run.events ?? new Recorder(), state, signal: new AbortController().signal, retryBaseDelayMs: 1 };
  const version = spec.kubernetes.version;
  const phases = bootstrapPhases({ spec, topology, ops: () => ops, version, concurrency: 8, readyTimeoutMs: 1000, bootstrapped: state.current.kubernetesVersion !== undefined });
  const bootstrap = await runPhases(phases, { ...engine, tolerate: new Set(topology.workers.map((node) => node.name)) });
  const failed = toleratedNodes(bootstrap);
  const healthy = allNodes(topology).map((node) => node.name).filter((name) => !failed.has(name));
  await runPhases([...verifyPhases({ topology, ops: () => ops, version, readyTimeoutMs: 1000, nodes: healthy }), kubeconfigPhase({ topology, ops: () => ops })], engine);
  await state.update((current) => {
    current.kubernetesVersion = version;
  });
  // The add-ons after the kubeconfig, as runInit runs them (workflows/addons/run.ts).
  const addons = run.addons ?? new FakeAddonOps();
  const material = new AddonMaterialSource({ dir: new ClusterDir(join(tmpdir(), 'k8sb-init-unit-addons')), env: {}, secrets: new SecretSet(), save: false });
  await runPhases(addonPhases({ spec, topology, version, ops: () => addons, material: () => material }), engine);
  if (failed.size > 0) throw new RunFailedError(bootstrap, 'init.log');
  return bootstrap;
}
