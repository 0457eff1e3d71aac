/**
 * The ClusterSpec: the one source of truth for cluster.yaml. Field descriptions feed the JSON
 * Schema (`config schema`) and the README's config reference; defaults live here and only here
 * (defaults.ts applies the provider-dependent ones, after parsing). Semantic checks that span
 * fields (CIDR overlap, counts, versions) live in validate/.
 */
import { z } from 'zod';
import { DEFAULT_KUBERNETES_VERSION, SUPPORTED_MINORS } from '../kube/versions.js';
import { ADDON_CHARTS, DEFAULT_ON, type AddonName } from '../kube/addons/pins.js';
import { AWS_REGIONS, EXOSCALE_ZONES } from './known-values.js';
import {
  BLOCK_DEVICE_NAME,
  CRON_SCHEDULE,
  DNS1123_LABEL,
  DNS1123_SUBDOMAIN,
  EMAIL,
  GO_DURATION,
  HTTPS_URL,
  IDENTIFIER,
  IPV4_RANGE_OR_CIDR,
  LINUX_USER,
  OBJECT_PREFIX,
  PROMETHEUS_DURATION,
  S3_BUCKET,
} from './patterns.js';

export const API_VERSION = 'k8s-bootstrap.io/v1alpha1';
export const KIND = 'Cluster';
/**
 * The JSON Schema file written beside every cluster.yaml, and the modeline's reference to it:
 * yaml-language-server resolves a relative $schema against the open YAML file's folder ("the
 * relative filepath is the path relative to the open yaml file": nvim-lspconfig's yamlls notes).
 */
export const SCHEMA_FILE = 'cluster.schema.json';
export const SCHEMA_REF = `./${SCHEMA_FILE}`;

/*
 * Constraints only the JSON Schema carries (editors check them as you type). Validation itself
 * checks the same things in validate/ with better words, so zod does not repeat them.
 */
/** An IPv4 CIDR: four octets 0-255 and a prefix 0-32. */
const CIDR_PATTERN = '^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])/(3[0-2]|[12]?[0-9])$';
/** MAJOR.MINOR.PATCH of a supported minor. */
const VERSION_PATTERN = `^(${SUPPORTED_MINORS.map((minor) => minor.replace('.', '\\.')).join('|')})\\.(0|[1-9][0-9]*)$`;
const cidrText = (description: string) => z.string().min(1).describe(description).meta({ pattern: CIDR_PATTERN });

export const PROVIDERS = ['exoscale', 'openstack', 'aws', 'static'] as const;
export type ProviderName = (typeof PROVIDERS)[number];
export const RUNTIMES = ['containerd', 'cri-o'] as const;
export type Runtime = (typeof RUNTIMES)[number];
export const CNIS = ['calico', 'flannel', 'cilium'] as const;
export type Cni = (typeof CNIS)[number];

/** Defaults the wizard pre-fills: clear of AWS's 172.31/16, Docker's 172.17/16, home 192.168/16 and OpenStack's 10.0.0/24. */
export const DEFAULT_NETWORK = {
  nodeCidr: '10.240.0.0/16',
  podCidr: '10.244.0.0/16',
  serviceCidr: '10.96.0.0/12',
} as const;

export const DEFAULT_INSTANCE_TYPES: Record<Exclude<ProviderName, 'static'>, { controlPlane: string; worker: string }> = {
  exoscale: { controlPlane: 'standard.medium', worker: 'standard.large' },
  aws: { controlPlane: 't3.medium', worker: 't3.large' },
  openstack: { controlPlane: 'm1.medium', worker: 'm1.large' },
};

const text = (description: string) => z.string().min(1).describe(description);

