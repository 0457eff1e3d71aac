/**
 * A node's reusable SSH session: what the rest of the tool does on a node (exec, upload, install
 * a file, read a file, run a script), over a connection the pool opens lazily and opens again
 * after a drop. Idempotent operations are retried on a new connection; at most
 * CHANNELS_PER_CONNECTION run at once per node, and each holds one of the pool's slots.
 */
import { randomBytes } from 'node:crypto';
import { UsageError } from '../../errors.js';
import { runOnce, type ChannelOptions, type ExecResult } from './channel.js';
import { buildCommandLine, type CommandLineOptions, type RemoteCommand } from './command.js';
import { ConnectionLostError, RemoteTransferError } from './errors.js';
import { abortErrorOf, anySignal, Semaphore, throwIfAborted } from './limit.js';
import { ConnectionDropped, type Link } from './link.js';
import type { NodeAddress, SshPool } from './pool.js';
import { LARGE_OUTPUT_LIMIT_BYTES } from './remote-output.js';
import type { SftpSession } from './types.js';

/** Where the scripts and staged files go on the node (owned by the SSH user, 0700). */
export const REMOTE_STAGING_DIR = '/tmp/k8sb';

/** Concurrent channels per connection: OpenSSH's MaxSessions defaults to 10. */
const CHANNELS_PER_CONNECTION = 8;

export interface ExecOptions extends CommandLineOptions, ChannelOptions {
  signal?: AbortSignal;
  /** Safe to run again: a dropped connection is then reconnected and the command retried. */
  idempotent?: boolean;
}

export interface TransferOptions {
  signal?: AbortSignal;
  /** @default 60000 */
  timeoutMs?: number;
  onLine?: ExecOptions['onLine'];
}

export interface RunScriptOptions extends Omit<ExecOptions, 'sudo'> {
  /** @default true */
  sudo?: boolean;
}

/** A script to run on a node: its file name stem and its text (kube/node-scripts.ts reads them from templates/scripts). */
export interface NodeScript {
  name: string;
  content: string;
}

export class NodeSession {
  private link?: Link;
  private connecting?: Promise<Link>;
  private readonly channels = new Semaphore(CHANNELS_PER_CONNECTION);

  constructor(
    private readonly pool: SshPool,
    readonly node: NodeAddress,
  ) {}

  get name(): string {
    return this.node.name;
  }

  async ensureConnected(signal?: AbortSignal): Promise<void> {
    await this.currentLink(anySignal(signal, this.pool.signal));
  }

  private async currentLink(signal?: AbortSignal): Promise<Link> {
    if (this.link && !this.link.closed) return this.link;
    this.connecting ??= this.pool
      .openLink(this.node, signal)
      .then((link) => {
        this.link = link;
        return link;
      })
      .finally(() => {
        this.connecting = undefined;
      });
    return this.connecting;
  }

  /** Runs a command; see ExecOptions. Throws RemoteCommandError on non-zero exit unless allowFailure. */
  async exec(command: RemoteCommand, options: ExecOptions): Promise<ExecResult> {
    const built = buildCommandLine(command, options);
    return this.withRetries(built.display, options, (link, signal) => runOnce(link, this.node.name, built, options, signal));
  }

  /** Writes a file by SFTP (as the SSH user) under /tmp/k8sb. */
  async upload(content: string | Buffer, remotePath: string, options: TransferOptions & { mode?: number } = {}): Promise<void> {
    if (!remotePath.startsWith(`${REMOTE_STAGING_DIR}/`) || remotePath.includes('/../')) {
      throw new UsageError('InvalidRemotePath', `Uploads go under ${REMOTE_STAGING_DIR}/, got ${remotePath}`);
    }
    const what = `upload of ${remotePath}`;
    await this.withRetries(what, { ...options, idempotent: true }, async (link, signal) => {
      await this.ensureStaging(link, options, signal);
      await this.sftpWrite(link, remotePath, content, options.mode ?? 0o600, options.timeoutMs ?? 60_000, signal);
    });
  }

