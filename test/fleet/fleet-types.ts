/** Public shapes of the simulated fleet (see README.md for the behaviour behind them). */

export type NodeRole = 'control-plane' | 'worker';

/** Stock cloud images the fleet can imitate (see standins/lib/distros.mjs). */
export type FleetDistro = 'ubuntu-22.04' | 'ubuntu-24.04' | 'debian-12' | 'debian-13';

export interface FleetNodeSpec {
  name: string;
  /** Only informational for the fake (kubeadm decides the real role); default worker. */
  role?: NodeRole;
  /** The distribution the node imitates: /etc/os-release and its archive's packages. Default ubuntu-24.04. */
  distro?: FleetDistro;
  /**
   * Packages installed before the installer arrives, e.g. Docker CE from Docker's repository:
   * ['docker-ce', 'containerd.io'] (their services run; containerd.io's stock config.toml disables the CRI plugin).
   */
  preinstalled?: string[];
  /**
   * The node boots from an image that prepare-node.sh built (as Packer bakes one): containerd 2.x
   * configured, kubelet/kubeadm/kubectl at `kubernetes` held, kernel settings applied, the
   * `/etc/k8s-bootstrap/prepared` marker. Tests that are not about preparation start faster.
   */
  image?: { kubernetes: string; runtime?: 'containerd' };
  /**
   * What the cloud's API says about this machine, for the stand-in cloud controller managers:
   * `instancePool` (Exoscale: the node is a member of that instance pool, so an NLB can target it;
   * standalone instances are skipped), `zone`, `instanceType`. Defaults: a standalone instance in the
   * provider's default zone (README, "Cloud integration").
   */
  cloud?: { instancePool?: string; zone?: string; instanceType?: string };
  /**
   * Extra disks the machine has, for lsblk and the stand-in Rook: `{ name: 'sdb' }` is an empty disk;
   * `fstype` a filesystem on it, `partitions` its partitions (then a gpt table unless `pttype`), `size`
   * bytes (default 10 GiB), `ro` read-only, `mountpoint` where it is mounted. Default none (README, "Cloud integration").
   */
  disks?: Array<{ name: string; fstype?: string; pttype?: string; size?: number; ro?: boolean; mountpoint?: string; partitions?: Array<{ name: string; fstype?: string; size?: number; mountpoint?: string }> }>;
}

/** Kubernetes patch versions offered per minor, e.g. { '1.36': ['1.36.0', '1.36.1'] }. */
export type Catalogue = Record<string, string[]>;

/**
 * Operation patterns match the stand-in's command line ("kubeadm join 10.0.0.1:6443 --token …")
 * by prefix after the tool name, e.g. "kubeadm join", "apt-get install", "systemctl restart kubelet".
 */
export type OpPattern = string | { op: string; message?: string; exitCode?: number };

export interface Fault {
  /** kubeadm fails inside a phase, after the earlier phases' effects: { op: 'kubeadm init', phase: 'wait-control-plane' }. Consumed. */
  failInPhase?: { op: string; phase: string; message?: string } | Array<{ op: string; phase: string; message?: string }>;
  /** Boot-time apt jobs: the lists lock (apt-daily) and the dpkg frontend lock (unattended-upgrade) stay held this long from the first apt call. */
  aptBusyMs?: { lists?: number; dpkg?: number };
  /** The first matching operation prints the message (default "fleet: injected failure") and exits 1. */
  failOnce?: OpPattern | OpPattern[];
  /** The first matching operation kills its own SSH session (the client sees exit 255). */
  dropConnectionOnce?: string | string[];
  /** The first matching operation does its work, then its SSH session drops (a dropped connection after the fact). */
  dropConnectionAfterOnce?: string | string[];
  /**
   * The first matching operation stops at its point of no return and its SSH session drops (exit 255):
   * helm after storing the pending-install/-upgrade/-rollback release record, before touching objects.
   */
  interruptOnce?: string | string[];
  /** Every matching operation sleeps forever (until its session or the node is killed). */
  hang?: string | string[];
  /** Extra latency for matching operations on this node (overrides the fleet-wide latencies). */
  latencyMs?: Record<string, number>;
}

