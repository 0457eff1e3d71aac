// API objects other than Nodes, as stored in the shared API state: the whole manifest (body),
// when it was created and which field manager wrote it last (kubectl create, client-side
// apply, server-side apply, kubeadm).
import { createHash } from 'node:crypto';

export const CLUSTER_SCOPED = new Set([
  'Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PriorityClass', 'StorageClass', 'IngressClass',
  'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'APIService', 'Installation', 'APIServer', 'Node', 'IPPool',
  'PersistentVolume', 'CSIDriver', 'CSINode', 'VolumeAttachment', 'VolumeSnapshotClass', 'VolumeSnapshotContent', 'ClusterIssuer', 'Goldmane', 'Whisker', 'FelixConfiguration', 'IPAMConfig',
]);

export const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export const objectKey = (kind, namespace, name) => `${kind}/${namespace ?? ''}/${name}`;

export function namespaceOf(doc, fallback = 'default') {
  return CLUSTER_SCOPED.has(doc.kind) ? undefined : doc.metadata?.namespace ?? fallback;
}

/** Stores a whole manifest; returns 'created' | 'configured' | 'unchanged'. */
export function putObject(api, doc, { manager = 'kubeadm', namespace, now = new Date().toISOString() } = {}) {
  const ns = namespace ?? namespaceOf(doc);
  const key = objectKey(doc.kind, ns, doc.metadata.name);
  const existing = api.objects[key];
  const body = { ...doc, metadata: { ...doc.metadata, ...(ns ? { namespace: ns } : {}) } };
  // The API server stores a Secret's stringData base64-encoded in data and drops stringData.
  if (doc.kind === 'Secret' && doc.stringData) {
    body.data = { ...(doc.data ?? {}), ...Object.fromEntries(Object.entries(doc.stringData).map(([key, value]) => [key, Buffer.from(String(value)).toString('base64')])) };
    delete body.stringData;
  }
  const changed = !existing || JSON.stringify(existing.body) !== JSON.stringify(body);
  api.objects[key] = {
    apiVersion: doc.apiVersion,
    kind: doc.kind,
    name: doc.metadata.name,
    ...(ns ? { namespace: ns } : {}),
    body,
    createdAt: existing?.createdAt ?? now,
    manager,
    // What controllers wrote (status, defaulted or bound spec fields, annotations) survives a re-apply.
    ...(existing?.status ? { status: existing.status } : {}),
    ...(existing?.patch ? { patch: existing.patch } : {}),
  };
  return !existing ? 'created' : changed ? 'configured' : 'unchanged';
}

/** The object's metadata.uid: stable for one object (kind, namespace, name, creation time). */
export function uidOf(stored) {
  const hex = createHash('sha256').update(`${stored.kind}/${stored.namespace ?? ''}/${stored.name}/${stored.createdAt ?? ''}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The object as the API server returns it: the manifest, with what controllers set merged in
 * (`patch`: spec fields and annotations; `status`).
 */
export function effectiveBody(stored) {
  const body = structuredClone(stored.body ?? { apiVersion: stored.apiVersion, kind: stored.kind, metadata: { name: stored.name, ...(stored.namespace ? { namespace: stored.namespace } : {}) } });
  body.metadata = { ...body.metadata, uid: uidOf(stored) };
  const patch = stored.patch ?? {};
  if (patch.annotations) body.metadata.annotations = { ...(body.metadata.annotations ?? {}), ...patch.annotations };
  if (patch.labels) body.metadata.labels = { ...(body.metadata.labels ?? {}), ...patch.labels };
  if (patch.spec) body.spec = { ...(body.spec ?? {}), ...patch.spec };
  if (stored.status) body.status = structuredClone(stored.status);
  return body;
}

export function getObject(api, kind, namespace, name) {
  return api.objects[objectKey(kind, namespace, name)] ?? null;
}

export function listObjects(api, kind, namespace) {
  return Object.values(api.objects).filter((object) => object.kind === kind && (namespace === undefined || object.namespace === namespace));
}

export function deleteObject(api, kind, namespace, name) {
  const key = objectKey(kind, namespace, name);
  const existed = Boolean(api.objects[key]);
  delete api.objects[key];
  return existed;
}

/** The spec part of two bodies differs (metadata and status left out), for server-side apply conflicts. */
export function specDiffers(a, b) {
  const strip = (body) => JSON.stringify({ ...(body ?? {}), metadata: undefined, status: undefined });
  return strip(a) !== strip(b);
}
