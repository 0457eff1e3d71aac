// API objects other than Nodes, as stored in the shared API state: the whole manifest (body),
// when it was created and which field manager wrote it last (kubectl create, client-side
// apply, server-side apply, kubeadm).

export const CLUSTER_SCOPED = new Set([
  'Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PriorityClass', 'StorageClass', 'IngressClass',
  'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'APIService', 'Installation', 'APIServer', 'Node', 'IPPool',
  'PersistentVolume', 'CSIDriver', 'VolumeSnapshotClass', 'ClusterIssuer', 'Goldmane', 'Whisker', 'FelixConfiguration', 'IPAMConfig',
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
  const changed = !existing || JSON.stringify(existing.body) !== JSON.stringify(body);
  api.objects[key] = {
    apiVersion: doc.apiVersion,
    kind: doc.kind,
    name: doc.metadata.name,
    ...(ns ? { namespace: ns } : {}),
    body,
    createdAt: existing?.createdAt ?? now,
    manager,
  };
  return !existing ? 'created' : changed ? 'configured' : 'unchanged';
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
