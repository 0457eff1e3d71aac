/**
 * SSH to the nodes, on node-ssh (ssh2): one reused connection per node, bounded parallelism,
 * pinned host keys (new ones pinned only after authentication, and only when the pool may pin),
 * per-command timeouts, line streaming, output capped per command, and retry of idempotent
 * commands when a connection drops. Every error names the node and the (redacted) command.
 */
import { randomBytes } from 'node:crypto';
import { readFile as readLocalFile } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { NodeSSH } from 'node-ssh';
import { AbortError, PreflightError, UsageError } from '../../errors.js';
import { fingerprintOf, hostKeyAlgorithmsFor, HostKeyStore, keyTypeOf, knownHostName } from './known-hosts.js';
import { CappedOutput, DEFAULT_OUTPUT_LIMIT_BYTES, LARGE_OUTPUT_LIMIT_BYTES, LineSplitter } from './remote-output.js';
import { buildCommandLine, redact, Tail, type CommandLineOptions, type RemoteCommand } from './command.js';
import {
  ConnectionLostError,
  HostCertificateUnsupportedError,
  HostKeyMismatchError,
  HostKeyNotPinnedError,
  HostKeyRevokedError,
  RemoteCommandError,
  RemoteCommandTimedOutError,
  RemoteOutputTooLargeError,
  RemoteTransferError,
  SshUnreachableError,
  UnprotectedPrivateKeyError,
} from './errors.js';
import { abortErrorOf, anySignal, Semaphore, sleep, throwIfAborted } from './limit.js';
import type { ExecChannel, SftpSession, Ssh2Client } from './types.js';
import { renderTemplate, templatesRoot } from '../template.js';

export type { RemoteCommand } from './command.js';
export { HostKeyStore } from './known-hosts.js';

/** Where the scripts and staged files go on the node (owned by the SSH user, 0700). */
export const REMOTE_STAGING_DIR = '/tmp/k8sb';

export interface NodeAddress {
  /** Node name, used in every message. */
  name: string;
  /** Address SSH reaches (through the bastion when one is set). */
  host: string;
  /** @default 22 */
  port?: number;
  /** Overrides the pool's user for this node. */
  user?: string;
}

export interface HostKeyLearned {
  node: string;
  address: string;
  keyType: string;
  fingerprint: string;
}

export interface SshPoolOptions {
  user: string;
  /** Private key file; refused when readable by group or others. */
  privateKeyPath?: string;
  /** ssh-agent socket (SSH_AUTH_SOCK). */
  agent?: string;
  bastion?: { host: string; port?: number; user?: string };
  knownHosts: HostKeyStore;
  /** Per attempt: TCP connect + handshake + auth. @default 15000 */
  connectTimeoutMs?: number;
  /** Overall wait for a node to accept SSH (after boot), retrying with backoff 1s→2s→…≤10s. @default 300000 */
  readyWaitMs?: number;
  /** Maximum simultaneous handshakes plus remote operations across all nodes. @default 32 */
  concurrency?: number;
  /** @default 15000 */
  keepaliveIntervalMs?: number;
  /** Attempts of an idempotent operation whose connection drops. @default 3 */
  maxAttempts?: number;
  signal?: AbortSignal;
  /**
   * Trust on first use: a host without a pinned key is trusted and its key pinned once it has
   * authenticated. Only the commands that set machines up (init, add-workers) allow it; otherwise
   * such a host is refused before anything is sent. @default false
   */
  pinNew?: boolean;
  /** Called when a host key is seen for the first time and pinned (trust on first use). */
  onHostKeyLearned?: (info: HostKeyLearned) => void;
}

export type OutputStream = 'stdout' | 'stderr' | 'info';

