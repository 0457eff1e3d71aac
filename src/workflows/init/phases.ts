/**
 * The node half of init: prepare → load balancer (static HA) → kubeadm init → CNI → cloud
 * controller manager → control-plane joins → worker joins → CSI and storage → verify → kubeconfig
 * (→ add-ons, workflows/addons/phases.ts), as engine phases over a Topology.
 * Every step checks the world before acting, and checkpoints make a repeated run skip it.
 * The run, its dry-run plan and status all build their phases here; only the run binds the tools.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Phase, Step, StepContext } from '../../engine/step.js';
import type { ClusterSpec } from '../../config/schema.js';
import { BootstrapError, PreflightError, UsageError } from '../../errors.js';
import { mapWithConcurrency } from '../../engine/pool.js';
import type { NodeOps } from '../../nodes/node-ops.js';
import { allNodes, firstControlPlane, type ClusterNode, type Topology } from '../../nodes/topology.js';
import { isKubeconfigRefusal } from '../../kube/kubeconfig.js';
import { needsStaticHa } from '../../kube/static-ha.js';
import { stepId } from '../run/step-ids.js';
import { cloudIntegrationPlan, expectedDefaultClass } from '../../kube/cloud-integration.js';
import { resolvedStorageClass } from '../../config/cloud-integration.js';
import { notConnected } from '../../engine/describe.js';
import { addonPhases } from '../addons/phases.js';

/** The tools of the steps, asked for only when a step runs (a plan passes notConnected). */
export type NodeOpsSource = () => NodeOps;