const staticHost = z
  .strictObject({
    address: text('Address the operator reaches the host at over SSH (IP or DNS name).'),
    port: z.number().int().min(1).max(65535).default(22).describe('SSH port.'),
    privateAddress: text('Address on the node network; kubelet node-ip and the API advertise address. Defaults to address.').optional(),
    name: text('Node name (DNS-1123). Defaults to the role and an index, e.g. cp-1, worker-2.').optional(),
    role: z.enum(['control-plane', 'worker']).describe('What kubeadm makes of this host.'),
    user: text('SSH user for this host; defaults to ssh.user.').optional(),
  })
  .describe('A machine you already have.');

const exoscaleProvider = z.strictObject({
  name: z.literal('exoscale'),
  zone: text('Exoscale zone, e.g. ch-gva-2, de-fra-1.').meta({ examples: [...EXOSCALE_ZONES] }).default('ch-gva-2'),
  baseTemplate: text('Public template the node image is built from.').default('Linux Ubuntu 24.04 LTS 64-bit'),
});

/** Octavia health monitors the API pool may use (templates/terraform/openstack/variables.tf). */
export const API_MONITOR_TYPES = ['HTTPS', 'TCP'] as const;
/** Nova policies that spread the control planes (affinity would put every etcd member on one host). */
export const SERVER_GROUP_POLICIES = ['soft-anti-affinity', 'anti-affinity'] as const;

const openstackProvider = z.strictObject({
  name: z.literal('openstack'),
  region: text('OpenStack region (OS_REGION_NAME).').default('RegionOne'),
  cloud: text('Entry of clouds.yaml to use (OS_CLOUD). Credentials themselves never go in this file.').optional(),
  externalNetwork: text('Name of the external network for floating IPs and the router.').default('public'),
  baseImage: text('Glance image name the node image is built from; the newest image of that name.').default('Ubuntu 24.04'),
  imageBuild: z
    .strictObject({
      networks: z.array(text('Network UUID.')).optional().describe('Networks (UUIDs) of the Packer build instance, routed to externalNetwork. Default: a temporary network and router made for the build.'),
      securityGroups: z.array(text('Security group name.')).optional().describe('More security groups (names) for the build instance, on top of the temporary one that admits SSH from ssh.adminCidrs.'),
    })
    .optional()
    .describe('Where the Packer build instance runs (only while the image is built).'),
  lbProvider: text('Octavia provider of the API load balancer, e.g. amphora or ovn. Unset: the cloud\'s default; the load balancer\'s settings follow the provider Octavia reports.').optional(),
  apiMonitorType: z
    .enum(API_MONITOR_TYPES)
    .optional()
    .describe('Health check of the API load balancer: HTTPS (GET /readyz) or TCP (connect only). Unset: HTTPS, or TCP on OVN, which has no HTTP monitors.'),
  serverGroupPolicy: z
    .enum(SERVER_GROUP_POLICIES)
    .optional()
    .describe('Nova server group policy of the control planes. Unset: soft-anti-affinity (spread where possible); anti-affinity refuses to start two on one host.'),
  dnsNameservers: z
    .array(text('IPv4 address.'))
    .optional()
    .describe('DNS servers of the node subnet (at most 5). Unset: 1.1.1.1 and 9.9.9.9; give the cloud\'s own resolvers to resolve its private names.'),
});

const awsProvider = z.strictObject({
  name: z.literal('aws'),
  region: text('AWS region, e.g. eu-central-1.').meta({ examples: [...AWS_REGIONS] }).default('eu-central-1'),
  availabilityZones: z.array(text('Availability zone.')).optional().describe('Zones to spread nodes over; defaults to the first zones of the region.'),
  imageBuild: z
    .strictObject({
      subnetId: text('Subnet of the Packer build instance, e.g. subnet-0123456789abcdef0; needed in accounts without a default VPC. The instance gets a public address.').optional(),
      vpcId: text('VPC of subnetId (needs subnetId); Packer reads it from the subnet when unset.').optional(),
    })
    .optional()
    .describe('Where the Packer build instance runs (only while the image is built). Default: the default VPC.'),
});

