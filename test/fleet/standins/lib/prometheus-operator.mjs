// The Prometheus Operator, as far as an installer can observe it: while its Deployment (image
// quay.io/prometheus-operator/prometheus-operator) has a Ready pod, every Prometheus and Alertmanager
// custom resource gets the StatefulSet the operator makes for it, "prometheus-<name>" /
// "alertmanager-<name>" (prefixedName() in prometheus-operator's pkg/prometheus and
// pkg/alertmanager), with spec.replicas, nodeSelector,
// tolerations and affinity from the resource and the labels app.kubernetes.io/name (prometheus |
// alertmanager), app.kubernetes.io/instance (the resource's name) and prometheus=<name> /
// alertmanager=<name>. A StatefulSet whose resource is gone is removed (its owner reference).
import { imageRepository } from './cloud-apps.mjs';
import { deleteObject, listObjects, putObject } from './objects.mjs';
import { deploymentStatus } from './workloads.mjs';

const OPERATOR_IMAGE = 'quay.io/prometheus-operator/prometheus-operator';
const KINDS = { Prometheus: { prefix: 'prometheus', app: 'prometheus', container: 'prometheus' }, Alertmanager: { prefix: 'alertmanager', app: 'alertmanager', container: 'alertmanager' } };
const OWNED_BY = 'fleet.k8sb/owned-by';

function operatorRunning(api) {
  return listObjects(api, 'Deployment').some(
    (object) => (object.body?.spec?.template?.spec?.containers ?? []).some((container) => imageRepository(container.image) === OPERATOR_IMAGE) && deploymentStatus(api, object).availableReplicas > 0,
  );
}

function statefulSetFor(kind, resource) {
  const { prefix, app, container } = KINDS[kind];
  const spec = resource.body?.spec ?? {};
  const labels = { 'app.kubernetes.io/name': app, 'app.kubernetes.io/instance': resource.name, 'app.kubernetes.io/managed-by': 'prometheus-operator', [app]: resource.name, 'operator.prometheus.io/name': resource.name };
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: `${prefix}-${resource.name}`, namespace: resource.namespace, labels, annotations: { [OWNED_BY]: `${kind}/${resource.name}` }, ownerReferences: [{ apiVersion: 'monitoring.coreos.com/v1', kind, name: resource.name, controller: true }] },
    spec: {
      replicas: spec.replicas ?? 1,
      serviceName: `${prefix}-operated`,
      selector: { matchLabels: { 'app.kubernetes.io/name': app, [app]: resource.name } },
      template: {
        metadata: { labels },
        spec: {
          ...(spec.nodeSelector ? { nodeSelector: spec.nodeSelector } : {}),
          ...(spec.tolerations ? { tolerations: spec.tolerations } : {}),
          ...(spec.affinity ? { affinity: spec.affinity } : {}),
          ...(spec.serviceAccountName ? { serviceAccountName: spec.serviceAccountName } : {}),
          containers: [{ name: container, image: spec.image }, { name: 'config-reloader', image: 'quay.io/prometheus-operator/prometheus-config-reloader' }],
        },
      },
    },
  };
}

/** One pass of the operator over the state (mutates it). */
export function reconcilePrometheusOperator(api) {
  const running = operatorRunning(api);
  const wanted = new Set();
  for (const kind of Object.keys(KINDS)) {
    for (const resource of listObjects(api, kind)) {
      const statefulSet = statefulSetFor(kind, resource);
      wanted.add(`${resource.namespace}/${statefulSet.metadata.name}`);
      if (!running) continue;
      const existing = api.objects[`StatefulSet/${resource.namespace}/${statefulSet.metadata.name}`];
      if (!existing || JSON.stringify(existing.body) !== JSON.stringify(statefulSet)) putObject(api, statefulSet, { manager: 'prometheus-operator', namespace: resource.namespace });
    }
  }
  // Garbage collection: the owner is gone.
  for (const statefulSet of listObjects(api, 'StatefulSet')) {
    if (statefulSet.body?.metadata?.annotations?.[OWNED_BY] && !wanted.has(`${statefulSet.namespace}/${statefulSet.name}`)) deleteObject(api, 'StatefulSet', statefulSet.namespace, statefulSet.name);
  }
}
