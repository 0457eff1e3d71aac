/**
 * The credentials the cloud controller manager and the CSI driver use inside the cluster, taken
 * from the Terraform outputs the module creates them as (never the operator's own keys):
 * - exoscale: a restricted API key (exoscale_iam_role + exoscale_iam_api_key) -> ccm_api_key/ccm_api_secret;
 * - openstack: an application credential (openstack_identity_application_credential_v3) ->
 *   application_credential_id/application_credential_secret, plus auth_url;
 * - aws: nothing; the nodes' instance profile gives the CCM and EBS CSI their rights.
 * With cloudIntegration.credentials: environment (exoscale, openstack) the user made the key and
 * hands it over in K8SB_* variables (CLOUD_CREDENTIAL_VARIABLES; never the operator's own
 * EXOSCALE_API_KEY or OS_* login), and the module creates none (cloud_credentials_from_terraform);
 * OpenStack still takes auth_url from the module (the Keystone Terraform talks to).
 * The values are secrets: they never reach inventory.json, state.json, argv or logs, and the
 * caller registers them with the run's SecretSet (registerCloudCredentials).
 */
import { ExternalToolError, ValidationError, type ValidationIssue } from '../errors.js';
import { cloudIntegrationOn } from '../config/cloud-integration.js';
import type { ClusterSpec } from '../config/schema.js';
import type { SecretSet } from '../engine/redact.js';
import { outputValues } from './inventory-check.js';

export interface CloudCredentials {
  exoscale?: { apiKey: string; apiSecret: string };
  openstack?: {
    authUrl: string;
    region: string;
    applicationCredentialId: string;
    applicationCredentialSecret: string;
    /** cloud.conf [LoadBalancer]: the external network of the floating IPs and the nodes' subnet (module outputs; absent in older modules). */
    floatingNetworkId?: string;
    subnetId?: string;
  };
}

/** The Terraform outputs of each cloud's credentials, by CloudCredentials field. */
export const CLOUD_CREDENTIAL_OUTPUTS = {
  exoscale: { apiKey: 'ccm_api_key', apiSecret: 'ccm_api_secret' },
  openstack: { authUrl: 'auth_url', applicationCredentialId: 'application_credential_id', applicationCredentialSecret: 'application_credential_secret' },
} as const;

/**
 * The variables of cloudIntegration.credentials: environment, by CloudCredentials field. Names of
 * their own, so the operator's EXOSCALE_API_KEY / OS_* login (what Terraform uses) never becomes
 * the cluster's by accident.
 */
export const CLOUD_CREDENTIAL_VARIABLES = {
  exoscale: { apiKey: 'K8SB_EXOSCALE_CCM_API_KEY', apiSecret: 'K8SB_EXOSCALE_CCM_API_SECRET' },
  openstack: { applicationCredentialId: 'K8SB_OS_CCM_APPLICATION_CREDENTIAL_ID', applicationCredentialSecret: 'K8SB_OS_CCM_APPLICATION_CREDENTIAL_SECRET' },
} as const;

/** True when the cluster's CCM or CSI needs credentials (exoscale, openstack with either on). */
export function needsCloudCredentials(spec: ClusterSpec): boolean {
  const on = cloudIntegrationOn(spec);
  return (spec.provider.name === 'exoscale' || spec.provider.name === 'openstack') && (on.ccm || on.csi);
}

/** Where this cluster's CCM/CSI credentials come from; undefined when it needs none (aws, static, both off). */
export function cloudCredentialSource(spec: ClusterSpec): 'terraform' | 'environment' | undefined {
  return needsCloudCredentials(spec) ? spec.cloudIntegration.credentials : undefined;
}

/** The tfvar cloud_credentials_from_terraform: false when the user brings the key (the module then makes none). */
export function credentialsFromTerraform(spec: ClusterSpec): boolean {
  return spec.cloudIntegration.credentials !== 'environment';
}

function environmentVariables(spec: ClusterSpec): readonly string[] {
  if (cloudCredentialSource(spec) !== 'environment') return [];
  const name = spec.provider.name;
  return name === 'exoscale' || name === 'openstack' ? Object.values(CLOUD_CREDENTIAL_VARIABLES[name]) : [];
}

const set = (env: Record<string, string | undefined>, name: string) => (env[name] ?? '').trim() !== '';

/** The K8SB_* variables cloudIntegration.credentials: environment needs and `env` lacks (or has empty). */
export function missingCloudCredentialVariables(spec: ClusterSpec, env: Record<string, string | undefined>): string[] {
  return environmentVariables(spec).filter((name) => !set(env, name));
}

