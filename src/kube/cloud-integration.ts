/**
 * The cloud integration and storage of a cluster as an install plan, like the CNI's (cni.ts):
 * for a spec, the ordered steps (CCM, CSI driver, snapshot CRDs + controller, the default
 * StorageClass; on static hosts MetalLB and local-path), each with a probe that asks the cluster
 * what runs, and the commands that install it or move it to the pins of a Kubernetes minor.
 *
 * The manifests are ours (templates/cloud/**, each copied from its project at the pinned tag,
 * the source in its header): installed on the first control plane and `kubectl apply`-ed, so
 * nothing is fetched from the internet at install time and every version is in kube/pins.ts.
 * Credentials Secrets are built here as objects and applied from stdin (`kubectl apply -f -`):
 * never in argv, never in a file on a node.
 *
 * What is installed is judged by the cluster: the image tag of the component's workload, and the
 * annotation of the StorageClasses (kubernetes/website, change-default-storage-class.md).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { ExternalToolError, InternalError } from '../errors.js';
import type { ClusterSpec } from '../config/schema.js';
import { cloudIntegrationOn, resolvedStorageClass } from '../config/cloud-integration.js';
import type { CloudCredentials } from '../providers/cloud-credentials.js';
import { renderTemplate, templatePath } from '../tools/template.js';
import { KUBEADM_CONFIG_DIR } from './kubeadm-config.js';
import { kubectl, type Argv } from './node-commands.js';
import { CLOUD_PINS, LOCAL_PATH, METALLB, ROOK, SNAPSHOT_CONTROLLER, type CloudName, type ComponentPin } from './pins.js';
import { planNodeNames } from '../config/node-names.js';
import { isSupportedMinor, minorOfText } from './versions.js';
import { waitEstablished, type CniCommand, type CniFile } from './cni.js';
import { DEFAULT_CLASS_ANNOTATION, parseKubectlJson, type Workload } from './cloud-readers.js';

// The readers of the cluster's answers live in cloud-readers.ts; callers import them from here too.
export * from './cloud-readers.js';

export type CloudStepKind = 'ccm' | 'csi' | 'snapshots' | 'storage-class' | 'metallb' | 'local-path' | 'rook-ceph';

/** The checkpoint id of each step (run/step-ids.ts re-exports them). */
export const CLOUD_STEP_IDS: Record<CloudStepKind, string> = {
  ccm: 'cloud:ccm',
  csi: 'cloud:csi',
  snapshots: 'cloud:snapshots',
  'storage-class': 'cloud:storage-class',
  metallb: 'static:metallb',
  'local-path': 'static:local-path',
  'rook-ceph': 'static:rook-ceph',
};

/** Where the workload runs: the probe reads the image of `container`. */

/** A Secret the step applies from stdin before its manifests (its values come from the credentials). */
export interface SecretManifest {
  namespace: string;
  name: string;
  /** The Secret as YAML: sent on stdin only. */
  render: (credentials: CloudCredentials) => string;
  /**
   * The workloads that read it, at start only (env from the Secret, or cloud.conf read once): restarted
   * when its content changes. Set by the step (cloud-config is read by the CCM and by Cinder).
   */
  readers?: Workload[];
}

/**
 * The annotation on a credentials Secret holding the sha256 of the content its readers were last
 * restarted with: a re-run compares it with the Secret it renders, without reading any value back.
 */
export const CONTENT_SHA_ANNOTATION = 'k8s-bootstrap.io/content-sha256';

/** The sha256 of a rendered Secret (hex). */
export const secretContentSha256 = (rendered: string): string => createHash('sha256').update(rendered).digest('hex');

/** The rendered Secret with `sha256` as its content annotation (none: no annotation). */
export function withContentSha(rendered: string, sha256: string | undefined): string {
  if (sha256 === undefined) return rendered;
  const secret = parse(rendered) as { metadata: { annotations?: Record<string, string> } };
  secret.metadata.annotations = { ...(secret.metadata.annotations ?? {}), [CONTENT_SHA_ANNOTATION]: sha256 };
  return stringify(secret, { lineWidth: 0 });
}

/**
 * What `kubectl get secret NAME -o json --ignore-not-found` says of a Secret: whether it exists and
 * the content sha recorded on it (only the annotation is read; the data is never looked at).
 */
export function readSecretContentSha(probeOutput: string): { exists: boolean; sha256?: string } {
  if (probeOutput.trim() === '') return { exists: false };
  let secret: { metadata?: { annotations?: Record<string, unknown> } };
  try {
    secret = JSON.parse(probeOutput) as typeof secret;
  } catch {
    return { exists: true };
  }
  const sha = secret.metadata?.annotations?.[CONTENT_SHA_ANNOTATION];
  return typeof sha === 'string' ? { exists: true, sha256: sha } : { exists: true };
}

