/**
 * The node half of init: prepare → load balancer (static HA) → kubeadm init → CNI →
 * control-plane joins → worker joins → verify → kubeconfig, as engine phases over a Topology.
 * Every step checks the world before acting, and checkpoints make a repeated run skip it.
 */
import type { Phase, Step, StepContext } from '../../engine/step.js';
import type { ClusterSpec } from '../../config/schema.js';
import { RunFailedError } from '../../engine/runner.js';
import type { RunHarness } from '../run/session.js';
import { PreflightError, UsageError } from '../../errors.js';
import { mapWithConcurrency } from '../../engine/pool.js';
import type { NodeOps } from '../../nodes/node-ops.js';
import { allNodes, firstControlPlane, type ClusterNode, type Topology } from '../run/topology.js';
import { isKubeconfigRefusal } from '../../kube/kubeconfig.js';

export interface BootstrapOptions {
  spec: ClusterSpec;
  topology: Topology;
  ops: NodeOps;
  /** Kubernetes version new nodes get (the cluster's current version). */
  version: string;
  concurrency: number;
  /** How long Verify waits for every node to be Ready. */
  readyTimeoutMs: number;
  /** Which nodes to prepare and join; default all (add-workers passes only the new ones). */
  only?: Set<string>;
  /** Skip the cluster-wide steps (init, CNI, control-plane joins): add-workers. */
  workersOnly?: boolean;
  /** The cluster was bootstrapped by an earlier run: preflight then only checks every node. */
  bootstrapped?: boolean;
}

const RETRIES = 2;

/**
 * Worth another attempt: failed commands, dropped connections. Not: bad input, a changed host key,
 * or a node that did not answer SSH for the whole --ssh-timeout (waiting again would only
 * multiply the time until the person hears about it).
 */
export function isRetryableNodeError(error: unknown): boolean {
  return !(error instanceof PreflightError || error instanceof UsageError);
}

/**
 * A phase of the bootstrap. `background` phases run alongside the phases after them, until the
 * next phase marked `waitsForBackground`.
 */
export interface BootstrapPhase extends Phase {
  background?: boolean;
  waitsForBackground?: boolean;
}

export function bootstrapPhases(options: BootstrapOptions): BootstrapPhase[] {
  const { spec, topology, ops, version } = options;
  const first = firstControlPlane(topology);
  const wanted = (node: ClusterNode) => !options.only || options.only.has(node.name);
  const runtime = spec.kubernetes.runtime;
  const phases: BootstrapPhase[] = [];

  phases.push(preflightPhase(options));

  const prepareStep = (node: ClusterNode): Step => ({
    stepId: `prepare:${node.name}`,
    title: `Prepare ${node.name}`,
    node: node.name,
    tool: 'ssh',
    inputs: `${version}/${runtime}`,
    retries: RETRIES,
    retryable: isRetryableNodeError,
    check: async (ctx) => ((await ops.isPrepared(node, version, runtime, ctx)) ? 'already prepared (image or earlier run)' : undefined),
    run: (ctx) => ops.prepare(node, version, runtime, ctx),
  });
  if (!options.workersOnly) {
    phases.push({ title: 'Node preparation', concurrency: options.concurrency, steps: topology.controlPlanes.filter(wanted).map(prepareStep) });
  }
  // Workers are prepared while the control plane comes up: preparing is the long part on fresh
  // machines, and nothing in it needs the cluster.
  phases.push({
    title: 'Worker preparation',
    concurrency: options.concurrency,
    continueOnError: true,
    background: true,
    steps: topology.workers.filter(wanted).map(prepareStep),
  });

  if (!options.workersOnly) {
    if (ops.needsHaLoadBalancer(topology)) {
      phases.push({
        title: 'Load balancer',
        concurrency: options.concurrency,
        steps: topology.controlPlanes.map((node) => ({
          stepId: `lb:${node.name}`,
          title: `keepalived + haproxy on ${node.name}`,
          node: node.name,
          tool: 'ssh',
          inputs: topology.apiEndpoint,
          retries: RETRIES,
          run: (ctx) => ops.setupHaLoadBalancer(node, topology, ctx),
        })),
      });
    }
    phases.push({
      title: 'Control plane init',
      steps: [
        {
          stepId: `init:${first.name}`,
          title: `kubeadm init on ${first.name}`,
          node: first.name,
          tool: 'kubeadm',
          inputs: version,
          timeoutMs: 15 * 60_000,
          // A failed or dropped init is judged by the cluster (kubeadm-config, CoreDNS, kube-proxy,
          // cluster-info); one that stopped half-way is reset and run again by the next attempt.
          retries: 1,
          check: async (ctx) => ((await ops.isInitialised(first, ctx)) ? 'already initialised (kubeadm-config, CoreDNS and kube-proxy in the cluster)' : undefined),
          run: (ctx) => ops.initFirstControlPlane(first, topology, version, ctx),
        },
      ],
    });
    phases.push({
      title: 'CNI',
      steps: [
        {
          stepId: `cni:${spec.kubernetes.cni}`,
          title: `Install ${spec.kubernetes.cni} (pool ${spec.network.podCidr})`,
          node: first.name,
          tool: 'kubectl',
          inputs: spec.network.podCidr,
          retries: RETRIES,
          run: (ctx) => ops.installCni(first, ctx),
        },
      ],
    });
    // One at a time: each join adds an etcd member, and etcd is safest growing by one member
    // whose learner has caught up; the kubeadm HA guide does the same.
    phases.push({
      title: 'Control plane joins',
      concurrency: 1,
      steps: topology.controlPlanes.slice(1).filter(wanted).map((node) => joinStep(node, true, options)),
    });
  }

  phases.push({
    title: 'Worker joins',
    concurrency: options.concurrency,
    continueOnError: true,
    waitsForBackground: true,
    steps: topology.workers.filter(wanted).map((node) => joinStep(node, false, options)),
  });
  return phases;
}