export interface StartFleetOptions {
  nodes: FleetNodeSpec[];
  /** Fleet id 1..250: nodes listen on 127.0.<id>.<n>. Default: a free one. */
  id?: number;
  catalogue?: Catalogue;
  /** Fleet-wide latency per operation pattern in ms, e.g. { 'kubeadm init': 3000, 'kubeadm join': 20000 }. */
  latencies?: Record<string, number>;
  /**
   * How long (real time, ms) the helm stand-in's `--wait` polls readiness at most, whatever `--timeout`
   * says (the smaller wins); default 2000. The stand-in's env K8SB_HELM_WAIT_MS overrides it.
   */
  helmWaitMs?: number;
  /** kubectl drain's delay between evictions a PodDisruptionBudget refused (real: 5000 ms, EvictErrorRetryDelay); default 5000. */
  evictRetryMs?: number;
}

export interface FleetNode {
  name: string;
  address: string;
  port: number;
  role: NodeRole;
}

export interface FleetEvent {
  kind: 'ssh' | 'tool';
  node: string;
  time: string;
  user: string;
  /** ssh: the session's command line; tool: the stand-in's argv joined by spaces. */
  command: string;
  tool?: string;
  /** tool: when the stand-in began (`time` is when it ended). */
  startedAt?: string;
  exitCode?: number;
}

export interface ApiNode {
  name: string;
  /** The fleet node (hostname) whose kubelet backs this Node object. */
  host: string;
  role: NodeRole;
  kubeletVersion: string;
  registeredAt: string;
  unschedulable: boolean;
  internalIP: string;
  /** kubeadm's mark-control-plane phase ran: the control-plane label (and taint, unless taints were set). */
  marked?: boolean;
  /** Labels set after registration (kubectl label, a CCM's zone/region/instance-type). */
  labels?: Record<string, string>;
  /** The kubelet ran with --cloud-provider=external. */
  cloudProvider?: 'external';
  /** Still carries node.cloudprovider.kubernetes.io/uninitialized (no CCM has initialised it). */
  uninitialized?: boolean;
  /** spec.providerID: the kubelet's --provider-id, else what the CCM set. */
  providerID?: string;
  /** The provider whose CCM initialised the Node. */
  initializedBy?: 'exoscale' | 'openstack' | 'aws';
}

export interface ApiHistoryEntry {
  time: string;
  node: string;
  op: string;
  detail?: Record<string, unknown>;
}

export interface ApiState {
  clock: { offsetHours: number };
  cluster: null | {
    clusterName: string;
    controlPlaneEndpoint: string;
    podSubnet: string;
    serviceSubnet: string;
    kubernetesVersion: string;
    caCertHash: string;
    firstControlPlane: string;
    initializedAt: string;
  };
  tokens: { token: string; expires: string | null; createdAt: string }[];
  certificateKey: null | { key: string; uploadedAt: string };
  nodes: Record<string, ApiNode>;
  cni: null | { kind: 'calico' | 'flannel' | 'cilium'; pool: string; version?: string };
  objects: Record<string, { apiVersion: string; kind: string; name: string; namespace?: string; body?: Record<string, unknown>; createdAt?: string; manager?: string; status?: Record<string, unknown>; patch?: Record<string, unknown> }>;
  /** Events the simulated controllers recorded (CCM service controller, PV controller, provisioners, MetalLB). */
  events?: Array<{ involvedObject: { kind: string; name: string; namespace?: string }; type: string; reason: string; message: string; source?: { component?: string } }>;
  /** Stacked etcd: one member per control plane that got through kubeadm's etcd phase (learners while they join). */
  etcd?: { members: Array<{ id: string; name: string; host: string; peerURL: string; clientURL: string; isLearner: boolean }> };
  history: ApiHistoryEntry[];
  /** Helm releases (the helm stand-in): "<namespace>/<name>" → revisions, oldest first. */
  helmReleases?: Record<string, HelmRevision[]>;
}

/** One revision of a Helm release as the helm stand-in keeps it (README, "helm"). */
export interface HelmRevision {
  name: string;
  namespace: string;
  revision: number;
  status: 'deployed' | 'superseded' | 'failed' | 'uninstalling' | 'pending-install' | 'pending-upgrade' | 'pending-rollback';
  chart: string;
  version: string;
  appVersion: string;
  repo: string;
  /** The user-supplied values (helm get values), null when none. */
  values: Record<string, unknown> | null;
  /** sha256 of the user-supplied values as canonical JSON (sorted keys; "null" when none). */
  valuesSha256: string;
  description: string;
  firstDeployed: string;
  lastDeployed: string;
  /** Keys ("Kind/namespace/name") of the objects the revision's manifest holds. */
  objects: string[];
}
