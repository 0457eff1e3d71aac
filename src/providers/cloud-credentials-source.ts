/**
 * SshNodeOps' `cloudCredentials` callback: reads `terraform output -json` of the cluster folder's
 * terraform/ when a step first needs the credentials (also on a resumed run, whose Infrastructure
 * step was done earlier), or, with cloudIntegration.credentials: environment, takes the user's key
 * from the K8SB_* variables; registers the secrets for redaction, and remembers the answer. Nothing
 * is written to disk: the values stay in Terraform's state and in memory.
 */
import type { ClusterSpec } from '../config/schema.js';
import type { SecretSet } from '../engine/redact.js';
import { resolveTerraformBinary, TerraformCli } from '../tools/terraform.js';
import { needsCloudCredentials, readCloudCredentials, registerCloudCredentials, type CloudCredentials } from './cloud-credentials.js';
import { isCloudProvider, providerAdapter } from './index.js';
import { terraformDirOf, terraformEnvironment } from './terraform-common.js';

export interface CloudCredentialsSourceOptions {
  spec: ClusterSpec;
  /** The cluster folder (its terraform/ holds the state or the backend config). */
  clusterDir: string;
  env: Record<string, string | undefined>;
  secrets: Pick<SecretSet, 'add'>;
  signal?: AbortSignal;
}

export function cloudCredentialsSource(options: CloudCredentialsSourceOptions): () => Promise<CloudCredentials> {
  let answer: Promise<CloudCredentials> | undefined;
  return () => {
    answer ??= read(options).catch((error: unknown) => {
      answer = undefined; // a later call may try again (e.g. after an interrupted output)
      throw error;
    });
    return answer;
  };
}

async function read({ spec, clusterDir, env, secrets, signal }: CloudCredentialsSourceOptions): Promise<CloudCredentials> {
  const name = spec.provider.name;
  // No Terraform outputs to read where nothing needs them (static, aws, both parts off).
  if (!isCloudProvider(name) || !needsCloudCredentials(spec)) return {};
  // A key the user made (cloudIntegration.credentials: environment): Exoscale needs nothing of
  // Terraform; OpenStack still reads auth_url there.
  if (name === 'exoscale' && spec.cloudIntegration.credentials === 'environment') {
    const credentials = readCloudCredentials(spec, {}, env);
    registerCloudCredentials(secrets, credentials);
    return credentials;
  }
  const adapter = providerAdapter(name);
  const terraform = new TerraformCli({
    dir: terraformDirOf(clusterDir),
    binary: await resolveTerraformBinary(spec.terraform.binary, env),
    env: terraformEnvironment(adapter, spec, env),
    signal,
  });
  const credentials = readCloudCredentials(spec, await terraform.output(), env);
  registerCloudCredentials(secrets, credentials);
  return credentials;
}
