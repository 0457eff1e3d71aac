/**
 * Table of bad cluster.yaml inputs: each must produce an issue with exactly this path and message
 * (and, where given, this fix). The whole error is a ValidationError listing every issue.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError, type ValidationIssue } from '../../../src/errors.js';
import { validateSpec } from '../../../src/config/validate/index.js';
import { awsDoc, patched, staticDoc, type Doc } from '../../helpers/config-fixtures.js';

interface BadCase {
  title: string;
  doc: unknown;
  /** "path: message" of the issue that must be reported. */
  expected: string;
  fix?: string;
}

const aws = (patch: Doc) => patched(awsDoc(), patch);
const lab = (patch: Doc) => patched(staticDoc(), patch);
const hosts = (...list: Doc[]) => ({ provider: { hosts: list } });
const cp = (address: string, extra: Doc = {}) => ({ address, role: 'control-plane', ...extra });
const worker = (address: string, extra: Doc = {}) => ({ address, role: 'worker', ...extra });

const DNS_LABEL = 'must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit';
const IDENTIFIER = 'may contain only letters, digits, ".", "_" and "-", starting with a letter or digit';
const LINUX_USER = 'must be a Linux user name: lowercase letters, digits, "_" and "-", starting with a letter or "_", at most 32 characters';

