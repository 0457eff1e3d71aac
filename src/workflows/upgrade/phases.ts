/**
 * One hop of an upgrade (one Kubernetes version) as engine phases, in the order of the official
 * kubeadm procedure (docs/kubernetes-facts.md §2):
 *   1. first control plane: repository + kubeadm package, `kubeadm upgrade plan`, `kubeadm upgrade apply`, CNI
 *   2. other control planes, one at a time: repository + kubeadm package, `kubeadm upgrade node`
 *   3. each control plane, one at a time: disruption check, drain, kubelet + kubectl, restart, Ready,
 *      uncordon, its moved workloads available again (nodes/drain-ops.ts)
 *   3b. the cloud's CCM and CSI driver to the pins of the new minor (the CCM may be at most one
 *      minor older than kube-apiserver, and its projects pair each release with one minor)
 *   4. workers in batches of --max-unavailable: the same as 2 + 3, a batch at a time (one disruption
 *      check before the batch's drains, one availability wait after its uncordons)
 *   5. verify: every node Ready at the version, the cluster at the version
 *
 * Every stage of every node is its own checkpointed step (`upgrade:<version>:<stage>:<node>`), so
 * a stopped run resumes at the stage where it stopped. A node is waited for Ready *before* it is
 * uncordoned, so a node that does not come back stays cordoned for the operator. Nodes drained by
 * the upgrade are recorded in the state facts until uncordoned: preflight accepts them, and the
 * resumed run finishes them.
 */
import type { Phase, Step } from '../../engine/step.js';
import { formatDuration } from '../../engine/timeouts.js';
import type { StateStore } from '../../state/state-store.js';
import type { ClusterSpec } from '../../config/schema.js';
import { allNodes, firstControlPlane, type ClusterNode, type Topology } from '../../nodes/topology.js';
import type { UpgradeNodeOps } from '../../nodes/upgrade-node-ops.js';
import { planBatches } from './plan.js';
import { upgradeDrainStepId, upgradeStepId } from '../run/step-ids.js';
import { disruptionCheckStep, workloadsAvailableStep } from '../../nodes/drain-ops.js';
import { DRAIN_DEFAULTS } from '../defaults.js';
import { cloudUpgradePlan } from '../../kube/cloud-integration.js';
export { cloudIntegrationInstalled } from '../run/step-ids.js';

export { upgradeStepId, type UpgradeStage } from '../run/step-ids.js';

/** State fact naming a node the upgrade drained and has not uncordoned yet (value: the version). */
export function cordonedFact(node: string): string {
  return `upgrade.cordoned.${node}`;
}

export interface HopPhasesOptions {
  spec: ClusterSpec;
  topology: Topology;
  /** The tools of the steps, asked for only when a step runs (the plan binds none). */
  uops: () => UpgradeNodeOps;
  state: () => Pick<StateStore, 'update' | 'current'>;
  version: string;
  /** 1-based position of this hop, and the number of hops. */
  hop: number;
  hops: number;
  maxUnavailable: number;
  drainTimeoutMs: number;
  readyTimeoutMs: number;
  /** How long the workloads a drain moved may take to be available again (--availability-timeout). @default DRAIN_DEFAULTS */
  availabilityTimeoutMs?: number;
  /** Drain even when a PodDisruptionBudget allows no disruption (--wait-for-budgets). */
  waitForBudgets?: boolean;
  /**
   * Whether init installed the cloud integration (its checkpoints are in state.json). A cluster
   * built before it has kubelets without cloud-provider external and no credentials outputs:
   * its upgrade leaves the CCM and CSI out (cloudIntegrationInstalled). @default true
   */
  cloudInstalled?: boolean;
}

const KUBEADM_TIMEOUT = 20 * 60_000;
const APT_TIMEOUT = 15 * 60_000;