/** Reads a Secret back (its output holds the values: run it quiet, output kept secret). */
export const secretProbe = (secret: SecretManifest): Argv => kubectl(['-n', secret.namespace, 'get', 'secret', secret.name, '-o', 'json', '--ignore-not-found']);
/** Whether a workload exists: `kubectl get KIND NAME -o name --ignore-not-found` prints its name or nothing. */
export const workloadExists = (workload: Workload): Argv => kubectl(['-n', workload.namespace, 'get', workload.kind, workload.name, '-o', 'name', '--ignore-not-found']);
/** `kubectl rollout restart` of a workload (a new pod template, so new pods that read the Secret again). */
export const rolloutRestart = (workload: Workload): Argv => kubectl(['-n', workload.namespace, 'rollout', 'restart', `${workload.kind}/${workload.name}`]);

export interface CloudStepPlan {
  kind: CloudStepKind;
  stepId: string;
  /** "Exoscale cloud controller manager", "default StorageClass exoscale-sbs". */
  component: string;
  /** The pinned version; undefined for the StorageClass step. */
  version?: string;
  /** The pin's untestedNote for this minor, said by the plan and the step. */
  warning?: string;
  /** The step title in the plan (with the version). */
  title: string;
  files: CniFile[];
  secrets: SecretManifest[];
  /** What the cluster runs: a workload (image tag), or the StorageClasses. */
  probe: { workload: Workload; argv: Argv } | { storageClass: string; provisioner: string; isDefault: boolean; argv: Argv };
  install: CniCommand[];
  /** Commands that move an installed component to this version. */
  upgrade: CniCommand[];
  /** Commands run every time, also when the version runs already (the MetalLB pool follows cluster.yaml). */
  always: CniCommand[];
  /**
   * The step's workloads, waited for on every run after its commands and before `always` (a
   * Deployment Available, a DaemonSet rolled out): an apply that leaves a controller Pending fails
   * the step, naming it and its pods, not later as a claim that never binds. None: nothing to wait for.
   */
  workloads?: Workload[];
  /**
   * What must also hold for the step to count as done, asked after the workload check and waited
   * for after the commands (Rook: the CephCluster's status.ceph.health). `read` gives the problem
   * (none: healthy) and a warning to print; `firstInstall` is stricter (Rook: HEALTH_OK only).
   */
  health?: { argv: Argv; read: (stdout: string, firstInstall: boolean) => { problem?: string; warning?: string }; timeoutMs: number; hint: string };
  /**
   * Live objects that must say what the step's files say for it to count as done (Rook: the
   * CephCluster's nodes, devices and mon count, the pools' sizes: a worker added or removed). `read`
   * gives the difference, or undefined.
   */
  matches?: Array<{ argv: Argv; read: (stdout: string) => string | undefined }>;
}

export const CLOUD_DIR = `${KUBEADM_CONFIG_DIR}/cloud`;
const APPLY_TIMEOUT = 180_000;
const WAIT_S = 300;

/** The CSIDriver name = StorageClass provisioner of each cloud (the stand-ins key on these). */
export const CSI_DRIVERS: Record<CloudName, string> = {
  exoscale: 'csi.exoscale.com',
  openstack: 'cinder.csi.openstack.org',
  aws: 'ebs.csi.aws.com',
};

export const LOCAL_PATH_PROVISIONER = 'rancher.io/local-path';

interface CloudFacts {
  label: string;
  ccm: Workload;
  csi: Workload;
  /** The CSI driver's node DaemonSet (templates/cloud/<cloud>/csi.yaml). */
  csiNode: Workload;
  storageClass: string;
}

const CLOUDS: Record<CloudName, CloudFacts> = {
  exoscale: {
    label: 'Exoscale',
    ccm: { namespace: 'kube-system', kind: 'deployment', name: 'exoscale-cloud-controller-manager', container: 'exoscale-cloud-controller-manager' },
    csi: { namespace: 'kube-system', kind: 'deployment', name: 'exoscale-csi-controller', container: 'exoscale-csi-plugin' },
    csiNode: { namespace: 'kube-system', kind: 'daemonset', name: 'exoscale-csi-node', container: 'exoscale-csi-plugin' },
    storageClass: 'exoscale-sbs',
  },
  openstack: {
    label: 'OpenStack',
    ccm: { namespace: 'kube-system', kind: 'daemonset', name: 'openstack-cloud-controller-manager', container: 'openstack-cloud-controller-manager' },
    csi: { namespace: 'kube-system', kind: 'deployment', name: 'csi-cinder-controllerplugin', container: 'cinder-csi-plugin' },
    csiNode: { namespace: 'kube-system', kind: 'daemonset', name: 'csi-cinder-nodeplugin', container: 'cinder-csi-plugin' },
    storageClass: 'csi-cinder-sc-delete',
  },
  aws: {
    label: 'AWS',
    ccm: { namespace: 'kube-system', kind: 'daemonset', name: 'aws-cloud-controller-manager', container: 'aws-cloud-controller-manager' },
    csi: { namespace: 'kube-system', kind: 'deployment', name: 'ebs-csi-controller', container: 'ebs-plugin' },
    csiNode: { namespace: 'kube-system', kind: 'daemonset', name: 'ebs-csi-node', container: 'ebs-plugin' },
    storageClass: 'ebs-gp3',
  },
};