export interface BootstrapOptions {
  spec: ClusterSpec;
  topology: Topology;
  ops: NodeOpsSource;
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

/** A cloud step's error: as a node's, but Ceph not healthy after its 20-minute wait is final (another attempt waits as long for the same answer). */
export function isRetryableCloudError(error: unknown): boolean {
  return isRetryableNodeError(error) && !(error instanceof BootstrapError && error.code === 'CloudComponentUnhealthy');
}

/** Run them with RunPhasesOptions.tolerate = the workers: one dead worker never holds the others back. */
export function bootstrapPhases(options: BootstrapOptions): Phase[] {
  const { spec, topology, ops, version } = options;
  const first = firstControlPlane(topology);
  const wanted = (node: ClusterNode) => !options.only || options.only.has(node.name);
  const runtime = spec.kubernetes.runtime;
  const runtimeText = runtime === 'containerd' ? 'containerd 2.x' : 'CRI-O';
  const phases: Phase[] = [];

  // Workers the preflight could not reach in the whole --ssh-timeout: their steps fail with that
  // error at once instead of waiting as long again (the other nodes go on without them).
  const unreachable = new Map<string, unknown>();
  phases.push(preflightPhase(options, unreachable));

  const prepareStep = (node: ClusterNode): Step => ({
    stepId: stepId.prepare(node.name),
    title: `Prepare ${node.name}`,
    detail: `swap off, kernel modules, ${runtimeText}, kubeadm ${version}`,
    node: node.name,
    tool: 'ssh',
    inputs: `${version}/${runtime}`,
    retries: RETRIES,
    retryable: isRetryableNodeError,
    check: async () => {
      if (unreachable.has(node.name)) throw unreachable.get(node.name);
      return undefined;
    },
    // The script looks at the marker itself: the look and the work are one SSH command.
    run: async (ctx) => ((await ops().prepareUnlessPrepared(node, version, runtime, ctx)) ? { alreadyDone: 'already prepared (image or earlier run)' } : undefined),
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
    if (needsStaticHa(spec.provider, topology.controlPlanes.length)) {
      phases.push({
        title: 'Load balancer',
        concurrency: options.concurrency,
        steps: topology.controlPlanes.map((node) => ({
          stepId: stepId.loadBalancer(node.name),
          title: `keepalived + haproxy on ${node.name}`,
          detail: `API endpoint ${topology.apiEndpoint}`,
          node: node.name,
          tool: 'ssh',
          inputs: topology.apiEndpoint,
          retries: RETRIES,
          run: (ctx) => ops().setupHaLoadBalancer(node, topology, ctx),
        })),
      });
    }
    phases.push({
      title: 'Control plane init',
      steps: [
        {
          stepId: stepId.init(first.name),
          title: `kubeadm init on ${first.name}`,
          node: first.name,
          tool: 'kubeadm',
          inputs: version,
          timeoutMs: 15 * 60_000,
          // A failed or dropped init is judged by the cluster (kubeadm-config, CoreDNS, kube-proxy,
          // cluster-info); one that stopped half-way is reset and run again by the next attempt.
          retries: 1,
          check: async (ctx) => ((await ops().isInitialised(first, ctx)) ? 'already initialised (kubeadm-config, CoreDNS and kube-proxy in the cluster)' : undefined),
          run: (ctx) => ops().initFirstControlPlane(first, topology, version, ctx),
        },
      ],
    });
    phases.push({
      title: 'CNI',
      steps: [
        {
          stepId: stepId.cni(spec.kubernetes.cni),
          title: `Install ${spec.kubernetes.cni} (pool ${spec.network.podCidr})`,
          node: first.name,
          tool: 'kubectl',
          inputs: spec.network.podCidr,
          retries: RETRIES,
          run: (ctx) => ops().installCni(first, ctx),
        },
      ],
    });
    // The CCM right after the CNI (it tolerates the control planes' and the uninitialized taint):
    // until it runs, every node carries node.cloudprovider.kubernetes.io/uninitialized and CoreDNS
    // cannot be scheduled (kubernetes.io, "Cloud Controller Manager Administration").
    const ccm = cloudPhase(options, 'ccm');
    if (ccm) phases.push(ccm);
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
  if (!options.workersOnly) {
    const cloud = cloudPhase(options, 'rest');
    if (cloud) phases.push(cloud);
  }
  return phases;
}

/**
 * part 'ccm': the cloud's CCM, right after the CNI. part 'rest': its CSI driver (clouds), MetalLB
 * and local-path (static), then the check that the CCM has initialised the nodes and the default
 * StorageClass exists. Those come after the joins: the CSI controller, the snapshot-controller and
 * MetalLB's webhook need a schedulable node (the control planes are tainted when there are
 * workers); the CCM initialises the nodes that join after it as they register.
 */
function cloudPhase(options: BootstrapOptions, part: 'ccm' | 'rest'): Phase | undefined {
  const { spec, topology, ops, version } = options;
  const first = firstControlPlane(topology);
  const whole = cloudIntegrationPlan(spec, version);
  const plan = whole.filter((step) => (part === 'ccm') === (step.kind === 'ccm'));
  // Differs per run (these phases are built once per run): a checkpoint made with it never counts in the next one.
  const eachRun = randomUUID().slice(0, 8);
  if (part === 'ccm') {
    if (plan.length === 0) return undefined;
  } else if (whole.length === 0) return undefined;
  const steps: Step[] = plan.map((step) => ({
    stepId: step.stepId,
    title: `${step.title}${step.warning ? ' (untested on this Kubernetes minor)' : ''}`,
    ...(step.warning ? { detail: `warning: ${step.warning}` } : {}),
    node: first.name,
    tool: 'kubectl',
    // What it would apply: another pin, pool or default class makes the step run again. A step
    // with a credentials Secret runs on every init (a fresh token): the Secret's content (a rotated
    // key, new Terraform outputs) is known only once Infrastructure ran, and a changed Secret must
    // reach the cluster and restart its readers (SshNodeOps.applyCloudSecret); unchanged, the
    // step only probes and waits.
    inputs: `${version}/${step.version ?? '-'}/${createHash('sha256').update(step.files.map((file) => file.content).join('\0')).digest('hex').slice(0, 16)}${step.secrets.length > 0 ? `/secrets-${eachRun}` : ''}`,
    retries: RETRIES,
    retryable: isRetryableCloudError,
    run: (ctx) => ops().installCloudStep(first, step.kind, ctx, version),
  }));
  if (part === 'ccm') return { title: 'Cloud controller manager', steps };
  const timeoutMs = Math.max(options.readyTimeoutMs, 60_000);
  const ccm = whole.some((step) => step.kind === 'ccm');
  const defaultClass = expectedDefaultClass(spec);
  if (ccm || defaultClass) steps.push({
    stepId: stepId.verifyCloud,
    title: `Wait until ${[...(ccm ? ['every node is initialised by the cloud controller manager (providerID, no uninitialized taint)'] : []), ...(defaultClass ? [`${defaultClass.name} is the default StorageClass`] : [])].join(' and ')}`,
    node: first.name,
    tool: 'kubectl',
    // Nodes that join later are waited for by Verify (SshNodeOps.waitReady includes the CCM's part).
    inputs: `${version}/${allNodes(topology).map((node) => node.name).sort().join(',')}/${defaultClass?.name ?? '-'}`,
    timeoutMs: timeoutMs + 60_000,
    run: async (ctx) => {
      // The nodes this run brought up; a worker whose join failed is named by the run's failure.
      const registered = new Set((await ops().getNodes(first, ctx)).map((node) => node.name));
      const names = allNodes(topology).map((node) => node.name).filter((name) => registered.has(name));
      await ops().verifyCloudIntegration(first, names, timeoutMs, ctx);
    },
  });
  return { title: spec.provider.name === 'static' ? 'Load balancers and storage' : 'Cloud integration and storage', steps };
}

/**
 * Reaches nodes over SSH before anything changes, so a changed host key or a dead control plane
 * stops the run at once, and every new host key is pinned (and said) here, not in the middle of
 * a later step. On a cluster bootstrapped earlier it checks every node and reports "skipped"
 * (nothing to do). A first run reaches every node too, but a worker that never answers is only
 * named: its own steps fail with that error, and the other nodes go on without it.
 * add-workers reaches the control planes and the new workers, all of which must answer.
 */
function preflightPhase(options: BootstrapOptions, unreachable: Map<string, unknown>): Phase {
  const { topology, ops } = options;
  const reachAll = async (nodes: ClusterNode[], ctx: StepContext, tolerate: (node: ClusterNode) => boolean) => {
    let done = 0;
    await mapWithConcurrency(nodes, options.concurrency, async (node) => {
      try {
        await ops().reach(node, ctx);
      } catch (error) {
        if (!tolerate(node) || ctx.signal.aborted) throw error;
        unreachable.set(node.name, error);
        const message = (error as Error).message.split('\n')[0] ?? '';
        ctx.output(`${message.includes(node.name) ? '' : `${node.name}: `}${message}; its steps will fail, the other nodes go on`, 'stderr');
      }
      ctx.progress(++done, nodes.length, node.name);
    }, ctx.signal);
  };
  const targets = options.only ? allNodes(topology).filter((node) => node.role === 'control-plane' || options.only!.has(node.name)) : allNodes(topology);
  const strict = () => false;
  // A first init goes on without a dead worker, as its later steps would.
  const workersMayFail = options.bootstrapped || options.workersOnly ? strict : (node: ClusterNode) => node.role === 'worker';
  const steps: Step[] = [];
  const device = options.spec.storage.rookCeph?.device;
  const rookWorkers = topology.workers.filter((node) => !options.only || options.only.has(node.name));
  if (resolvedStorageClass(options.spec) === 'rook-ceph' && device !== undefined && rookWorkers.length > 0) {
    // Before anything changes: Ceph takes the whole disk, so a disk missing or in use on any
    // worker stops the run here, naming node and disk (Rook's prerequisites.md: raw devices with
    // no partitions or formatted filesystem). Checkpointed: once Ceph owns the disks a repeated
    // run does not ask again.
    steps.push({
      stepId: stepId.rookDisk,
      title: `Rook-Ceph: /dev/${device} is an empty disk on every worker`,
      detail: rookWorkers.map((node) => node.name).join(', '),
      tool: 'ssh',
      inputs: `${device}/${rookWorkers.map((node) => node.name).sort().join(',')}`,
      run: async (ctx) => {
        let done = 0;
        const failures: Error[] = [];
        await mapWithConcurrency(rookWorkers, options.concurrency, async (node) => {
          if (unreachable.has(node.name)) return;
          try {
            await ops().checkRookDisk(node, device, ctx);
          } catch (error) {
            failures.push(error as Error);
          }
          ctx.progress(++done, rookWorkers.length, node.name);
        }, ctx.signal);
        if (failures.length === 1) throw failures[0];
        if (failures.length > 1) {
          throw new PreflightError('RookDiskNotFree', `Rook-Ceph's disk /dev/${device} is not free on ${failures.length} workers`, {
            details: failures.map((failure) => failure.message),
            hint: `Give every worker an empty disk named ${device} (lsblk -f lists them), or set storage.rookCeph.device, or choose storage.defaultClass: local-path. Ceph erases the disk it takes.`,
          });
        }
      },
    });
  }
  return {
    title: 'Preflight',
    steps: [
      {
        stepId: stepId.reach,
        title: 'Reach the nodes over SSH (host keys pinned)',
        detail: targets.map((node) => node.name).join(', '),
        tool: 'ssh',
        // Never checkpointed: the world may have changed since the last run.
        inputs: `run-${Date.now()}`,
        check: async (ctx) => {
          if (!options.bootstrapped) return undefined;
          await reachAll(targets, ctx, strict);
          return `already bootstrapped; ${targets.length} nodes answer with their pinned host keys`;
        },
        run: (ctx) => reachAll(targets, ctx, workersMayFail),
      },
      ...steps,
    ],
  };
}

function joinStep(node: ClusterNode, controlPlane: boolean, options: BootstrapOptions): Step {
  const { ops, topology, version } = options;
  return {
    stepId: stepId.join(node.name),
    title: controlPlane ? `kubeadm join --control-plane on ${node.name}` : `kubeadm join on ${node.name}`,
    node: node.name,
    tool: 'kubeadm',
    inputs: version,
    timeoutMs: 15 * 60_000,
    retries: RETRIES,
    retryable: isRetryableNodeError,
    ...(controlPlane
      ? {
          check: async (ctx: StepContext) => ((await ops().isJoined(node, topology, ctx)) ? 'already joined (control-plane label, etcd and kube-apiserver running)' : undefined),
          // The check runs before every attempt; join resets what a failed attempt of ours left.
          run: (ctx: StepContext) => ops().join(node, topology, true, ctx),
        }
      : {
          // A worker's look and join are one SSH command on a clean machine; on one with kubeadm
          // state (a failed attempt, an earlier run) the same judgement as the control planes' check.
          run: async (ctx: StepContext) => ((await ops().joinWorkerUnlessJoined(node, topology, ctx)) ? { alreadyDone: 'already joined' } : undefined),
        }),
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
          stepId: stepId.verify,
          title: `Wait until ${names.length} node${names.length === 1 ? ' is' : 's are'} Ready`,
          detail: 'kubectl get nodes',
          node: first.name,
          tool: 'kubectl',
          inputs,
          timeoutMs: options.readyTimeoutMs + 60_000,
          run: (ctx) => ops().waitReady(first, topology, names, options.version, options.readyTimeoutMs, ctx),
        },
        {
          stepId: stepId.verifyEtcd,
          title: `etcd has ${topology.controlPlanes.length} member${topology.controlPlanes.length === 1 ? '' : 's'}, one per control plane`,
          detail: 'etcdctl member list',
          node: first.name,
          tool: 'kubectl',
          inputs: topology.controlPlanes.map((cp) => cp.name).join(','),
          retries: 1,
          run: (ctx) => ops().verifyEtcdMembers(first, topology, ctx),
        },
        {
          stepId: stepId.verifyNetwork,
          title: 'Pod networking: CoreDNS available, a pod resolves kubernetes.default',
          detail: `the pod on ${(topology.workers[0] ?? first).name}`,
          node: first.name,
          tool: 'kubectl',
          inputs,
          timeoutMs: 10 * 60_000,
          run: (ctx) => ops().verifyNetworking(first, topology, ctx),
        },
      ],
    },
  ];
}

