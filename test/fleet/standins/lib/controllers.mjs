// The cluster's controllers, run each time a client connects to the API (kubectl, cilium and helm call
// settledApi() through kubeclient.connect), so every answer reflects them: the API server's Service defaults (clusterIP from the
// service subnet, nodePorts 30000-32767), the cloud controller managers, dynamic volume
// provisioning, volume snapshots, MetalLB and the Prometheus Operator. A pass that changes nothing writes nothing.
import { apiState, updateApi } from './context.mjs';
import { reconcileCcm } from './ccm.mjs';
import { reconcileMetallb } from './metallb.mjs';
import { listObjects } from './objects.mjs';
import { reconcileSnapshots } from './snapshots.mjs';
import { reconcileStorage } from './storage.mjs';
import { reconcileRook } from './rook.mjs';
import { reconcilePrometheusOperator } from './prometheus-operator.mjs';

function serviceDefaults(api) {
  const services = listObjects(api, 'Service');
  const ips = new Set(services.map((service) => service.body?.spec?.clusterIP ?? service.patch?.spec?.clusterIP).filter(Boolean));
  const ports = new Set(services.flatMap((service) => (service.patch?.spec?.ports ?? service.body?.spec?.ports ?? []).map((port) => port.nodePort).filter(Boolean)));
  const [base] = (api.cluster?.serviceSubnet ?? '10.96.0.0/12').split('/');
  const baseValue = base.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
  for (const service of services) {
    const spec = service.body?.spec ?? {};
    const patch = { ...(service.patch?.spec ?? {}) };
    if (!spec.clusterIP && !patch.clusterIP && spec.type !== 'ExternalName') {
      for (let offset = 100; ; offset++) {
        const ip = [24, 16, 8, 0].map((shift) => Math.floor((baseValue + offset) / 2 ** shift) % 256).join('.');
        if (!ips.has(ip)) {
          ips.add(ip);
          patch.clusterIP = ip;
          patch.clusterIPs = [ip];
          break;
        }
      }
    }
    if (['NodePort', 'LoadBalancer'].includes(spec.type) && !patch.ports && (spec.ports ?? []).some((port) => !port.nodePort)) {
      patch.ports = (spec.ports ?? []).map((port) => {
        if (port.nodePort) return port;
        let nodePort = 30000 + ([...service.name].reduce((acc, char) => acc + char.charCodeAt(0), 0) % 2000);
        while (ports.has(nodePort)) nodePort++;
        ports.add(nodePort);
        return { protocol: 'TCP', ...port, nodePort };
      });
    }
    if (Object.keys(patch).length > 0 && JSON.stringify(patch) !== JSON.stringify(service.patch?.spec ?? {})) service.patch = { ...(service.patch ?? {}), spec: patch };
    if (spec.type === 'LoadBalancer' && !service.status) service.status = { loadBalancer: {} };
  }
}

/** One pass of every controller over the state (mutates it). */
export function reconcile(api) {
  if (!api.cluster) return api;
  serviceDefaults(api);
  reconcileCcm(api);
  reconcileRook(api);
  reconcileStorage(api);
  reconcileSnapshots(api);
  reconcileMetallb(api);
  reconcilePrometheusOperator(api);
  return api;
}

/**
 * The API state after the controllers caught up. Written back only when they changed something;
 * a caller that may not write the state (not root) still sees the settled view.
 */
export function settledApi() {
  const api = apiState();
  const before = JSON.stringify(api);
  reconcile(api);
  if (JSON.stringify(api) === before) return api;
  try {
    return updateApi((fresh) => reconcile(fresh));
  } catch {
    return api;
  }
}