const SNAPSHOT_WORKLOAD: Workload = { namespace: 'kube-system', kind: 'deployment', name: 'snapshot-controller', container: 'snapshot-controller' };
const METALLB_WORKLOAD: Workload = { namespace: 'metallb-system', kind: 'deployment', name: 'controller', container: 'controller' };
/** MetalLB's L2 speaker DaemonSet (templates/cloud/static/metallb-native.yaml). */
const METALLB_SPEAKER: Workload = { namespace: 'metallb-system', kind: 'daemonset', name: 'speaker', container: 'speaker' };
const LOCAL_PATH_WORKLOAD: Workload = { namespace: 'local-path-storage', kind: 'deployment', name: 'local-path-provisioner', container: 'local-path-provisioner' };
export const LOCAL_PATH_CLASS = 'local-path';
/** deploy/examples/operator.yaml: Deployment rook-ceph/rook-ceph-operator, container rook-ceph-operator. */
const ROOK_OPERATOR: Workload = { namespace: 'rook-ceph', kind: 'deployment', name: 'rook-ceph-operator', container: 'rook-ceph-operator' };
export const ROOK_CLASS = 'rook-ceph-block';
/** The RBD driver's name = the class's provisioner (csi/rbd/storageclass.yaml; Driver in operator.yaml). */
export const ROOK_RBD_PROVISIONER = 'rook-ceph.rbd.csi.ceph.com';
/** Mons and OSDs take minutes to come up and Ceph to settle (quickstart.md shows ~2 minutes on one node). */
const CEPH_HEALTH_TIMEOUT_MS = 20 * 60_000;

/** The minor's pins; a minor this release does not know is a bug upstream of here (the spec is checked on load). */
function minorPins(version: string) {
  const minor = minorOfText(version);
  if (!isSupportedMinor(minor)) throw new InternalError('UnsupportedMinor', `no cloud pins for Kubernetes ${minor}`);
  return minor;
}

const workloadProbe = (workload: Workload): Argv => kubectl(['-n', workload.namespace, 'get', workload.kind, workload.name, '-o', 'json', '--ignore-not-found']);
const apply = (description: string, file: string): CniCommand => ({ description, argv: kubectl(['apply', '-f', file]), timeoutMs: APPLY_TIMEOUT });
/** CRDs too large for the last-applied annotation of client-side apply: server-side, as Calico's (cni.ts). */
const applyServerSide = (description: string, file: string): CniCommand => ({ description, argv: kubectl(['apply', '--server-side', '--force-conflicts', '-f', file]), timeoutMs: APPLY_TIMEOUT });
const waitAvailable = (workload: Workload): CniCommand => ({
  description: `wait until ${workload.namespace}/${workload.name} is Available`,
  argv: kubectl(['-n', workload.namespace, 'wait', '--for=condition=Available', `deployment/${workload.name}`, `--timeout=${WAIT_S}s`]),
  timeoutMs: (WAIT_S + 30) * 1000,
});
/**
 * The wait for one workload: a Deployment's Available condition (`kubectl wait`), a DaemonSet's
 * rollout (`kubectl rollout status`: every scheduled pod updated and available, kubectl
 * pkg/polymorphichelpers/rollout_status.go). Both exit 1 at the timeout.
 */
export function workloadReadyCommand(workload: Workload): CniCommand {
  if (workload.kind === 'deployment') return waitAvailable(workload);
  return {
    description: `wait until ${workload.namespace}/${workload.name} is rolled out`,
    argv: kubectl(['-n', workload.namespace, 'rollout', 'status', `daemonset/${workload.name}`, `--timeout=${WAIT_S}s`]),
    timeoutMs: (WAIT_S + 30) * 1000,
  };
}

function render(file: string, values: Record<string, string>): string {
  const text = readFileSync(templatePath('cloud', file), 'utf8');
  return Object.keys(values).length === 0 ? text : renderTemplate(text, values, `cloud/${file}`);
}

function fileFor(name: string, content: string): CniFile {
  return { path: `${CLOUD_DIR}/${name}`, content, mode: 0o600 };
}

const warningOf = (pin: ComponentPin, minor: string): string | undefined => (pin.testedKubernetes.includes(minor) ? undefined : pin.untestedNote);

