/**
 * kubeadm configuration documents. They are data, so they are built as objects and serialised
 * with `yaml` (not templated): v1beta3 below 1.31, v1beta4 from 1.31 (name/value lists for
 * extraArgs, a `timeouts` struct). controlPlaneEndpoint is always set so control planes can be
 * added later, and the certificate key lives in the file, never on a command line.
 */
import { stringify } from 'yaml';
import { UsageError } from '../errors.js';
import type { ClusterSpec, Runtime } from '../config/schema.js';
import { CA_HASH_PATTERN, CERTIFICATE_KEY_PATTERN, TOKEN_PATTERN } from './join-material.js';
import { assertHost, assertIp, assertNodeName } from './validate-remote.js';
import { parseEndpoint } from './endpoint.js';
import { kubeadmApiVersion, parseKubeVersion, type KubeVersion } from './versions.js';
import { cloudIntegrationOn } from '../config/cloud-integration.js';

export const CRI_SOCKETS: Record<Runtime, string> = {
  containerd: 'unix:///run/containerd/containerd.sock',
  'cri-o': 'unix:///var/run/crio/crio.sock',
};

/** Where the installer keeps its kubeadm files on a node (0600, root). */
export const KUBEADM_CONFIG_DIR = '/etc/kubernetes/k8sb';
export const INIT_CONFIG_PATH = `${KUBEADM_CONFIG_DIR}/kubeadm-init.yaml`;
export const JOIN_CONFIG_PATH = `${KUBEADM_CONFIG_DIR}/kubeadm-join.yaml`;
/** The InitConfiguration that carries the certificate key to `kubeadm init phase upload-certs`. */
export const UPLOAD_CERTS_CONFIG_PATH = `${KUBEADM_CONFIG_DIR}/upload-certs.yaml`;

export const API_SERVER_BIND_PORT = 6443;

export function criSocketFor(runtime: Runtime): string {
  return CRI_SOCKETS[runtime];
}

export interface NodeIdentity {
  name: string;
  /** kubelet node-ip and (control planes) the API advertise address. */
  privateIp: string;
  /** The cloud's id of the machine (ClusterNode.providerId): kubelet --provider-id when the CCM runs. */
  providerId?: string;
}

/** A provider ID goes into a kubelet flag: the forms the CCMs write, nothing that could end the YAML value oddly. */
const PROVIDER_ID = /^[a-z][a-z0-9]*:\/\/[A-Za-z0-9._:/-]*$/;

export interface InitConfigInput {
  spec: ClusterSpec;
  node: NodeIdentity;
  /** host:port: controlPlaneEndpoint. */
  apiEndpoint: string;
  /** Extra SANs: public IPs/names, VIP, other control planes' IPs. Endpoint host, 127.0.0.1, localhost are always added. */
  certSans: string[];
  token: string;
  certificateKey: string;
  /** @default the spec runtime's socket */
  criSocket?: string;
  /** No workers: the control plane takes workloads (nodeRegistration.taints: []), as k0s and KubeOne do. */
  untaintControlPlane?: boolean;
}

export interface JoinConfigInput {
  spec: ClusterSpec;
  node: NodeIdentity;
  apiEndpoint: string;
  token: string;
  /** "sha256:<hex>" */
  caCertHash: string;
  criSocket?: string;
  /** Present: join as a control plane. */
  controlPlane?: { certificateKey: string; advertiseAddress: string };
  /** See InitConfigInput.untaintControlPlane (control-plane joins only). */
  untaintControlPlane?: boolean;
}

function versionOf(spec: ClusterSpec): KubeVersion {
  const version = parseKubeVersion(spec.kubernetes.version);
  if (!version) throw new UsageError('InvalidVersion', `kubernetes.version ${JSON.stringify(spec.kubernetes.version)} is not MAJOR.MINOR.PATCH`);
  return version;
}

/** v1beta4 wants [{name, value}]; v1beta3 a plain map. */
function extraArgs(v1beta4: boolean, args: Record<string, string>): unknown {
  return v1beta4 ? Object.entries(args).map(([name, value]) => ({ name, value })) : { ...args };
}

/**
 * The kubelet's flags: node-ip always; with the cloud's CCM `cloud-provider: external` (the
 * kubelet then registers with the uninitialized taint until the CCM has set the node up) and the
 * node's provider ID when known (research-14 §9; the AWS CCM finds a node by it, §4). Nothing on
 * kube-apiserver or kube-controller-manager: "MUST NOT specify the --cloud-provider flag"
 * (kubernetes/website running-cloud-controller.md). Per node, so in Init and every Join.
 */
function kubeletArgs(spec: ClusterSpec, node: NodeIdentity): Record<string, string> {
  const args: Record<string, string> = { 'node-ip': node.privateIp };
  if (!cloudIntegrationOn(spec).ccm) return args;
  args['cloud-provider'] = 'external';
  if (node.providerId !== undefined) {
    if (!PROVIDER_ID.test(node.providerId)) throw new UsageError('InvalidProviderId', `The provider ID of ${node.name} (${JSON.stringify(node.providerId)}) is not <cloud>://<id>`, { hint: 'The inventory\'s provider_id comes from the Terraform outputs: check them (terraform output) and run the command again.' });
    args['provider-id'] = node.providerId;
  }
  return args;
}