export function hopPhases(options: HopPhasesOptions): Phase[] {
  const { topology, uops, version } = options;
  const first = firstControlPlane(topology);
  const others = topology.controlPlanes.slice(1);
  const prefix = `v${version}${options.hops > 1 ? ` (hop ${options.hop}/${options.hops})` : ''}`;
  const phases: Phase[] = [];

  phases.push({
    title: `${prefix}: first control plane ${first.name}`,
    steps: [
      kubeadmPackageStep(options, first),
      {
        stepId: upgradeStepId(version, 'plan', first.name),
        title: `kubeadm upgrade plan on ${first.name}`,
        node: first.name,
        tool: 'kubeadm',
        inputs: version,
        timeoutMs: KUBEADM_TIMEOUT,
        retries: 1,
        run: async (ctx) => {
          await uops().plan(ctx);
        },
      },
      {
        stepId: upgradeStepId(version, 'apply', first.name),
        title: `kubeadm upgrade apply v${version} on ${first.name}`,
        node: first.name,
        tool: 'kubeadm',
        inputs: version,
        timeoutMs: KUBEADM_TIMEOUT,
        // A dropped connection is retried; the check (the world) decides whether apply finished.
        retries: 1,
        check: async (ctx) => {
          const at = await uops().clusterAt(version, ctx);
          return at ? `the cluster already runs v${at} (kubeadm upgrade plan): apply is not run again` : undefined;
        },
        run: (ctx) => uops().apply(version, ctx),
      },
      {
        stepId: upgradeStepId(version, 'cni'),
        title: `CNI ${options.spec.kubernetes.cni}: upgrade if its pinned version changed`,
        node: first.name,
        tool: 'kubectl',
        inputs: version,
        retries: 1,
        run: (ctx) => uops().upgradeCni(ctx),
      },
    ],
  });

  if (others.length > 0) {
    phases.push({
      title: `${prefix}: other control planes, one at a time`,
      concurrency: 1,
      steps: others.flatMap((node) => [kubeadmPackageStep(options, node), upgradeNodeStep(options, node)]),
    });
  }

  for (const node of topology.controlPlanes) {
    phases.push({ title: `${prefix}: kubelet on ${node.name}`, concurrency: 1, steps: kubeletSteps(options, node) });
  }

  const cloud = options.cloudInstalled === false ? [] : cloudUpgradePlan(options.spec, version);
  if (cloud.length > 0) {
    phases.push({
      title: `${prefix}: cloud integration`,
      steps: cloud.map((step) => ({
        stepId: upgradeStepId(version, step.kind === 'ccm' ? 'cloud-ccm' : 'cloud-csi'),
        title: `${step.title}${step.warning ? ' (untested on this Kubernetes minor)' : ''}: upgrade if its pinned version changed`,
        ...(step.warning ? { detail: `warning: ${step.warning}` } : {}),
        node: first.name,
        tool: 'kubectl',
        inputs: `${version}/${step.version}`,
        retries: 1,
        run: (ctx) => uops().upgradeCloud(step.kind, version, ctx),
      })),
    });
  }

  const batches = planBatches(topology.workers, options.maxUnavailable);
  batches.forEach((batch, index) => {
    const label = `${prefix}: workers ${index + 1}/${batches.length} (${batch.map((n) => n.name).join(', ')})`;
    const stages: Array<[string, (node: ClusterNode) => Step]> = [
      ['kubeadm package', (node) => kubeadmPackageStep(options, node)],
      ['kubeadm upgrade node', (node) => upgradeNodeStep(options, node)],
      ...kubeletStages(options),
    ];
    // One phase per stage: a batch moves together, so at most one batch is ever cordoned.
    for (const [stage, build] of stages) {
      // The batch is judged as one before its drains, and waited for as one after its uncordons.
      if (stage === 'drain') phases.push({ title: `${label}: disruption budgets`, steps: [disruptionStep(options, batch)] });
      phases.push({ title: `${label}: ${stage}`, concurrency: batch.length, steps: batch.map(build) });
    }
    phases.push({ title: `${label}: workloads available`, steps: [availableStep(options, batch)] });
  });

  phases.push({
    title: `${prefix}: verify`,
    steps: [
      {
        stepId: upgradeStepId(version, 'verify'),
        title: `Every node Ready at v${version}`,
        node: first.name,
        tool: 'kubectl',
        inputs: version,
        timeoutMs: options.readyTimeoutMs + 60_000,
        run: async (ctx) => {
          const names = allNodes(topology).map((node) => node.name);
          await uops().waitReadyAll(names, version, options.readyTimeoutMs, ctx);
          if (!(await uops().clusterAt(version, ctx))) throw uops().clusterNotAt(version);
        },
      },
    ],
  });
  return phases;
}

function kubeadmPackageStep(options: HopPhasesOptions, node: ClusterNode): Step {
  return {
    stepId: upgradeStepId(options.version, 'kubeadm', node.name),
    title: `pkgs.k8s.io v${options.version.split('.').slice(0, 2).join('.')} + kubeadm ${options.version} on ${node.name}`,
    detail: `apt-get update; unhold, install, hold${options.spec.kubernetes.runtime === 'cri-o' ? '; the CRI-O repository too' : ''}`,
    node: node.name,
    tool: 'apt',
    inputs: options.version,
    timeoutMs: APT_TIMEOUT,
    retries: 2,
    run: (ctx) => options.uops().upgradeKubeadmPackage(node, options.version, ctx),
  };
}