/** No control character may reach a Secret: a newline in a value would add lines to cloud.conf. */
function secretValue(value: string | undefined, what: string): string {
  if (value === undefined || value === '' || /[\u0000-\u001f\u007f]/.test(value)) {
    throw new ExternalToolError('CloudCredentialInvalid', `The ${what} of the cloud integration is missing or holds a control character`, {
      hint: 'Check the credential outputs of the Terraform module in the cluster folder (terraform output), then run the command again.',
    });
  }
  return value;
}

const secretYaml = (namespace: string, name: string, stringData: Record<string, string>): string =>
  stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, type: 'Opaque', stringData }, { lineWidth: 0 });

/** Secret kube-system/exoscale-credentials: what the CCM reads (api-key, api-secret; its docs/scripts/generate-secret.sh). */
export const EXOSCALE_CCM_SECRET: SecretManifest = {
  namespace: 'kube-system',
  name: 'exoscale-credentials',
  render: (c) => secretYaml('kube-system', 'exoscale-credentials', { 'api-key': secretValue(c.exoscale?.apiKey, 'Exoscale API key'), 'api-secret': secretValue(c.exoscale?.apiSecret, 'Exoscale API secret') }),
};

/** The CSI driver's own Secret (envFrom: EXOSCALE_API_KEY/SECRET; deployment/exoscale-secret.yaml), renamed so it does not clash with the CCM's. */
export const EXOSCALE_CSI_SECRET: SecretManifest = {
  namespace: 'kube-system',
  name: 'exoscale-csi-credentials',
  render: (c) =>
    secretYaml('kube-system', 'exoscale-csi-credentials', { EXOSCALE_API_KEY: secretValue(c.exoscale?.apiKey, 'Exoscale API key'), EXOSCALE_API_SECRET: secretValue(c.exoscale?.apiSecret, 'Exoscale API secret') }),
};

/**
 * Secret kube-system/cloud-config, key cloud.conf, read by the OpenStack CCM and Cinder CSI:
 * [Global] with an application credential, [LoadBalancer] with the floating network and subnet
 * (using-openstack-cloud-controller-manager.md).
 */
export const OPENSTACK_CLOUD_CONFIG: SecretManifest = {
  namespace: 'kube-system',
  name: 'cloud-config',
  render: (c) => {
    const o = c.openstack;
    const conf = [
      '[Global]',
      `auth-url=${secretValue(o?.authUrl, 'OpenStack auth URL')}`,
      `application-credential-id=${secretValue(o?.applicationCredentialId, 'OpenStack application credential id')}`,
      `application-credential-secret=${secretValue(o?.applicationCredentialSecret, 'OpenStack application credential secret')}`,
      `region=${secretValue(o?.region, 'OpenStack region')}`,
      // Where LoadBalancer Services go: floating IPs from this external network (required when the
      // cloud has several), VIPs on the nodes' subnet (using-openstack-cloud-controller-manager.md).
      ...(o?.floatingNetworkId || o?.subnetId
        ? [
            '',
            '[LoadBalancer]',
            ...(o.floatingNetworkId ? [`floating-network-id=${secretValue(o.floatingNetworkId, 'OpenStack floating network id')}`] : []),
            ...(o.subnetId ? [`subnet-id=${secretValue(o.subnetId, 'OpenStack subnet id')}`] : []),
          ]
        : []),
      '',
    ].join('\n');
    return secretYaml('kube-system', 'cloud-config', { 'cloud.conf': conf });
  },
};

function ccmStep(cloud: CloudName, minor: ReturnType<typeof minorPins>, clusterName: string): CloudStepPlan {
  const facts = CLOUDS[cloud];
  const pin = CLOUD_PINS[cloud].ccm[minor];
  const file = fileFor(`${cloud}-ccm.yaml`, render(`${cloud}/ccm.yaml`, cloud === 'openstack' ? { version: pin.version, clusterName } : { version: pin.version }));
  const command = apply(`${facts.label} cloud controller manager ${pin.version}`, file.path);
  return {
    kind: 'ccm',
    stepId: CLOUD_STEP_IDS.ccm,
    component: `${facts.label} cloud controller manager`,
    version: pin.version,
    warning: warningOf(pin, minor),
    title: `${facts.label} cloud controller manager ${pin.version}`,
    files: [file],
    secrets: cloud === 'exoscale' ? [{ ...EXOSCALE_CCM_SECRET, readers: [facts.ccm] }] : cloud === 'openstack' ? [{ ...OPENSTACK_CLOUD_CONFIG, readers: [facts.ccm, facts.csi, facts.csiNode] }] : [],
    probe: { workload: facts.ccm, argv: workloadProbe(facts.ccm) },
    install: [command],
    upgrade: [command],
    always: [],
    workloads: [facts.ccm],
  };
}