export interface ExecOptions extends CommandLineOptions {
  timeoutMs: number;
  /** Each output line, already redacted; 'info' lines come from this layer (reconnects). */
  onLine?: (line: string, stream: OutputStream) => void;
  signal?: AbortSignal;
  /** Safe to run again: a dropped connection is then reconnected and the command retried. */
  idempotent?: boolean;
  stdin?: string | Buffer;
  /** Return non-zero exit codes instead of throwing RemoteCommandError. */
  allowFailure?: boolean;
  /** stdout carries secrets (admin.conf, keys): never streamed, never in error details. */
  secretOutput?: boolean;
  /**
   * Bytes of stdout, and separately of stderr, kept for the result; a command that prints more is
   * stopped and fails with RemoteOutputTooLarge. Streamed lines are cut at 64 KiB either way.
   * @default DEFAULT_OUTPUT_LIMIT_BYTES (1 MiB); LARGE_OUTPUT_LIMIT_BYTES (16 MiB) for large reads
   */
  maxOutputBytes?: number;
  /**
   * false: the output only goes to onLine (for output shown to a person, not parsed); the result's
   * stdout and stderr stay empty and no size limit applies. @default true
   */
  captureOutput?: boolean;
  /**
   * Keep only the last maxOutputBytes of each stream instead of failing when a command prints
   * more: for long commands judged by their exit code (a drain that retries evictions for an hour).
   */
  keepOutputTail?: boolean;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
  signal?: string;
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

/** Raised inside one attempt when the connection went away under it. */
class ConnectionDropped extends Error {}

/** Concurrent channels per connection: OpenSSH's MaxSessions defaults to 10. */
const CHANNELS_PER_CONNECTION = 8;

/** One live SSH connection. */
class Link {
  closed = false;
  stagingReady = false;
  private readonly closeListeners = new Set<() => void>();

  constructor(
    readonly ssh: NodeSSH,
    readonly client: Ssh2Client,
  ) {
    // Without an 'error' listener a reset socket would crash the process; 'close' follows it.
    client.on('error', () => undefined);
    const markClosed = () => {
      if (this.closed) return;
      this.closed = true;
      for (const listener of this.closeListeners) listener();
      this.closeListeners.clear();
    };
    client.on('close', markClosed);
    client.on('end', markClosed);
  }

