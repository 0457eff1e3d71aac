/**
 * The credentials the cloud controller manager and the CSI driver use inside the cluster, taken
 * from the Terraform outputs the module creates them as (never the operator's own keys):
 * - exoscale: a restricted API key (exoscale_iam_role + exoscale_iam_api_key) -> ccm_api_key/ccm_api_secret;
 * - openstack: an application credential (openstack_identity_application_credential_v3) ->
 *   application_credential_id/application_credential_secret, plus auth_url;
 * - aws: nothing; the nodes' instance profile gives the CCM and EBS CSI their rights.
 * The values are secrets: they never reach inventory.json, state.json, argv or logs, and the
 * caller registers them with the run's SecretSet (registerCloudCredentials).
 */
import { ExternalToolError } from '../errors.js';
import { cloudIntegrationOn } from '../config/cloud-integration.js';
import type { ClusterSpec } from '../config/schema.js';
import type { SecretSet } from '../engine/redact.js';
import { outputValues } from './inventory-check.js';

export interface CloudCredentials {
  exoscale?: { apiKey: string; apiSecret: string };
  openstack?: { authUrl: string; region: string; applicationCredentialId: string; applicationCredentialSecret: string };
}

/** The Terraform outputs of each cloud's credentials, by CloudCredentials field. */
export const CLOUD_CREDENTIAL_OUTPUTS = {
  exoscale: { apiKey: 'ccm_api_key', apiSecret: 'ccm_api_secret' },
  openstack: { authUrl: 'auth_url', applicationCredentialId: 'application_credential_id', applicationCredentialSecret: 'application_credential_secret' },
} as const;

/** True when the cluster's CCM or CSI needs credentials from Terraform (exoscale, openstack with either on). */
export function needsCloudCredentials(spec: ClusterSpec): boolean {
  const on = cloudIntegrationOn(spec);
  return (spec.provider.name === 'exoscale' || spec.provider.name === 'openstack') && (on.ccm || on.csi);
}

/**
 * `outputs` is `terraform output -json` as TerraformCli.output() returns it ({sensitive, type,
 * value} per name) or already unwrapped. Empty when nothing in the cluster needs credentials
 * (aws, static, ccm and csi both off). A missing or empty output is the module's fault: the
 * error names the output, never a value.
 */
export function readCloudCredentials(spec: ClusterSpec, outputs: Record<string, unknown>): CloudCredentials {
  if (!needsCloudCredentials(spec)) return {};
  const provider = spec.provider;
  if (provider.name === 'exoscale') {
    const names = CLOUD_CREDENTIAL_OUTPUTS.exoscale;
    const values = pick(outputValues(outputs), Object.values(names));
    return { exoscale: { apiKey: values[names.apiKey]!, apiSecret: values[names.apiSecret]! } };
  }
  if (provider.name === 'openstack') {
    const names = CLOUD_CREDENTIAL_OUTPUTS.openstack;
    const values = pick(outputValues(outputs), Object.values(names));
    return {
      openstack: {
        authUrl: values[names.authUrl]!,
        // The region the module built in (its provider's region = provider.region of cluster.yaml).
        region: provider.region,
        applicationCredentialId: values[names.applicationCredentialId]!,
        applicationCredentialSecret: values[names.applicationCredentialSecret]!,
      },
    };
  }
  return {};
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
