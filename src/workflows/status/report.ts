/**
 * What `status` reports, as plain data: the result a script receives and the fields of the
 * result line under --output json. Types only, so the package's declarations reach no SSH code.
 */
export interface StatusNode {
  name: string;
  role: string;
  /** null when the API could not be asked. */
  ready: boolean | null;
  /** "Ready", "NotReady", "Ready,SchedulingDisabled", "NotRegistered", "Unknown". */
  status: string;
  cordoned: boolean;
  version: string;
  address: string;
  /** "3d", "5h", "12m"; "" when unknown. */
  age: string;
  createdAt?: string;
  /** Why a node is NotReady, from its Ready condition. */
  message?: string;
  /** Listed in inventory.json. */
  inInventory: boolean;
}

/** The cloud integration and storage as the cluster runs them (status/cloud-status.ts). */
export interface StatusCloud {
  parts: Array<{
    /** ccm, csi, snapshots, metallb, local-path; a part with a node DaemonSet has an entry for each workload. */
    part: string;
    component: string;
    /** namespace/kind/name of the workload asked. */
    workload: string;
    /** The version this release installs for the cluster's minor. */
    pinned: string;
    /** The image tag the workload runs. */
    running?: string;
    /** null when the cluster could not be asked. */
    present: boolean | null;
    /** Deployment Available / every DaemonSet pod ready; null when the cluster could not be asked. */
    available: boolean | null;
    /** DaemonSets (a CCM on control planes, a CSI node plugin, MetalLB's speaker): pods it should run and pods Ready. */
    desired?: number;
    ready?: number;
  }>;
  /** The StorageClass that must be the default, and the classes marked default. */
  defaultStorageClass?: { expected: string; defaults: string[]; present: boolean | null };
  /** Every part available and the expected default StorageClass present. */
  healthy: boolean;
}

/** One add-on as `helm list` reports it (status/addon-status.ts). */
export interface StatusAddon {
  name: string;
  enabled: boolean;
  /** The chart version helm has, or null. */
  installed: string | null;
  /** The chart version pinned for the cluster's minor, or null. */
  wanted: string | null;
  /** Helm's status, or "not installed". */
  status: string;
}

export interface StatusReport {
  cluster: string;
  provider: string;
  dir: string;
  apiEndpoint: string;
  version: {
    /** What the state folder records (changes with upgrades), else the spec's. */
    recorded: string;
    /** Distinct kubelet versions the API reports. */
    observed: string[];
  };
  api: { reachable: boolean; via?: string; error?: string };
  nodes: StatusNode[];
  state: {
    stateFile: string;
    finishedSteps: number;
    plannedSteps: number;
    pendingSteps: string[];
    lastStep?: { id: string; finishedAt: string };
    lastRun?: { command: string; startedAt: string; logFile: string };
    destroyedAt?: string;
  };
  /** The operator's kubeconfig (clusters/<name>/kubeconfig) and when its client certificate expires. */
  kubeconfig?: { file: string; expires: string; daysLeft: number; warning?: string };
  /** The newest backup in clusters/<name>/backups/ (backup-status.ts). */
  backup?: import('./backup-status.js').BackupStatus;
  /** Present when the spec asks for a CCM, CSI driver, MetalLB or a default StorageClass, and the API answered. */
  cloud?: StatusCloud;
  /** The enabled add-ons and any other of the set helm has; absent when helm could not be asked (or is not installed). */
  addons?: StatusAddon[];
  /** Every control plane's certificates and CAs and when they expire (status/cert-status.ts); absent when no control plane answered SSH. */
  certs?: import('./cert-status.js').CertStatus;
  /** Every node Ready, the API reachable, (when asked for) every cloud-integration part healthy, and no certificate expired. */
  healthy: boolean;
}
