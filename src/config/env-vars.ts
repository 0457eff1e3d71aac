/**
 * Every environment variable k8s-bootstrap reads for its own settings, in one typed place.
 * Precedence everywhere: flag > --config file > environment variable > schema default.
 * Provider credentials (EXOSCALE_*, OS_*, AWS_*) are the providers' own; see providers/credentials.ts.
 */
export interface EnvVarInfo {
  /** The spec field it fills, when it fills one. */
  field?: string;
  /** The flag that gives the same value. */
  flag?: string;
  description: string;
}

export const ENV_VARS = {
  /** Cluster name (spec `name`). */
  K8SB_NAME: { field: 'name', flag: '--name', description: 'Cluster name (DNS-1123 label).' },
  /** Provider: exoscale, openstack, aws or static (spec `provider.name`). */
  K8SB_PROVIDER: { field: 'provider.name', flag: '--provider', description: 'Provider: exoscale, openstack, aws or static.' },
  /** Exoscale zone; ignored for other providers (spec `provider.zone`). */
  K8SB_ZONE: { field: 'provider.zone', flag: '--zone', description: 'Exoscale zone; ignored for other providers.' },
  /** AWS or OpenStack region; ignored for other providers (spec `provider.region`). */
  K8SB_REGION: { field: 'provider.region', flag: '--region', description: 'AWS or OpenStack region; ignored for other providers.' },
  /** Kubernetes version, MAJOR.MINOR.PATCH (spec `kubernetes.version`). */
  K8SB_KUBERNETES_VERSION: { field: 'kubernetes.version', flag: '--kubernetes-version', description: 'Kubernetes version, e.g. 1.37.1.' },
  /** Path of the SSH private key (spec `ssh.privateKey`). */
  K8SB_SSH_KEY: { field: 'ssh.privateKey', flag: '--ssh-key', description: 'Path of the SSH private key file.' },
  /** Comma-separated CIDRs allowed to reach SSH and the API (spec `ssh.adminCidrs`). */
  K8SB_ADMIN_CIDRS: { field: 'ssh.adminCidrs', flag: '--admin-cidr', description: 'Comma-separated CIDRs allowed to reach SSH and the API.' },
  /** The cluster.yaml to read (global --config). */
  K8SB_CONFIG: { flag: '--config', description: 'cluster.yaml to read.' },
  /** The cluster folder (global --dir). */
  K8SB_DIR: { flag: '--dir', description: 'Cluster folder; default ./clusters/<name>.' },
  /** terraform or tofu, when both are on PATH (spec `terraform.binary`). */
  K8SB_TERRAFORM_BINARY: { field: 'terraform.binary', description: 'terraform or tofu.' },
  /** A Terraform module to use instead of the built-in one; it must take the same variables and give the Inventory outputs. */
  K8SB_TERRAFORM_MODULE_DIR: { description: 'Folder of a Terraform module with the same inputs and Inventory outputs, used instead of the built-in one.' },
  /** Local provider mirror for `terraform init -plugin-dir` (offline machines). */
  K8SB_TF_PLUGIN_DIR: { description: 'Provider plugin folder for terraform init -plugin-dir (offline use).' },
} as const satisfies Record<string, EnvVarInfo>;

export type EnvVarName = keyof typeof ENV_VARS;

/** The variable's value, or undefined when unset or empty (an empty variable means "not given"). */
export function envValue(env: NodeJS.ProcessEnv, name: EnvVarName): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
