// Volume snapshots as external-snapshotter does them: the snapshot-controller (image
// registry.k8s.io/sig-storage/snapshot-controller, Ready) binds a VolumeSnapshot of a Bound claim to a
// new VolumeSnapshotContent once the CSI driver of the claim's volume has a Ready controller with the
// csi-snapshotter sidecar; the class is spec.volumeSnapshotClassName or the driver's default
// VolumeSnapshotClass (annotation snapshot.storage.kubernetes.io/is-default-class). Without the
// controller nothing happens (no status), as without a running snapshot-controller.
import { imageRepository } from './cloud-apps.mjs';
import { workloadsOf } from './ccm.mjs';
import { recordEvent } from './events.mjs';
import { effectiveBody, getObject, listObjects, putObject, uidOf } from './objects.mjs';

const SNAPSHOTTER_SIDECAR = /\/csi-snapshotter$/;

const snapshotControllerReady = (api) => workloadsOf(api, (component) => component?.kind === 'snapshot-controller').some((entry) => entry.ready);

/** Does the driver's controller run a csi-snapshotter sidecar next to the plugin? */
function snapshotterReady(api, driver) {
  return workloadsOf(api, (component) => component?.kind === 'csi' && component.driver === driver).some(
    (entry) => entry.ready && (entry.spec?.containers ?? []).some((container) => SNAPSHOTTER_SIDECAR.test(imageRepository(container.image))),
  );
}

export function reconcileSnapshots(api) {
  if (!snapshotControllerReady(api)) return;
  for (const snapshot of listObjects(api, 'VolumeSnapshot')) {
    if (snapshot.status?.readyToUse) continue;
    const body = effectiveBody(snapshot);
    const claimName = body.spec?.source?.persistentVolumeClaimName;
    const claim = claimName && getObject(api, 'PersistentVolumeClaim', snapshot.namespace, claimName);
    const pv = claim?.patch?.spec?.volumeName && getObject(api, 'PersistentVolume', undefined, claim.patch.spec.volumeName);
    const driver = pv?.body?.spec?.csi?.driver;
    if (!driver) continue;
    const classes = listObjects(api, 'VolumeSnapshotClass').filter((entry) => entry.body?.driver === driver);
    const chosen = body.spec.volumeSnapshotClassName
      ? classes.find((entry) => entry.name === body.spec.volumeSnapshotClassName)
      : classes.find((entry) => entry.body?.metadata?.annotations?.['snapshot.storage.kubernetes.io/is-default-class'] === 'true');
    if (!chosen || !snapshotterReady(api, driver)) continue;
    const uid = uidOf(snapshot);
    const content = `snapcontent-${uid}`;
    putObject(
      api,
      {
        apiVersion: 'snapshot.storage.k8s.io/v1',
        kind: 'VolumeSnapshotContent',
        metadata: { name: content },
        spec: { deletionPolicy: chosen.body.deletionPolicy ?? 'Delete', driver, source: { volumeHandle: pv.body.spec.csi.volumeHandle }, volumeSnapshotClassName: chosen.name, volumeSnapshotRef: { kind: 'VolumeSnapshot', name: snapshot.name, namespace: snapshot.namespace, uid } },
      },
      { manager: 'snapshot-controller' },
    );
    const size = claim.status?.capacity?.storage ?? '1Gi';
    getObject(api, 'VolumeSnapshotContent', undefined, content).status = { readyToUse: true, restoreSize: size, snapshotHandle: `snap-${uid.slice(0, 17)}` };
    snapshot.patch = { ...(snapshot.patch ?? {}), spec: { ...(snapshot.patch?.spec ?? {}), volumeSnapshotClassName: chosen.name } };
    snapshot.status = { boundVolumeSnapshotContentName: content, readyToUse: true, restoreSize: size, creationTime: new Date().toISOString() };
    recordEvent(api, { ...snapshot, apiVersion: 'snapshot.storage.k8s.io/v1' }, { reason: 'SnapshotReady', message: `Snapshot ${snapshot.namespace}/${snapshot.name} is ready to use.`, component: 'snapshot-controller' });
  }
}