const staticProvider = z.strictObject({
  name: z.literal('static'),
  hosts: z.array(staticHost).default([]).describe('The machines, with their roles.'),
  apiEndpoint: text('host:port of an external load balancer or DNS name for the API. Without it, one control plane is the endpoint, or with several the tool installs keepalived + haproxy.').optional(),
  virtualIp: text('Virtual IP that keepalived holds for HA without an external load balancer.').optional(),
});

export const providerSchema = z
  .discriminatedUnion('name', [exoscaleProvider, openstackProvider, awsProvider, staticProvider])
  .describe('Where the nodes come from, with the provider\'s own settings. Credentials come from the environment, never from this file.');

/** What storage.defaultClass may say; `auto` is resolved by resolvedStorageClass (cloud-integration.ts). */
export const STORAGE_CLASSES = ['auto', 'cloud', 'local-path', 'rook-ceph', 'none'] as const;
export type StorageClassChoice = (typeof STORAGE_CLASSES)[number];
/** Where the CCM's and CSI's cloud credentials come from (src/providers/cloud-credentials.ts). */
export const CLOUD_CREDENTIAL_SOURCES = ['terraform', 'environment'] as const;
export type CloudCredentialSource = (typeof CLOUD_CREDENTIAL_SOURCES)[number];

const cloudIntegration = z
  .strictObject({
    ccm: z.boolean().default(true).describe('Run the cloud\'s cloud controller manager (kubelets get cloud-provider=external): node addresses, zones and LoadBalancer Services from the cloud.'),
    csi: z.boolean().default(true).describe('Install the cloud\'s CSI driver and its StorageClass: PersistentVolumes on the cloud\'s block storage.'),
    credentials: z
      .enum(CLOUD_CREDENTIAL_SOURCES)
      .default('terraform')
      .describe('Where the CCM and CSI credentials come from. terraform: the module creates a restricted key of their own (exoscale: IAM role + API key; openstack: application credential; aws: instance profiles), and destroy deletes it. environment (exoscale, openstack): a key you made, read at init and upgrade from K8SB_EXOSCALE_CCM_API_KEY/K8SB_EXOSCALE_CCM_API_SECRET or K8SB_OS_CCM_APPLICATION_CREDENTIAL_ID/K8SB_OS_CCM_APPLICATION_CREDENTIAL_SECRET; the module then creates none.'),
  })
  .prefault({})
  .describe('The cloud\'s own controllers (exoscale, openstack, aws). Ignored for static hosts, and left out of their cluster.yaml.');

const loadBalancer = z
  .strictObject({
    metallb: z
      .strictObject({
        addresses: z
          .array(text('An IPv4 range A-B (e.g. 10.0.0.200-10.0.0.220) or a CIDR.').meta({ pattern: IPV4_RANGE_OR_CIDR.source }))
          .min(1)
          .describe('Addresses MetalLB hands to LoadBalancer Services: free addresses on the hosts\' network, outside any DHCP range.'),
      })
      .optional()
      .describe('Install MetalLB in L2 mode, announcing these addresses from the nodes. Unset: no MetalLB; LoadBalancer Services stay pending.'),
  })
  .prefault({})
  .describe('LoadBalancer Services on static hosts (clouds get them from their cloud controller manager).');

const storage = z
  .strictObject({
    defaultClass: z
      .enum(STORAGE_CLASSES)
      .default('auto')
      .describe('The default StorageClass. auto: cloud when cloudIntegration.csi is on (clouds), local-path on static hosts, none otherwise. cloud: the CSI driver\'s class. local-path (static): node-local folders, the data goes with the node. rook-ceph (static): Ceph on a disk of every worker. none: no class is marked default.'),
    rookCeph: z
      .strictObject({
        device: text('Name under /dev of a whole disk on every worker (at least 5 GiB, writable, unmounted, no partition table or filesystem), e.g. sdb or nvme1n1; Ceph erases it.').meta({ pattern: BLOCK_DEVICE_NAME.source }),
      })
      .optional()
      .describe('Rook-Ceph settings; required when defaultClass is rook-ceph.'),
  })
  .prefault({})
  .describe('Persistent volumes: which StorageClass PersistentVolumeClaims get when they name none.');

