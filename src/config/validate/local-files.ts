/**
 * The files on this machine a spec names, checked where the person can still fix them: before
 * the summary, in the dry run and in `config validate`, not after "Yes" with a raw ENOENT. Only
 * on request (validateSpec's localFiles): a spec recorded in state.json or a printed example is
 * not about this machine's files. The rule itself is config/ssh-key-file.ts, shared with the run.
 */
import type { ValidationIssue } from '../../errors.js';
import { sshKeyFileIssue } from '../ssh-key-file.js';

export function localFileIssues(privateKey: unknown): ValidationIssue[] {
  if (typeof privateKey !== 'string' || privateKey === '') return [];
  const issue = sshKeyFileIssue(privateKey);
  return issue ? [{ path: 'ssh.privateKey', message: issue.reason, value: privateKey, fix: issue.fix }] : [];
}
