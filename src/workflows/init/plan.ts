/**
 * The init plan as data: every step init would run, in order, with the tool it uses and the
 * nodes it touches. It is read from the phases the run builds (run/provision.ts, phases.ts) with
 * no tools bound, so the plan a newcomer reads is the run they get, ids and titles alike.
 */
import { describePhases, notConnected, type PlanStep } from '../../engine/describe.js';
import type { Phase } from '../../engine/step.js';
import type { ClusterSpec } from '../../config/schema.js';
import { ClusterDir } from '../../state/cluster-dir.js';
import type { ClusterState } from '../../state/state-store.js';
import { planNodeNames, type NodeRole } from '../../config/node-names.js';
import { inventoryFromSpec } from '../../providers/static.js';
import { provisionPhases } from '../run/provision.js';
import { topologyFromInventory, type ClusterNode, type Topology } from '../../nodes/topology.js';
import { initNodePhases } from './phases.js';

export { formatPlan, type PlanStep } from '../../engine/describe.js';

export interface DescribeInitPlanOptions {
  /** Cluster folder, named in the kubeconfig step. @default none named */
  dir?: string;
}

export function describeInitPlan(spec: ClusterSpec, options: DescribeInitPlanOptions = {}): PlanStep[] {
  const kubeconfigFile = options.dir === undefined ? undefined : new ClusterDir(options.dir).kubeconfigFile;
  return describePhases(initPlanPhases(spec, plannedTopology(spec), { kubeconfigFile }));
}

export interface InitPlanOptions {
  /** The cluster's state.json: an image it records as up to date is reused (no Image step). */
  state?: Pick<ClusterState, 'image'>;
  kubeconfigFile?: string;
}

/** Every phase init runs for this topology, in order, built for reading only (status counts them too). */
export function initPlanPhases(spec: ClusterSpec, topology: Topology, options: InitPlanOptions = {}): Phase[] {
  return [
    ...provisionPhases({ spec, rebuildImage: false, state: options.state }, notConnected),
    ...initNodePhases({ spec, topology, version: spec.kubernetes.version, concurrency: 1, readyTimeoutMs: 0, kubeconfigFile: options.kubeconfigFile }),
  ];
}

/**
 * The topology init will find: static hosts as they are; cloud machines by the names Terraform
 * gives them, their addresses not known before they exist.
 */
export function plannedTopology(spec: ClusterSpec): Topology {
  if (spec.provider.name === 'static') return topologyFromInventory(inventoryFromSpec(spec));
  const names = planNodeNames(spec);
  const unknown = (role: NodeRole) => (name: string): ClusterNode => ({ name, role, host: '', port: 22, privateIp: '' });
  return {
    apiEndpoint: '',
    controlPlanes: names.controlPlanes.map(unknown('control-plane')),
    workers: names.workers.map(unknown('worker')),
    sshUser: spec.ssh.user,
  };
}

/**
 * Renders a file init would hand to a tool (tfvars, packer vars, kubeadm configs) into the
 * dry-run folder and returns the paths written. Later capabilities append their renderer here.
 */
export type DryRunRenderer = (spec: ClusterSpec, dir: ClusterDir) => Promise<string[]>;

export const dryRunRenderers: DryRunRenderer[] = [];
