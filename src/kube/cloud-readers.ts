/**
 * What the cluster (and a worker's disk) answers, read for the cloud-integration steps: workload
 * probes, pods that are not ready, StorageClasses, the CCM's mark on Nodes, lsblk of Rook's disk.
 * Data only: nothing here builds a command but the probes it reads.
 */
import { ExternalToolError } from '../errors.js';
import { type Argv } from './node-commands.js';

export interface Workload {
  namespace: string;
  kind: 'deployment' | 'daemonset';
  name: string;
  container: string;
}

export const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';

// ---- what the cluster runs ------------------------------------------------------------------

export interface InstalledComponent {
  present: boolean;
  /** The image tag of the workload's container, as the registry spells it. */
  version?: string;
  /** Deployment: Available condition True; DaemonSet: every scheduled pod ready. */
  available?: boolean;
  /** DaemonSet: the pods it should run (status.desiredNumberScheduled) and those Ready (status.numberReady). */
  desired?: number;
  ready?: number;
}

/** kubectl's JSON, or a clear error naming what was asked (the text is data, never trusted). */
export function parseKubectlJson(what: string, text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    throw new ExternalToolError('UnexpectedKubectlOutput', `kubectl printed something that is not ${what} as JSON`, { details: text.split('\n').slice(0, 10) });
  }
}

/** Reads a workload probe (`get deployment|daemonset NAME -o json --ignore-not-found`). */
export function readWorkload(workload: Workload, probeOutput: string): InstalledComponent {
  const text = probeOutput.trim();
  if (text === '') return { present: false };
  const object = parseKubectlJson(`${workload.kind} ${workload.name}`, text);
  if (object.kind === 'List' && (object.items ?? []).length === 0) return { present: false };
  const containers: Array<{ name?: string; image?: string }> = object.spec?.template?.spec?.containers ?? [];
  const image = (containers.find((c) => c.name === workload.container) ?? containers[0])?.image ?? '';
  const tag = /:([^:/@]+)(?:@sha256:[0-9a-f]+)?$/.exec(image)?.[1];
  const status = object.status ?? {};
  const available =
    workload.kind === 'deployment'
      ? (status.conditions ?? []).some((c: { type?: string; status?: string }) => c.type === 'Available' && c.status === 'True')
      : Number(status.desiredNumberScheduled ?? 0) > 0 && Number(status.numberReady ?? 0) >= Number(status.desiredNumberScheduled);
  const counts = workload.kind === 'daemonset' ? { desired: Number(status.desiredNumberScheduled ?? 0), ready: Number(status.numberReady ?? 0) } : {};
  return { present: true, ...(tag ? { version: tag } : {}), available, ...counts };
}

/** A workload's pod selector (`spec.selector.matchLabels`) as `kubectl -l` takes it; undefined when it has none. */
export function workloadSelector(probeOutput: string): string | undefined {
  let object: { spec?: { selector?: { matchLabels?: Record<string, string> } } };
  try {
    object = JSON.parse(probeOutput.trim() || '{}');
  } catch {
    return undefined;
  }
  const labels = Object.entries(object.spec?.selector?.matchLabels ?? {});
  return labels.length === 0 ? undefined : labels.map(([key, value]) => `${key}=${value}`).join(',');
}

export interface PodNotReady {
  name: string;
  node?: string;
  /** Why, as the kubelet or scheduler says it: "CrashLoopBackOff: back-off …", "Pending: 0/2 nodes are available: …". */
  reason: string;
}

/**
 * The pods of `kubectl get pods -o json` that are not Ready, each with why: a waiting
 * container's reason and message (CreateContainerConfigError, CrashLoopBackOff), else the pod's
 * phase and message (the scheduler's "0/2 nodes are available: …" on PodScheduled or the pod).
 */
export function readNotReadyPods(text: string): PodNotReady[] {
  let list: { items?: any[] };
  try {
    list = JSON.parse(text.trim() || '{"items":[]}');
  } catch {
    return [];
  }
  type Condition = { type?: string; status?: string; message?: string };
  return (list.items ?? [])
    .filter((pod) => !(pod.status?.conditions ?? []).some((c: Condition) => c.type === 'Ready' && c.status === 'True'))
    .map((pod) => {
      const waiting = (pod.status?.containerStatuses ?? [])
        .map((c: { state?: { waiting?: { reason?: string; message?: string } } }) => c.state?.waiting)
        .find((w: { reason?: string } | undefined) => w?.reason !== undefined && !['ContainerCreating', 'Pending'].includes(w.reason));
      const message = pod.status?.message ?? (pod.status?.conditions ?? []).find((c: Condition) => c.type === 'PodScheduled' && c.status === 'False')?.message;
      const reason = waiting ? `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}` : `${pod.status?.phase ?? 'Unknown'}${message ? `: ${message}` : ''}`;
      return { name: pod.metadata?.name ?? '', ...(pod.spec?.nodeName ? { node: pod.spec.nodeName } : {}), reason };
    });
}

export interface StorageClassInfo {
  name: string;
  provisioner: string;
  isDefault: boolean;
}

