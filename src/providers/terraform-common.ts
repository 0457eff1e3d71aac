/**
 * What every cloud adapter shares: where the modules live, the tfvars every module takes, and
 * the cluster folder's terraform/ working dir (module copy + terraform.tfvars.json + optional
 * backend.tf.json). Code writes JSON, which Terraform reads natively; it never builds HCL.
 */
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ValidationError, type ValidationIssue } from '../errors.js';
import { templatesNotFound } from '../tools/template.js';
import { terraformVersion, versionAtLeast, type TerraformVersion } from '../tools/terraform.js';
import { writeFileAtomic } from '../state/atomic.js';
import { cloudIntegrationOn } from '../config/cloud-integration.js';
import { credentialsFromTerraform } from './cloud-credentials.js';
import { DEFAULT_INSTANCE_TYPES, DEFAULT_NETWORK, type ClusterSpec } from '../config/schema.js';
import type { Inventory } from './inventory.js';
import { controlPlaneNumbers } from '../config/node-names.js';

export type CloudProviderName = 'exoscale' | 'openstack' | 'aws';

export interface ProvisionExtras {
  /** OpenSSH public key put on every node. */
  sshPublicKey: string;
  /** Node image built by Packer (or spec.image.id). */
  imageId: string;
  /**
   * Another module with the same inputs and Inventory outputs (K8SB_TERRAFORM_MODULE_DIR): a
   * team's own module, or the test suite's. @default templates/terraform/<provider>
   */
  moduleDir?: string;
}

export interface ProviderAdapter {
  name: CloudProviderName;
  /** templates/terraform/<provider>, absolute. */
  terraformModuleDir(): string;
  /** The content of terraform.tfvars.json. Never holds credentials. */
  tfvars(spec: ClusterSpec, extras: ProvisionExtras): Record<string, unknown>;
  /** The part of the environment Terraform's provider needs (credentials). */
  credentialsEnv(env: Record<string, string | undefined>): Record<string, string>;
  /** `terraform output -json` -> a checked Inventory. */
  inventoryFromOutputs(outputs: Record<string, unknown>, spec: ClusterSpec): Inventory;
}

/** The package root: the first parent of this file with templates/terraform (works from src/ and dist/). */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'templates', 'terraform')) && existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw templatesNotFound('templates/terraform', from);
    dir = parent;
  }
}

export function moduleDirOf(provider: CloudProviderName): string {
  return join(packageRoot(), 'templates', 'terraform', provider);
}

/** Files every built-in module uses (common variables, CNI ports), kept once and copied in. */
export function sharedModuleDir(): string {
  return join(packageRoot(), 'templates', 'terraform', 'shared');
}

/** Variables of common-variables.tf, the same in every module. */
export function commonTfvars(spec: ClusterSpec, extras: ProvisionExtras, provider: CloudProviderName): Record<string, unknown> {
  if (spec.ssh.adminCidrs.length === 0) {
    throw new ValidationError([
      {
        path: 'ssh.adminCidrs',
        message: 'a cloud cluster needs the networks SSH and the API may be reached from',
        value: spec.ssh.adminCidrs,
        fix: 'set ssh.adminCidrs, e.g. ["203.0.113.0/24"] (your office or VPN network)',
      },
    ]);
  }
  const types = DEFAULT_INSTANCE_TYPES[provider];
  return {
    cluster_name: spec.name,
    node_cidr: spec.network.nodeCidr ?? DEFAULT_NETWORK.nodeCidr,
    admin_cidrs: spec.ssh.adminCidrs,
    cni: spec.kubernetes.cni,
    image_id: extras.imageId,
    ssh_public_key: extras.sshPublicKey.trim(),
    ssh_user: spec.ssh.user,
    control_plane_count: spec.controlPlane.count,
    // Which machines <name>-cp-N exist (after remove-/add-control-plane); unset: 1 to count.
    control_plane_numbers: spec.controlPlane.numbers === undefined ? undefined : controlPlaneNumbers(spec),
    worker_count: spec.workers.count,
    control_plane_type: spec.controlPlane.type ?? types.controlPlane,
    worker_type: spec.workers.type ?? types.worker,
    control_plane_disk_gb: spec.controlPlane.diskGb,
    worker_disk_gb: spec.workers.diskGb,
    // Unset knobs stay out of the file (JSON drops undefined), so the module's defaults apply.
    allow_all_between_nodes: spec.firewall.allowAllBetweenNodes,
    nodeport_cidrs: spec.firewall.nodePortCidrs,
    // What the module makes credentials for (CCM and CSI rights), nothing for a part that is off.
    cloud_ccm: cloudIntegrationOn(spec).ccm,
    cloud_csi: cloudIntegrationOn(spec).csi,
    // cloudIntegration.credentials: environment: the user brings the key; the module makes none.
    cloud_credentials_from_terraform: credentialsFromTerraform(spec),
  };
}