function csiStep(cloud: CloudName, minor: ReturnType<typeof minorPins>, clusterName: string): CloudStepPlan {
  const facts = CLOUDS[cloud];
  const pin = CLOUD_PINS[cloud].csi[minor];
  const file = fileFor(`${cloud}-csi.yaml`, render(`${cloud}/csi.yaml`, cloud === 'openstack' ? { version: pin.version, clusterName } : { version: pin.version }));
  const command = apply(`${facts.label} CSI driver ${pin.version} (CSIDriver ${CSI_DRIVERS[cloud]})`, file.path);
  return {
    kind: 'csi',
    stepId: CLOUD_STEP_IDS.csi,
    component: `${facts.label} CSI driver`,
    version: pin.version,
    warning: warningOf(pin, minor),
    title: `${facts.label} CSI driver ${pin.version}`,
    files: [file],
    // cloud-config is read by the OpenStack CCM too: whichever step finds it changed restarts both.
    secrets: cloud === 'exoscale' ? [{ ...EXOSCALE_CSI_SECRET, readers: [facts.csi, facts.csiNode] }] : cloud === 'openstack' ? [{ ...OPENSTACK_CLOUD_CONFIG, readers: [facts.ccm, facts.csi, facts.csiNode] }] : [],
    probe: { workload: facts.csi, argv: workloadProbe(facts.csi) },
    install: [command],
    upgrade: [command],
    always: [],
    workloads: [facts.csi, facts.csiNode],
  };
}

/** The snapshot CRDs and one snapshot-controller (external-snapshotter), plus the cloud's VolumeSnapshotClass. */
function snapshotStep(cloud: CloudName): CloudStepPlan {
  const crds = fileFor('snapshot-crds.yaml', render('shared/snapshot-crds.yaml', {}));
  const controller = fileFor('snapshot-controller.yaml', render('shared/snapshot-controller.yaml', { version: SNAPSHOT_CONTROLLER.version }));
  const snapshotClass = fileFor(`${cloud}-snapshot-class.yaml`, render(`${cloud}/snapshot-class.yaml`, {}));
  const commands: CniCommand[] = [
    applyServerSide(`volume snapshot CRDs ${SNAPSHOT_CONTROLLER.version}`, crds.path),
    waitEstablished('volumesnapshotclasses.snapshot.storage.k8s.io'),
    waitEstablished('volumesnapshots.snapshot.storage.k8s.io'),
    waitEstablished('volumesnapshotcontents.snapshot.storage.k8s.io'),
    apply(`snapshot-controller ${SNAPSHOT_CONTROLLER.version}`, controller.path),
    apply(`VolumeSnapshotClass of ${CSI_DRIVERS[cloud]}`, snapshotClass.path),
  ];
  return {
    kind: 'snapshots',
    stepId: CLOUD_STEP_IDS.snapshots,
    component: 'snapshot-controller',
    version: SNAPSHOT_CONTROLLER.version,
    title: `Volume snapshots: CRDs + snapshot-controller ${SNAPSHOT_CONTROLLER.version}`,
    files: [crds, controller, snapshotClass],
    secrets: [],
    probe: { workload: SNAPSHOT_WORKLOAD, argv: workloadProbe(SNAPSHOT_WORKLOAD) },
    install: commands,
    upgrade: commands,
    always: [],
    workloads: [SNAPSHOT_WORKLOAD],
  };
}

/**
 * The cloud's StorageClass, default when the spec resolves to `cloud`; any other class marked
 * default loses the mark ("keep exactly one default": two defaults block PVCs without a class).
 */
function storageClassStep(cloud: CloudName, isDefault: boolean): CloudStepPlan {
  const name = CLOUDS[cloud].storageClass;
  const file = fileFor(`${cloud}-storage-class.yaml`, render(`${cloud}/storage-class.yaml`, { isDefault: String(isDefault) }));
  const command = apply(`StorageClass ${name}${isDefault ? ' (default)' : ''}`, file.path);
  return {
    kind: 'storage-class',
    stepId: CLOUD_STEP_IDS['storage-class'],
    component: `StorageClass ${name}`,
    title: `StorageClass ${name} (${CSI_DRIVERS[cloud]})${isDefault ? ', the default' : ''}`,
    files: [file],
    secrets: [],
    probe: { storageClass: name, provisioner: CSI_DRIVERS[cloud], isDefault, argv: kubectl(['get', 'storageclass', '-o', 'json']) },
    install: [command],
    upgrade: [command],
    always: [],
    // A class has no workload: its provisioner's were waited for by the CSI step before it.
    workloads: [],
  };
}

