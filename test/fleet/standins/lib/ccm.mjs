// The simulated cloud controller managers (exoscale, openstack, aws), recognised by image. A CCM
// acts only while one of its pods is Ready, i.e. scheduled (it must tolerate the uninitialized
// and control-plane taints), given its Secret and started with valid credentials. Then:
// - cloud-node: every Node with the uninitialized taint (kubelet --cloud-provider=external) gets
//   spec.providerID (the kubelet's --provider-id if it set one, else the cloud's id of the
//   machine), zone/region/instance-type labels, and loses the taint (research-14.md §9);
// - service: Services of type LoadBalancer get status.loadBalancer.ingress with the events of
//   k8s.io/cloud-provider's service controller ("Ensuring load balancer", "Ensured load balancer",
//   SyncLoadBalancerFailed "Error syncing load balancer: failed to ensure load balancer: …").
//   Exoscale's NLB targets instance pools only: nodes of standalone instances are skipped, and
//   with none in a pool the Service stays pending with "couldn't infer any Instance Pool from
//   cluster Nodes" (exoscale/loadbalancer.go, research-14.md §1).
import { createHash } from 'node:crypto';
import { machineOf, readiness } from './cluster.mjs';
import { componentOf, openstackCloudConfig } from './cloud-apps.mjs';
import { recordEvent } from './events.mjs';
import { listObjects } from './objects.mjs';
import { containerEnv } from './pod-config.mjs';
import { daemonSetStatus, deploymentStatus, nodeLabels } from './workloads.mjs';

const SERVICE_CONTROLLER = 'service-controller';
const EXOSCALE_POOL_ANNOTATION = 'service.beta.kubernetes.io/exoscale-loadbalancer-service-instancepool-id';
/** Where each cloud's machines are when FleetNodeSpec.cloud names no zone. */
const DEFAULT_ZONE = { exoscale: 'ch-gva-2', aws: 'eu-west-1a', openstack: 'nova' };
const DEFAULT_TYPE = { exoscale: 'standard.medium', aws: 't3.medium', openstack: 'm1.medium' };

/** Workloads (Deployments, DaemonSets) whose containers are the given component, with the first matching container. */
export function workloadsOf(api, predicate) {
  const found = [];
  for (const kind of ['Deployment', 'DaemonSet']) {
    for (const object of listObjects(api, kind)) {
      const spec = object.body?.spec?.template?.spec;
      const container = (spec?.containers ?? []).find((entry) => predicate(componentOf(entry)));
      if (container) found.push({ object, spec, container, ready: (kind === 'Deployment' ? deploymentStatus(api, object).availableReplicas : daemonSetStatus(api, object).numberReady) > 0 });
    }
  }
  return found;
}

/** The CCM that runs (a Ready pod), or null: { provider, object, spec, container }. */
export function runningCcm(api) {
  return workloadsOf(api, (component) => component?.kind === 'ccm').find((entry) => entry.ready && entry.object.namespace === 'kube-system') ?? null;
}

const providerOf = (ccm) => componentOf(ccm.container).provider;

/** Zone and region of a machine as the CCM learns them. */
function placement(api, ccm, node, providerID) {
  const provider = providerOf(ccm);
  const machine = machineOf(node.host);
  if (provider === 'aws') {
    const zone = /^aws:\/\/\/([^/]+)\//.exec(providerID)?.[1] ?? machine.zone ?? DEFAULT_ZONE.aws;
    return { zone, region: zone.replace(/[a-z]$/, '') };
  }
  if (provider === 'exoscale') {
    const env = containerEnv(api, ccm.object.namespace, ccm.container);
    const zone = env.EXOSCALE_API_ZONE ?? env.EXOSCALE_ZONE ?? machine.zone ?? DEFAULT_ZONE.exoscale;
    return { zone, region: zone };
  }
  const config = openstackCloudConfig(api, ccm.object.namespace, ccm.spec, ccm.container);
  return { zone: machine.zone ?? DEFAULT_ZONE.openstack, region: config.global?.region ?? 'RegionOne' };
}

/** The providerID the CCM gives a machine (InstanceID of each provider; research-14.md §1, §3, §4). */
function cloudProviderID(provider, node, zone) {
  const machine = machineOf(node.host);
  if (provider === 'exoscale') return `exoscale://${machine.uuid}`;
  if (provider === 'openstack') return `openstack:///${machine.uuid}`;
  return `aws:///${zone}/i-${machine.hex.slice(0, 17)}`;
}

const PROVIDER_ID_FORMAT = { exoscale: /^exoscale:\/\/[0-9a-f-]{36}$/, openstack: /^openstack:\/\/[^/]*\/[0-9a-f-]{36}$/, aws: /^aws:\/\/\/[a-z0-9-]+\/i-[0-9a-f]+$/ };