/**
 * The variables Terraform gets on top of the base environment (src/tools/subprocess.ts): the
 * provider's credentials, and the AWS SDK's for an S3-compatible state backend (also SOS).
 */
export function terraformEnvironment(adapter: ProviderAdapter, spec: ClusterSpec, env: Record<string, string | undefined>): Record<string, string> {
  return { ...adapter.credentialsEnv(env), ...(spec.terraform.backend ? pickEnv(env, [], ['AWS_']) : {}) };
}

/** Picks the named variables (and prefixes) that are set and not empty. */
export function pickEnv(env: Record<string, string | undefined>, names: readonly string[], prefixes: readonly string[] = []): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value === '') continue;
    if (names.includes(name) || prefixes.some((prefix) => name.startsWith(prefix))) picked[name] = value;
  }
  return picked;
}

export const TFVARS_FILE = 'terraform.tfvars.json';
export const BACKEND_FILE = 'backend.tf.json';

export function terraformDirOf(clusterDir: string): string {
  return join(clusterDir, 'terraform');
}

/** Writes <dir>/terraform.tfvars.json; returns its path. */
export async function renderTfvars(dir: string, spec: ClusterSpec, extras: ProvisionExtras, adapter: ProviderAdapter): Promise<string> {
  const path = join(dir, TFVARS_FILE);
  await writeFileAtomic(path, `${JSON.stringify(adapter.tfvars(spec, extras), null, 2)}\n`);
  return path;
}

/** The key clusters got before keys carried a folder id; kept by the clusters that use it. */
export function legacyBackendKey(name: string): string {
  return `k8s-bootstrap/${name}/terraform.tfstate`;
}

/** A new cluster's key: its name and a random id, so same-named clusters of two folders never share a state. */
export function newBackendKey(name: string, id: string): string {
  return `k8s-bootstrap/${name}-${id}/terraform.tfstate`;
}

