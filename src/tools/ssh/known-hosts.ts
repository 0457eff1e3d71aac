/**
 * Pinned SSH host keys in OpenSSH known_hosts format. The cluster folder's secrets/known_hosts
 * (0600) is written on first contact (trust on first use); an optional user-provided file is only
 * read. A key that differs from a pinned one is refused before any command runs.
 *
 * Supported line forms: `host[,host…] type base64 [comment]`, `[host]:port …`, hashed `|1|salt|hmac`
 * entries, `*`/`?` wildcards and `!` negations. `@revoked` keys are always refused. Host
 * certificates are not supported (ssh2 does not negotiate them), so a `@cert-authority` line for a
 * host is never ignored: a host it covers and no plain key pins is refused, not trusted on first use.
 */
import { createHash, createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { writeFileAtomic } from '../../state/atomic.js';

export interface KnownKey {
  keyType: string;
  /** base64 of the SSH wire-format public key blob, as in known_hosts. */
  keyBase64: string;
}

interface KnownHostLine extends KnownKey {
  marker?: '@revoked' | '@cert-authority';
  hostField: string;
  /** The file the line came from, for messages. */
  file: string;
}

export type HostKeyVerdict =
  | { status: 'match' }
  | { status: 'new' }
  | { status: 'mismatch'; expected: string[] }
  /** `file` marks the presented key @revoked. */
  | { status: 'revoked'; file: string }
  /** No plain key pins the host, but `file` names a certificate authority for it (unsupported). */
  | { status: 'certificate-authority'; file: string };

export interface HostKeyStoreOptions {
  /** Writable store (the cluster's secrets/known_hosts); created 0600 when first key is recorded. */
  file: string;
  /** Extra known_hosts files read but never written (the person's --known-hosts). */
  readOnlyFiles?: string[];
}

/** `host` for port 22, `[host]:port` otherwise: the name OpenSSH writes and hashes. */
export function knownHostName(host: string, port = 22): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** OpenSSH-style fingerprint: "SHA256:" + unpadded base64 of sha256(key blob). */
export function fingerprintOf(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type is the first string of the wire-format blob (uint32 length + bytes). */
export function keyTypeOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown';
  const length = keyBlob.readUInt32BE(0);
  if (length <= 0 || length > 64 || 4 + length > keyBlob.length) return 'unknown';
  return keyBlob.subarray(4, 4 + length).toString('latin1');
}

/**
 * ssh2 negotiates host key algorithms by its own preference list; restricting it to the pinned
 * types makes a host with several keys present the one we know (what OpenSSH does too).
 */
export function hostKeyAlgorithmsFor(keyTypes: string[]): string[] {
  const algorithms: string[] = [];
  for (const type of keyTypes) {
    const forType = type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type];
    for (const algorithm of forType) if (!algorithms.includes(algorithm)) algorithms.push(algorithm);
  }
  return algorithms;
}

function parseLines(text: string, file: string): KnownHostLine[] {
  const entries: KnownHostLine[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker: KnownHostLine['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') marker = fields.shift() as KnownHostLine['marker'];
    else if (fields[0]?.startsWith('@')) continue;
    const [hostField, keyType, keyBase64] = fields;
    if (!hostField || !keyType || !keyBase64) continue;
    entries.push({ marker, hostField, keyType, keyBase64, file });
  }
  return entries;
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}

function hashedMatches(field: string, name: string): boolean {
  const parts = field.split('|');
  // "|1|salt|hash" splits into ['', '1', salt, hash]
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2]!, 'base64');
  const digest = createHmac('sha1', salt).update(name).digest('base64');
  return digest === parts[3];
}