function initialiseNodes(api, ccm) {
  const provider = providerOf(ccm);
  for (const node of Object.values(api.nodes)) {
    if (!node.uninitialized) continue;
    // A --provider-id the cloud cannot parse: the node stays uninitialised (cloud-node controller retries).
    if (node.providerID && !PROVIDER_ID_FORMAT[provider].test(node.providerID)) continue;
    const where = placement(api, ccm, node, node.providerID);
    const type = machineOf(node.host).instanceType ?? DEFAULT_TYPE[provider];
    node.providerID ??= cloudProviderID(provider, node, where.zone);
    node.labels = {
      ...(node.labels ?? {}),
      'topology.kubernetes.io/zone': where.zone,
      'topology.kubernetes.io/region': where.region,
      'failure-domain.beta.kubernetes.io/zone': where.zone,
      'failure-domain.beta.kubernetes.io/region': where.region,
      'node.kubernetes.io/instance-type': type,
      'beta.kubernetes.io/instance-type': type,
    };
    node.uninitialized = false;
    node.initializedBy = provider;
  }
}

/** Nodes a cloud load balancer may target: Ready, initialised, not excluded (the service controller's filter). */
function lbNodes(api) {
  return Object.values(api.nodes).filter((node) => !node.uninitialized && readiness(api, node).ready && !('node.kubernetes.io/exclude-from-external-load-balancers' in nodeLabels(node)));
}

export function loadBalancerServices(api) {
  return listObjects(api, 'Service').filter((service) => service.body?.spec?.type === 'LoadBalancer' && !service.body?.spec?.loadBalancerClass);
}

const hasIngress = (service) => (service.status?.loadBalancer?.ingress ?? []).length > 0;
const hash = (text) => createHash('sha256').update(text).digest('hex');

/** The next address of 203.0.113.0/24 (OpenStack floating IPs) or 198.51.100.0/24 (Exoscale NLBs) no Service holds. */
function nextAddress(api, prefix) {
  const used = new Set(listObjects(api, 'Service').flatMap((service) => (service.status?.loadBalancer?.ingress ?? []).map((entry) => entry.ip)));
  for (let host = 10; host < 255; host++) if (!used.has(`${prefix}.${host}`)) return `${prefix}.${host}`;
  return null;
}

function ensureLoadBalancers(api, ccm) {
  const provider = providerOf(ccm);
  for (const service of loadBalancerServices(api)) {
    if (hasIngress(service)) continue;
    const nodes = lbNodes(api);
    if (nodes.length === 0) {
      recordEvent(api, service, { type: 'Normal', reason: 'UnAvailableLoadBalancer', message: 'There are no available nodes for LoadBalancer', component: SERVICE_CONTROLLER });
      continue;
    }
    recordEvent(api, service, { reason: 'EnsuringLoadBalancer', message: 'Ensuring load balancer', component: SERVICE_CONTROLLER });
    let ingress;
    if (provider === 'exoscale') {
      const annotated = service.body?.metadata?.annotations?.[EXOSCALE_POOL_ANNOTATION];
      const pools = [...new Set(nodes.map((node) => machineOf(node.host).instancePool).filter(Boolean))];
      const error = annotated ? null : pools.length === 0 ? "couldn't infer any Instance Pool from cluster Nodes" : pools.length > 1 ? 'multiple Instance Pools detected across cluster Nodes, an Instance Pool ID must be specified in Service manifest annotations' : null;
      if (error) {
        recordEvent(api, service, { type: 'Warning', reason: 'SyncLoadBalancerFailed', message: `Error syncing load balancer: failed to ensure load balancer: ${error}`, component: SERVICE_CONTROLLER });
        continue;
      }
      const id = hash(`nlb/${service.namespace}/${service.name}`);
      service.patch = { ...(service.patch ?? {}), annotations: { ...(service.patch?.annotations ?? {}), [EXOSCALE_POOL_ANNOTATION]: annotated ?? pools[0], 'service.beta.kubernetes.io/exoscale-loadbalancer-id': `${id.slice(0, 8)}-${id.slice(8, 12)}-4${id.slice(13, 16)}-8${id.slice(17, 20)}-${id.slice(20, 32)}` } };
      ingress = { ip: nextAddress(api, '198.51.100') };
    } else if (provider === 'openstack') {
      ingress = { ip: nextAddress(api, '203.0.113') };
    } else {
      const region = nodes.map((node) => node.labels?.['topology.kubernetes.io/region']).find(Boolean) ?? 'eu-west-1';
      // The AWS CCM names the LB "a" + the Service UID without dashes (32 characters).
      const name = `a${hash(`${service.namespace}/${service.name}/${service.createdAt}`).slice(0, 32)}`;
      const nlb = service.body?.metadata?.annotations?.['service.beta.kubernetes.io/aws-load-balancer-type'] === 'nlb';
      ingress = { hostname: nlb ? `${name}-${hash(name).slice(0, 16)}.elb.${region}.amazonaws.com` : `${name}-${parseInt(hash(name).slice(0, 8), 16)}.${region}.elb.amazonaws.com` };
    }
    service.status = { loadBalancer: { ingress: [ingress] } };
    recordEvent(api, service, { reason: 'EnsuredLoadBalancer', message: 'Ensured load balancer', component: SERVICE_CONTROLLER });
  }
}

/** One pass of the running CCM's controllers over the state. */
export function reconcileCcm(api) {
  const ccm = runningCcm(api);
  if (!ccm) return;
  initialiseNodes(api, ccm);
  ensureLoadBalancers(api, ccm);
}
