/**
 * An in-memory NodeOps, so init's and add-workers' phases run through the real engine in unit
 * tests. Its behaviour, which the tests rely on:
 * - every call is recorded as "op@node" in `calls`, in the order the calls start;
 * - the world is remembered: a prepared node reports isPrepared, an initialised first control
 *   plane isInitialised, a joined node isJoined, a written kubeconfig is current;
 * - the order the real nodes impose is enforced: kubeadm init needs a prepared node, the CNI an
 *   initialised cluster, a join a prepared node and an initialised cluster, Ready a joined node
 *   (or the initialised first control plane) with the CNI installed;
 * - cloud-integration steps are recorded as "cloud@<first>" in `calls` and as "<kind>@<version>"
 *   in `cloudSteps` (version: the one asked for, else "spec"); they need the CNI installed;
 * - `failOn(op, node, times)` makes that call fail (always, or the first `times` calls);
 * - `waitFor(op, node, call)` holds that call until `call` ("init@cp-1") has started, and fails it
 *   after 2 s without: it proves that two steps run alongside each other.
 */
import { ExternalToolError } from '../../src/errors.js';
import type { NodeOps, NodeStatus } from '../../src/nodes/node-ops.js';
import type { ClusterNode, Topology } from '../../src/nodes/topology.js';
import type { CloudStepKind } from '../../src/kube/cloud-integration.js';

export type FakeOp =
  | 'reach'
  | 'prepare'
  | 'lb'
  | 'init'
  | 'cni'
  | 'cloud'
  | 'rook-disk'
  | 'verify-cloud'
  | 'join'
  | 'wait-ready'
  | 'verify-etcd'
  | 'verify-network'
  | 'write-kubeconfig';

export class FakeNodeOps implements NodeOps {
  readonly calls: string[] = [];
  readonly prepared = new Set<string>();
  readonly joined = new Set<string>();
  readonly loadBalancers = new Set<string>();
  initialised?: string;
  cni = false;
  /** Cloud-integration steps run, as "<kind>@<version or 'spec'>", in order. */
  readonly cloudSteps: string[] = [];
  kubeconfigWritten = false;
  private readonly failures = new Map<string, number>();
  private readonly holds = new Map<string, string>();

  /** Fails `op` on `node` (on the first control plane for cluster-wide ops): `times` calls, or every call. */
  failOn(op: FakeOp, node: string, times = Number.POSITIVE_INFINITY): this {
    this.failures.set(`${op}@${node}`, times);
    return this;
  }

  waitFor(op: FakeOp, node: string, call: string): this {
    this.holds.set(`${op}@${node}`, call);
    return this;
  }

  /** The recorded calls of one op, as node names. */
  callsOf(op: FakeOp): string[] {
    return this.calls.filter((call) => call.startsWith(`${op}@`)).map((call) => call.slice(op.length + 1));
  }

  async reach(node: ClusterNode): Promise<void> {
    await this.record('reach', node);
  }

  async isPrepared(node: ClusterNode): Promise<boolean> {
    return this.prepared.has(node.name);
  }

  async prepare(node: ClusterNode): Promise<void> {
    await this.record('prepare', node);
    this.prepared.add(node.name);
  }

  async prepareUnlessPrepared(node: ClusterNode): Promise<boolean> {
    if (this.prepared.has(node.name)) return true;
    await this.prepare(node);
    return false;
  }

  async setupHaLoadBalancer(node: ClusterNode): Promise<void> {
    await this.record('lb', node);
    this.loadBalancers.add(node.name);
  }

  async isInitialised(): Promise<boolean> {
    return this.initialised !== undefined;
  }

  async initFirstControlPlane(node: ClusterNode): Promise<void> {
    await this.record('init', node);
    this.need(this.prepared.has(node.name), `kubeadm init on ${node.name}: the node is not prepared`);
    this.initialised = node.name;
  }

  async installCni(first: ClusterNode): Promise<void> {
    await this.record('cni', first);
    this.need(this.initialised !== undefined, 'CNI: there is no cluster yet');
    this.cni = true;
  }

  async installCloudStep(first: ClusterNode, kind: CloudStepKind, _ctx?: unknown, version?: string): Promise<void> {
    await this.record('cloud', first);
    this.need(this.cni, `cloud step ${kind}: there is no pod network yet`);
    this.cloudSteps.push(`${kind}@${version ?? 'spec'}`);
  }