/** OpenSSH semantics: any negated match excludes the line; otherwise any positive match. */
export function hostFieldMatches(hostField: string, name: string): boolean {
  if (hostField.startsWith('|')) return hashedMatches(hostField, name);
  let matched = false;
  for (const pattern of hostField.split(',')) {
    const negated = pattern.startsWith('!');
    const body = negated ? pattern.slice(1) : pattern;
    if (globToRegExp(body).test(name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/**
 * Rewrites of one known_hosts file run one after another (within this process), each on the
 * file's current content: two stores of the same file recording at once keep both keys.
 */
const rewriteQueues = new Map<string, Promise<unknown>>();

function serialized<T>(file: string, task: () => Promise<T>): Promise<T> {
  const key = resolve(file);
  // The queue holds only settled promises: a failed rewrite does not stop the next one.
  const run = (rewriteQueues.get(key) ?? Promise.resolve()).then(task);
  const settled = run.catch(() => undefined);
  rewriteQueues.set(key, settled);
  void settled.then(() => {
    if (rewriteQueues.get(key) === settled) rewriteQueues.delete(key);
  });
  return run;
}

export class HostKeyStore {
  private readonly file: string;
  private readonly entries: KnownHostLine[] = [];

  constructor(options: HostKeyStoreOptions) {
    this.file = options.file;
    for (const path of [...(options.readOnlyFiles ?? []), options.file]) {
      if (existsSync(path)) this.entries.push(...parseLines(readFileSync(path, 'utf8'), path));
    }
  }

  /** Pinned keys for host:port (revoked and CA lines excluded). */
  knownKeys(host: string, port = 22): KnownKey[] {
    const name = knownHostName(host, port);
    return this.entries
      .filter((entry) => entry.marker === undefined && hostFieldMatches(entry.hostField, name))
      .map(({ keyType, keyBase64 }) => ({ keyType, keyBase64 }));
  }

  verify(host: string, port: number, keyBlob: Buffer): HostKeyVerdict {
    const name = knownHostName(host, port);
    const presented = keyBlob.toString('base64');
    const revoked = this.entries.find(
      (entry) => entry.marker === '@revoked' && entry.keyBase64 === presented && hostFieldMatches(entry.hostField, name),
    );
    if (revoked) return { status: 'revoked', file: revoked.file };
    const known = this.knownKeys(host, port);
    if (known.some((key) => key.keyBase64 === presented)) return { status: 'match' };
    if (known.length > 0) {
      return { status: 'mismatch', expected: known.map((key) => `${key.keyType} ${fingerprintOf(Buffer.from(key.keyBase64, 'base64'))}`) };
    }
    const authority = this.entries.find((entry) => entry.marker === '@cert-authority' && hostFieldMatches(entry.hostField, name));
    if (authority) return { status: 'certificate-authority', file: authority.file };
    return { status: 'new' };
  }

  /**
   * Pins the key: in memory at once (so a concurrent verify sees it), then in the writable file,
   * rewritten whole and atomically (0600 in a 0700 folder). Call it only once the host has proved
   * it holds the key, that is after authentication. When the file cannot be written the key is
   * taken out of memory again: a pin that is not on disk would not hold for the next run.
   */
  async record(host: string, port: number, keyBlob: Buffer): Promise<KnownKey> {
    const entry: KnownHostLine = { hostField: knownHostName(host, port), keyType: keyTypeOf(keyBlob), keyBase64: keyBlob.toString('base64'), file: this.file };
    this.entries.push(entry);
    const line = `${entry.hostField} ${entry.keyType} ${entry.keyBase64}`;
    try {
      await this.rewrite((lines) => (lines.includes(line) ? lines : [...lines, line]));
    } catch (error) {
      const at = this.entries.indexOf(entry);
      if (at >= 0) this.entries.splice(at, 1);
      throw error;
    }
    return { keyType: entry.keyType, keyBase64: entry.keyBase64 };
  }

  /**
   * Drops the keys this store recorded for host:port (never the read-only files): a destroyed
   * cloud machine's address may come back with a new machine and a new key.
   */
  async forget(host: string, port = 22): Promise<number> {
    const name = knownHostName(host, port);
    const keep = (entry: KnownHostLine) => entry.hostField !== name || entry.file !== this.file;
    const kept = this.entries.filter(keep);
    const removed = this.entries.length - kept.length;
    this.entries.splice(0, this.entries.length, ...kept);
    await this.rewrite((lines) => lines.filter((line) => line.trim().split(/\s+/)[0] !== name));
    return removed;
  }

  get path(): string {
    return this.file;
  }

  /** Applies `change` to the file's current lines and writes the result atomically; no write when nothing changed. */
  private rewrite(change: (lines: string[]) => string[]): Promise<void> {
    return serialized(this.file, async () => {
      const current = existsSync(this.file) ? await readFile(this.file, 'utf8') : '';
      const lines = current.split('\n').filter((line, index, all) => line !== '' || index < all.length - 1);
      const next = change(lines);
      if (next.length === lines.length && next.every((line, index) => line === lines[index])) return;
      await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
      await writeFileAtomic(this.file, next.length > 0 ? `${next.join('\n')}\n` : '', 0o600);
    });
  }
}
