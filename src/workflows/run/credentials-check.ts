/**
 * Cloud commands need the provider's credentials before Terraform runs; static clusters none.
 * Commands that apply the CCM/CSI Secrets (init, upgrade) also need the user's key when
 * cloudIntegration.credentials is environment: its K8SB_* variables, checked here before anything runs.
 */
import { ValidationError, type ValidationIssue } from '../../errors.js';
import { credentialIssue } from '../../providers/credentials.js';
import { cloudCredentialsIssue } from '../../providers/cloud-credentials.js';
import { isCloudProvider } from '../../providers/index.js';
import type { ClusterSpec } from '../../config/schema.js';

export function assertCredentials(spec: ClusterSpec, env: NodeJS.ProcessEnv, heading: string, options: { cloudControllers?: boolean } = {}): void {
  const issues: ValidationIssue[] = [];
  if (isCloudProvider(spec.provider.name)) {
    const issue = credentialIssue(spec.provider.name, env);
    if (issue) issues.push(issue);
  }
  const cloud = options.cloudControllers ? cloudCredentialsIssue(spec, env) : undefined;
  if (cloud) issues.push(cloud);
  if (issues.length > 0) throw new ValidationError(issues, heading);
}

/** Only the CCM/CSI key of cloudIntegration.credentials: environment (upgrade: no Terraform runs). */
export function assertCloudControllerCredentials(spec: ClusterSpec, env: NodeJS.ProcessEnv, heading: string): void {
  const issue = cloudCredentialsIssue(spec, env);
  if (issue) throw new ValidationError([issue], heading);
}