  onClose(listener: () => void): () => void {
    if (this.closed) {
      listener();
      return () => undefined;
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  dispose(): void {
    this.closed = true;
    this.ssh.dispose();
  }
}

export class SshPool {
  private readonly options: Required<Pick<SshPoolOptions, 'connectTimeoutMs' | 'readyWaitMs' | 'keepaliveIntervalMs' | 'maxAttempts'>> & SshPoolOptions;
  private readonly sessions = new Map<string, NodeSession>();
  private privateKey?: string;
  private bastionLink?: Link;
  private bastionConnecting?: Promise<Link>;
  /** Bounds handshakes and remote operations across every node. */
  readonly limiter: Semaphore;

  constructor(options: SshPoolOptions) {
    this.options = { connectTimeoutMs: 15_000, readyWaitMs: 300_000, keepaliveIntervalMs: 15_000, maxAttempts: 3, ...options };
    this.limiter = new Semaphore(options.concurrency ?? 32);
    if (!options.privateKeyPath && !options.agent) {
      throw new PreflightError('NoSshCredentials', 'No SSH private key file and no ssh-agent were given.', {
        hint: 'Pass --ssh-key FILE (or ssh.privateKey in cluster.yaml), or start ssh-agent so SSH_AUTH_SOCK is set.',
      });
    }
    if (options.privateKeyPath) checkPrivateKeyFile(options.privateKeyPath);
  }

  get maxAttempts(): number {
    return this.options.maxAttempts;
  }

  get signal(): AbortSignal | undefined {
    return this.options.signal;
  }

  /** The node's session, connected (waiting for SSH up to readyWaitMs). Reused across calls. */
  async connect(node: NodeAddress, signal?: AbortSignal): Promise<NodeSession> {
    const session = this.session(node);
    await session.ensureConnected(signal);
    return session;
  }

  /** The node's session without connecting yet; the first operation connects. */
  session(node: NodeAddress): NodeSession {
    const existing = this.sessions.get(node.name);
    if (existing) {
      if (existing.node.host !== node.host || (existing.node.port ?? 22) !== (node.port ?? 22)) {
        throw new UsageError('DuplicateNodeName', `Two nodes are named ${node.name} (${existing.node.host} and ${node.host}).`, {
          hint: 'Give every node a unique name.',
        });
      }
      return existing;
    }
    const session = new NodeSession(this, node);
    this.sessions.set(node.name, session);
    return session;
  }

  async closeAll(): Promise<void> {
    for (const session of this.sessions.values()) session.close();
    this.sessions.clear();
    this.bastionLink?.dispose();
    this.bastionLink = undefined;
  }

  /** Opens a connection, retrying until readyWaitMs with backoff 1s, 2s, 4s… capped at 10s. */
  async openLink(node: NodeAddress, signal?: AbortSignal): Promise<Link> {
    const started = Date.now();
    const deadline = started + this.options.readyWaitMs;
    let delay = 1000;
    for (;;) {
      const release = await this.limiter.acquire(signal);
      try {
        return await this.connectOnce(node, Math.min(this.options.connectTimeoutMs, Math.max(1000, deadline - Date.now())), signal);
      } catch (error) {
        if (!isRetryableConnectError(error)) throw error;
        if (Date.now() + delay >= deadline) {
          throw new SshUnreachableError(node.name, knownHostName(node.host, node.port ?? 22), Date.now() - started, describeError(error));
        }
      } finally {
        release();
      }
      await sleep(delay, signal);
      delay = Math.min(delay * 2, 10_000);
    }
  }

  private async connectOnce(node: NodeAddress, readyTimeout: number, signal?: AbortSignal, viaBastion = true): Promise<Link> {
    throwIfAborted(signal);
    const port = node.port ?? 22;
    const address = knownHostName(node.host, port);
    const store = this.options.knownHosts;
    const knownTypes = [...new Set(store.knownKeys(node.host, port).map((key) => key.keyType))];
    let rejection: Error | undefined;
    // ssh2 asks before the server has signed the exchange hash: a new key is only remembered
    // here, and pinned after authentication (see pinFirstSeen).
    let firstSeen: Buffer | undefined;
    const hostVerifier = (key: Buffer): boolean => {
      const verdict = store.verify(node.host, port, key);
      const presented = `${keyTypeOf(key)} ${fingerprintOf(key)}`;
      switch (verdict.status) {
        case 'match':
          return true;
        case 'new':
          if (!this.options.pinNew) {
            rejection = new HostKeyNotPinnedError(node.name, address, presented, store.path);
            return false;
          }
          firstSeen = key;
          return true;
        case 'mismatch':
          rejection = new HostKeyMismatchError(node.name, address, verdict.expected, presented, store.path);
          return false;
        case 'revoked':
          rejection = new HostKeyRevokedError(node.name, address, presented, verdict.file);
          return false;
        case 'certificate-authority':
          rejection = new HostCertificateUnsupportedError(node.name, address, verdict.file, store.path);
          return false;
      }
    };
    const sock = this.options.bastion && viaBastion ? await this.bastionChannel(node, signal) : undefined;
    const ssh = new NodeSSH();
    const config: Record<string, unknown> = {
      host: node.host,
      port,
      username: node.user ?? this.options.user,
      tryKeyboard: false,
      readyTimeout: readyTimeout,
      keepaliveInterval: this.options.keepaliveIntervalMs,
      keepaliveCountMax: 3,
      hostVerifier,
    };
    if (sock) config.sock = sock;
    if (knownTypes.length > 0) config.algorithms = { serverHostKey: hostKeyAlgorithmsFor(knownTypes) };
    if (this.options.agent) config.agent = this.options.agent;
    if (this.options.privateKeyPath) config.privateKey = await this.loadPrivateKey();
    try {
      await raceAbort(ssh.connect(config as Parameters<NodeSSH['connect']>[0]), signal, () => ssh.dispose());
    } catch (error) {
      ssh.dispose();
      if (rejection) throw rejection;
      if (error instanceof Error && /encrypted private key|passphrase/i.test(error.message)) {
        throw new PreflightError('EncryptedPrivateKey', `The private key ${this.options.privateKeyPath} is protected by a passphrase.`, {
          hint: 'Load it into ssh-agent (ssh-add) and let the tool use SSH_AUTH_SOCK instead of the key file.',
        });
      }
      throw error;
    }
    const link = new Link(ssh, ssh.connection as unknown as Ssh2Client);
    if (firstSeen) {
      try {
        await this.pinFirstSeen(node, firstSeen);
      } catch (error) {
        link.dispose();
        throw error;
      }
    }
    return link;
  }

  /**
   * Trust on first use, once the server has proved it holds the key (the connection is ready, so
   * the key exchange was signed and authentication passed). Another connection may have pinned a
   * key for this host meanwhile: the same one is fine, another one is refused.
   */
  private async pinFirstSeen(node: NodeAddress, key: Buffer): Promise<void> {
    const port = node.port ?? 22;
    const address = knownHostName(node.host, port);
    const store = this.options.knownHosts;
    const verdict = store.verify(node.host, port, key);
    if (verdict.status === 'match') return;
    if (verdict.status === 'mismatch') {
      throw new HostKeyMismatchError(node.name, address, verdict.expected, `${keyTypeOf(key)} ${fingerprintOf(key)}`, store.path);
    }
    try {
      await store.record(node.host, port, key);
    } catch (error) {
      throw new PreflightError('HostKeyNotSaved', `Could not pin the host key of node ${node.name} (${address}) in ${store.path}: ${describeError(error)}`, {
        cause: error,
        hint: `Check that ${store.path} and its folder are writable and the disk has space, then run again.`,
      });
    }
    this.options.onHostKeyLearned?.({ node: node.name, address, keyType: keyTypeOf(key), fingerprint: fingerprintOf(key) });
  }

  private async loadPrivateKey(): Promise<string> {
    if (this.privateKey === undefined) {
      const path = this.options.privateKeyPath!;
      checkPrivateKeyFile(path);
      this.privateKey = await readLocalFile(path, 'utf8');
    }
    return this.privateKey;
  }

  /** A direct-tcpip channel through the (shared, lazily opened) bastion connection. */
  private async bastionChannel(node: NodeAddress, signal?: AbortSignal): Promise<unknown> {
    const bastion = this.options.bastion!;
    if (!this.bastionLink || this.bastionLink.closed) {
      this.bastionConnecting ??= this.connectOnce(
        { name: `bastion ${bastion.host}`, host: bastion.host, port: bastion.port ?? 22, user: bastion.user ?? this.options.user },
        this.options.connectTimeoutMs,
        signal,
        false,
      ).finally(() => {
        this.bastionConnecting = undefined;
      });
      this.bastionLink = await this.bastionConnecting;
    }
    const link = this.bastionLink;
    return new Promise((resolve, reject) => {
      link.client.forwardOut('127.0.0.1', 0, node.host, node.port ?? 22, (error, channel) => {
        if (error) reject(new Error(`bastion ${bastion.host} could not reach ${node.host}:${node.port ?? 22}: ${error.message}`));
        else resolve(channel);
      });
    });
  }
}

/** A node's reusable SSH session: the connection is opened lazily and re-opened after a drop. */
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
    return this.withRetries(built.display, options, (link, signal) => this.runOnce(link, built.line, built.display, built.secrets, options, signal));
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

  /**
   * Renders templates/scripts/<name>.sh with `vars` (left as-is when vars is empty, e.g. the shared
   * prepare script that reads env vars), uploads it to /tmp/k8sb/<name>.sh and runs
   * `sudo -n env K=V … bash /tmp/k8sb/<name>.sh`.
   */
  async runScript(name: string, vars: Record<string, string>, options: RunScriptOptions): Promise<ExecResult> {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new UsageError('InvalidScriptName', `Invalid script name ${JSON.stringify(name)}`);
    const source = await readLocalFile(join(templatesRoot(), 'scripts', `${name}.sh`), 'utf8');
    const content = Object.keys(vars).length > 0 ? renderTemplate(source, vars, `scripts/${name}.sh`) : source;
    const remotePath = `${REMOTE_STAGING_DIR}/${name}.sh`;
    await this.upload(content, remotePath, { mode: 0o700, signal: options.signal, onLine: options.onLine });
    return this.exec(['bash', remotePath], { ...options, sudo: options.sudo ?? true });
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
    const line = buildCommandLine({ script: `mkdir -p -m 0700 ${REMOTE_STAGING_DIR} && test -O ${REMOTE_STAGING_DIR} && chmod 0700 ${REMOTE_STAGING_DIR}` });
    await this.runOnce(link, line.line, `mkdir -p ${REMOTE_STAGING_DIR}`, [], { timeoutMs: options.timeoutMs ?? 60_000 }, signal);
    link.stagingReady = true;
  }

  private sftpWrite(link: Link, path: string, content: string | Buffer, mode: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
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
      const timer = setTimeout(() => finish(new RemoteTransferError(this.node.name, `upload of ${path} (timed out after ${Math.round(timeoutMs / 1000)}s)`, 'timeout')), timeoutMs);
      const removeClose = link.onClose(() => finish(new ConnectionDropped(`connection closed during upload of ${path}`)));
      const onAbort = () => finish(abortErrorOf(signal));
      signal?.addEventListener('abort', onAbort, { once: true });
      link.client.sftp((error, session) => {
        if (error) return finish(link.closed ? new ConnectionDropped(error.message) : new RemoteTransferError(this.node.name, `SFTP for ${path}`, error));
        sftp = session;
        if (settled) return session.end();
        session.writeFile(path, content, { mode }, (writeError) => {
          if (writeError) finish(link.closed ? new ConnectionDropped(writeError.message) : new RemoteTransferError(this.node.name, `upload of ${path}`, writeError));
          else finish();
        });
      });
    });
  }

