// MetalLB in L2 mode, as far as an installer can observe it: while its controller (image
// quay.io/metallb/controller in metallb-system) is Ready, every Service of type LoadBalancer
// without an address gets the next free one of an IPAddressPool (metallb.io/v1beta1, spec.addresses
// as ranges "A-B" or CIDRs; autoAssign false pools only by annotation metallb.io/address-pool),
// with the controller's events: IPAllocated `Assigned IP ["A"]`, or AllocationFailed
// `Failed to allocate IP for "ns/name": no available IPs`. The controller assigns whether or not
// an L2Advertisement exists; the speaker announces only addresses of pools an L2Advertisement
// selects (spec.ipAddressPools, empty = all): then the Service gets the speaker's nodeAssigned
// event (metallb website, configuration/_index.md and troubleshooting; research-14.md §7).
import { imageRepository } from './cloud-apps.mjs';
import { workloadsOf, loadBalancerServices } from './ccm.mjs';
import { recordEvent } from './events.mjs';
import { randomBytes } from 'node:crypto';
import { getObject, listObjects, putObject } from './objects.mjs';
import { nodeLabels } from './workloads.mjs';
import { readiness } from './cluster.mjs';

const NAMESPACE = 'metallb-system';

const toNumber = (ip) => ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
const toIp = (value) => [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');

/** Every address of a pool entry, in order ("A-B", "A - B" or a CIDR; IPv4). */
function addressesOf(entry) {
  const text = String(entry).replace(/\s+/g, '');
  const range = /^(\d+\.\d+\.\d+\.\d+)-(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (range) {
    const out = [];
    for (let value = toNumber(range[1]); value <= toNumber(range[2]) && out.length < 65536; value++) out.push(toIp(value));
    return out;
  }
  const cidr = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(text);
  if (!cidr) return [];
  const size = 2 ** (32 - Number(cidr[2]));
  const base = toNumber(cidr[1]) - (toNumber(cidr[1]) % size);
  return Array.from({ length: Math.min(size, 65536) }, (_, index) => toIp(base + index));
}

const controllerReady = (api) =>
  workloadsOf(api, (component) => component?.kind === 'metallb').some((entry) => entry.ready && entry.object.namespace === NAMESPACE && entry.object.kind === 'Deployment');

const speakerReady = (api) =>
  listObjects(api, 'DaemonSet', NAMESPACE).some((object) => (object.body?.spec?.template?.spec?.containers ?? []).some((container) => imageRepository(container.image) === 'quay.io/metallb/speaker'));

/**
 * The controller creates the speakers' memberlist Secret (its METALLB_ML_SECRET_NAME, "memberlist")
 * when it is missing, as metallb's controller does at start; until then the speaker pods wait in
 * FailedMount (their Secret volume is not optional).
 */
function ensureMemberlistSecret(api) {
  if (getObject(api, 'Secret', NAMESPACE, 'memberlist')) return;
  const secretkey = Buffer.from(randomBytes(32).toString('base64')).toString('base64');
  putObject(api, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'memberlist', namespace: NAMESPACE }, type: 'Opaque', data: { secretkey } }, { manager: 'controller', namespace: NAMESPACE });
}

export function reconcileMetallb(api) {
  if (!controllerReady(api)) return;
  ensureMemberlistSecret(api);
  const pools = listObjects(api, 'IPAddressPool', NAMESPACE).sort((a, b) => a.name.localeCompare(b.name));
  const used = new Set(listObjects(api, 'Service').flatMap((service) => (service.status?.loadBalancer?.ingress ?? []).map((entry) => entry.ip)));
  const advertised = (pool) => listObjects(api, 'L2Advertisement', NAMESPACE).some((ad) => !(ad.body?.spec?.ipAddressPools ?? []).length || ad.body.spec.ipAddressPools.includes(pool.name));
  for (const service of loadBalancerServices(api)) {
    const annotations = service.body?.metadata?.annotations ?? {};
    const wanted = annotations['metallb.io/address-pool'] ?? annotations['metallb.universe.tf/address-pool'];
    const candidates = pools.filter((pool) => (wanted ? pool.name === wanted : pool.body?.spec?.autoAssign !== false));
    let ip = (service.status?.loadBalancer?.ingress ?? [])[0]?.ip;
    let pool = ip ? pools.find((entry) => (entry.body?.spec?.addresses ?? []).some((range) => addressesOf(range).includes(ip))) : null;
    if (!ip) {
      for (const candidate of candidates) {
        ip = (candidate.body?.spec?.addresses ?? []).flatMap(addressesOf).find((address) => !used.has(address));
        if (ip) {
          pool = candidate;
          break;
        }
      }
      if (!ip) {
        recordEvent(api, service, { type: 'Warning', reason: 'AllocationFailed', message: `Failed to allocate IP for "${service.namespace}/${service.name}": no available IPs`, component: 'metallb-controller' });
        continue;
      }
      used.add(ip);
      service.status = { loadBalancer: { ingress: [{ ip, ipMode: 'VIP' }] } };
      service.patch = { ...(service.patch ?? {}), annotations: { ...(service.patch?.annotations ?? {}), 'metallb.io/ip-allocated-from-pool': pool.name } };
      recordEvent(api, service, { reason: 'IPAllocated', message: `Assigned IP ["${ip}"]`, component: 'metallb-controller' });
    }
    if (pool && advertised(pool) && speakerReady(api)) {
      // The speaker answers ARP from one node that may host the Service (not an excluded control plane).
      const node = Object.values(api.nodes).find((entry) => readiness(api, entry).ready && !('node.kubernetes.io/exclude-from-external-load-balancers' in nodeLabels(entry)));
      if (node) recordEvent(api, service, { reason: 'nodeAssigned', message: `announcing from node "${node.name}" with protocol "layer2"`, component: 'metallb-speaker' });
    }
  }
}