function upgradeNodeStep(options: HopPhasesOptions, node: ClusterNode): Step {
  return {
    stepId: upgradeStepId(options.version, 'node', node.name),
    title: `kubeadm upgrade node on ${node.name}`,
    node: node.name,
    tool: 'kubeadm',
    inputs: options.version,
    timeoutMs: KUBEADM_TIMEOUT,
    retries: 1,
    run: (ctx) => options.uops().upgradeNode(node, ctx),
  };
}

function kubeletStages(options: HopPhasesOptions): Array<[string, (node: ClusterNode) => Step]> {
  const { uops, version, state } = options;
  return [
    [
      'drain',
      (node) => ({
        stepId: upgradeStepId(version, 'drain', node.name),
        title: `kubectl drain ${node.name}`,
        detail: `--ignore-daemonsets, timeout ${formatDuration(options.drainTimeoutMs)}`,
        node: node.name,
        tool: 'kubectl',
        inputs: version,
        timeoutMs: options.drainTimeoutMs + 60_000,
        run: async (ctx) => {
          // Recorded before the drain: a run killed mid-drain still knows the cordon is its own.
          await state().update((s) => {
            s.facts[cordonedFact(node.name)] = version;
          });
          await uops().drain(node, options.drainTimeoutMs, ctx);
        },
      }),
    ],
    [
      'kubelet',
      (node) => ({
        stepId: upgradeStepId(version, 'kubelet', node.name),
        title: `kubelet + kubectl ${version} on ${node.name}, restart kubelet`,
        detail: `unhold, install, hold; systemctl daemon-reload${options.spec.kubernetes.runtime === 'cri-o' ? '; CRI-O of the new minor, restarted' : ''}`,
        node: node.name,
        tool: 'apt',
        inputs: version,
        timeoutMs: APT_TIMEOUT,
        retries: 1,
        run: (ctx) => uops().upgradeKubelet(node, version, ctx),
      }),
    ],
    [
      'ready',
      (node) => ({
        stepId: upgradeStepId(version, 'ready', node.name),
        title: `${node.name} Ready at v${version}`,
        node: node.name,
        tool: 'kubectl',
        inputs: version,
        timeoutMs: options.readyTimeoutMs + 60_000,
        run: (ctx) => uops().waitReady(node, version, options.readyTimeoutMs, ctx),
      }),
    ],
    [
      'uncordon',
      (node) => ({
        stepId: upgradeStepId(version, 'uncordon', node.name),
        title: `kubectl uncordon ${node.name}`,
        node: node.name,
        tool: 'kubectl',
        inputs: version,
        retries: 2,
        run: async (ctx) => {
          await uops().uncordon(node, ctx);
          await state().update((s) => {
            delete s.facts[cordonedFact(node.name)];
          });
        },
      }),
    ],
  ];
}

function kubeletSteps(options: HopPhasesOptions, node: ClusterNode): Step[] {
  return [disruptionStep(options, [node]), ...kubeletStages(options).map(([, build]) => build(node)), availableStep(options, [node])];
}

/** kubectl for a drain check runs on a control plane other than the one drained, when there is one. */
const drainKubectlHost = (options: HopPhasesOptions, nodes: readonly ClusterNode[]) => () => options.uops().kubectlHost(nodes.length === 1 ? nodes[0] : undefined);

function disruptionStep(options: HopPhasesOptions, nodes: readonly ClusterNode[]): Step {
  return disruptionCheckStep({
    stepId: upgradeDrainStepId(options.version, 'disruption', nodes.map((n) => n.name)),
    nodes,
    kubectlHost: drainKubectlHost(options, nodes),
    ops: () => options.uops().drainOps,
    state: options.state,
    command: 'upgrade',
    inputs: options.version,
    waitForBudgets: options.waitForBudgets,
  });
}

function availableStep(options: HopPhasesOptions, nodes: readonly ClusterNode[]): Step {
  return workloadsAvailableStep({
    stepId: upgradeDrainStepId(options.version, 'available', nodes.map((n) => n.name)),
    nodes,
    kubectlHost: drainKubectlHost(options, nodes),
    ops: () => options.uops().drainOps,
    state: options.state,
    command: 'upgrade',
    inputs: options.version,
    availabilityTimeoutMs: options.availabilityTimeoutMs ?? DRAIN_DEFAULTS.availabilityTimeoutMs,
  });
}
