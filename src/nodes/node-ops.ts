/**
 * What the bootstrap, add-workers and upgrade steps do on a node, over SSH, with the official
 * commands (see the kube layer). The workflows only call this interface, so its SSH and kubeadm
 * details stay in one place.
 */
import type { StepContext } from '../engine/step.js';
import type { ClusterNode, Topology } from './topology.js';

export type { NodeStatus } from '../kube/node-commands.js';
import type { NodeStatus } from '../kube/node-commands.js';
import type { CloudStepKind } from '../kube/cloud-integration.js';

export interface NodeOps {
  /** Connects (waiting for SSH after boot) and checks the pinned host key; runs nothing. */
  reach(node: ClusterNode, ctx: Pick<StepContext, 'signal'>): Promise<void>;
  isPrepared(node: ClusterNode, version: string, runtime: string, ctx: StepContext): Promise<boolean>;
  prepare(node: ClusterNode, version: string, runtime: string, ctx: StepContext): Promise<void>;
  /** isPrepared() and, when not, prepare() in one go; true when it was prepared already. */
  prepareUnlessPrepared(node: ClusterNode, version: string, runtime: string, ctx: StepContext): Promise<boolean>;
  setupHaLoadBalancer(node: ClusterNode, topology: Topology, ctx: StepContext): Promise<void>;
  isInitialised(node: ClusterNode, ctx: StepContext): Promise<boolean>;
  initFirstControlPlane(node: ClusterNode, topology: Topology, version: string, ctx: StepContext): Promise<void>;
  installCni(first: ClusterNode, ctx: StepContext): Promise<void>;
  /**
   * One step of the cloud integration (kube/cloud-integration.ts), judged by the cluster: installs
   * it, moves it to the pins of `version`'s minor (default the spec's), or leaves it as it runs.
   */
  installCloudStep(first: ClusterNode, kind: CloudStepKind, ctx: StepContext, version?: string): Promise<void>;
  /** Rook-Ceph: /dev/<device> on the node exists and holds no filesystem or partitions (a PreflightError naming node and disk otherwise). */
  checkRookDisk(node: ClusterNode, device: string, ctx: StepContext): Promise<void>;
  /** With the CCM: every named Node has a providerID and no uninitialized taint; the expected default StorageClass exists. */
  verifyCloudIntegration(first: ClusterNode, names: string[], timeoutMs: number, ctx: StepContext): Promise<void>;
  /** Workers: kubelet.conf and the Node registered; control planes also the label and running etcd/kube-apiserver pods. */
  isJoined(node: ClusterNode, topology: Topology, ctx: StepContext): Promise<boolean>;
  /** Resets a node of this cluster (or none) and resets and joins it; refuses a node of another cluster. */
  /** A worker's isJoined() and, when not, join() in one go; true when it was joined already. */
  joinWorkerUnlessJoined(node: ClusterNode, topology: Topology, ctx: StepContext): Promise<boolean>;
  join(node: ClusterNode, topology: Topology, controlPlane: boolean, ctx: StepContext): Promise<void>;
  getNodes(first: ClusterNode, ctx: Pick<StepContext, 'signal' | 'output'>): Promise<NodeStatus[]>;
  waitReady(first: ClusterNode, topology: Topology, names: string[], version: string | undefined, timeoutMs: number, ctx: StepContext): Promise<void>;
  /** One voting etcd member per control plane. */
  verifyEtcdMembers(first: ClusterNode, topology: Topology, ctx: StepContext): Promise<void>;
  /** CoreDNS available and a pod on a worker resolving a Service name. */
  verifyNetworking(first: ClusterNode, topology: Topology, ctx: StepContext): Promise<void>;
  /** A reason the operator's kubeconfig needs no refresh, or undefined. */
  kubeconfigCurrent(first: ClusterNode, topology: Topology, ctx: Pick<StepContext, 'signal' | 'output'>): Promise<string | undefined>;
  writeKubeconfig(first: ClusterNode, topology: Topology, ctx: StepContext): Promise<void>;
}