  /** Upload to /tmp/k8sb, `install -m MODE -D` to the destination (sudo by default), remove the temporary copy. */
  async installFile(content: string | Buffer, destPath: string, mode: number, options: TransferOptions & { sudo?: boolean } = {}): Promise<void> {
    const staged = `${REMOTE_STAGING_DIR}/${randomBytes(6).toString('hex')}-${destPath.split('/').pop() || 'file'}`;
    const timeoutMs = options.timeoutMs ?? 60_000;
    await this.upload(content, staged, { ...options, mode: 0o600 });
    try {
      await this.exec(['install', '-m', formatMode(mode), '-D', staged, destPath], {
        sudo: options.sudo ?? true,
        timeoutMs,
        idempotent: true,
        signal: options.signal,
        onLine: options.onLine,
      });
    } finally {
      await this.exec(['rm', '-f', staged], { timeoutMs, idempotent: true, allowFailure: true, signal: options.signal }).catch(() => undefined);
    }
  }

  /** A remote file's content (sudo by default, at most 16 MiB unless maxOutputBytes says otherwise); never streamed to output. */
  async readFile(path: string, options: TransferOptions & { sudo?: boolean; maxOutputBytes?: number } = {}): Promise<string> {
    const result = await this.exec(['cat', path], {
      sudo: options.sudo ?? true,
      timeoutMs: options.timeoutMs ?? 60_000,
      idempotent: true,
      secretOutput: true,
      signal: options.signal,
      maxOutputBytes: options.maxOutputBytes ?? LARGE_OUTPUT_LIMIT_BYTES,
    });
    return result.stdout;
  }

  /** Uploads the script to /tmp/k8sb/<name>.sh and runs `sudo -n env K=V … bash /tmp/k8sb/<name>.sh`. */
  async runScript(script: NodeScript, options: RunScriptOptions): Promise<ExecResult> {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(script.name)) throw new UsageError('InvalidScriptName', `Invalid script name ${JSON.stringify(script.name)}`);
    const remotePath = `${REMOTE_STAGING_DIR}/${script.name}.sh`;
    await this.upload(script.content, remotePath, { mode: 0o700, signal: options.signal, onLine: options.onLine });
    return this.exec(['bash', remotePath], { ...options, sudo: options.sudo ?? true });
  }

  /**
   * Runs a node script in one SSH command, where runScript takes up to three (the staging folder,
   * the SFTP upload, bash): on a hundred workers those round trips are the run's critical path.
   * The script, then `payload` (a file the script needs, e.g. a kubeadm configuration with the
   * token: never in argv), go on stdin; `sudo -n env K=V … bash -c LOADER NAME` copies them into a
   * root-only temporary folder (mktemp -d), runs the script there with stdin from /dev/null (so no
   * command in it reads the rest of the input) and K8SB_PAYLOAD naming the payload's file, and
   * removes the folder when it ends. The exit code and output are the script's.
   */
  async runScriptInline(script: NodeScript, options: RunScriptOptions & { payload?: string }): Promise<ExecResult> {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(script.name)) throw new UsageError('InvalidScriptName', `Invalid script name ${JSON.stringify(script.name)}`);
    const { payload, ...rest } = options;
    const loader = [
      `# ${script.name}.sh, sent on stdin`,
      'set -eu',
      'd=$(mktemp -d /tmp/k8sb-run.XXXXXXXX)',
      'trap \'rm -rf "$d"\' EXIT',
      'head -c "$K8SB_SCRIPT_BYTES" >"$d/script.sh"',
      'cat >"$d/payload"',
      'K8SB_PAYLOAD="$d/payload" bash "$d/script.sh" </dev/null',
    ].join('\n');
    return this.exec({ script: loader }, {
      ...rest,
      sudo: options.sudo ?? true,
      env: { ...options.env, K8SB_SCRIPT_BYTES: String(Buffer.byteLength(script.content)) },
      stdin: payload === undefined ? script.content : Buffer.concat([Buffer.from(script.content), Buffer.from(payload)]),
    });
  }

  /**
   * Copies a file under /tmp/k8sb (readable by the SSH user) to a local path by SFTP, as the SSH
   * user; the local file is created with `mode`. For large binary files (etcd snapshots) that
   * readFile's text output cannot carry.
   */
  async download(remotePath: string, localPath: string, options: TransferOptions & { mode?: number } = {}): Promise<void> {
    if (!remotePath.startsWith(`${REMOTE_STAGING_DIR}/`) || remotePath.includes('/../')) {
      throw new UsageError('InvalidRemotePath', `Downloads come from under ${REMOTE_STAGING_DIR}/, got ${remotePath}`);
    }
    const what = `download of ${remotePath}`;
    const timeoutMs = options.timeoutMs ?? 10 * 60_000;
    await this.withRetries(what, { ...options, idempotent: true }, (link, signal) => this.sftpGet(link, remotePath, localPath, options.mode ?? 0o600, timeoutMs, signal));
  }

  close(): void {
    this.link?.dispose();
    this.link = undefined;
  }

  private async withRetries<T>(
    what: string,
    options: { signal?: AbortSignal; idempotent?: boolean; onLine?: ExecOptions['onLine'] },
    attempt: (link: Link, signal: AbortSignal | undefined) => Promise<T>,
  ): Promise<T> {
    const signal = anySignal(options.signal, this.pool.signal);
    const maxAttempts = options.idempotent ? this.pool.maxAttempts : 1;
    for (let number = 1; ; number++) {
      throwIfAborted(signal);
      const link = await this.currentLink(signal);
      const releasePool = await this.pool.limiter.acquire(signal);
      let releaseChannel: (() => void) | undefined;
      try {
        releaseChannel = await this.channels.acquire(signal);
        return await attempt(link, signal);
      } catch (error) {
        if (!(error instanceof ConnectionDropped)) throw error;
        if (number >= maxAttempts) throw new ConnectionLostError(this.node.name, what, number, error.cause);
        options.onLine?.(`connection to ${this.node.name} lost during \`${what}\`; reconnecting (attempt ${number + 1} of ${maxAttempts})`, 'info');
      } finally {
        releaseChannel?.();
        releasePool();
      }
    }
  }

  private async ensureStaging(link: Link, options: TransferOptions, signal?: AbortSignal): Promise<void> {
    if (link.stagingReady) return;
    // Created by the SSH user, 0700, and must be owned by it: another user could pre-create it.
    const built = buildCommandLine({ script: `mkdir -p -m 0700 ${REMOTE_STAGING_DIR} && test -O ${REMOTE_STAGING_DIR} && chmod 0700 ${REMOTE_STAGING_DIR}` });
    await runOnce(link, this.node.name, { line: built.line, display: `mkdir -p ${REMOTE_STAGING_DIR}`, secrets: [] }, { timeoutMs: options.timeoutMs ?? 60_000 }, signal);
    link.stagingReady = true;
  }

  private sftpGet(link: Link, remote: string, local: string, mode: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return sftpOnce(link, this.node.name, { what: `download of ${remote}`, path: remote, timeoutMs, signal }, (session, done) => session.fastGet(remote, local, { mode }, done));
  }

  private sftpWrite(link: Link, path: string, content: string | Buffer, mode: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return sftpOnce(link, this.node.name, { what: `upload of ${path}`, path, timeoutMs, signal }, (session, done) => session.writeFile(path, content, { mode }, done));
  }
}

