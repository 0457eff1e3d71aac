/**
 * The one rule for a local SSH private key file, shared by validation (config validate, init and
 * its dry run, the wizard) and the run (tools/ssh/keys.ts), so all of them refuse the same files
 * with the same words. Like OpenSSH's "UNPROTECTED PRIVATE KEY FILE", a key others can read is refused.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { homedir } from 'node:os';

export type SshKeyFileProblemKind = 'missing' | 'not-a-file' | 'unreadable' | 'too-open';

export interface SshKeyFileIssue {
  kind: SshKeyFileProblemKind;
  /** What is wrong, as a sentence naming the path. */
  message: string;
  /** What is wrong without the path, to follow a field name ("ssh.privateKey: …"). */
  reason: string;
  /** How to fix it, lower-case and without a final period: it may end with a command to copy. */
  fix: string;
  /** The permission bits, for 'too-open'. */
  mode?: number;
}

/** `~/x` → `$HOME/x`, the way the run expands ssh.privateKey and ssh.knownHosts. */
export function expandHome(path: string): string {
  const home = process.env.HOME ?? homedir();
  return path === '~' ? home : path.startsWith('~/') ? `${home}${path.slice(1)}` : path;
}

/** Undefined when the key file is usable, else what is wrong and the fix. `path` may start with ~/. */
export function sshKeyFileIssue(path: string): SshKeyFileIssue | undefined {
  const file = expandHome(path);
  const shown = file === path ? path : `${path} (${file})`;
  const where = file === path ? '' : ` (${file})`;
  let stats;
  try {
    stats = statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      return {
        kind: 'missing',
        message: `There is no SSH private key at ${shown}.`,
        reason: `names no existing file${where}`,
        fix: 'give the path of an existing private key file',
      };
    }
    return unreadable(shown, where, error);
  }
  if (!stats.isFile()) {
    return { kind: 'not-a-file', message: `The SSH private key ${shown} is not a file.`, reason: `is not a file${where}`, fix: 'give the path of the private key file itself' };
  }
  try {
    accessSync(file, constants.R_OK);
  } catch (error) {
    return unreadable(shown, where, error);
  }
  const mode = stats.mode & 0o777;
  if ((mode & 0o077) !== 0) {
    const octal = mode.toString(8).padStart(4, '0');
    return {
      kind: 'too-open',
      mode,
      message: `The SSH private key ${shown} is readable by group or others (mode ${octal}), and SSH refuses such a key.`,
      reason: `is readable by group or others (mode ${octal}${file === path ? '' : `, ${file}`}), and SSH refuses such a key`,
      fix: `restrict it: chmod 600 ${file}`,
    };
  }
  return undefined;
}

/** The same rule as one sentence with its fix; undefined when the key file is fine. */
export function sshKeyFileProblem(path: string): string | undefined {
  const issue = sshKeyFileIssue(path);
  return issue ? `${issue.message} ${issue.fix.charAt(0).toUpperCase()}${issue.fix.slice(1)}` : undefined;
}

function unreadable(shown: string, where: string, error: unknown): SshKeyFileIssue {
  const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  return {
    kind: 'unreadable',
    message: `The SSH private key ${shown} cannot be read (${code}).`,
    reason: `cannot be read (${code})${where}`,
    fix: 'make it readable by the user who runs k8s-bootstrap, and by nobody else (chmod 600)',
  };
}
