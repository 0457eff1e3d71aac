/**
 * The files on this machine a spec names, checked where the person can still fix them: before
 * the summary, in the dry run and in `config validate`, not after "Yes" with a raw ENOENT. Only
 * on request (validateSpec's localFiles): a spec recorded in state.json or a printed example is
 * not about this machine's files. The rule itself is config/ssh-key-file.ts, shared with the run.
 */
import type { ValidationIssue } from '../../errors.js';
import { sshKeyFileIssue } from '../ssh-key-file.js';

/**
 * Static hosts have no key the tool could generate: without a key file they are reached through
 * the ssh-agent, which must then be there (the run's SshPool refuses the same case, later).
 */
export function localFileIssues(privateKey: unknown, provider: unknown, env: NodeJS.ProcessEnv): ValidationIssue[] {
  if ((typeof privateKey !== 'string' || privateKey === '') && provider === 'static' && !env.SSH_AUTH_SOCK) {
    return [{ path: 'ssh.privateKey', message: 'is not set and no ssh-agent runs (SSH_AUTH_SOCK is unset), so the hosts cannot be reached', fix: 'pass --ssh-key FILE (or set ssh.privateKey), or start ssh-agent and ssh-add your key' }];
  }
  if (typeof privateKey !== 'string' || privateKey === '') return [];
  const issue = sshKeyFileIssue(privateKey);
  return issue ? [{ path: 'ssh.privateKey', message: issue.reason, value: privateKey, fix: issue.fix }] : [];
}