/** How Traefik is reached (addons.traefik.expose); `auto` is resolved by resolvedTraefikExpose (config/addons.ts). */
export const TRAEFIK_EXPOSURES = ['auto', 'loadbalancer', 'hostport', 'nodeport'] as const;
export type TraefikExposeChoice = (typeof TRAEFIK_EXPOSURES)[number];
/**
 * The fluent-bit output plugins addons.fluent-bit.output.name may name: built-in outputs of
 * Fluent Bit (docs.fluentbit.io/manual/pipeline/outputs: es, opensearch, loki, forward, http,
 * splunk, s3, stdout, null).
 */
export const FLUENT_BIT_OUTPUTS = ['es', 'opensearch', 'loki', 'forward', 'http', 'splunk', 's3', 'stdout', 'null'] as const;
export type FluentBitOutputName = (typeof FLUENT_BIT_OUTPUTS)[number];
/**
 * Let's Encrypt's production ACME directory, the server of cert-manager's ACME examples
 * (cert-manager.io/docs/configuration/acme: "server: https://acme-v02.api.letsencrypt.org/directory").
 */
export const LETSENCRYPT_PRODUCTION = 'https://acme-v02.api.letsencrypt.org/directory';

/** The two fields every add-on has; `enabled` defaults to whether the add-on is in the default set (kube/addons/pins.ts). */
const addonFields = (name: AddonName) => ({
  enabled: z
    .boolean()
    .default(DEFAULT_ON.includes(name))
    .describe(`Install ${ADDON_CHARTS[name].title}: Helm chart ${ADDON_CHARTS[name].chart}, namespace ${ADDON_CHARTS[name].namespace}. false leaves an installed release as it is: helm uninstall ${name} -n ${ADDON_CHARTS[name].namespace} removes it.`),
  values: z
    .record(z.string(), z.unknown())
    .default({})
    .describe(`Helm values merged over the tool's own (templates/addons/${name}/values.yaml) last; never put secrets here, they would be stored in cluster.yaml.`),
});

const addonText = (description: string, pattern: RegExp) => text(description).meta({ pattern: pattern.source });

