/**
 * Pinned SSH host keys in OpenSSH known_hosts format. The cluster folder's secrets/known_hosts
 * (0600) is written on first contact (trust on first use); an optional user-provided file is only
 * read. A key that differs from a pinned one is refused before any command runs.
 *
 * Supported line forms: `host[,host…] type base64 [comment]`, `[host]:port …`, hashed `|1|salt|hmac`
 * entries, `*`/`?` wildcards and `!` negations. `@cert-authority` lines are ignored (no CA support)
 * and `@revoked` keys are always refused.
 */
import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface KnownKey {
  keyType: string;
  /** base64 of the SSH wire-format public key blob, as in known_hosts. */
  keyBase64: string;
}

interface KnownHostLine extends KnownKey {
  marker?: '@revoked' | '@cert-authority';
  hostField: string;
}

export type HostKeyVerdict =
  | { status: 'match' }
  | { status: 'new' }
  | { status: 'mismatch'; expected: string[] }
  | { status: 'revoked' };

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

function parseLines(text: string): KnownHostLine[] {
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
    entries.push({ marker, hostField, keyType, keyBase64 });
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

export class HostKeyStore {
  private readonly file: string;
  private readonly entries: KnownHostLine[] = [];

  constructor(options: HostKeyStoreOptions) {
    this.file = options.file;
    for (const path of [...(options.readOnlyFiles ?? []), options.file]) {
      if (existsSync(path)) this.entries.push(...parseLines(readFileSync(path, 'utf8')));
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
    const revoked = this.entries.some(
      (entry) => entry.marker === '@revoked' && entry.keyBase64 === presented && hostFieldMatches(entry.hostField, name),
    );
    if (revoked) return { status: 'revoked' };
    const known = this.knownKeys(host, port);
    if (known.length === 0) return { status: 'new' };
    if (known.some((key) => key.keyBase64 === presented)) return { status: 'match' };
    return { status: 'mismatch', expected: known.map((key) => `${key.keyType} ${fingerprintOf(Buffer.from(key.keyBase64, 'base64'))}`) };
  }

  /** Appends the key to the writable file (0600 in a 0700 folder) and to memory. */
  record(host: string, port: number, keyBlob: Buffer): KnownKey {
    const entry: KnownHostLine = { hostField: knownHostName(host, port), keyType: keyTypeOf(keyBlob), keyBase64: keyBlob.toString('base64') };
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    appendFileSync(this.file, `${entry.hostField} ${entry.keyType} ${entry.keyBase64}\n`, { mode: 0o600 });
    chmodSync(this.file, 0o600);
    this.entries.push(entry);
    return { keyType: entry.keyType, keyBase64: entry.keyBase64 };
  }

  /**
   * Drops the keys this store recorded for host:port (never the read-only files): a destroyed
   * cloud machine's address may come back with a new machine and a new key.
   */
  forget(host: string, port = 22): number {
    const name = knownHostName(host, port);
    const keep = (entry: KnownHostLine) => entry.hostField !== name;
    const removed = this.entries.length - this.entries.filter(keep).length;
    this.entries.splice(0, this.entries.length, ...this.entries.filter(keep));
    if (!existsSync(this.file)) return removed;
    const lines = readFileSync(this.file, 'utf8').split('\n');
    const kept = lines.filter((line) => line.trim().split(/\s+/)[0] !== name);
    if (kept.length !== lines.length) {
      writeFileSync(`${this.file}.tmp`, kept.join('\n'), { mode: 0o600 });
      renameSync(`${this.file}.tmp`, this.file);
    }
    return removed;
  }

  get path(): string {
    return this.file;
  }
}