  private runOnce(link: Link, line: string, display: string, secrets: string[], options: Omit<ExecOptions, keyof CommandLineOptions>, signal?: AbortSignal): Promise<ExecResult> {
    const node = this.node.name;
    const tail = new Tail(20);
    const lineHandler = (stream: 'stdout' | 'stderr') => (text: string) => {
      if (stream === 'stdout' && options.secretOutput) return;
      const shown = redact(text, secrets);
      tail.push(shown);
      options.onLine?.(shown, stream);
    };
    const lines = { stdout: new LineSplitter(lineHandler('stdout')), stderr: new LineSplitter(lineHandler('stderr')) };
    const limit = options.maxOutputBytes ?? DEFAULT_OUTPUT_LIMIT_BYTES;
    const captured = options.captureOutput === false ? undefined : { stdout: new CappedOutput(limit, options.keepOutputTail), stderr: new CappedOutput(limit, options.keepOutputTail) };

    return new Promise<ExecResult>((resolve, reject) => {
      let channel: ExecChannel | undefined;
      let settled = false;
      let exitCode: number | null | undefined;
      let exitSignal: string | undefined;
      /** Why this side stopped the command, as the error it fails with. */
      let stopError: Error | undefined;

      const finish = (outcome: { error: unknown } | { result: ExecResult }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        removeClose();
        signal?.removeEventListener('abort', onAbort);
        if ('error' in outcome) reject(outcome.error);
        else resolve(outcome.result);
      };
      const stop = (error: Error) => {
        if (stopError) return;
        stopError = error;
        if (channel) {
          // Stop the command: TERM first (sudo relays it to its child), KILL shortly after for
          // what ignores it, then close the channel. Closing alone would leave it running.
          const open = channel;
          sendSignal(open, 'TERM');
          setTimeout(() => {
            sendSignal(open, 'KILL');
            open.close();
          }, 2000).unref();
        }
        // Settle now: the server may only confirm the close once the command exits on its own.
        finish({ error });
      };
      const interrupted = () => new AbortError('Aborted', `Interrupted while running \`${display}\` on node ${node}.`, { cause: signal?.reason });
      const timer = setTimeout(() => stop(new RemoteCommandTimedOutError(node, display, options.timeoutMs, tail.lines())), options.timeoutMs);
      const onAbort = () => stop(interrupted());
      signal?.addEventListener('abort', onAbort, { once: true });
      const removeClose = link.onClose(() => {
        if (exitCode !== undefined || stopError) return;
        finish({ error: new ConnectionDropped(`connection closed while running ${display}`) });
      });
      const receive = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
        // After a stop, what is still in flight is dropped.
        if (stopError) return;
        if (captured && !captured[stream].push(chunk)) {
          stop(new RemoteOutputTooLargeError(node, display, stream, limit, tail.lines()));
          return;
        }
        lines[stream].push(chunk);
      };

      try {
        link.client.exec(line, {}, (error, opened) => {
          if (error) {
            finish({ error: link.closed ? new ConnectionDropped(error.message) : new RemoteTransferError(node, `opening a session channel for \`${display}\``, error) });
            return;
          }
          channel = opened;
          if (settled) return opened.close();
          opened.on('data', receive('stdout'));
          opened.stderr.on('data', receive('stderr'));
          opened.on('exit', (code: number | null, sig?: string) => {
            exitCode = code;
            exitSignal = sig ?? undefined;
          });
          opened.on('close', () => {
            if (stopError) return finish({ error: stopError });
            lines.stdout.end();
            lines.stderr.end();
            if (exitCode === undefined) {
              if (link.closed) return finish({ error: new ConnectionDropped(`connection closed while running ${display}`) });
            }
            const code = typeof exitCode === 'number' ? exitCode : -1;
            const result: ExecResult = { code, stdout: captured?.stdout.text ?? '', stderr: captured?.stderr.text ?? '', ...(exitSignal ? { signal: exitSignal } : {}) };
            if (code !== 0 && !options.allowFailure) {
              return finish({ error: new RemoteCommandError({ node, command: display, exitCode: exitCode ?? null, signal: exitSignal, tail: tail.lines() }) });
            }
            finish({ result });
          });
          if (options.stdin !== undefined) opened.end(options.stdin);
          else opened.end();
        });
      } catch (error) {
        finish({ error: link.closed ? new ConnectionDropped(String(error)) : error });
      }
    });
  }
}

