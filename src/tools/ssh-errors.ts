/**
 * Errors of the SSH layer. Each one names the node and, where a command was involved, the
 * command in its redacted form, so that no failure is anonymous.
 */
import { ExternalToolError, PreflightError } from '../errors.js';

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

export class UnprotectedPrivateKeyError extends PreflightError {
  constructor(path: string, mode: number) {
    super('UnprotectedPrivateKey', `Private key file ${path} is readable by group or others (mode ${(mode & 0o777).toString(8).padStart(4, '0')}).`, {
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
