/**
 * Errors of the SSH layer. Each one names the node and, where a command was involved, the
 * command in its redacted form, so that no failure is anonymous.
 */
import { ExternalToolError, PreflightError } from '../../errors.js';
import { formatBytes } from './remote-output.js';

export class HostKeyMismatchError extends PreflightError {
  constructor(
    readonly node: string,
    readonly address: string,
    readonly expected: string[],
    readonly presented: string,
    storeFile: string,
  ) {
    super(
      'HostKeyMismatch',
      `Host key of node ${node} (${address}) does not match the pinned key; nothing was run on it.\n` +
        `  expected: ${expected.join(', ')}\n  presented: ${presented}`,
      {
        hint:
          `If the machine was legitimately reinstalled, verify the new fingerprint out of band (on the node: ` +
          `ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub), then remove the line for ${address} from ${storeFile} ` +
          `(ssh-keygen -R '${address}' -f ${storeFile}) and run again. Otherwise, treat it as a possible attack.`,
      },
    );
  }
}

/** A host with no pinned key, met by a command that may not pin one (everything but init and add-workers). */
export class HostKeyNotPinnedError extends PreflightError {
  constructor(
    readonly node: string,
    readonly address: string,
    presented: string,
    storeFile: string,
  ) {
    super('HostKeyNotPinned', `Node ${node} (${address}) has no pinned host key in ${storeFile}; it was not trusted and nothing was run on it. It presented ${presented}.`, {
      hint:
        `Only init and add-workers pin the key of a machine they meet for the first time. If ${address} is a machine of this cluster, ` +
        `check that fingerprint on the machine itself (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub), add its line ` +
        `("${address} <type> <key>") to ${storeFile} or to the file ssh.knownHosts names, and run again.`,
    });
  }
}

export class HostKeyRevokedError extends PreflightError {
  constructor(
    readonly node: string,
    readonly address: string,
    presented: string,
    revokedIn: string,
  ) {
    super('HostKeyRevoked', `Node ${node} (${address}) presented the host key ${presented}, which ${revokedIn} marks @revoked; nothing was run on it.`, {
      hint: `A revoked key is never accepted. Give the machine a new host key and pin that one, or remove the @revoked line from ${revokedIn} if it is wrong.`,
    });
  }
}

/** ssh2 does not negotiate host certificates: a @cert-authority line cannot be honoured, so it is not silently skipped either. */
export class HostCertificateUnsupportedError extends PreflightError {
  constructor(
    readonly node: string,
    readonly address: string,
    authorityIn: string,
    storeFile: string,
  ) {
    super(
      'HostCertificatesUnsupported',
      `${authorityIn} has a @cert-authority line for node ${node} (${address}), but host certificates are not supported; the node was not trusted and nothing was run on it.`,
      {
        hint:
          `Pin the node's host key itself: add "${address} <type> <key>" (from /etc/ssh/ssh_host_*_key.pub on the node, checked out of band) ` +
          `to ${authorityIn} or to ${storeFile}, and run again.`,
      },
    );
  }
}

export class UnprotectedPrivateKeyError extends PreflightError {
  constructor(path: string, mode: number) {
    super('UnprotectedPrivateKey', `The SSH private key ${path} is readable by group or others (mode ${(mode & 0o777).toString(8).padStart(4, '0')}), and SSH refuses such a key.`, {
      hint: `Restrict it: chmod 600 ${path}`,
    });
  }
}

export class SshUnreachableError extends PreflightError {
  constructor(node: string, address: string, waitedMs: number, lastError: string) {
    super('SshUnreachable', `Node ${node} (${address}) did not accept an SSH session within ${Math.round(waitedMs / 1000)}s: ${lastError}`, {
      hint: 'Check that the machine is running, the address and port are right, the firewall allows SSH from here, and the SSH user and key are accepted.',
    });
  }
}

export interface RemoteFailureDetails {
  node: string;
  /** The command as shown to people: secrets replaced by ***. */
  command: string;
}

export class RemoteCommandError extends ExternalToolError {
  readonly node: string;
  readonly command: string;
  readonly remoteExitCode: number | null;
  constructor(info: RemoteFailureDetails & { exitCode: number | null; signal?: string; tail: string[] }) {
    const how = info.signal ? `was killed by signal ${info.signal}` : `exited with code ${info.exitCode}`;
    super('RemoteCommandFailed', `On node ${info.node}: \`${info.command}\` ${how}.`, { details: info.tail });
    this.node = info.node;
    this.command = info.command;
    this.remoteExitCode = info.exitCode;
  }
}

export class RemoteCommandTimedOutError extends ExternalToolError {
  constructor(readonly node: string, readonly command: string, timeoutMs: number, tail: string[]) {
    super('RemoteCommandTimedOut', `On node ${node}: \`${command}\` did not finish within ${Math.round(timeoutMs / 1000)}s and was stopped.`, {
      details: tail,
      hint: 'See the last output lines; the node may be slow or stuck. Re-running is safe for idempotent steps.',
    });
  }
}

/** A command printed more than the tool keeps (a broken or hostile node); it was stopped. */
export class RemoteOutputTooLargeError extends ExternalToolError {
  constructor(
    readonly node: string,
    readonly command: string,
    stream: 'stdout' | 'stderr',
    limitBytes: number,
    tail: string[],
  ) {
    super('RemoteOutputTooLarge', `On node ${node}: \`${command}\` printed more than ${formatBytes(limitBytes)} on ${stream}; it was stopped.`, {
      details: tail,
      hint: `A command's output is capped so that a broken or hostile node cannot exhaust this machine's memory; this command does not normally print that much. Look at the node.`,
    });
  }
}

export class ConnectionLostError extends ExternalToolError {
  constructor(readonly node: string, readonly command: string, attempts: number, cause?: unknown) {
    super('ConnectionLost', `SSH connection to node ${node} was lost while running \`${command}\` (attempt ${attempts}).`, {
      cause,
      hint: 'The command may or may not have completed on the node. Check the node, then run the command again.',
    });
  }
}

export class RemoteTransferError extends ExternalToolError {
  constructor(node: string, what: string, cause: unknown) {
    super('RemoteTransferFailed', `On node ${node}: ${what} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
