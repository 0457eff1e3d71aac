/**
 * An interactive shell on a node through the system's OpenSSH client: it owns the terminal (raw
 * mode, window size, escapes) far better than a hand-rolled ssh2 shell would. The client is held
 * to what the rest of the tool enforces: only the cluster's known_hosts files count
 * (StrictHostKeyChecking=yes, never updated), only the cluster's key, no prompts, no
 * ~/.ssh/config, and the bastion is reached with the same settings through ProxyCommand
 * (ProxyJump would start the jump connection without them).
 */
import { UsageError } from '../errors.js';
import { quoteArg } from './shell-quote.js';
import { findExecutable, runTool } from './subprocess.js';

export interface OpenSshTarget {
  host: string;
  /** @default 22 */
  port?: number;
  user: string;
  /** Without it, ssh-agent (SSH_AUTH_SOCK) supplies the key. */
  privateKeyPath?: string;
  /** Pinned host keys; the cluster's own file first. */
  knownHostsFiles: string[];
  bastion?: { host: string; port?: number; user: string };
}

/** OpenSSH expands %-tokens in these paths; refusing them is simpler than escaping twice (ProxyCommand, then the inner ssh). */
function checkPath(path: string, what: string): string {
  if (path.includes('%') || path.includes('"') || /[\r\n]/.test(path)) {
    throw new UsageError('UnsupportedPath', `${what} ${JSON.stringify(path)} contains a character the OpenSSH client cannot be given (%, " or a newline)`, {
      hint: 'Move the cluster folder (or the file) to a path without those characters.',
    });
  }
  return path;
}

/** A path inside an `-o Key=value` option: double-quoted when it has spaces. */
function optionPath(path: string, what: string): string {
  checkPath(path, what);
  return /\s/.test(path) ? `"${path}"` : path;
}

/** Options every connection (node and bastion) gets. */
function commonOptions(target: Pick<OpenSshTarget, 'privateKeyPath' | 'knownHostsFiles'>): string[] {
  if (target.knownHostsFiles.length === 0) throw new Error('openSshArgv needs at least one known_hosts file');
  const options = [
    '-F', '/dev/null',
    '-o', `UserKnownHostsFile=${target.knownHostsFiles.map((file) => optionPath(file, 'known_hosts file')).join(' ')}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'UpdateHostKeys=no',
    '-o', 'BatchMode=yes',
    '-o', 'PasswordAuthentication=no',
  ];
  if (target.privateKeyPath) options.push('-i', checkPath(target.privateKeyPath, 'private key'), '-o', 'IdentitiesOnly=yes');
  return options;
}

/** The argv (without the program) of `ssh` to the target; `command` words are joined like OpenSSH does. */
export function openSshArgv(target: OpenSshTarget, sshPath = 'ssh', command: string[] = []): string[] {
  const argv = commonOptions(target);
  if (target.bastion) {
    const proxy = [
      sshPath,
      ...commonOptions(target),
      '-p', String(target.bastion.port ?? 22),
      '-l', target.bastion.user,
      '-W', '%h:%p',
      '--', target.bastion.host,
    ];
    // ProxyCommand runs through /bin/sh -c: every word is single-quoted, except the %h:%p tokens ssh fills in.
    argv.push('-o', `ProxyCommand=${proxy.map((word) => (word === '%h:%p' ? word : quoteArg(word))).join(' ')}`);
  }
  argv.push('-p', String(target.port ?? 22), '-l', target.user, '--', target.host, ...command);
  return argv;
}

export interface InteractiveSshOptions {
  signal?: AbortSignal;
  env?: Record<string, string | undefined>;
}

/** Runs `ssh` on this terminal and returns its exit code (the remote shell's, or 255 for an SSH error). */
export async function runInteractiveSsh(target: OpenSshTarget, options: InteractiveSshOptions = {}): Promise<number> {
  const ssh = await findExecutable('ssh', options.env?.PATH ?? process.env.PATH ?? '');
  if (!ssh) {
    throw new UsageError('SshClientMissing', 'The OpenSSH client (ssh) was not found on PATH; an interactive shell needs it', {
      hint: 'Install openssh-client, or run one command with "k8s-bootstrap ssh NODE -- COMMAND", which does not need it.',
    });
  }
  const result = await runTool(ssh, openSshArgv(target, ssh), {
    inheritStdio: true,
    allowFailure: true,
    env: options.env,
    signal: options.signal,
    killSignal: 'SIGHUP',
    forceKillAfterMs: 5_000,
  });
  return result.exitCode;
}