/**
 * Sends an SSH "signal" channel request (OpenSSH >= 7.9 delivers it to the session's process
 * group). ssh2's public Channel.signal() silently does nothing once stdin was ended (we always end
 * it, so commands never wait for input), hence the fallback to its protocol object.
 */
function sendSignal(channel: ExecChannel, name: 'TERM' | 'KILL'): void {
  try {
    const internal = channel as unknown as {
      writable: boolean;
      outgoing?: { id: number; state: string };
      _client?: { _protocol?: { signal?: (id: number, signal: string) => void } };
    };
    if (internal.writable) {
      channel.signal(name);
      return;
    }
    const protocol = internal._client?._protocol;
    if ((internal.outgoing?.state === 'open' || internal.outgoing?.state === 'eof') && typeof protocol?.signal === 'function') protocol.signal(internal.outgoing.id, name);
  } catch {
    // Signal requests are optional in the protocol; the channel is closed regardless.
  }
}

/** Like OpenSSH's "UNPROTECTED PRIVATE KEY FILE": a key others can read is refused. */
export function checkPrivateKeyFile(path: string): void {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (error) {
    throw new PreflightError('PrivateKeyNotFound', `Cannot read the SSH private key ${path}: ${(error as Error).message}`, {
      hint: 'Check --ssh-key / ssh.privateKey.',
    });
  }
  if ((mode & 0o077) !== 0) throw new UnprotectedPrivateKeyError(path, mode);
}

function formatMode(mode: number): string {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new UsageError('InvalidFileMode', `Invalid file mode ${mode}`);
  return mode.toString(8).padStart(4, '0');
}

function isRetryableConnectError(error: unknown): boolean {
  if (error instanceof HostKeyMismatchError || error instanceof PreflightError || error instanceof AbortError) return false;
  return true;
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
}

async function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined, onAbort: () => void): Promise<T> {
  if (!signal) return promise;
  throwIfAborted(signal);
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      onAbort();
      reject(abortErrorOf(signal));
    };
    signal.addEventListener('abort', abort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', abort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(error);
      },
    );
  });
}