function nodeRegistration(input: { spec: ClusterSpec; node: NodeIdentity; criSocket?: string }, v1beta4: boolean, untainted = false) {
  assertNodeName(input.node.name);
  assertIp(input.node.privateIp, `private IP of ${input.node.name}`);
  return {
    name: input.node.name,
    criSocket: input.criSocket ?? criSocketFor(input.spec.kubernetes.runtime),
    kubeletExtraArgs: extraArgs(v1beta4, kubeletArgs(input.spec, input.node)),
    // kubeadm: nil taints = the control-plane NoSchedule taint, [] = none.
    ...(untainted ? { taints: [] } : {}),
  };
}

function checkSecretsShape(token: string, certificateKey?: string, caCertHash?: string): void {
  if (!TOKEN_PATTERN.test(token)) throw new UsageError('InvalidBootstrapToken', 'The bootstrap token must match [a-z0-9]{6}.[a-z0-9]{16}.');
  if (certificateKey !== undefined && !CERTIFICATE_KEY_PATTERN.test(certificateKey)) {
    throw new UsageError('InvalidCertificateKey', 'The certificate key must be 64 hex characters.');
  }
  if (caCertHash !== undefined && !CA_HASH_PATTERN.test(caCertHash)) throw new UsageError('InvalidCaHash', 'The CA cert hash must be sha256:<64 hex>.');
}

/** Every name and IP clients use: the endpoint host, loopback, and the given extras, once each. */
export function apiServerCertSans(apiEndpoint: string, extra: string[]): string[] {
  const { host } = parseEndpoint(apiEndpoint);
  const sans = [host, ...extra, '127.0.0.1', 'localhost'];
  for (const san of sans) assertHost(san, 'certificate SAN');
  return [...new Set(sans)];
}

const toYaml = (documents: unknown[]): string => documents.map((doc) => stringify(doc, { lineWidth: 0 })).join('---\n');

export function renderInitConfig(input: InitConfigInput): string {
  const version = versionOf(input.spec);
  const apiVersion = kubeadmApiVersion(version);
  const v1beta4 = apiVersion.endsWith('v1beta4');
  checkSecretsShape(input.token, input.certificateKey);
  parseEndpoint(input.apiEndpoint);

  const init: Record<string, unknown> = {
    apiVersion,
    kind: 'InitConfiguration',
    bootstrapTokens: [
      {
        token: input.token,
        description: 'k8s-bootstrap join token',
        ttl: '24h0m0s',
        usages: ['signing', 'authentication'],
        groups: ['system:bootstrappers:kubeadm:default-node-token'],
      },
    ],
    localAPIEndpoint: { advertiseAddress: input.node.privateIp, bindPort: API_SERVER_BIND_PORT },
    nodeRegistration: nodeRegistration(input, v1beta4, input.untaintControlPlane),
    certificateKey: input.certificateKey,
  };
  if (v1beta4) init.timeouts = { controlPlaneComponentHealthCheck: '4m0s' };

  const apiServer: Record<string, unknown> = { certSANs: apiServerCertSans(input.apiEndpoint, input.certSans) };
  if (!v1beta4) apiServer.timeoutForControlPlane = '4m0s';
  const cluster = {
    apiVersion,
    kind: 'ClusterConfiguration',
    kubernetesVersion: `v${version.major}.${version.minor}.${version.patch}`,
    clusterName: input.spec.name,
    controlPlaneEndpoint: input.apiEndpoint,
    networking: { podSubnet: input.spec.network.podCidr, serviceSubnet: input.spec.network.serviceCidr, dnsDomain: 'cluster.local' },
    apiServer,
  };
  const kubelet = { apiVersion: 'kubelet.config.k8s.io/v1beta1', kind: 'KubeletConfiguration', cgroupDriver: 'systemd' };
  return toYaml([init, cluster, kubelet]);
}

export function renderJoinConfig(input: JoinConfigInput): string {
  const version = versionOf(input.spec);
  const apiVersion = kubeadmApiVersion(version);
  const v1beta4 = apiVersion.endsWith('v1beta4');
  checkSecretsShape(input.token, input.controlPlane?.certificateKey, input.caCertHash);
  parseEndpoint(input.apiEndpoint);

  const discovery: Record<string, unknown> = {
    bootstrapToken: { token: input.token, apiServerEndpoint: input.apiEndpoint, caCertHashes: [input.caCertHash] },
  };
  if (!v1beta4) discovery.timeout = '5m0s';
  const join: Record<string, unknown> = {
    apiVersion,
    kind: 'JoinConfiguration',
    discovery,
    nodeRegistration: nodeRegistration(input, v1beta4, Boolean(input.controlPlane && input.untaintControlPlane)),
  };
  if (input.controlPlane) {
    assertIp(input.controlPlane.advertiseAddress, `advertise address of ${input.node.name}`);
    join.controlPlane = {
      localAPIEndpoint: { advertiseAddress: input.controlPlane.advertiseAddress, bindPort: API_SERVER_BIND_PORT },
      certificateKey: input.controlPlane.certificateKey,
    };
  }
  if (v1beta4) join.timeouts = { discovery: '5m0s', tlsBootstrap: '5m0s', controlPlaneComponentHealthCheck: '4m0s' };
  return toYaml([join]);
}