/** MetalLB L2: the native manifest, then (once its webhook answers) the pool of cluster.yaml. */
function metallbStep(addresses: readonly string[]): CloudStepPlan {
  const native = fileFor('metallb-native.yaml', render('static/metallb-native.yaml', {}));
  const pool = fileFor('metallb-pool.yaml', render('static/metallb-pool.yaml', { addresses: JSON.stringify(addresses) }));
  const install = [applyServerSide(`MetalLB ${METALLB.version} (native, L2)`, native.path), waitAvailable(METALLB_WORKLOAD)];
  return {
    kind: 'metallb',
    stepId: CLOUD_STEP_IDS.metallb,
    component: 'MetalLB',
    version: METALLB.version,
    title: `MetalLB ${METALLB.version} (L2, pool ${addresses.join(', ')})`,
    files: [native, pool],
    secrets: [],
    probe: { workload: METALLB_WORKLOAD, argv: workloadProbe(METALLB_WORKLOAD) },
    install,
    upgrade: install,
    // The webhook validates the pool: it is applied once the controller is Available, every run.
    always: [waitAvailable(METALLB_WORKLOAD), apply('IPAddressPool + L2Advertisement k8s-bootstrap', pool.path)],
    // The controller is waited for by the commands above; the speaker announces the addresses.
    workloads: [METALLB_SPEAKER],
  };
}

function localPathStep(): CloudStepPlan {
  const file = fileFor('local-path-storage.yaml', render('static/local-path-storage.yaml', { version: LOCAL_PATH.version }));
  const command = apply(`local-path-provisioner ${LOCAL_PATH.version} (StorageClass local-path, the default)`, file.path);
  return {
    kind: 'local-path',
    stepId: CLOUD_STEP_IDS['local-path'],
    component: 'local-path-provisioner',
    version: LOCAL_PATH.version,
    title: `local-path-provisioner ${LOCAL_PATH.version} (StorageClass local-path, the default)`,
    files: [file],
    secrets: [],
    probe: { workload: LOCAL_PATH_WORKLOAD, argv: workloadProbe(LOCAL_PATH_WORKLOAD) },
    install: [command],
    upgrade: [command],
    always: [],
    workloads: [LOCAL_PATH_WORKLOAD],
  };
}

/** Pool size and daemon counts for `workers` workers: three copies (the example's size), fewer when there are fewer workers. */
export function rookSizing(workers: number): { size: number; monCount: number; mgrCount: number } {
  return { size: Math.max(1, Math.min(3, workers)), monCount: workers >= 3 ? 3 : 1, mgrCount: workers >= 2 ? 2 : 1 };
}

/**
 * Ceph's defaults for fewer than three OSDs, as deploy/examples/cluster-test.yaml sets them: the
 * default pool size (else HEALTH_WARN TOO_FEW_OSDS "OSD count 1 < osd_pool_default_size 3") and, for one
 * copy, no POOL_NO_REDUNDANCY warning.
 */
function rookCephConfig(size: number): Record<string, Record<string, string>> {
  if (size >= 3) return {};
  return { global: { osd_pool_default_size: String(size), ...(size === 1 ? { mon_warn_on_pool_no_redundancy: 'false' } : {}) } };
}

/**
 * `kubectl get cephcluster rook-ceph -o json`: healthy at HEALTH_OK; at HEALTH_WARN too once the
 * first install is done (a mon or OSD down on a lost worker, a clock skew: Ceph still serves, and a
 * later run must not stop on it), then with Ceph's details as the warning. Else the problem
 * (status.ceph.health and the messages of status.ceph.details, else status.message/phase).
 */
export function readCephHealth(text: string, firstInstall = true): { problem?: string; warning?: string } {
  const trimmed = text.trim();
  if (trimmed === '') return { problem: 'CephCluster rook-ceph does not exist' };
  const object = parseKubectlJson('CephCluster rook-ceph', trimmed);
  const ceph = object.status?.ceph ?? {};
  if (ceph.health === 'HEALTH_OK') return {};
  const details = Object.entries((ceph.details ?? {}) as Record<string, { message?: string }>).map(([check, d]) => `${check}: ${d.message ?? ''}`.trim());
  const state = ceph.health ?? `no health yet (phase ${object.status?.phase ?? 'none'}${object.status?.message ? `: ${object.status.message}` : ''})`;
  const said = details.length > 0 ? `${state}: ${details.join('; ')}` : state;
  return ceph.health === 'HEALTH_WARN' && !firstInstall ? { warning: `Ceph reports ${said}` } : { problem: said };
}