const cases: BadCase[] = [
  // names
  { title: 'name with capitals and underscore', doc: aws({ name: 'Demo_1' }), expected: `name: ${DNS_LABEL}`, fix: 'use "demo-1"' },
  { title: 'name longer than 63', doc: aws({ name: 'a'.repeat(64) }), expected: 'name: must be at most 63 characters (a DNS-1123 label)' },
  { title: 'name with shell syntax', doc: aws({ name: 'a; rm -rf /' }), expected: `name: ${DNS_LABEL}` },
  { title: 'name ending in a dash', doc: aws({ name: 'demo-' }), expected: `name: ${DNS_LABEL}`, fix: 'use "demo"' },
  { title: 'name missing', doc: aws({ name: undefined }), expected: 'name: is required' },
  { title: 'name is a number', doc: aws({ name: 42 }), expected: 'name: must be a string, not a number', fix: 'quote it: "42"' },
  // document shape
  { title: 'wrong apiVersion', doc: aws({ apiVersion: 'v1' }), expected: 'apiVersion: must be "k8s-bootstrap.io/v1alpha1"' },
  { title: 'wrong kind', doc: aws({ kind: 'Deployment' }), expected: 'kind: must be "Cluster"' },
  { title: 'document is a string', doc: 'hello', expected: '(document): must be a mapping (key: value), not a string' },
  { title: 'document is a list', doc: [1, 2], expected: '(document): must be a mapping (key: value), not a list' },
  { title: 'unknown provider', doc: aws({ provider: { name: 'gcp' } }), expected: 'provider.name: must be one of: exoscale, openstack, aws, static' },
  { title: 'provider typo', doc: aws({ provider: { name: 'exoscal' } }), expected: 'provider.name: must be one of: exoscale, openstack, aws, static', fix: 'did you mean "exoscale"?' },
  { title: 'unknown key with a close match', doc: aws({ network: { podCIDR: '10.244.0.0/16' } }), expected: 'network.podCIDR: is not a known field', fix: 'did you mean "podCidr"?' },
  { title: 'top-level typo', doc: aws({ workres: { count: 3 } }), expected: 'workres: is not a known field', fix: 'did you mean "workers"?' },
  { title: 'snake_case key', doc: aws({ ssh: { admin_cidrs: ['203.0.113.0/24'] } }), expected: 'ssh.admin_cidrs: is not a known field', fix: 'did you mean "adminCidrs"?' },
  { title: 'unknown key without a match', doc: aws({ kubernetes: { flavour: 'x' } }), expected: 'kubernetes.flavour: is not a known field', fix: 'remove it; known fields here: version, runtime, cni' },
  { title: 'zone on aws', doc: aws({ provider: { zone: 'x' } }), expected: 'provider.zone: is not a known field', fix: 'remove it; known fields here: name, region, availabilityZones, imageBuild' },
  // kubernetes
  { title: 'CNI typo', doc: aws({ kubernetes: { cni: 'flanel' } }), expected: 'kubernetes.cni: must be one of: calico, flannel, cilium', fix: 'did you mean "flannel"?' },
  { title: 'unknown runtime', doc: aws({ kubernetes: { runtime: 'docker' } }), expected: 'kubernetes.runtime: must be one of: containerd, cri-o' },
  { title: 'version with shell syntax', doc: aws({ kubernetes: { version: '1.30.0 && curl x' } }), expected: 'kubernetes.version: is not a Kubernetes version' },
  { title: 'unsupported minor', doc: aws({ kubernetes: { version: '1.30.0' } }), expected: 'kubernetes.version: is not a supported minor (supported: 1.35, 1.36, 1.37)' },
  { title: 'version with v', doc: aws({ kubernetes: { version: 'v1.37.1' } }), expected: 'kubernetes.version: must not start with "v"', fix: 'write 1.37.1' },
  { title: 'version read as a number', doc: aws({ kubernetes: { version: 1.37 } }), expected: 'kubernetes.version: must be a string, not a fraction', fix: 'quote it: "1.37"' },
  // counts
  { title: 'two control planes', doc: aws({ controlPlane: { count: 2 } }), expected: 'controlPlane.count: must be 1, 3 or 5: 2 etcd members need 2 for a quorum, so they survive no failure, the same as 1 member (an even count adds a machine but no safety)', fix: 'use 1, or 3 for high availability' },
  { title: 'four control planes', doc: aws({ controlPlane: { count: 4 } }), expected: 'controlPlane.count: must be 1, 3 or 5: 4 etcd members need 3 for a quorum, so they survive 1 failure, the same as 3 members (an even count adds a machine but no safety)', fix: 'use 3 or 5' },
  { title: 'no control plane', doc: aws({ controlPlane: { count: 0 } }), expected: 'controlPlane.count: must be 1, 3 or 5: a cluster needs at least one control plane' },
  { title: 'seven control planes', doc: aws({ controlPlane: { count: 7 } }), expected: 'controlPlane.count: must be 1, 3 or 5: more etcd members make every write slower without a practical gain', fix: 'use 5' },
  { title: 'fractional count', doc: aws({ controlPlane: { count: 1.5 } }), expected: 'controlPlane.count: must be a whole number, not a fraction' },
  { title: 'negative workers', doc: aws({ workers: { count: -1 } }), expected: 'workers.count: must be at least 0' },
  { title: 'workers not a mapping', doc: aws({ workers: 'many' }), expected: 'workers: must be a mapping (key: value), not a string' },
  // CIDRs
  { title: 'malformed pod CIDR', doc: aws({ network: { podCidr: 'banana' } }), expected: 'network.podCidr: is not an IPv4 CIDR' },
  { title: 'service CIDR with host bits', doc: aws({ network: { serviceCidr: '10.96.0.1/12' } }), expected: 'network.serviceCidr: has host bits set', fix: 'use 10.96.0.0/12' },
  { title: 'pod CIDR without prefix', doc: aws({ network: { podCidr: '10.244.0.1' } }), expected: 'network.podCidr: is an address, not a CIDR' },
  { title: 'empty service CIDR', doc: aws({ network: { serviceCidr: '' } }), expected: 'network.serviceCidr: must not be empty' },
  { title: 'pod overlaps service', doc: aws({ network: { podCidr: '10.96.0.0/16' } }), expected: 'network.podCidr: overlaps network.serviceCidr (10.96.0.0/12)' },
  { title: 'node overlaps pod', doc: aws({ network: { nodeCidr: '10.244.0.0/20' } }), expected: 'network.nodeCidr: overlaps network.podCidr (10.244.0.0/16)' },
  { title: 'node overlaps service', doc: aws({ network: { nodeCidr: '10.100.0.0/16' } }), expected: 'network.nodeCidr: overlaps network.serviceCidr (10.96.0.0/12)' },
  { title: 'node CIDR too small', doc: aws({ network: { nodeCidr: '10.240.0.0/30' } }), expected: 'network.nodeCidr: is too small: 3 nodes and 5 reserved addresses need 8, a /30 has 4', fix: 'use a /29 or larger, e.g. 10.240.0.0/29' },
  { title: 'pod CIDR too small for the nodes', doc: aws({ network: { podCidr: '10.244.0.0/24' } }), expected: 'network.podCidr: is too small for 3 nodes: kube-controller-manager assigns each node a /24 from it', fix: 'use a /22 or larger, e.g. 10.244.0.0/22' },
  { title: 'pod CIDR too small with cilium', doc: aws({ kubernetes: { cni: 'cilium' }, network: { podCidr: '10.244.0.0/23' } }), expected: 'network.podCidr: is too small for 3 nodes: cilium (ipam: kubernetes) uses the /24 kube-controller-manager assigns to each node' },
  { title: 'pod CIDR too large', doc: aws({ network: { podCidr: '10.0.0.0/7', nodeCidr: '192.168.0.0/16', serviceCidr: '172.16.0.0/16' } }), expected: 'network.podCidr: is too large: kube-controller-manager splits it into at most 65536 node ranges of /24 (a /8)' },
  { title: 'flannel with a /23 pod network', doc: aws({ kubernetes: { cni: 'flannel' }, workers: { count: 0 }, network: { podCidr: '10.244.0.0/23' } }), expected: 'network.podCidr: is too small for flannel: from a network smaller than a /22 flannel cuts per-host subnets smaller than the /24 each node is assigned', fix: 'use a /22 or larger, e.g. 10.244.0.0/22' },
  { title: 'service CIDR too large', doc: aws({ network: { serviceCidr: '172.0.0.0/11' } }), expected: 'network.serviceCidr: is too large: kube-apiserver accepts at most 20 host bits (a /12)' },
  { title: 'service CIDR too small', doc: aws({ network: { serviceCidr: '10.96.0.0/25' } }), expected: 'network.serviceCidr: is too small: services need at least a /24' },
  { title: 'AWS VPC larger than /16', doc: aws({ network: { nodeCidr: '172.16.0.0/12' } }), expected: 'network.nodeCidr: must be between a /16 and a /28: AWS VPCs and subnets allow no other sizes' },
  // ssh
  { title: 'cloud without admin CIDRs', doc: aws({ ssh: { adminCidrs: [] } }), expected: 'ssh.adminCidrs: is empty: aws needs the CIDRs allowed to reach SSH and the Kubernetes API', fix: 'pass --admin-cidr <your-ip>/32 (repeatable) or set K8SB_ADMIN_CIDRS' },
  { title: 'admin address without prefix', doc: aws({ ssh: { adminCidrs: ['203.0.113.7'] } }), expected: 'ssh.adminCidrs[0]: is an address, not a CIDR', fix: 'add the prefix length, e.g. 203.0.113.7/32 for this one address' },
  { title: 'admin CIDRs not a list', doc: aws({ ssh: { adminCidrs: '203.0.113.0/24' } }), expected: 'ssh.adminCidrs: must be a list, not a string' },
  { title: 'ssh user with shell syntax', doc: aws({ ssh: { user: 'root; reboot' } }), expected: `ssh.user: ${LINUX_USER}` },
  { title: 'private key path with a newline', doc: aws({ ssh: { privateKey: 'key\nrm -rf /' } }), expected: 'ssh.privateKey: must be a file path without control characters (newlines, tabs)' },
  { title: 'bastion host with spaces', doc: aws({ ssh: { bastion: { host: 'jump host' } } }), expected: 'ssh.bastion.host: must be an IPv4 address or a DNS name' },
  // provider fields reaching tools
  { title: 'instance type with shell syntax', doc: aws({ controlPlane: { type: 't3.medium; reboot' } }), expected: `controlPlane.type: ${IDENTIFIER}` },
  { title: 'image id with command substitution', doc: aws({ image: { id: '$(reboot)' } }), expected: 'image.id: may contain only letters, digits and . _ : / -, starting with a letter or digit' },
  { title: 'region with a space', doc: aws({ provider: { region: 'eu central' } }), expected: `provider.region: ${IDENTIFIER}` },
  { title: 'exoscale template with backticks', doc: aws({ provider: { name: 'exoscale', baseTemplate: 'Ubuntu `reboot`' } }), expected: 'provider.baseTemplate: may contain only letters, digits, spaces and . _ : ( ) + / -, starting with a letter or digit' },
  { title: 'backend endpoint not http', doc: aws({ terraform: { backend: { bucket: 'state', region: 'ch-gva-2', endpoint: 'ftp://x' } } }), expected: 'terraform.backend.endpoint: must be an https:// URL (the state holds every resource; http would send it in clear text)', fix: 'e.g. https://sos-ch-gva-2.exo.io' },
  { title: 'backend endpoint in clear text', doc: aws({ terraform: { backend: { bucket: 'state', region: 'ch-gva-2', endpoint: 'http://sos-ch-gva-2.exo.io' } } }), expected: 'terraform.backend.endpoint: must be an https:// URL (the state holds every resource; http would send it in clear text)', fix: 'e.g. https://sos-ch-gva-2.exo.io' },
  // static hosts
  { title: 'static without hosts', doc: lab({ provider: { hosts: [] } }), expected: 'provider.hosts: is empty: a static cluster needs its machines listed', fix: 'add a host with "role: control-plane", or pass --control-plane-host ADDRESS' },
  { title: 'static without control-plane host', doc: lab(hosts(worker('192.0.2.21'))), expected: 'provider.hosts: has no control-plane host' },
  { title: 'static duplicate address', doc: lab(hosts(cp('192.0.2.10'), worker('192.0.2.10'))), expected: 'provider.hosts[1].address: duplicates provider.hosts[0] (192.0.2.10:22)', fix: 'list each machine once' },
  { title: 'static duplicate names', doc: lab(hosts(cp('192.0.2.10', { name: 'node' }), worker('192.0.2.21', { name: 'node' }))), expected: 'provider.hosts[1].name: duplicates the node name of provider.hosts[0] (node)' },
  { title: 'static explicit name clashes with a default name', doc: lab(hosts(cp('192.0.2.10'), worker('192.0.2.21', { name: 'cp-1' }))), expected: 'provider.hosts[1].name: duplicates the node name of provider.hosts[0] (cp-1)' },
  { title: 'static duplicate private address', doc: lab(hosts(cp('192.0.2.10', { privateAddress: '10.0.0.5' }), worker('192.0.2.21', { privateAddress: '10.0.0.5' }))), expected: 'provider.hosts[1].privateAddress: duplicates provider.hosts[0].privateAddress' },
  { title: 'static host name with shell syntax', doc: lab(hosts(cp('192.0.2.10', { name: 'a; rm -rf /' }))), expected: `provider.hosts[0].name: ${DNS_LABEL}` },
  { title: 'static private address not IPv4', doc: lab(hosts(cp('192.0.2.10', { privateAddress: '10.0.0.256' }))), expected: 'provider.hosts[0].privateAddress: is not an IPv4 address' },
  { title: 'static address with shell syntax', doc: lab(hosts(cp('192.0.2.10;reboot'))), expected: 'provider.hosts[0].address: must be an IPv4 address or a DNS name' },
  { title: 'static address out of range', doc: lab(hosts(cp('300.1.2.3'))), expected: 'provider.hosts[0].address: must be an IPv4 address or a DNS name' },
  { title: 'static host user with shell syntax', doc: lab(hosts(cp('192.0.2.10', { user: 'ubuntu && id' }))), expected: `provider.hosts[0].user: ${LINUX_USER}` },
  { title: 'static host outside the node network', doc: lab({ network: { nodeCidr: '10.0.0.0/24' } }), expected: 'provider.hosts[0].address: is outside network.nodeCidr (10.0.0.0/24)' },
  { title: 'static private address outside the node network', doc: lab({ network: { nodeCidr: '10.0.0.0/24' }, ...hosts(cp('192.0.2.10', { privateAddress: '10.0.1.5' })) }), expected: 'provider.hosts[0].privateAddress: is outside network.nodeCidr (10.0.0.0/24)' },
  { title: 'static host inside the pod network', doc: lab(hosts(cp('10.244.1.5'))), expected: 'provider.hosts[0].address: is inside network.podCidr (10.244.0.0/16); node and pod addresses would clash' },
  { title: 'static with two control-plane hosts', doc: lab(hosts(cp('192.0.2.10'), cp('192.0.2.11'))), expected: 'provider.hosts: lists 2 control-plane hosts; their number must be 1, 3 or 5: 2 etcd members need 2 for a quorum, so they survive no failure, the same as 1 member (an even count adds a machine but no safety)' },
  { title: 'static host without role', doc: lab(hosts({ address: '192.0.2.10' })), expected: 'provider.hosts[0].role: is required', fix: 'set it to control-plane or worker' },
  { title: 'static host port out of range', doc: lab(hosts(cp('192.0.2.10', { port: 70000 }))), expected: 'provider.hosts[0].port: must be at most 65535' },
  { title: 'static API endpoint without port', doc: lab({ provider: { apiEndpoint: 'api.example.com' } }), expected: 'provider.apiEndpoint: must be HOST:PORT with an IPv4 address or DNS name' },
  { title: 'static virtual IP outside node network', doc: lab({ network: { nodeCidr: '192.0.2.0/24' }, provider: { virtualIp: '198.51.100.5' } }), expected: 'provider.virtualIp: is outside network.nodeCidr (192.0.2.0/24)' },
  { title: 'static HA without a virtual IP or an external endpoint', doc: lab(hosts(cp('192.0.2.10'), cp('192.0.2.11'), cp('192.0.2.12'))), expected: 'provider.virtualIp: is needed: 3 control planes need one API endpoint that survives the loss of any of them', fix: 'set provider.virtualIp (--virtual-ip) to a free address on the node network for keepalived + haproxy, or provider.apiEndpoint (--api-endpoint) to an external load balancer' },
  { title: 'static virtual IP taken by a host', doc: lab({ provider: { virtualIp: '192.0.2.21' } }), expected: 'provider.virtualIp: is the address of provider.hosts[1]' },
  // add-ons
  { title: 'unknown add-on', doc: aws({ addons: { 'cert-manger': { enabled: true } } }), expected: 'addons.cert-manger: is not a known field', fix: 'did you mean "cert-manager"?' },
  { title: 'add-on field typo', doc: aws({ addons: { traefik: { expos: 'nodeport' } } }), expected: 'addons.traefik.expos: is not a known field', fix: 'did you mean "expose"?' },
  { title: 'add-on enabled as text', doc: aws({ addons: { velero: { enabled: 'yes' } } }), expected: 'addons.velero.enabled: must be true or false, not a string' },
  { title: 'add-on values not a mapping', doc: aws({ addons: { traefik: { values: 'replicas=2' } } }), expected: 'addons.traefik.values: must be a mapping (key: value), not a string' },
  { title: 'traefik exposure typo', doc: aws({ addons: { traefik: { expose: 'hostports' } } }), expected: 'addons.traefik.expose: must be one of: auto, loadbalancer, hostport, nodeport', fix: 'did you mean "hostport"?' },
  { title: 'traefik load balancer on static hosts without MetalLB', doc: lab({ addons: { traefik: { expose: 'loadbalancer' } } }), expected: 'addons.traefik.expose: is loadbalancer, but nothing gives LoadBalancer Services an address on static hosts without MetalLB: the Service would stay pending', fix: 'set loadBalancer.metallb.addresses, or expose: hostport (auto chooses it)' },
  { title: 'traefik load balancer without the CCM', doc: aws({ cloudIntegration: { ccm: false }, addons: { traefik: { expose: 'loadbalancer' } } }), expected: 'addons.traefik.expose: is loadbalancer, but cloudIntegration.ccm is false: without the cloud controller manager LoadBalancer Services get no address' },
  { title: 'ACME e-mail without a domain', doc: aws({ addons: { 'cert-manager': { acmeEmail: 'ops' } } }), expected: 'addons.cert-manager.acmeEmail: is not an e-mail address', fix: 'e.g. ops@example.com' },
  { title: 'ACME server over http', doc: aws({ addons: { 'cert-manager': { acmeServer: 'http://acme.example.com/directory' } } }), expected: 'addons.cert-manager.acmeServer: must be an https:// URL of an ACME directory' },
  { title: 'monitoring without a domain', doc: aws({ addons: { 'kube-prometheus-stack': { enabled: true } } }), expected: 'addons.kube-prometheus-stack.domain: is required when kube-prometheus-stack is enabled: Grafana, Prometheus and Alertmanager are served at grafana.<domain>, prometheus.<domain> and alertmanager.<domain>' },
  { title: 'monitoring domain in capitals', doc: aws({ addons: { 'kube-prometheus-stack': { domain: 'Monitoring.Example.com' } } }), expected: 'addons.kube-prometheus-stack.domain: must be a DNS name of lowercase letters, digits, "-" and ".": Ingress hosts are DNS-1123 subdomains', fix: 'write "monitoring.example.com"' },
  { title: 'monitoring domain with shell syntax', doc: aws({ addons: { 'kube-prometheus-stack': { enabled: true, domain: 'x.com; reboot' } } }), expected: 'addons.kube-prometheus-stack.domain: must be a DNS name of lowercase letters, digits, "-" and ".": Ingress hosts are DNS-1123 subdomains' },
  { title: 'monitoring without traefik', doc: aws({ addons: { traefik: { enabled: false }, 'kube-prometheus-stack': { enabled: true, domain: 'monitoring.example.com' } } }), expected: 'addons.kube-prometheus-stack.enabled: needs traefik (its Ingresses use the traefik IngressClass and a Traefik Middleware for basic auth), and addons.traefik.enabled is false', fix: 'set addons.traefik.enabled: true, or turn kube-prometheus-stack off' },
  { title: 'monitoring without cert-manager', doc: aws({ addons: { 'cert-manager': { enabled: false }, 'kube-prometheus-stack': { enabled: true, domain: 'monitoring.example.com' } } }), expected: 'addons.kube-prometheus-stack.enabled: needs cert-manager (its Ingresses get their certificates from a cert-manager ClusterIssuer), and addons.cert-manager.enabled is false' },
  { title: 'retention in months', doc: aws({ addons: { 'kube-prometheus-stack': { retention: '3mo' } } }), expected: 'addons.kube-prometheus-stack.retention: is not a Prometheus duration' },
  { title: 'retention as a number', doc: aws({ addons: { 'kube-prometheus-stack': { retention: 15 } } }), expected: 'addons.kube-prometheus-stack.retention: must be a string, not a number', fix: 'quote it: "15"' },
  { title: 'the Grafana password in values', doc: aws({ addons: { 'kube-prometheus-stack': { values: { grafana: { adminPassword: 'hunter2' } } } } }), expected: 'addons.kube-prometheus-stack.values.grafana.adminPassword: is set by the tool: it generates the Grafana admin password and keeps it in the Secret monitoring/grafana-admin and in secrets/addons/ of the cluster folder', fix: 'remove it' },
  { title: 'the Grafana admin Secret in values', doc: aws({ addons: { 'kube-prometheus-stack': { values: { grafana: { admin: { existingSecret: 'mine' } } } } } }), expected: 'addons.kube-prometheus-stack.values.grafana.admin: is set by the tool: Grafana reads its admin from the Secret monitoring/grafana-admin, which the tool generates' },
  { title: 'velero without a bucket', doc: aws({ addons: { velero: { enabled: true, region: 'eu-central-1' } } }), expected: 'addons.velero.bucket: is required when velero is enabled: it names the bucket the backups go to' },
  { title: 'velero without a region', doc: aws({ addons: { velero: { enabled: true, bucket: 'backups' } } }), expected: 'addons.velero.region: is required when velero is enabled: the bucket\'s region' },
  { title: 'velero bucket with capitals', doc: aws({ addons: { velero: { bucket: 'My_Backups' } } }), expected: 'addons.velero.bucket: is not an S3 bucket name: 3-63 lowercase letters, digits, "." and "-", starting and ending with a letter or digit' },
  { title: 'velero endpoint in clear text', doc: aws({ addons: { velero: { s3Url: 'http://minio.lan:9000' } } }), expected: 'addons.velero.s3Url: must be an https:// URL (host, optional port and path): the backups hold every Secret of the cluster, and http would send them in clear text' },
  { title: 'velero prefix with a leading slash', doc: aws({ addons: { velero: { prefix: '/backups' } } }), expected: 'addons.velero.prefix: is not a folder name inside a bucket: parts of letters, digits, ".", "_" and "-" separated by "/", without a leading or trailing "/"' },
  { title: 'velero schedule of four fields', doc: aws({ addons: { velero: { schedule: '0 3 * *' } } }), expected: 'addons.velero.schedule: is not a cron schedule of five fields (minute hour day-of-month month day-of-week)', fix: 'e.g. "0 3 * * *" for 03:00 every day' },
  { title: 'velero schedule with shell syntax', doc: aws({ addons: { velero: { schedule: '0 3 * * *; reboot' } } }), expected: 'addons.velero.schedule: is not a cron schedule of five fields (minute hour day-of-month month day-of-week)' },
  { title: 'velero ttl in days', doc: aws({ addons: { velero: { ttl: '30d' } } }), expected: 'addons.velero.ttl: is not a duration in hours, minutes and seconds', fix: 'e.g. 720h (30 days) or 168h (a week)' },
  { title: 'velero S3 keys in values', doc: aws({ addons: { velero: { values: { credentials: { secretContents: { cloud: '[default]' } } } } } }), expected: 'addons.velero.values.credentials.secretContents: would store the S3 keys in cluster.yaml', fix: 'remove it and set K8SB_VELERO_S3_ACCESS_KEY_ID and K8SB_VELERO_S3_SECRET_ACCESS_KEY instead: the tool puts them into the Secret velero/velero-s3' },
  { title: 'velero S3 key as a field', doc: aws({ addons: { velero: { secretAccessKey: 'x' } } }), expected: 'addons.velero.secretAccessKey: credentials never go in cluster.yaml', fix: 'set K8SB_VELERO_S3_ACCESS_KEY_ID and K8SB_VELERO_S3_SECRET_ACCESS_KEY in the environment instead (the tool puts them into the Secret velero/velero-s3), and remove this field' },
  { title: 'fluent-bit without an output', doc: aws({ addons: { 'fluent-bit': { enabled: true } } }), expected: 'addons.fluent-bit.output: is required when fluent-bit is enabled: it names where the logs go' },
  { title: 'fluent-bit output plugin unknown', doc: aws({ addons: { 'fluent-bit': { output: { name: 'elasticsearch' } } } }), expected: 'addons.fluent-bit.output.name: must be one of: es, opensearch, loki, forward, http, splunk, s3, stdout, null' },
  { title: 'fluent-bit option key with a space', doc: aws({ addons: { 'fluent-bit': { output: { name: 'es', options: { 'Host name': 'es' } } } } }), expected: 'addons.fluent-bit.output.options.Host name: is not a Fluent Bit option name: letters, digits, "_" and ".", starting with a letter' },
  { title: 'fluent-bit Match set by hand', doc: aws({ addons: { 'fluent-bit': { output: { name: 'es', options: { Match: 'kube.*' } } } } }), expected: 'addons.fluent-bit.output.options.Match: is written by the tool: Name comes from output.name, and every record is matched (Match *)' },
  { title: 'fluent-bit option value starting a section', doc: aws({ addons: { 'fluent-bit': { output: { name: 'es', options: { Host: 'es\n[OUTPUT]\n    Name exec' } } } } }), expected: 'addons.fluent-bit.output.options.Host: contains a line break, which would start another key or section of Fluent Bit\'s configuration' },
  { title: 'fluent-bit option value with a command', doc: aws({ addons: { 'fluent-bit': { output: { name: 'es', options: { Host: '@INCLUDE /etc/shadow' } } } } }), expected: 'addons.fluent-bit.output.options.Host: contains "[", "]" or "@", which Fluent Bit\'s configuration reads as a section or a command' },
  { title: 'fluent-bit option value with a Helm template', doc: aws({ addons: { 'fluent-bit': { output: { name: 'es', options: { Host: '{{ .Release.Name }}' } } } } }), expected: 'addons.fluent-bit.output.options.Host: contains "{{" or "}}", which Helm would run as a template (the chart renders its outputs with tpl)' },
  { title: 'fluent-bit option value a mapping', doc: aws({ addons: { 'fluent-bit': { output: { name: 'es', options: { Host: { name: 'es' } } } } } }), expected: 'addons.fluent-bit.output.options.Host: must be a string, a number or true or false, not a mapping' },
  { title: 'fluent-bit option value too long', doc: aws({ addons: { 'fluent-bit': { output: { name: 'http', options: { URI: `/${'a'.repeat(600)}` } } } } }), expected: 'addons.fluent-bit.output.options.URI: is 601 characters long; at most 512 are allowed' },
  { title: 'fluent-bit password in clear text', doc: aws({ addons: { 'fluent-bit': { output: { name: 'loki', options: { host: 'loki', http_passwd: 'hunter2' } } } } }), expected: 'addons.fluent-bit.output.options.http_passwd: holds a credential, and cluster.yaml is no place for one', fix: 'write ${HTTP_PASSWD} instead and set that variable from a Secret through addons.fluent-bit.values.env (valueFrom.secretKeyRef)' },
];

