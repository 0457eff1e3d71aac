// Dynamic provisioning as the PV controller and the external provisioners do it: a
// PersistentVolumeClaim of a StorageClass whose provisioner runs gets a PersistentVolume
// pvc-<claim uid> and both become Bound — at once (volumeBindingMode Immediate) or once a Pod
// that uses the claim is scheduled (WaitForFirstConsumer; the PV is then pinned to that node for
// local-path). A claim without storageClassName gets the default class, also after the fact
// (retroactive default StorageClass assignment, GA in Kubernetes 1.28). Provisioners: a CSI
// driver (its CSIDriver object plus a Ready controller with the plugin image: Exoscale, Cinder,
// EBS) or rancher/local-path-provisioner. Events and messages are the PV controller's
// (pkg/controller/volume/persistentvolume) and the external-provisioner's.
import { createHash } from 'node:crypto';
import { CSI_PLUGINS, LOCAL_PATH } from './cloud-apps.mjs';
import { workloadsOf } from './ccm.mjs';
import { recordEvent } from './events.mjs';
import { effectiveBody, getObject, listObjects, putObject, uidOf } from './objects.mjs';
import { placePod, podClaims } from './workloads.mjs';
import { ROOK_RBD_PROVISIONER, rbdReadyFor } from './rook.mjs';

const DEFAULT_CLASS = 'storageclass.kubernetes.io/is-default-class';
const PV_CONTROLLER = 'persistentvolume-controller';

/** Annotated as the default (the GA annotation, else the beta one), as the admission plugin reads it. */
function isDefault(sc) {
  const annotations = effectiveBody(sc).metadata.annotations ?? {};
  return (annotations[DEFAULT_CLASS] ?? annotations['storageclass.beta.kubernetes.io/is-default-class']) === 'true';
}

/** The default StorageClass: with several, the newest (the admission plugin's choice since 1.26). */
export function defaultStorageClass(api) {
  const defaults = listObjects(api, 'StorageClass').filter(isDefault);
  defaults.sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)) || a.name.localeCompare(b.name));
  return defaults[0] ?? null;
}

/** Does the provisioner named by a StorageClass run? { running, component } */
function provisionerRunning(api, provisioner, sc) {
  // Rook's RBD driver (ceph-csi, deployed by the operator): provisions once the class's pool is Ready.
  if (provisioner === ROOK_RBD_PROVISIONER) return rbdReadyFor(api, sc);
  if (provisioner === LOCAL_PATH.provisioner) {
    return workloadsOf(api, (component) => component?.kind === 'local-path').some((entry) => entry.ready);
  }
  if (!CSI_PLUGINS[provisioner]) return false;
  if (!getObject(api, 'CSIDriver', undefined, provisioner)) return false;
  return workloadsOf(api, (component) => component?.kind === 'csi' && component.driver === provisioner).some((entry) => entry.ready && entry.object.kind === 'Deployment');
}

/** The node a WaitForFirstConsumer claim is provisioned for: that of the first scheduled Pod using it, or null. */
function consumerNode(api, claim) {
  for (const pod of listObjects(api, 'Pod', claim.namespace)) {
    const spec = pod.body?.spec;
    if (!podClaims(spec).some((entry) => entry.claimName === claim.name)) continue;
    const node = placePod(api, spec);
    if (node) return node;
  }
  return null;
}

const hex = (text, length) => createHash('sha256').update(text).digest('hex').slice(0, length);

/** The volume source of the PV a provisioner creates. */
function volumeSource(provisioner, claim, uid, node) {
  if (provisioner === LOCAL_PATH.provisioner) {
    return {
      hostPath: { path: `/opt/local-path-provisioner/pvc-${uid}_${claim.namespace}_${claim.name}`, type: 'DirectoryOrCreate' },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node.name] }] }] } },
    };
  }
  const handle = provisioner === 'ebs.csi.aws.com' ? `vol-${hex(uid, 17)}` : provisioner === 'rook-ceph.rbd.csi.ceph.com' ? `0001-0009-rook-ceph-0000000000000002-${uid}` : provisioner === 'csi.exoscale.com' ? `${node?.labels?.['topology.kubernetes.io/zone'] ?? 'ch-gva-2'}/${uid}` : uid;
  return { csi: { driver: provisioner, volumeHandle: handle, fsType: 'ext4' } };
}

