// PodDisruptionBudgets (policy/v1) and what they do to `kubectl drain`, plus workloads whose
// moved pods need time before they are available again.
//
// Real behaviour modelled (read in kubernetes/kubectl and kubernetes/kubernetes):
// - pkg/drain/drain.go evictPods: per pod, print "evicting pod NS/NAME", then, once --timeout has
//   passed, fail with `error when evicting pods/"NAME" -n "NS": global timeout reached: <Go duration>`;
//   an eviction answered 429 prints `error when evicting pods/"NAME" -n "NS" (will retry after 5s):
//   <message>` on stderr and sleeps EvictErrorRetryDelay (5s, pkg/cmd/drain/drain.go) before trying
//   again (the sleep does not look at the timeout). An evicted pod prints "pod/NAME evicted".
// - pkg/cmd/drain/drain.go: on failure, `There are pending pods in node "N" when an error occurred:
//   <err>` + `pod/NAME` per pod still there, then `error: unable to drain node "N" due to error:<err>,
//   continuing command...`, and kubectl ends with `error: <err>` (several errors: `[a, b]`), exit 1.
// - pkg/registry/core/pod/storage/eviction.go: 429 TooManyRequests "Cannot evict pod as it would
//   violate the pod's disruption budget." when the budget allows no disruption; a pod that is not
//   Ready is not protected by the budget (evicted at once).
// - pkg/controller/disruption: expectedPods (pods the selector matches), currentHealthy (Ready
//   ones), desiredHealthy (minAvailable, a percentage of expectedPods rounded up, or expectedPods −
//   maxUnavailable), disruptionsAllowed = max(0, currentHealthy − desiredHealthy).
//
// Delayed availability (a fleet convenience, not a Kubernetes feature): a Deployment or StatefulSet
// annotated `fleet.k8sb/ready-after-seconds: "N"` (or "never") has each pod a drain evicts come back
// not Ready (ContainerCreating) for N seconds of the fleet clock (never: until the annotation changes
// or the workload is re-applied without it), so its availableReplicas drops after a drain and
// recovers later. The fleet option `evictRetryMs` (default 5000) shortens kubectl's retry delay in tests.
import { fleetConfig, fleetNow, recordHistory, sleep, updateApi } from './context.mjs';
import { getObject, listObjects } from './objects.mjs';
import { derivePods, podReady } from './workloads.mjs';

export const READY_AFTER_ANNOTATION = 'fleet.k8sb/ready-after-seconds';
export const PDB_REFUSAL = "Cannot evict pod as it would violate the pod's disruption budget.";

/** Does a label selector (matchLabels, matchExpressions) select these labels? An empty selector selects all (policy/v1). */
export function selectorMatches(selector, labels = {}) {
  for (const [key, value] of Object.entries(selector?.matchLabels ?? {})) if (labels[key] !== String(value)) return false;
  return (selector?.matchExpressions ?? []).every((expression) => {
    const has = expression.key in labels;
    const values = expression.values ?? [];
    switch (expression.operator) {
      case 'In':
        return has && values.includes(labels[expression.key]);
      case 'NotIn':
        return !has || !values.includes(labels[expression.key]);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      default:
        return false;
    }
  });
}

/** An IntOrString against a total: "50%" rounds up (GetScaledValueFromIntOrPercent(…, true)). */
function scaled(value, total) {
  if (typeof value === 'string' && value.endsWith('%')) return Math.ceil((Number(value.slice(0, -1)) * total) / 100);
  return Number(value);
}

/** The disruption controller's status of a PDB over these pods. */
export function pdbStatus(pdb, pods) {
  const spec = pdb.body?.spec ?? pdb.spec ?? {};
  const namespace = pdb.namespace ?? pdb.metadata?.namespace;
  const matched = pods.filter((pod) => pod.metadata.namespace === namespace && !isDaemonOrMirror(pod) && selectorMatches(spec.selector, pod.metadata.labels));
  const expectedPods = matched.length;
  const currentHealthy = matched.filter(podReady).length;
  let desiredHealthy = 0;
  if (spec.minAvailable !== undefined) desiredHealthy = scaled(spec.minAvailable, expectedPods);
  else if (spec.maxUnavailable !== undefined) desiredHealthy = Math.max(0, expectedPods - scaled(spec.maxUnavailable, expectedPods));
  return {
    observedGeneration: 1,
    disruptionsAllowed: Math.max(0, currentHealthy - desiredHealthy),
    currentHealthy,
    desiredHealthy,
    expectedPods,
    conditions: [
      currentHealthy - desiredHealthy > 0
        ? { type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '' }
        : { type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', message: '' },
    ],
  };
}

/** Status of a stored PDB as `kubectl get pdb` shows it. */
export function storedPdbStatus(api, stored) {
  return pdbStatus(stored, derivePods(api));
}

const isDaemonOrMirror = (pod) => ['DaemonSet', 'Node'].includes(pod.metadata.ownerReferences?.[0]?.kind);

/** ReplicaSets as the Deployment controller keeps them: one per Deployment (its current template), owned by it. */
export function deriveReplicaSets(api, pods = derivePods(api)) {
  return listObjects(api, 'Deployment').map((deployment) => {
    const owned = pods.filter((pod) => pod.metadata.namespace === deployment.namespace && pod.metadata.ownerReferences?.[0]?.kind === 'ReplicaSet' && pod.metadata.ownerReferences[0].name.startsWith(`${deployment.name}-`));
    const rsName = owned[0]?.metadata.ownerReferences[0].name ?? `${deployment.name}-0`;
    const replicas = deployment.body?.spec?.replicas ?? 1;
    const ready = owned.filter(podReady).length;
    return {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: rsName, namespace: deployment.namespace, labels: deployment.body?.spec?.template?.metadata?.labels ?? {}, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.name, controller: true }] },
      spec: { replicas, selector: deployment.body?.spec?.selector ?? {} },
      status: { replicas, readyReplicas: ready, availableReplicas: ready },
    };
  });
}

