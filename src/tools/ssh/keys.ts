/**
 * The local private key file: refused like OpenSSH refuses it when others can read it, read once
 * for the pool, and a passphrase-protected key explained instead of failing with ssh2's words.
 * Generating a key is keygen.ts's job.
 */
import { readFile } from 'node:fs/promises';
import { sshKeyFileIssue } from '../../config/ssh-key-file.js';
import { PreflightError } from '../../errors.js';
import { UnprotectedPrivateKeyError } from './errors.js';

/**
 * Like OpenSSH's "UNPROTECTED PRIVATE KEY FILE": a key others can read is refused. The rule is
 * config/ssh-key-file.ts, which validation (config validate, init before the summary) uses too.
 */
export function checkPrivateKeyFile(path: string): void {
  const issue = sshKeyFileIssue(path);
  if (issue === undefined) return;
  if (issue.kind === 'too-open') throw new UnprotectedPrivateKeyError(path, issue.mode ?? 0);
  throw new PreflightError('PrivateKeyNotFound', issue.message, { hint: `Check --ssh-key / ssh.privateKey: ${issue.fix}.` });
}

/** The key file's text, checked first (its mode may have changed since the pool was made). */
export async function readPrivateKey(path: string): Promise<string> {
  checkPrivateKeyFile(path);
  return readFile(path, 'utf8');
}

/** The error to show when ssh2 could not use the key because it is encrypted; undefined for any other failure. */
export function encryptedKeyError(error: unknown, path: string | undefined): PreflightError | undefined {
  if (!(error instanceof Error) || !/encrypted private key|passphrase/i.test(error.message)) return undefined;
  return new PreflightError('EncryptedPrivateKey', `The private key ${path} is protected by a passphrase.`, {
    hint: 'Load it into ssh-agent (ssh-add) and let the tool use SSH_AUTH_SOCK instead of the key file.',
  });
}