const addons = z
  .strictObject({
    'metrics-server': z.strictObject(addonFields('metrics-server')).prefault({}).describe('Resource metrics for kubectl top and HorizontalPodAutoscalers.'),
    traefik: z
      .strictObject({
        ...addonFields('traefik'),
        expose: z
          .enum(TRAEFIK_EXPOSURES)
          .default('auto')
          .describe('How Traefik is reached. loadbalancer: a LoadBalancer Service (aws and openstack with cloudIntegration.ccm; static hosts with loadBalancer.metallb). hostport: a DaemonSet on ports 80 and 443 of every worker. nodeport: a NodePort Service (30000-32767). auto: loadbalancer where LoadBalancer Services get an address, else hostport (also on exoscale, whose LoadBalancer Services stay pending for these nodes).'),
      })
      .prefault({})
      .describe('The ingress controller, and the default IngressClass (traefik). ingress-nginx is retired upstream.'),
    'cert-manager': z
      .strictObject({
        ...addonFields('cert-manager'),
        acmeEmail: addonText('E-mail address of the ACME account. When set, a ClusterIssuer letsencrypt (HTTP-01 through Traefik) is created next to the selfsigned one; the ACME server sends expiry and account notices to it.', EMAIL)
          .meta({ format: 'email' })
          .optional(),
        acmeServer: addonText('ACME directory URL of the letsencrypt ClusterIssuer (used only with acmeEmail). Let\'s Encrypt staging, for tests: https://acme-staging-v02.api.letsencrypt.org/directory.', HTTPS_URL).default(LETSENCRYPT_PRODUCTION),
      })
      .prefault({})
      .describe('Certificates for Ingresses: a ClusterIssuer selfsigned always, and letsencrypt when acmeEmail is set.'),
    'kube-prometheus-stack': z
      .strictObject({
        ...addonFields('kube-prometheus-stack'),
        domain: addonText('DNS name under which Grafana, Prometheus and Alertmanager are served (grafana.<domain>, prometheus.<domain>, alertmanager.<domain>), behind basic auth with a generated password; point those names at Traefik. Required when enabled.', DNS1123_SUBDOMAIN).optional(),
        retention: addonText('How long Prometheus keeps metrics: a Prometheus duration such as 15d, 4w or 1y.', PROMETHEUS_DURATION).default('15d'),
      })
      .prefault({})
      .describe('Prometheus, Alertmanager and Grafana, behind Ingresses with basic auth (needs traefik and cert-manager). The generated passwords are kept in secrets/addons/ of the cluster folder.'),
    'fluent-bit': z
      .strictObject({
        ...addonFields('fluent-bit'),
        output: z
          .strictObject({
            name: z.enum(FLUENT_BIT_OUTPUTS).describe('The Fluent Bit output plugin logs are shipped with.'),
            options: z
              .record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String))
              .default({})
              .describe('Settings of the output plugin, KEY: value as its documentation names them (e.g. Host, Port, Index for es), written into its [OUTPUT] section. A password or token goes in as ${VARIABLE}, set from a Secret through values.env.'),
          })
          .optional()
          .describe('Where the logs of every pod go. Required when enabled.'),
      })
      .prefault({})
      .describe('Ships the logs of every container to the output you name.'),
    velero: z
      .strictObject({
        ...addonFields('velero'),
        bucket: addonText('Bucket the backups are written to (S3-compatible). Required when enabled.', S3_BUCKET).optional(),
        region: addonText('Region of the bucket (for MinIO: any name it is configured with, e.g. us-east-1). Required when enabled.', IDENTIFIER).optional(),
        s3Url: addonText('Endpoint of an S3-compatible store other than AWS (MinIO, Exoscale SOS, ...), https://host[:port]; path-style addressing is used then. Unset: AWS S3.', HTTPS_URL).optional(),
        prefix: addonText('Folder inside the bucket; unset: the bucket\'s top level.', OBJECT_PREFIX).optional(),
        schedule: addonText('When the daily backup (Schedule daily) runs: a cron expression of five fields (minute hour day month weekday).', CRON_SCHEDULE).default('0 3 * * *'),
        ttl: addonText('How long a backup is kept before Velero deletes it: a duration in h, m and s (720h is 30 days, Velero\'s own default).', GO_DURATION).default('720h'),
      })
      .prefault({})
      .describe('Backups of the cluster\'s objects and of annotated pod volumes to an S3-compatible bucket. The S3 keys come from K8SB_VELERO_S3_ACCESS_KEY_ID and K8SB_VELERO_S3_SECRET_ACCESS_KEY and go only into the cluster.'),
  })
  .prefault({})
  .describe('Add-ons installed with Helm after the cluster is up, at the versions pinned for its Kubernetes minor. metrics-server, traefik and cert-manager are on unless turned off; the others only when turned on. k8s-bootstrap addons list|diff|apply manages them.');

/** Cloud control planes are machines <name>-cp-1 … -cp-5 (the modules and Exoscale's address plan reserve five). */
export const MAX_CONTROL_PLANE_NUMBER = 5;

const nodeGroup = (defaultCount: number, what: string) =>
  z.strictObject({
    count: z.number().int().min(0).max(1000).default(defaultCount).describe(`Number of ${what}.`),
    type: text('Instance type or flavor; defaults per provider.').optional(),
    diskGb: z.number().int().min(10).max(16384).default(50).describe('Root disk size in GiB.'),
  });