/** The key in an existing terraform/backend.tf.json (the state this folder already uses), if any. */
export async function writtenBackendKey(clusterDir: string): Promise<string | undefined> {
  try {
    const parsed = JSON.parse(await readFile(join(terraformDirOf(clusterDir), BACKEND_FILE), 'utf8')) as { terraform?: { backend?: { s3?: { key?: unknown } } } };
    const key = parsed.terraform?.backend?.s3?.key;
    return typeof key === 'string' ? key : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The S3 backend of spec.terraform.backend as JSON config. Credentials stay in the environment
 * (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, also for Exoscale SOS). `use_lockfile` gives
 * locking without DynamoDB (Terraform / OpenTofu >= 1.10).
 */
export function backendConfig(spec: ClusterSpec): Record<string, unknown> | undefined {
  const backend = spec.terraform.backend;
  if (!backend) return undefined;
  const s3: Record<string, unknown> = {
    bucket: backend.bucket,
    // init writes a key into cluster.yaml (backend-key.ts); without one, the key clusters had first.
    key: backend.key ?? legacyBackendKey(spec.name),
    region: backend.region,
    use_lockfile: true,
  };
  if (backend.endpoint) {
    // A non-AWS store: no AWS account or region to validate, path-style bucket addressing, and
    // no EC2 instance metadata to ask for credentials (skip_metadata_api_check: hashicorp/terraform
    // v1.10 internal/backend/remote-state/s3/backend.go, and opentofu v1.10 the same).
    Object.assign(s3, {
      endpoints: { s3: backend.endpoint },
      skip_credentials_validation: true,
      skip_region_validation: true,
      skip_requesting_account_id: true,
      skip_metadata_api_check: true,
      use_path_style: true,
    });
  }
  return { terraform: { backend: { s3 } } };
}

/**
 * `use_lockfile` (S3 locking without DynamoDB) arrived in Terraform 1.10 and OpenTofu 1.10
 * (internal/backend/remote-state/s3/backend.go of both: absent at v1.9.0); older binaries stop at
 * init with "Unsupported argument". `endpoints`/`use_path_style` need 1.6, which this covers.
 */
export const BACKEND_MIN_VERSION = '1.10.0';

/** The issue with spec.terraform.backend on this binary version, if any. */
export function backendVersionIssue(spec: ClusterSpec, found: TerraformVersion): ValidationIssue | undefined {
  if (!spec.terraform.backend || versionAtLeast(found.version, BACKEND_MIN_VERSION)) return undefined;
  const install = found.tool === 'tofu' ? 'https://opentofu.org/docs/intro/install/' : 'https://developer.hashicorp.com/terraform/install';
  return {
    path: 'terraform.backend',
    message: `the S3 state backend (locking with use_lockfile) needs Terraform or OpenTofu >= 1.10, but ${found.tool} is ${found.version}`,
    value: `${found.tool} ${found.version}`,
    fix: `install ${found.tool} >= 1.10 (${install}), name a newer binary with terraform.binary or K8SB_TERRAFORM_BINARY, or remove terraform.backend to keep the state in the cluster folder`,
  };
}

/** Before anything runs: a configured backend must be usable by the binary (exit 2 otherwise). */
export async function assertBackendSupported(spec: ClusterSpec, binary: string, signal?: AbortSignal): Promise<void> {
  if (!spec.terraform.backend) return;
  const issue = backendVersionIssue(spec, await terraformVersion(binary, signal));
  if (issue) throw new ValidationError([issue], 'The Terraform binary cannot use the configured state backend');
}

/**
 * State and plans are sensitive (SECURITY.md): the folder is owner-only, and so are the state and
 * plan files already in it, whatever made them first (an older version, a copied folder).
 */
export async function secureTerraformDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isFile() && /(^tfplan$|\.tfplan$|\.tfstate(\.backup)?$)/.test(entry.name)) await chmod(join(dir, entry.name), 0o600);
  }
}

/**
 * Makes <cluster>/terraform/ self-contained: the module's files, terraform.tfvars.json and, with
 * a remote backend, backend.tf.json. Returns every path written (the dry run lists them).
 */
export async function prepareTerraformDirFor(
  adapter: ProviderAdapter,
  clusterDir: string,
  spec: ClusterSpec,
  extras: ProvisionExtras,
): Promise<string[]> {
  const dir = terraformDirOf(clusterDir);
  await secureTerraformDir(dir);
  const written: string[] = [];
  // A module of the person's own (extras.moduleDir) brings everything it needs.
  const sources = extras.moduleDir ? [extras.moduleDir] : [sharedModuleDir(), adapter.terraformModuleDir()];
  for (const source of sources) {
    for (const entry of await readdir(source, { withFileTypes: true })) {
      if (!entry.isFile()) continue;
      await copyFile(join(source, entry.name), join(dir, entry.name));
      written.push(join(dir, entry.name));
    }
  }
  written.push(await renderTfvars(dir, spec, extras, adapter));
  const backend = backendConfig(spec);
  const backendPath = join(dir, BACKEND_FILE);
  if (backend) {
    await writeFileAtomic(backendPath, `${JSON.stringify(backend, null, 2)}\n`);
    written.push(backendPath);
  } else {
    await rm(backendPath, { force: true });
  }
  return written;
}
