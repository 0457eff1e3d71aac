/** Cloud commands need the provider's credentials before Terraform runs; static clusters none. */
import { ValidationError } from '../../errors.js';
import { credentialIssue } from '../../providers/credentials.js';
import { isCloudProvider } from '../../providers/index.js';
import type { ClusterSpec } from '../../config/schema.js';

export function assertCredentials(spec: ClusterSpec, env: NodeJS.ProcessEnv, heading: string): void {
  if (!isCloudProvider(spec.provider.name)) return;
  const issue = credentialIssue(spec.provider.name, env);
  if (issue) throw new ValidationError([issue], heading);
}