function issuesOf(doc: unknown): ValidationIssue[] {
  try {
    validateSpec(doc);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues;
  }
  throw new Error('expected a ValidationError, the document was accepted');
}

describe('validateSpec rejects bad input with an exact message', () => {
  it('has at least 35 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(35);
  });

  it.each(cases.map((c) => [c.title, c] as const))('%s', (_title, c) => {
    const issues = issuesOf(c.doc);
    const lines = issues.map((issue) => `${issue.path}: ${issue.message}`);
    expect(lines).toContain(c.expected);
    if (c.fix !== undefined) {
      const issue = issues.find((i) => `${i.path}: ${i.message}` === c.expected);
      expect(issue?.fix).toBe(c.fix);
    }
  });
});

describe('ValidationError', () => {
  it('lists every problem at once, schema and semantic ones together', () => {
    const issues = issuesOf(
      patched(awsDoc(), { name: 'Bad_Name', network: { podCIDR: 'x', serviceCidr: '10.244.0.0/16' }, controlPlane: { count: 2 } }),
    );
    expect(issues.map((i) => i.path)).toEqual(['network.podCIDR', 'name', 'controlPlane.count', 'network.podCidr']);
  });

  it('reads as one message naming field, value and fix, without zod internals', () => {
    try {
      validateSpec(patched(awsDoc(), { kubernetes: { version: '1.30.0' } }));
      expect.unreachable();
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toBe(
        'The cluster configuration is invalid:\n' +
          '  - kubernetes.version: is not a supported minor (supported: 1.35, 1.36, 1.37) (got "1.30.0"): use a release of 1.35, 1.36, 1.37, e.g. 1.37.1',
      );
      expect((error as ValidationError).exitCode).toBe(2);
    }
  });
});