function bind(api, claim, claimBody, sc, node) {
  const uid = uidOf(claim);
  const pvName = `pvc-${uid}`;
  const provisioner = sc.body.provisioner;
  const size = claimBody.spec?.resources?.requests?.storage ?? '1Gi';
  const accessModes = claimBody.spec?.accessModes ?? ['ReadWriteOnce'];
  const component = provisioner === LOCAL_PATH.provisioner ? `${provisioner}_local-path-provisioner_${hex(uid, 8)}` : `${provisioner}_${hex(provisioner, 10)}`;
  recordEvent(api, claim, { reason: 'Provisioning', message: `External provisioner is provisioning volume for claim "${claim.namespace}/${claim.name}"`, component });
  putObject(
    api,
    {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: pvName, annotations: { 'pv.kubernetes.io/provisioned-by': provisioner, ...(provisioner === LOCAL_PATH.provisioner ? { 'local.path.provisioner/selected-node': node.name } : {}) }, finalizers: ['kubernetes.io/pv-protection'] },
      spec: {
        accessModes,
        capacity: { storage: size },
        claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', name: claim.name, namespace: claim.namespace, uid },
        persistentVolumeReclaimPolicy: sc.body.reclaimPolicy ?? 'Delete',
        storageClassName: sc.name,
        volumeMode: claimBody.spec?.volumeMode ?? 'Filesystem',
        ...volumeSource(provisioner, claim, uid, node),
      },
    },
    { manager: 'kube-controller-manager' },
  );
  getObject(api, 'PersistentVolume', undefined, pvName).status = { phase: 'Bound' };
  claim.patch = {
    ...(claim.patch ?? {}),
    spec: { ...(claim.patch?.spec ?? {}), storageClassName: sc.name, volumeName: pvName },
    annotations: {
      ...(claim.patch?.annotations ?? {}),
      'pv.kubernetes.io/bind-completed': 'yes',
      'pv.kubernetes.io/bound-by-controller': 'yes',
      'volume.beta.kubernetes.io/storage-provisioner': provisioner,
      'volume.kubernetes.io/storage-provisioner': provisioner,
      ...(node && sc.body.volumeBindingMode === 'WaitForFirstConsumer' ? { 'volume.kubernetes.io/selected-node': node.name } : {}),
    },
  };
  claim.status = { phase: 'Bound', accessModes, capacity: { storage: size } };
  recordEvent(api, claim, { reason: 'ProvisioningSucceeded', message: `Successfully provisioned volume ${pvName}`, component });
}

export function reconcileStorage(api) {
  for (const claim of listObjects(api, 'PersistentVolumeClaim')) {
    if (claim.status?.phase === 'Bound') continue;
    claim.status ??= { phase: 'Pending' };
    const body = effectiveBody(claim);
    let className = body.spec?.storageClassName;
    if (className === undefined || className === null) {
      const fallback = defaultStorageClass(api);
      if (!fallback) {
        recordEvent(api, claim, { reason: 'FailedBinding', message: 'no persistent volumes available for this claim and no storage class is set', component: PV_CONTROLLER });
        continue;
      }
      className = fallback.name;
      claim.patch = { ...(claim.patch ?? {}), spec: { ...(claim.patch?.spec ?? {}), storageClassName: className } };
    }
    if (className === '') {
      recordEvent(api, claim, { reason: 'FailedBinding', message: 'no persistent volumes available for this claim and no storage class is set', component: PV_CONTROLLER });
      continue;
    }
    const sc = getObject(api, 'StorageClass', undefined, className);
    if (!sc) {
      recordEvent(api, claim, { type: 'Warning', reason: 'ProvisioningFailed', message: `storageclass.storage.k8s.io "${className}" not found`, component: PV_CONTROLLER });
      continue;
    }
    const waitForConsumer = sc.body?.volumeBindingMode === 'WaitForFirstConsumer';
    const node = waitForConsumer ? consumerNode(api, claim) : null;
    if (waitForConsumer && !node) {
      recordEvent(api, claim, { reason: 'WaitForFirstConsumer', message: 'waiting for first consumer to be created before binding', component: PV_CONTROLLER });
      continue;
    }
    if (!provisionerRunning(api, sc.body.provisioner, sc)) {
      recordEvent(api, claim, {
        reason: 'ExternalProvisioning',
        message: `Waiting for a volume to be created either by the external provisioner '${sc.body.provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
        component: PV_CONTROLLER,
      });
      continue;
    }
    bind(api, claim, body, sc, node);
  }
}