/** The storage.nodes (name and devices) and mon count the CephCluster must have for `workers` with `device`. */
export function readCephClusterDrift(text: string, workers: string[], device: string, monCount: number): string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return 'CephCluster rook-ceph does not exist';
  const spec = parseKubectlJson('CephCluster rook-ceph', trimmed).spec ?? {};
  const said = ((spec.storage?.nodes ?? []) as Array<{ name?: string; devices?: Array<{ name?: string }> }>)
    .map((node) => `${node.name ?? '?'}:${(node.devices ?? []).map((d) => d.name ?? '?').sort().join('+')}`)
    .sort();
  const wanted = workers.map((name) => `${name}:${device}`).sort();
  const problems: string[] = [];
  if (said.join(',') !== wanted.join(',')) problems.push(`its storage.nodes are ${said.join(', ') || 'none'}, not ${wanted.join(', ')}`);
  if (spec.mon?.count !== monCount) problems.push(`its mon count is ${spec.mon?.count ?? 'unset'}, not ${monCount}`);
  return problems.length > 0 ? `CephCluster rook-ceph differs from cluster.yaml: ${problems.join('; ')}` : undefined;
}

/** `kubectl -n rook-ceph get cephblockpool -o json`: replicapool and builtin-mgr must keep `size` copies. */
export function readCephPoolDrift(text: string, size: number): string | undefined {
  const items = ((text.trim() === '' ? {} : parseKubectlJson('the CephBlockPool list', text)).items ?? []) as Array<{ metadata?: { name?: string }; spec?: { replicated?: { size?: number } } }>;
  const problems = ROOK_POOLS.flatMap((name) => {
    const pool = items.find((item) => item.metadata?.name === name);
    if (!pool) return [`CephBlockPool ${name} does not exist`];
    const actual = pool.spec?.replicated?.size;
    return actual === size ? [] : [`CephBlockPool ${name} has size ${actual ?? 'unset'}, not ${size}`];
  });
  return problems.length > 0 ? problems.join('; ') : undefined;
}

/** templates/cloud/static/rook-storageclass.yaml: the class's pool and Ceph's own .mgr pool. */
const ROOK_POOLS = ['replicapool', 'builtin-mgr'];

/**
 * Rook-Ceph (static): CRDs, common RBAC and ceph-csi-operator (Established), the operator
 * (Available), then our CephCluster on the named disk of every worker, the replicated pool and the
 * default class rook-ceph-block. Done when the operator runs the pin, the live CephCluster lists
 * these workers and mon count and the pools this size (else it applies again: add-workers, a
 * removed worker), and Ceph is healthy (HEALTH_OK on the first install, HEALTH_WARN later too).
 */
function rookCephStep(spec: ClusterSpec, minor: ReturnType<typeof minorPins>): CloudStepPlan {
  const device = spec.storage.rookCeph?.device;
  if (device === undefined) throw new InternalError('RookCephWithoutDevice', 'storage.rookCeph.device is checked on load');
  const workers = planNodeNames(spec).workers;
  const sizing = rookSizing(workers.length);
  const crds = fileFor('rook-crds.yaml', render('static/rook-crds.yaml', {}));
  const common = fileFor('rook-common.yaml', render('static/rook-common.yaml', {}));
  const csiOperator = fileFor('rook-csi-operator.yaml', render('static/rook-csi-operator.yaml', {}));
  const operator = fileFor('rook-operator.yaml', render('static/rook-operator.yaml', { version: ROOK.version }));
  const nodes = JSON.stringify(workers.map((name) => ({ name, devices: [{ name: device }] })));
  const cluster = fileFor('rook-cluster.yaml', render('static/rook-cluster.yaml', { cephImage: ROOK.cephImage, monCount: String(sizing.monCount), mgrCount: String(sizing.mgrCount), nodes, cephConfig: JSON.stringify(rookCephConfig(sizing.size)) }));
  const pool = fileFor('rook-storageclass.yaml', render('static/rook-storageclass.yaml', { size: String(sizing.size), requireSafeReplicaSize: String(sizing.size > 1) }));
  // Upstream creates crds + common + csi-operator before operator.yaml, whose OperatorConfig and
  // Driver are csi.ceph.io kinds (quickstart.md); the CRDs are too large for a client-side apply.
  const commands: CniCommand[] = [
    applyServerSide(`Rook ${ROOK.version} CRDs`, crds.path),
    applyServerSide('Rook common resources (namespace rook-ceph, RBAC)', common.path),
    applyServerSide('ceph-csi-operator (Rook\'s CSI)', csiOperator.path),
    ...['cephclusters.ceph.rook.io', 'cephblockpools.ceph.rook.io', 'drivers.csi.ceph.io', 'operatorconfigs.csi.ceph.io'].map(waitEstablished),
    apply(`Rook operator ${ROOK.version}`, operator.path),
    waitAvailable(ROOK_OPERATOR),
    apply(`CephCluster rook-ceph (${ROOK.cephImage}, /dev/${device} of ${workers.join(', ')})`, cluster.path),
    apply(`CephBlockPools replicapool and builtin-mgr (size ${sizing.size}) + StorageClass ${ROOK_CLASS} (the default)`, pool.path),
  ];
  const cephClusterArgv = kubectl(['-n', 'rook-ceph', 'get', 'cephcluster', 'rook-ceph', '-o', 'json', '--ignore-not-found']);
  return {
    kind: 'rook-ceph',
    stepId: CLOUD_STEP_IDS['rook-ceph'],
    component: 'Rook-Ceph',
    version: ROOK.version,
    warning: warningOf(ROOK, minor),
    title: `Rook-Ceph ${ROOK.version} (Ceph on /dev/${device} of ${workers.length} worker${workers.length === 1 ? '' : 's'}, pool size ${sizing.size}, StorageClass ${ROOK_CLASS}, the default)`,
    files: [crds, common, csiOperator, operator, cluster, pool],
    secrets: [],
    probe: { workload: ROOK_OPERATOR, argv: workloadProbe(ROOK_OPERATOR) },
    install: commands,
    upgrade: commands,
    always: [],
    // Only the operator: ceph-csi-operator creates the RBD driver's Deployment
    // rook-ceph.rbd.csi.ceph.com-ctrlplugin and DaemonSet rook-ceph.rbd.csi.ceph.com-nodeplugin
    // (rook v1.20.6 quickstart.md, tests/framework/installer/ceph_installer.go) asynchronously after
    // the CephCluster, so `kubectl wait` would find no object yet; and the ctrlplugin's two replicas
    // have pod anti-affinity, so with one worker it never becomes Available.
    workloads: [ROOK_OPERATOR],
    health: {
      argv: cephClusterArgv,
      read: readCephHealth,
      timeoutMs: CEPH_HEALTH_TIMEOUT_MS,
      hint: "See Ceph's health checks (kubectl -n rook-ceph get cephcluster rook-ceph -o jsonpath='{.status.ceph.details}'), the OSD prepare jobs (kubectl -n rook-ceph logs -l app=rook-ceph-osd-prepare) and the operator (kubectl -n rook-ceph logs deploy/rook-ceph-operator); the disk must be empty on every worker. Then run the command again.",
    },
    matches: [
      { argv: cephClusterArgv, read: (text) => readCephClusterDrift(text, workers, device, sizing.monCount) },
      { argv: kubectl(['-n', 'rook-ceph', 'get', 'cephblockpool', '-o', 'json']), read: (text) => readCephPoolDrift(text, sizing.size) },
    ],
  };
}

