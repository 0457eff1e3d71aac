/** What the day-2 handlers do alike before they change anything: show the plan, check credentials. */
import { ValidationError } from '../../errors.js';
import { credentialIssue } from '../../providers/credentials.js';
import { isCloudProvider } from '../../providers/index.js';
import type { ClusterSpec } from '../../config/schema.js';
import type { CliContext } from '../context.js';

/**
 * A dry run prints the plan as its result (stdout) and stops: returns true. Otherwise the plan
 * goes to stderr, ahead of the confirmation, and the run goes on.
 */
export function showPlan(ctx: CliContext, text: string, dryRun: boolean | undefined): boolean {
  if (dryRun) {
    ctx.write(text);
    ctx.write('[dry run] nothing was changed.');
    return true;
  }
  ctx.error(text);
  return false;
}

/** Cloud providers need their credentials before Terraform runs; static clusters none. */
export function requireCredentials(ctx: CliContext, spec: ClusterSpec, heading: string): void {
  if (!isCloudProvider(spec.provider.name)) return;
  const issue = credentialIssue(spec.provider.name, ctx.env);
  if (issue) throw new ValidationError([issue], heading);
}
