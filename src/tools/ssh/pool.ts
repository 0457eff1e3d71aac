/**
 * SSH connections to the nodes, on node-ssh (ssh2): the pool opens one connection per node (and
 * one to the bastion, shared), waits for a booting node with backoff, verifies host keys against
 * the pinned ones (a new key is pinned only after authentication, and only when the pool may pin)
 * and bounds handshakes plus remote operations across all nodes. What runs over a connection is
 * session.ts (exec, upload, install, read, scripts) and channel.ts (one command once).
 */
import { NodeSSH } from 'node-ssh';
import { AbortError, PreflightError, UsageError } from '../../errors.js';
import { fingerprintOf, hostKeyAlgorithmsFor, keyTypeOf, knownHostName, type HostKeyStore } from './known-hosts.js';
import {
  HostCertificateUnsupportedError,
  HostKeyMismatchError,
  HostKeyNotPinnedError,
  HostKeyRevokedError,
  SshUnreachableError,
} from './errors.js';
import { checkPrivateKeyFile, encryptedKeyError, readPrivateKey } from './keys.js';
import { abortErrorOf, Semaphore, sleepOrThrow, throwIfAborted } from './limit.js';
import { Link } from './link.js';
import { NodeSession } from './session.js';
import type { Ssh2Client } from './types.js';

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

  /**
   * Opens a connection, retrying until readyWaitMs with backoff 1s, 2s, 4s… capped at 10s. The
   * wait is the whole readyWaitMs: when the next sleep would pass the deadline the pool sleeps
   * only what is left and tries once more at the deadline.
   */
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
        if (Date.now() >= deadline) {
          throw new SshUnreachableError(node.name, knownHostName(node.host, node.port ?? 22), Date.now() - started, describeError(error));
        }
      } finally {
        release();
      }
      await sleepOrThrow(Math.min(delay, Math.max(0, deadline - Date.now())), signal);
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
      throw encryptedKeyError(error, this.options.privateKeyPath) ?? error;
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
    this.privateKey ??= await readPrivateKey(this.options.privateKeyPath!);
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
