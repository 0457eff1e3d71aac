// `helm … --wait`: whether a release's resources are ready, as Helm 4's two waiters judge them.
// - watcher (the default of a bare --wait, and what --rollback-on-failure implies): kstatus
//   (github.com/fluxcd/cli-utils v1.2.1 pkg/kstatus/status/core.go, as helm/helm go.mod @v4.2.4 pins
//   it): Deployments "Available: a/u" then "Ready: r/s", DaemonSets "Available: a/d", StatefulSets
//   "Ready: r/s", CRDs "Install in progress" until Established, PVCs until Bound; a LoadBalancer
//   Service is Current once it has a clusterIP — kstatus does NOT wait for its ingress address
//   (serviceConditions). Not ready at the deadline → one line per resource (pkg/kube/statuswait.go
//   `resource %s/%s/%s not ready. status: %s, message: %s`) then `context deadline exceeded`.
// - legacy (--wait=legacy, Helm 3's waiter, pkg/kube/ready.go): Deployments with at least
//   replicas − maxUnavailable (25 %) ready pods, DaemonSets all but maxUnavailable (1) ready,
//   StatefulSets all ready, PVCs bound, LoadBalancer Services with status.loadBalancer.ingress
//   (unless spec.externalIPs); at the deadline only `context deadline exceeded`.
// The wait lasts min(--timeout, K8SB_HELM_WAIT_MS or the fleet's helmWaitMs, default 2000 ms) of
// real time; the cluster's controllers run on every poll (settledApi).
import { fleetConfig, sleep } from './context.mjs';
import { settledApi } from './controllers.mjs';
import { effectiveBody } from './objects.mjs';
import { daemonSetStatus, deploymentStatus, statefulSetStatus } from './workloads.mjs';

/** kubectl's stand-in reports a CRD Established this long after its creation. */
const ESTABLISH_MS = 300;
const POLL_MS = 200;

const current = { status: 'Current' };
const inProgress = (message) => ({ status: 'InProgress', message });

/** kstatus of one stored object. */
function watcherStatus(api, stored) {
  switch (stored.kind) {
    case 'Deployment': {
      const status = deploymentStatus(api, stored);
      if (status.updatedReplicas > status.availableReplicas) return inProgress(`Available: ${status.availableReplicas}/${status.updatedReplicas}`);
      if (status.replicas > status.readyReplicas) return inProgress(`Ready: ${status.readyReplicas}/${status.replicas}`);
      return current;
    }
    case 'DaemonSet': {
      const status = daemonSetStatus(api, stored);
      if (status.desiredNumberScheduled > status.numberAvailable) return inProgress(`Available: ${status.numberAvailable}/${status.desiredNumberScheduled}`);
      return current;
    }
    case 'StatefulSet': {
      const status = statefulSetStatus(api, stored);
      if (status.replicas > status.readyReplicas) return inProgress(`Ready: ${status.readyReplicas}/${status.replicas}`);
      return current;
    }
    case 'CustomResourceDefinition':
      return Date.now() - new Date(stored.createdAt ?? 0).getTime() >= ESTABLISH_MS ? current : inProgress('Install in progress');
    case 'PersistentVolumeClaim':
      return stored.status?.phase === 'Bound' ? current : inProgress(`PVC is not Bound. phase: ${stored.status?.phase ?? 'Pending'}`);
    case 'Service': {
      const body = effectiveBody(stored);
      return body.spec?.type === 'LoadBalancer' && !body.spec?.clusterIP ? inProgress('ClusterIP not set. Service type: LoadBalancer') : current;
    }
    default:
      return current;
  }
}

/** Helm 3's ReadyChecker of one stored object. */
function legacyReady(api, stored) {
  switch (stored.kind) {
    case 'Deployment': {
      const status = deploymentStatus(api, stored);
      return status.readyReplicas >= status.replicas - Math.floor(status.replicas * 0.25);
    }
    case 'DaemonSet': {
      const status = daemonSetStatus(api, stored);
      return status.numberReady >= status.desiredNumberScheduled - 1;
    }
    case 'StatefulSet': {
      const status = statefulSetStatus(api, stored);
      return status.readyReplicas >= status.replicas;
    }
    case 'PersistentVolumeClaim':
      return stored.status?.phase === 'Bound';
    case 'Service': {
      const body = effectiveBody(stored);
      if (!body.spec?.clusterIP && body.spec?.type !== 'ExternalName') return false;
      if (body.spec?.type !== 'LoadBalancer' || (body.spec?.externalIPs ?? []).length > 0) return true;
      return (stored.status?.loadBalancer?.ingress ?? []).length > 0;
    }
    default:
      return true;
  }
}

/** The resources (keys "Kind/namespace/name") that are not ready now: [{ key, status, message }]. */
export function notReady(api, keys, strategy) {
  const pending = [];
  for (const key of keys) {
    const stored = api.objects[key];
    if (!stored) {
      pending.push({ key, status: 'NotFound', message: 'Resource not found' });
      continue;
    }
    if (strategy === 'legacy') {
      if (!legacyReady(api, stored)) pending.push({ key, status: 'InProgress', message: '' });
      continue;
    }
    const result = watcherStatus(api, stored);
    if (result.status !== 'Current') pending.push({ key, ...result });
  }
  return pending;
}

/** How long a wait may last: min(--timeout, K8SB_HELM_WAIT_MS / the fleet's helmWaitMs, default 2000 ms). */
export function waitBudgetMs(timeoutMs) {
  const configured = Number(process.env.K8SB_HELM_WAIT_MS ?? fleetConfig().helmWaitMs ?? 2000);
  return Math.min(timeoutMs, Number.isFinite(configured) ? configured : 2000);
}

/** Polls until every resource is ready; returns null, or Helm's error text when the wait ran out. */
export async function waitForResources(keys, strategy, timeoutMs) {
  const deadline = Date.now() + waitBudgetMs(timeoutMs);
  for (;;) {
    const pending = notReady(settledApi(), keys, strategy);
    if (pending.length === 0) return null;
    if (Date.now() >= deadline) {
      if (strategy === 'legacy') return 'context deadline exceeded';
      const lines = pending.map((entry) => {
        const [kind, namespace, ...name] = entry.key.split('/');
        return `resource ${kind}/${namespace}/${name.join('/')} not ready. status: ${entry.status}, message: ${entry.message}`;
      });
      return [...lines, 'context deadline exceeded'].join('\n');
    }
    await sleep(Math.min(POLL_MS, Math.max(10, deadline - Date.now())));
  }
}