/** `kubectl get storageclass -o json`: each class, and whether it carries the default annotation. */
export function readStorageClasses(text: string): StorageClassInfo[] {
  const list = parseKubectlJson('the StorageClass list', text.trim() || '{"items":[]}');
  return (list.items ?? []).map((item: { metadata?: { name?: string; annotations?: Record<string, string> }; provisioner?: string }) => ({
    name: item.metadata?.name ?? '',
    provisioner: item.provisioner ?? '',
    isDefault: item.metadata?.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true',
  }));
}

/** Un-marks a class as default (change-default-storage-class.md: the annotation set to false). */

// ---- nodes initialised by the CCM -----------------------------------------------------------

export const UNINITIALIZED_TAINT = 'node.cloudprovider.kubernetes.io/uninitialized';

export interface NodeCloudState {
  name: string;
  providerId?: string;
  uninitialized: boolean;
}

/** providerID and the uninitialized taint of each Node (`kubectl get nodes -o json`). */
export function readNodeCloudState(text: string): NodeCloudState[] {
  const list = parseKubectlJson('the Node list', text);
  return (list.items ?? []).map((item: { metadata?: { name?: string }; spec?: { providerID?: string; taints?: Array<{ key?: string }> } }) => ({
    name: item.metadata?.name ?? '',
    ...(item.spec?.providerID ? { providerId: item.spec.providerID } : {}),
    uninitialized: (item.spec?.taints ?? []).some((taint) => taint.key === UNINITIALIZED_TAINT),
  }));
}

// ---- the disk Rook-Ceph takes on each worker --------------------------------------------------

/**
 * What a worker's disk holds: `lsblk -J -b -o NAME,FSTYPE,TYPE,PTTYPE,SIZE,RO,MOUNTPOINT /dev/<d>`
 * (util-linux; -b gives SIZE in bytes as a number, RO is a boolean, an empty value null). Rook's
 * prerequisites.md: raw devices with no partitions or formatted filesystem ("If the FSTYPE field is
 * not empty, there is a filesystem on top of the corresponding device").
 */
export const rookDiskProbe = (device: string): Argv => ['lsblk', '-J', '-b', '-o', 'NAME,FSTYPE,TYPE,PTTYPE,SIZE,RO,MOUNTPOINT', `/dev/${device}`];

/** Ceph's own OSD on the disk (ceph-volume raw mode; libblkid names it ceph_bluestore): a repeated run, or an earlier cluster's. */
const CEPH_FSTYPES = new Set(['ceph_bluestore']);
/** ceph-volume refuses devices under 5 GiB ("Insufficient space (<5GB)", ceph-volume util/device.py). */
export const ROOK_MIN_DISK_BYTES = 5 * 1024 ** 3;

export type RookDiskState = { free: true; ceph?: boolean } | { free: false; problem: string };

interface LsblkRow { name?: string; fstype?: string | null; type?: string; pttype?: string | null; size?: number | string | null; ro?: boolean | string | null; mountpoint?: string | null; children?: LsblkRow[] }

/** Reads the probe's exit code and output: free (a whole disk, no partition table, no filesystem, not mounted, writable, 5 GiB or more), or why not. */
export function readRookDisk(device: string, code: number, stdout: string, stderr: string): RookDiskState {
  if (code !== 0) {
    const said = (stderr.trim() || stdout.trim()).split('\n')[0] ?? '';
    return { free: false, problem: `/dev/${device} is not a disk on this node${said ? ` (lsblk: ${said.replace(/^lsblk:\s*/, '')})` : ''}` };
  }
  let list: { blockdevices?: LsblkRow[] };
  try {
    list = JSON.parse(stdout);
  } catch {
    return { free: false, problem: `lsblk printed something that is not JSON for /dev/${device}` };
  }
  const disk = list.blockdevices?.[0];
  if (!disk) return { free: false, problem: `/dev/${device} is not a disk on this node (lsblk listed nothing)` };
  if (disk.type !== 'disk') return { free: false, problem: `/dev/${device} is a ${disk.type === 'part' ? 'partition' : (disk.type ?? 'device of unknown type')}, not a whole disk` };
  if (disk.ro === true || disk.ro === '1') return { free: false, problem: `/dev/${device} is read-only` };
  if (disk.mountpoint) return { free: false, problem: `/dev/${device} is mounted on ${disk.mountpoint}` };
  if (disk.fstype && CEPH_FSTYPES.has(disk.fstype)) return { free: true, ceph: true };
  if (disk.fstype) return { free: false, problem: `/dev/${device} holds a ${disk.fstype} filesystem` };
  if (disk.pttype) return { free: false, problem: `/dev/${device} has a ${disk.pttype} partition table` };
  const children = disk.children ?? [];
  if (children.length > 0) {
    return { free: false, problem: `/dev/${device} has ${children.length} partition${children.length === 1 ? '' : 's'} or volume${children.length === 1 ? '' : 's'} (${children.map((c) => `${c.name ?? '?'}${c.fstype ? ` ${c.fstype}` : ''}`).join(', ')})` };
  }
  const size = Number(disk.size);
  if (!Number.isFinite(size) || size < ROOK_MIN_DISK_BYTES) {
    return { free: false, problem: `/dev/${device} has ${Number.isFinite(size) ? `${(size / 1024 ** 3).toFixed(1)} GiB` : 'no size'}, less than the 5 GiB Ceph's OSD needs` };
  }
  return { free: true };
}