/**
 * Reaches nodes over SSH before anything changes, so a changed host key or a dead control plane
 * stops the run at once. On a cluster bootstrapped earlier it checks every node and reports
 * "skipped" (nothing to do); a first run reaches the control planes (workers are reached by
 * their own steps, so one dead worker does not hold the others back).
 */
function preflightPhase(options: BootstrapOptions): Phase {
  const { topology, ops } = options;
  const reachAll = async (nodes: ClusterNode[], ctx: StepContext) => {
    let done = 0;
    await mapWithConcurrency(nodes, options.concurrency, async (node) => {
      await ops.reach(node, ctx);
      ctx.progress(++done, nodes.length, node.name);
    }, ctx.signal);
  };
  const targets = options.only ? allNodes(topology).filter((node) => node.role === 'control-plane' || options.only!.has(node.name)) : allNodes(topology);
  return {
    title: 'Preflight',
    steps: [
      {
        stepId: 'preflight:ssh',
        title: 'Reach the nodes over SSH (host keys pinned)',
        tool: 'ssh',
        // Never checkpointed: the world may have changed since the last run.
        inputs: `run-${Date.now()}`,
        check: async (ctx) => {
          if (!options.bootstrapped) return undefined;
          await reachAll(targets, ctx);
          return `already bootstrapped; ${targets.length} nodes answer with their pinned host keys`;
        },
        run: (ctx) => reachAll(options.workersOnly ? targets : topology.controlPlanes, ctx),
      },
    ],
  };
}

function joinStep(node: ClusterNode, controlPlane: boolean, options: BootstrapOptions): Step {
  const { ops, topology, version } = options;
  return {
    stepId: `join:${node.name}`,
    title: controlPlane ? `kubeadm join --control-plane on ${node.name}` : `kubeadm join on ${node.name}`,
    node: node.name,
    tool: 'kubeadm',
    inputs: version,
    timeoutMs: 15 * 60_000,
    retries: RETRIES,
    retryable: isRetryableNodeError,
    check: async (ctx) => ((await ops.isJoined(node, topology, ctx)) ? (controlPlane ? 'already joined (control-plane label, etcd and kube-apiserver running)' : 'already joined') : undefined),
    // The check runs before every attempt; join resets what a failed attempt of ours left.
    run: (ctx: StepContext) => ops.join(node, topology, controlPlane, ctx),
  };
}

/**
 * Verify: every node Ready, etcd with one member per control plane, then pod networking (CoreDNS
 * available, a pod on a worker resolving a Service name). Nodes Ready is no proof of pod
 * networking: the CNI's own pods run on the host network.
 */