/**
 * The steps a spec needs, in order, at the pins of `version`'s minor (default the spec's). Only
 * the CCM and CSI depend on the minor; an upgrade hop asks for those two at its version.
 */
export function cloudIntegrationPlan(spec: ClusterSpec, version: string = spec.kubernetes.version): CloudStepPlan[] {
  const minor = minorPins(version);
  const storage = resolvedStorageClass(spec);
  const provider = spec.provider.name;
  if (provider === 'static') {
    const steps: CloudStepPlan[] = [];
    const addresses = spec.loadBalancer.metallb?.addresses;
    if (addresses && addresses.length > 0) steps.push(metallbStep(addresses));
    if (storage === 'local-path') steps.push(localPathStep());
    if (storage === 'rook-ceph') steps.push(rookCephStep(spec, minor));
    return steps;
  }
  const cloud: CloudName = provider;
  const on = cloudIntegrationOn(spec);
  const steps: CloudStepPlan[] = [];
  if (on.ccm) steps.push(ccmStep(cloud, minor, spec.name));
  // The snapshot CRDs before the driver: its controller runs the csi-snapshotter sidecar, which
  // needs them (aws-ebs-csi-driver docs/install.md: "install the CRDs before the driver").
  if (on.csi) steps.push(snapshotStep(cloud), csiStep(cloud, minor, spec.name), storageClassStep(cloud, storage === 'cloud'));
  return steps;
}

/** The CCM and CSI steps of a hop to `version` (the components whose pins follow the minor). */
export function cloudUpgradePlan(spec: ClusterSpec, version: string): CloudStepPlan[] {
  return cloudIntegrationPlan(spec, version).filter((step) => step.kind === 'ccm' || step.kind === 'csi');
}

export const unsetDefaultClass = (name: string): Argv => kubectl(['annotate', 'storageclass', name, `${DEFAULT_CLASS_ANNOTATION}=false`, '--overwrite']);

/** The class that must be the default for this spec (undefined: none is wanted). */
export function expectedDefaultClass(spec: ClusterSpec): { name: string; provisioner: string } | undefined {
  const storage = resolvedStorageClass(spec);
  if (storage === 'local-path') return { name: LOCAL_PATH_CLASS, provisioner: LOCAL_PATH_PROVISIONER };
  if (storage === 'rook-ceph' && spec.provider.name === 'static') return { name: ROOK_CLASS, provisioner: ROOK_RBD_PROVISIONER };
  if (storage === 'cloud' && spec.provider.name !== 'static') return { name: CLOUDS[spec.provider.name].storageClass, provisioner: CSI_DRIVERS[spec.provider.name] };
  return undefined;
}