/** The problem "the user's CCM/CSI key is not in the environment", naming the variables; undefined when fine. */
export function cloudCredentialsIssue(spec: ClusterSpec, env: Record<string, string | undefined>): ValidationIssue | undefined {
  const missing = missingCloudCredentialVariables(spec, env);
  if (missing.length === 0) return undefined;
  const what = spec.provider.name === 'exoscale'
    ? 'the key and secret of an Exoscale API key whose IAM role allows what the CCM and CSI call (README "Cloud integration and storage"), not your own EXOSCALE_API_KEY'
    : 'the ID and secret of a Keystone application credential of the cluster\'s project (README "Cloud integration and storage"), not your own OS_* login';
  return {
    path: 'cloudIntegration.credentials',
    message: `is environment, but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set`,
    value: 'environment',
    fix: `export ${environmentVariables(spec).join(' and ')} with ${what}; or set cloudIntegration.credentials: terraform to let the module create one`,
  };
}

/** The values cloudIntegration.credentials: environment hands over, for the run's redaction from its start. */
export function cloudCredentialSecretValues(spec: ClusterSpec, env: Record<string, string | undefined>): string[] {
  return environmentVariables(spec).filter((name) => set(env, name)).map((name) => env[name]!.trim());
}

/**
 * `outputs` is `terraform output -json` as TerraformCli.output() returns it ({sensitive, type,
 * value} per name) or already unwrapped. Empty when nothing in the cluster needs credentials
 * (aws, static, ccm and csi both off). A missing or empty output is the module's fault: the
 * error names the output, never a value. With cloudIntegration.credentials: environment the key
 * comes from `env` (CLOUD_CREDENTIAL_VARIABLES; missing: exit 2 naming them) and only OpenStack's
 * auth_url from the outputs.
 */
export function readCloudCredentials(spec: ClusterSpec, outputs: Record<string, unknown>, env: Record<string, string | undefined> = {}): CloudCredentials {
  if (!needsCloudCredentials(spec)) return {};
  const provider = spec.provider;
  const fromEnv = spec.cloudIntegration.credentials === 'environment';
  if (fromEnv) {
    const issue = cloudCredentialsIssue(spec, env);
    if (issue) throw new ValidationError([issue], 'The cloud controller manager and CSI driver have no credentials');
  }
  const variable = (name: string) => env[name]!.trim();
  if (provider.name === 'exoscale') {
    if (fromEnv) {
      const names = CLOUD_CREDENTIAL_VARIABLES.exoscale;
      return { exoscale: { apiKey: variable(names.apiKey), apiSecret: variable(names.apiSecret) } };
    }
    const names = CLOUD_CREDENTIAL_OUTPUTS.exoscale;
    const values = pick(outputValues(outputs), Object.values(names));
    return { exoscale: { apiKey: values[names.apiKey]!, apiSecret: values[names.apiSecret]! } };
  }
  if (provider.name === 'openstack') {
    const names = CLOUD_CREDENTIAL_OUTPUTS.openstack;
    const values = pick(outputValues(outputs), fromEnv ? [names.authUrl] : Object.values(names));
    const variables = CLOUD_CREDENTIAL_VARIABLES.openstack;
    return {
      openstack: {
        authUrl: values[names.authUrl]!,
        // The region the module built in (its provider's region = provider.region of cluster.yaml).
        region: provider.region,
        applicationCredentialId: fromEnv ? variable(variables.applicationCredentialId) : values[names.applicationCredentialId]!,
        applicationCredentialSecret: fromEnv ? variable(variables.applicationCredentialSecret) : values[names.applicationCredentialSecret]!,
        ...loadBalancerNetwork(outputValues(outputs)),
      },
    };
  }
  return {};
}

/** The module's floating_network_id and subnet_id, when it has them (a module of your own may not). */
function loadBalancerNetwork(values: Record<string, unknown>): { floatingNetworkId?: string; subnetId?: string } {
  const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);
  const floatingNetworkId = text(values.floating_network_id);
  const subnetId = text(values.subnet_id);
  return { ...(floatingNetworkId ? { floatingNetworkId } : {}), ...(subnetId ? { subnetId } : {}) };
}

/** Every secret value of `credentials`, for the run's redaction (the auth URL and region are not secret). */
export function registerCloudCredentials(secrets: Pick<SecretSet, 'add'>, credentials: CloudCredentials): void {
  secrets.add(credentials.exoscale?.apiKey, credentials.exoscale?.apiSecret);
  secrets.add(credentials.openstack?.applicationCredentialId, credentials.openstack?.applicationCredentialSecret);
}

function pick(values: Record<string, unknown>, names: readonly string[]): Record<string, string> {
  const problems = names.filter((name) => typeof values[name] !== 'string' || (values[name] as string).trim() === '');
  if (problems.length > 0) {
    const list = problems.map((name) => `"${name}"`).join(', ');
    throw new ExternalToolError('CloudCredentialsMissing', `The Terraform outputs lack the credentials of the cloud controller manager and CSI driver: output ${list} ${problems.length === 1 ? 'is' : 'are'} missing or empty`, {
      details: problems.map((name) => `output "${name}" is missing or empty`),
      hint: `The module in the cluster folder's terraform/ must output ${names.join(', ')} (sensitive), as templates/terraform/<provider>/outputs.tf does; or set cloudIntegration.ccm and cloudIntegration.csi to false in cluster.yaml.`,
    });
  }
  return Object.fromEntries(names.map((name) => [name, (values[name] as string).trim()]));
}