/**
 * One SFTP session for one transfer (`act`), bounded by a timeout, the link's close and the
 * signal; the session is ended however it ends. Upload and download differ only in `act`.
 */
function sftpOnce(
  link: Link,
  node: string,
  transfer: { what: string; path: string; timeoutMs: number; signal?: AbortSignal },
  act: (session: SftpSession, done: (error?: Error | null) => void) => void,
): Promise<void> {
  const { what, path, timeoutMs, signal } = transfer;
  return new Promise((resolve, reject) => {
    let sftp: SftpSession | undefined;
    let settled = false;
    const finish = (error?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      removeClose();
      signal?.removeEventListener('abort', onAbort);
      try {
        sftp?.end();
      } catch {
        // already closed with the connection
      }
      if (error === undefined) resolve();
      else reject(error);
    };
    const timer = setTimeout(() => finish(new RemoteTransferError(node, `${what} (timed out after ${Math.round(timeoutMs / 1000)}s)`, 'timeout')), timeoutMs);
    const removeClose = link.onClose(() => finish(new ConnectionDropped(`connection closed during ${what}`)));
    const onAbort = () => finish(abortErrorOf(signal));
    signal?.addEventListener('abort', onAbort, { once: true });
    link.client.sftp((error, session) => {
      if (error) return finish(link.closed ? new ConnectionDropped(error.message) : new RemoteTransferError(node, `SFTP for ${path}`, error));
      sftp = session;
      if (settled) return session.end();
      act(session, (transferError) => {
        if (transferError) finish(link.closed ? new ConnectionDropped(transferError.message) : new RemoteTransferError(node, what, transferError));
        else finish();
      });
    });
  });
}

function formatMode(mode: number): string {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new UsageError('InvalidFileMode', `Invalid file mode ${mode}`);
  return mode.toString(8).padStart(4, '0');
}