export function kubeconfigPhase(options: Pick<BootstrapOptions, 'topology' | 'ops'> & { file?: string }): Phase {
  const first = firstControlPlane(options.topology);
  return {
    title: 'Kubeconfig',
    steps: [
      {
        stepId: stepId.kubeconfig,
        title: 'Write the admin kubeconfig (0600)',
        ...(options.file ? { detail: options.file } : {}),
        node: first.name,
        tool: 'ssh',
        // Never checkpointed: admin.conf's certificate changes with upgrades and renewals.
        inputs: `run-${Date.now()}`,
        retries: RETRIES,
        // A refused admin.conf reads the same on the next attempt: fail at once.
        retryable: (error) => !(error instanceof UsageError) && !isKubeconfigRefusal(error),
        check: (ctx) => options.ops().kubeconfigCurrent(first, options.topology, ctx),
        run: (ctx) => options.ops().writeKubeconfig(first, options.topology, ctx),
      },
    ],
  };
}

/**
 * Every node phase of init in run order, for a plan or status: the run itself runs the bootstrap
 * phases first (tolerating workers), then verifies the nodes that made it, writes the kubeconfig,
 * and applies the enabled add-ons (Helm, then one step per add-on, with its pinned version).
 */
export function initNodePhases(options: Omit<BootstrapOptions, 'ops'> & { ops?: NodeOpsSource; kubeconfigFile?: string }): Phase[] {
  const ops = options.ops ?? notConnected;
  return [
    ...bootstrapPhases({ ...options, ops }),
    ...verifyPhases({ ...options, ops }),
    kubeconfigPhase({ topology: options.topology, ops, file: options.kubeconfigFile }),
    ...addonPhases({ spec: options.spec, topology: options.topology, version: options.version, ops: notConnected }),
  ];
}