export const clusterSpecSchema = z
  .strictObject({
    apiVersion: z.literal(API_VERSION).describe('Version of this document format.'),
    kind: z.literal(KIND).describe('Always Cluster.'),
    name: text('Cluster name (DNS-1123 label): names the cluster folder, cloud resources and kubeconfig context.').meta({ pattern: DNS1123_LABEL.source, maxLength: 63 }),
    provider: providerSchema,
    kubernetes: z
      .strictObject({
        version: text('Kubernetes version, MAJOR.MINOR.PATCH, of a supported minor.').meta({ pattern: VERSION_PATTERN }).default(DEFAULT_KUBERNETES_VERSION),
        runtime: z.enum(RUNTIMES).default('containerd').describe('Container runtime.'),
        cni: z.enum(CNIS).default('calico').describe('Pod network; its pool is always set to network.podCidr.'),
      })
      .prefault({})
      .describe('What runs on the nodes.'),
    network: z
      .strictObject({
        nodeCidr: cidrText('Network the nodes live on. Cloud providers create it; for static hosts it is checked when set.').optional(),
        podCidr: cidrText('kubeadm podSubnet and the CNI pool.').default(DEFAULT_NETWORK.podCidr),
        serviceCidr: cidrText('kubeadm serviceSubnet.').default(DEFAULT_NETWORK.serviceCidr),
      })
      .prefault({})
      .describe('IPv4 ranges; node, pod and service ranges must not overlap.'),
    controlPlane: nodeGroup(1, 'control planes (1, 3 or 5)')
      .extend({
        count: z.number().int().min(0).max(1000).default(1).describe('Number of control planes (1, 3 or 5).').meta({ enum: [1, 3, 5] }),
        numbers: z
          .array(z.number().int().min(1).max(MAX_CONTROL_PLANE_NUMBER))
          .optional()
          .describe(`Cloud: the N of each control-plane machine <name>-cp-N, one per control plane; unset means 1 to count. remove-control-plane and add-control-plane write it (a middle machine can go alone, a new one takes the lowest free N, at most ${MAX_CONTROL_PLANE_NUMBER}). Ignored for static clusters.`),
      })
      .prefault({}).describe('The control-plane nodes (etcd members). Ignored for static clusters: the count follows provider.hosts, and the machines come as they are.'),
    workers: nodeGroup(2, 'workers')
      .extend({ min: z.number().int().min(0).default(0).describe('remove-workers refuses to go below this without --force.') })
      .prefault({})
      .describe('The worker nodes. For static clusters only min applies: the count follows provider.hosts.'),
    ssh: z
      .strictObject({
        user: text('SSH user on the nodes (sudo without password).').meta({ pattern: LINUX_USER.source }).default('ubuntu'),
        privateKey: text('Path of the private key file (~/ is your home folder); it must exist and be readable by you only (chmod 600). The tool generates one in the cluster folder when unset.').optional(),
        adminCidrs: z.array(cidrText('CIDR')).default([]).describe('Where SSH and the API may be reached from. Required for cloud providers; ignored for static hosts.'),
        bastion: z
          .strictObject({
            host: text('Bastion address.'),
            port: z.number().int().min(1).max(65535).default(22).describe('Bastion SSH port.'),
            user: text('Bastion SSH user; defaults to ssh.user.').optional(),
          })
          .optional()
          .describe('Jump host for nodes without a public address.'),
        knownHosts: text('known_hosts file with the nodes\' pinned host keys.').optional(),
      })
      .prefault({})
      .describe('How the tool reaches the nodes.'),
    image: z
      .strictObject({
        build: z.boolean().default(true).describe('Build a node image with Packer (cloud providers).'),
        id: text('Use this existing image id instead of building one.').optional(),
      })
      .prefault({})
      .describe('The node image (cloud providers; ignored for static hosts).'),
    cloudIntegration,
    loadBalancer,
    storage,
    firewall: z
      .strictObject({
        allowAllBetweenNodes: z.boolean().optional().describe('Let nodes reach each other on any port. Unset: true; false opens only the Kubernetes and CNI ports between nodes.'),
        nodePortCidrs: z
          .array(cidrText('CIDR'))
          .optional()
          .describe('Where NodePorts (30000-32767) on workers may be reached from. Unset: ssh.adminCidrs; [] closes them.'),
      })
      .prefault({})
      .describe('Security groups of cloud clusters (ignored for static hosts).'),
    terraform: z
      .strictObject({
        binary: z.enum(['terraform', 'tofu']).optional().describe('Which binary; defaults to whichever is on PATH (K8SB_TERRAFORM_BINARY).'),
        backend: z
          .strictObject({
            bucket: text('Bucket of an S3-compatible backend (Exoscale SOS, AWS S3, ...).'),
            key: text('Object key of the state.').optional(),
            region: text('Bucket region.'),
            endpoint: text('S3 endpoint for non-AWS stores, e.g. https://sos-ch-gva-2.exo.io.').optional(),
          })
          .optional()
          .describe('Remote Terraform state in an S3-compatible bucket (needs Terraform or OpenTofu 1.10+ for use_lockfile). Default: local state in the cluster folder.'),
        parallelism: z
          .number()
          .int()
          .min(1)
          .max(256)
          .optional()
          .describe('How many operations Terraform runs at once (-parallelism of plan, apply and destroy). Unset: K8SB_TERRAFORM_PARALLELISM, else one per machine, at least 10 (Terraform\'s default) and at most 50 (cloud API rate limits). A TF_CLI_ARGS(_apply) that sets -parallelism wins.'),
      })
      .prefault({})
      .describe('How infrastructure is applied (cloud providers).'),
    addons,
    backup: z
      .strictObject({
        keep: z.number().int().min(1).max(1000).default(5).describe('How many backups (the newest) k8s-bootstrap backup keeps in clusters/<name>/backups/; older ones are removed after each new one.'),
        s3: z
          .strictObject({
            bucket: text('Bucket every backup is uploaded to as well (S3-compatible).').meta({ pattern: S3_BUCKET.source }),
            region: text('Region of the bucket (for MinIO: the one it is configured with, e.g. us-east-1).').meta({ pattern: IDENTIFIER.source }),
            endpoint: text('Endpoint of an S3-compatible store other than AWS (MinIO, Exoscale SOS, ...), https://host[:port]. Unset: AWS S3 of the region.').optional(),
            prefix: text('Folder inside the bucket; the objects are <prefix>/<cluster>/<stamp>/<file>. Unset: <cluster>/<stamp>/<file>.').meta({ pattern: OBJECT_PREFIX.source }).optional(),
            pathStyle: z.boolean().optional().describe('Path-style URLs (https://endpoint/bucket/key) instead of virtual-hosted (https://bucket.endpoint/key). Unset: path-style with an endpoint, virtual-hosted on AWS.'),
          })
          .optional()
          .describe('Upload each backup (snapshot, PKI archive, backup.json) to an S3-compatible bucket. The keys come from K8SB_BACKUP_S3_ACCESS_KEY_ID and K8SB_BACKUP_S3_SECRET_ACCESS_KEY (and K8SB_BACKUP_S3_SESSION_TOKEN) and are never stored.'),
      })
      .prefault({})
      .describe('etcd snapshots (k8s-bootstrap backup, and before upgrade and control-plane changes): how many to keep, and an optional bucket.'),
  })
  .describe('A kubeadm Kubernetes cluster managed by k8s-bootstrap.');

/** The document as written by a person (defaults not yet applied). */
export type ClusterSpecInput = z.input<typeof clusterSpecSchema>;
/** The document with every default applied: what every other layer reads. */
export type ClusterSpec = z.output<typeof clusterSpecSchema>;
export type ProviderSpec = ClusterSpec['provider'];
export type StaticHost = z.output<typeof staticHost>;
/** A static host as written in cluster.yaml or on the command line (port not yet defaulted). */
export type StaticHostInput = z.input<typeof staticHost>;