  async checkRookDisk(node: ClusterNode, device: string): Promise<void> {
    void device;
    await this.record('rook-disk', node);
  }

  async verifyCloudIntegration(first: ClusterNode, names: string[]): Promise<void> {
    await this.record('verify-cloud', first);
    const missing = names.filter((name) => !this.members().includes(name));
    this.need(missing.length === 0, `not registered: ${missing.join(', ')}`);
  }

  async isJoined(node: ClusterNode): Promise<boolean> {
    return this.joined.has(node.name);
  }

  async join(node: ClusterNode): Promise<void> {
    await this.record('join', node);
    this.need(this.prepared.has(node.name), `kubeadm join on ${node.name}: the node is not prepared`);
    this.need(this.initialised !== undefined, `kubeadm join on ${node.name}: there is no cluster to join`);
    this.joined.add(node.name);
  }

  async joinWorkerUnlessJoined(node: ClusterNode): Promise<boolean> {
    if (this.joined.has(node.name)) return true;
    await this.join(node);
    return false;
  }

  async getNodes(): Promise<NodeStatus[]> {
    return this.members().map((name) => ({ name, roles: [], ready: this.cni, unschedulable: false, kubeletVersion: '' }));
  }

  async waitReady(first: ClusterNode, _topology: Topology, names: string[]): Promise<void> {
    await this.record('wait-ready', first);
    const missing = names.filter((name) => !this.cni || !this.members().includes(name));
    this.need(missing.length === 0, `not Ready: ${missing.join(', ')}`);
  }

  async verifyEtcdMembers(first: ClusterNode, topology: Topology): Promise<void> {
    await this.record('verify-etcd', first);
    const missing = topology.controlPlanes.map((cp) => cp.name).filter((name) => !this.members().includes(name));
    this.need(missing.length === 0, `etcd misses ${missing.join(', ')}`);
  }

  async verifyNetworking(first: ClusterNode): Promise<void> {
    await this.record('verify-network', first);
    this.need(this.cni, 'no pod network');
  }

  async kubeconfigCurrent(): Promise<string | undefined> {
    return this.kubeconfigWritten ? 'the kubeconfig is current' : undefined;
  }

  async writeKubeconfig(first: ClusterNode): Promise<void> {
    await this.record('write-kubeconfig', first);
    this.need(this.initialised !== undefined, 'no admin.conf yet');
    this.kubeconfigWritten = true;
  }

  /** Nodes of the cluster: the initialised first control plane and every joined node. */
  private members(): string[] {
    return [...(this.initialised ? [this.initialised] : []), ...this.joined];
  }

  private async record(op: FakeOp, node: ClusterNode): Promise<void> {
    this.calls.push(`${op}@${node.name}`);
    // A turn of the event loop, so steps of a concurrent phase really overlap.
    await new Promise((resolve) => setTimeout(resolve, 1));
    const key = `${op}@${node.name}`;
    const awaited = this.holds.get(key);
    for (let waited = 0; awaited !== undefined && !this.calls.includes(awaited); waited += 5) {
      if (waited >= 2000) throw new ExternalToolError('FakeWaitedInVain', `${key} waited for ${awaited}, which never started`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const left = this.failures.get(key) ?? 0;
    if (left > 0) {
      this.failures.set(key, left - 1);
      throw new ExternalToolError('FakeFailure', `${op} failed on ${node.name} (told to)`);
    }
  }

  private need(condition: boolean, message: string): void {
    if (!condition) throw new ExternalToolError('FakeOutOfOrder', message);
  }
}

/** cp-1…, worker-1…, each node's SSH address its name; enough for phases that never connect. */
export function fakeTopology(controlPlanes: number, workers: number, apiEndpoint = '10.0.0.100:8443'): Topology {
  const node = (name: string, role: ClusterNode['role'], index: number): ClusterNode => ({ name, role, host: name, port: 22, privateIp: `10.0.0.${index + 1}` });
  return {
    apiEndpoint,
    sshUser: 'k8sb',
    controlPlanes: Array.from({ length: controlPlanes }, (_, i) => node(`cp-${i + 1}`, 'control-plane', i)),
    workers: Array.from({ length: workers }, (_, i) => node(`worker-${i + 1}`, 'worker', controlPlanes + i)),
  };
}
