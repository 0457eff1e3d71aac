// The cloud components the fleet simulates, recognised by container image (the repository,
// whatever the tag), and what each checks when its container starts: the CCMs and CSI plugins
// read their credentials (env from a Secret, or a cloud.conf in a Secret volume) and exit when
// they are missing, so their pods crash-loop and nothing else happens.
import { containerEnv, expandedArgs, mountedFile } from './pod-config.mjs';

/** Image repository → provider of its cloud controller manager (issue 14 contract; research-14.md §1, §3, §4). */
export const CCM_IMAGES = {
  'exoscale/cloud-controller-manager': 'exoscale',
  'registry.k8s.io/provider-os/openstack-cloud-controller-manager': 'openstack',
  'registry.k8s.io/provider-aws/cloud-controller-manager': 'aws',
};

/** CSIDriver name → the plugin image of its controller (research-14.md §2, §3, §5). */
export const CSI_PLUGINS = {
  'csi.exoscale.com': { provider: 'exoscale', image: 'exoscale/csi-driver' },
  'cinder.csi.openstack.org': { provider: 'openstack', image: 'registry.k8s.io/provider-os/cinder-csi-plugin' },
  'ebs.csi.aws.com': { provider: 'aws', image: 'public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver' },
};

/** rancher/local-path-provisioner's provisioner name and image (research-14.md §8). */
export const LOCAL_PATH = { provisioner: 'rancher.io/local-path', image: 'rancher/local-path-provisioner' };
/** external-snapshotter's controller binds VolumeSnapshots (research-14.md §6). */
export const SNAPSHOT_CONTROLLER_IMAGE = 'registry.k8s.io/sig-storage/snapshot-controller';
/** MetalLB's controller assigns Service addresses (research-14.md §7). */
export const METALLB_CONTROLLER_IMAGE = 'quay.io/metallb/controller';

/** "docker.io/rancher/x:v1" and "rancher/x@sha256:…" → "rancher/x". */
export function imageRepository(image) {
  const withoutDigest = String(image ?? '').split('@')[0];
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  const repository = colon > lastSlash ? withoutDigest.slice(0, colon) : withoutDigest;
  return repository.replace(/^docker\.io\/(library\/)?/, '');
}

const klogTime = () => {
  const now = new Date();
  const pad = (value, width = 2) => String(value).padStart(width, '0');
  return `${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())} ${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())}.${pad(now.getUTCMilliseconds(), 3)}000`;
};
const fatal = (file, message) => `F${klogTime()}       1 ${file}] ${message}\n`;

/** A minimal INI reader for cloud.conf ([Section] key=value, # and ; comments). */
function parseIni(text) {
  const sections = {};
  let current = null;
  for (const raw of String(text).split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      current = header[1].trim();
      sections[current] ??= {};
      continue;
    }
    const pair = /^([^=]+)=(.*)$/.exec(line);
    if (pair && current) sections[current][pair[1].trim()] = pair[2].trim().replace(/^"(.*)"$/, '$1');
  }
  return sections;
}

/** The cloud.conf an OpenStack container reads (--cloud-config), parsed, or { error }. */
export function openstackCloudConfig(api, namespace, podSpec, container) {
  const arg = expandedArgs(api, namespace, container).find((entry) => entry.startsWith('--cloud-config='));
  const path = arg ? arg.slice('--cloud-config='.length) : '/etc/kubernetes/cloud.conf';
  const text = mountedFile(api, namespace, podSpec, container, path);
  if (text === null) return { error: `open ${path}: no such file or directory` };
  const global = parseIni(text).Global ?? {};
  if (!global['auth-url']) return { error: 'Missing input for argument [auth_url]' };
  const appCredential = global['application-credential-id'] && global['application-credential-secret'];
  const password = global.username && global.password;
  if (!appCredential && !password) return { error: 'You must provide a password to authenticate' };
  return { global };
}

/** Which simulated component a container is: { kind: 'ccm', provider } | { kind: 'csi', driver, provider } | … | null. */
export function componentOf(container) {
  const repository = imageRepository(container?.image);
  if (CCM_IMAGES[repository]) return { kind: 'ccm', provider: CCM_IMAGES[repository] };
  for (const [driver, plugin] of Object.entries(CSI_PLUGINS)) if (plugin.image === repository) return { kind: 'csi', driver, provider: plugin.provider };
  if (repository === LOCAL_PATH.image) return { kind: 'local-path' };
  if (repository === METALLB_CONTROLLER_IMAGE) return { kind: 'metallb' };
  if (repository === SNAPSHOT_CONTROLLER_IMAGE) return { kind: 'snapshot-controller' };
  return null;
}

/**
 * Why a container of a started pod exits at once (its log), or null. Exoscale's CCM and CSI read
 * EXOSCALE_API_KEY/EXOSCALE_API_SECRET (exoscale/client.go: "incomplete or missing Exoscale API
 * credentials"; the CSI's egoscale env credentials); OpenStack's CCM and Cinder read cloud.conf
 * ([Global] auth-url, region and an application credential or a password); AWS uses the instance profile.
 */
export function startupProblem(api, namespace, podSpec) {
  for (const container of podSpec?.containers ?? []) {
    const component = componentOf(container);
    if (!component || !['ccm', 'csi'].includes(component.kind)) continue;
    if (component.provider === 'exoscale') {
      const env = containerEnv(api, namespace, container);
      if (env.EXOSCALE_API_CREDENTIALS_FILE) continue;
      if (!env.EXOSCALE_API_KEY || !env.EXOSCALE_API_SECRET) {
        return component.kind === 'ccm'
          ? fatal('exoscale.go:114', 'could not create Exoscale client: incomplete or missing Exoscale API credentials')
          : fatal('main.go:88', 'new driver: missing or incomplete API credentials');
      }
    }
    if (component.provider === 'openstack') {
      const config = openstackCloudConfig(api, namespace, podSpec, container);
      if (config.error) {
        return component.kind === 'ccm'
          ? fatal('main.go:95', `Cloud provider could not be initialized: could not init cloud provider "openstack": ${config.error}`)
          : fatal('main.go:150', `Failed to GetOpenStackProvider: ${config.error}`);
      }
    }
  }
  return null;
}