export function verifyPhases(options: Pick<BootstrapOptions, 'topology' | 'ops' | 'version' | 'readyTimeoutMs'> & { nodes?: string[] }): Phase[] {
  const { topology, ops } = options;
  const first = firstControlPlane(topology);
  const names = options.nodes ?? allNodes(topology).map((node) => node.name);
  const inputs = `${options.version}/${[...names].sort().join(',')}`;
  return [
    {
      title: 'Verify',
      steps: [
        {
          stepId: 'verify',
          title: `Wait until ${names.length} node${names.length === 1 ? ' is' : 's are'} Ready`,
          node: first.name,
          tool: 'kubectl',
          inputs,
          timeoutMs: options.readyTimeoutMs + 60_000,
          run: (ctx) => ops.waitReady(first, topology, names, options.version, options.readyTimeoutMs, ctx),
        },
        {
          stepId: 'verify:etcd',
          title: `etcd has ${topology.controlPlanes.length} member${topology.controlPlanes.length === 1 ? '' : 's'}, one per control plane`,
          node: first.name,
          tool: 'kubectl',
          inputs: topology.controlPlanes.map((cp) => cp.name).join(','),
          retries: 1,
          run: (ctx) => ops.verifyEtcdMembers(first, topology, ctx),
        },
        {
          stepId: 'verify:network',
          title: 'Pod networking: CoreDNS available, a pod resolves kubernetes.default',
          node: first.name,
          tool: 'kubectl',
          inputs,
          timeoutMs: 10 * 60_000,
          run: (ctx) => ops.verifyNetworking(first, topology, ctx),
        },
      ],
    },
  ];
}

export function kubeconfigPhase(options: Pick<BootstrapOptions, 'topology' | 'ops'>): Phase {
  const first = firstControlPlane(options.topology);
  return {
    title: 'Kubeconfig',
    steps: [
      {
        stepId: 'kubeconfig',
        title: 'Write the admin kubeconfig (0600)',
        node: first.name,
        tool: 'ssh',
        // Never checkpointed: admin.conf's certificate changes with upgrades and renewals.
        inputs: `run-${Date.now()}`,
        retries: RETRIES,
        // A refused admin.conf reads the same on the next attempt: fail at once.
        retryable: (error) => !(error instanceof UsageError) && !isKubeconfigRefusal(error),
        check: (ctx) => options.ops.kubeconfigCurrent(first, options.topology, ctx),
        run: (ctx) => options.ops.writeKubeconfig(first, options.topology, ctx),
      },
    ],
  };
}

/**
 * Runs phases one by one. When every failure of a continueOnError phase is a worker, the cluster
 * goes on without those workers: they are dropped from later phases and returned, so one dead
 * worker never holds the other nodes back. The caller fails the run at the end, naming them.
 */
export async function runTolerantly(run: RunHarness, phases: BootstrapPhase[], workers: ReadonlySet<string>): Promise<WorkerFailures> {
  const failed: WorkerFailures = { nodes: new Set(), errors: [] };
  const runOne = async (phase: BootstrapPhase): Promise<void> => {
    const steps = phase.steps.filter((step) => !step.node || !failed.nodes.has(step.node));
    if (steps.length === 0) return;
    try {
      await run.runPhases([{ ...phase, steps }]);
    } catch (error) {
      if (!(error instanceof RunFailedError) || !phase.continueOnError) throw error;
      if (!error.summary.failed.every((f) => f.node !== undefined && workers.has(f.node))) throw error;
      for (const failure of error.summary.failed) failed.nodes.add(failure.node!);
      failed.errors.push(error);
    }
  };
  let background: Promise<void> | undefined;
  try {
    for (const phase of phases) {
      if (phase.waitsForBackground && background) {
        const waiting = background;
        background = undefined;
        await waiting;
      }
      if (phase.background) {
        background = runOne(phase);
        // Handled now (awaited later): a failure while other phases run must not go unhandled.
        background.catch(() => undefined);
      } else await runOne(phase);
    }
    if (background) await background;
  } catch (error) {
    // Never leave a background phase running behind a failure: let it settle first.
    await background?.catch(() => undefined);
    throw error;
  }
  return failed;
}

export interface WorkerFailures {
  nodes: Set<string>;
  errors: RunFailedError[];
}

/** One error naming every worker that failed, after the rest of the cluster finished. */
export function workerFailuresError(failures: WorkerFailures, logFile: string): RunFailedError {
  return new RunFailedError(
    {
      succeeded: failures.errors.flatMap((f) => f.summary.succeeded),
      skipped: failures.errors.flatMap((f) => f.summary.skipped),
      failed: failures.errors.flatMap((f) => f.summary.failed),
      notStarted: [],
    },
    logFile,
  );
}