/** Is this pod (namespace/name) still starting after an eviction? (workloads.mjs asks.) */
export function startingPod(api, namespace, name) {
  const until = api.disruption?.starting?.[`${namespace}/${name}`];
  if (until === undefined) return false;
  if (until === 'never') return true;
  return fleetNow(api) < new Date(until);
}

/** The workload owning a pod (ReplicaSet pods → their Deployment), as a stored object, or null. */
function ownerWorkload(api, pod) {
  const owner = pod.metadata.ownerReferences?.[0];
  if (!owner) return null;
  if (owner.kind === 'StatefulSet') return getObject(api, 'StatefulSet', pod.metadata.namespace, owner.name);
  if (owner.kind === 'ReplicaSet') return listObjects(api, 'Deployment', pod.metadata.namespace).find((d) => owner.name.startsWith(`${d.name}-`)) ?? null;
  return null;
}

/** Go's time.Duration String(): 5s, 500ms, 1m0s, 10m0s, 1h0m0s. */
export function goDuration(ms) {
  if (ms < 1000) return `${ms}ms`;
  const seconds = ms / 1000;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const sText = `${Number.isInteger(s) ? s : s.toFixed(3).replace(/0+$/, '')}s`;
  if (h > 0) return `${h}h${m}m${sText}`;
  if (m > 0) return `${m}m${sText}`;
  return sText;
}

/** kubectl's --timeout (a Go duration: 30s, 1m, 1m30s, 500ms); 0 = no limit. */
export function parseGoDuration(text) {
  if (text === undefined) return 0;
  let ms = 0;
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let match;
  while ((match = re.exec(String(text)))) ms += Number(match[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2]];
  return ms;
}

/** The pods `kubectl drain` would evict from a node, read before it cordons: not DaemonSet pods, not mirror pods. */
export function podsToEvict(api, nodeName) {
  return derivePods(api).filter((pod) => pod.spec.nodeName === nodeName && !isDaemonOrMirror(pod));
}

/**
 * The eviction loop of `kubectl drain` over `pending` (read before the cordon). While a pod waits
 * for its eviction it still counts where it was; once evicted its replacement counts wherever the
 * derived placement puts it. Returns the exit code.
 */
export async function evictPods(nodeName, pending, timeoutText) {
  const timeoutMs = parseGoDuration(timeoutText);
  const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Infinity;
  const retryMs = Number(fleetConfig().evictRetryMs ?? 5000);
  const left = new Map(pending.map((pod) => [`${pod.metadata.namespace}/${pod.metadata.name}`, pod]));
  const errors = [];
  while (left.size > 0) {
    let refused = false;
    for (const [key, pod] of [...left]) {
      const { namespace, name } = pod.metadata;
      process.stdout.write(`evicting pod ${namespace}/${name}\n`);
      if (Date.now() >= deadline) {
        errors.push(`error when evicting pods/"${name}" -n "${namespace}": global timeout reached: ${goDuration(timeoutMs)}`);
        left.delete(key);
        continue;
      }
      const verdict = evictOne(pod, [...left.values()]);
      if (verdict.evicted) {
        left.delete(key);
        process.stdout.write(`pod/${name} evicted\n`);
      } else {
        refused = true;
        process.stderr.write(`error when evicting pods/"${name}" -n "${namespace}" (will retry after ${goDuration(retryMs)}): ${PDB_REFUSAL}\n`);
      }
    }
    if (refused && left.size > 0) await sleep(retryMs);
  }
  if (errors.length === 0) return 0;
  const err = errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`;
  process.stderr.write(`There are pending pods in node "${nodeName}" when an error occurred: ${err}\n${pending.filter((pod) => errors.some((e) => e.includes(`"${pod.metadata.name}"`))).map((pod) => `pod/${pod.metadata.name}\n`).join('')}`);
  process.stderr.write(`error: unable to drain node "${nodeName}" due to error:${err}, continuing command...\n`);
  process.stderr.write(`error: ${err}\n`);
  return 1;
}

/** One eviction request, answered as the API server would; evicted pods of a delayed workload come back starting. */
function evictOne(pod, stillThere) {
  let evicted = false;
  updateApi((api) => {
    const stillNames = new Set(stillThere.map((p) => `${p.metadata.namespace}/${p.metadata.name}`));
    // The pods the drain has not evicted yet are still where they were; the rest as derived now.
    const view = [...derivePods(api).filter((p) => !stillNames.has(`${p.metadata.namespace}/${p.metadata.name}`)), ...stillThere];
    if (podReady(pod)) {
      const budgets = listObjects(api, 'PodDisruptionBudget', pod.metadata.namespace).filter((pdb) => selectorMatches(pdb.body?.spec?.selector, pod.metadata.labels));
      if (budgets.some((pdb) => pdbStatus(pdb, view).disruptionsAllowed < 1)) return;
    }
    evicted = true;
    const workload = ownerWorkload(api, pod);
    const after = workload?.body?.metadata?.annotations?.[READY_AFTER_ANNOTATION];
    if (after !== undefined) {
      api.disruption ??= { starting: {} };
      api.disruption.starting[`${pod.metadata.namespace}/${pod.metadata.name}`] = after === 'never' ? 'never' : new Date(fleetNow(api).getTime() + Number(after) * 1000).toISOString();
    }
    recordHistory(api, 'evict', { namespace: pod.metadata.namespace, name: pod.metadata.name, node: pod.spec.nodeName });
  });
  return { evicted };
}
