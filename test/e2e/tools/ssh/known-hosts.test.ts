/**
 * The known_hosts store against OpenSSH's own ssh-keygen: keys of each type it generates, its
 * fingerprints and its hashed entries. e2e because it needs the real ssh-keygen.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fingerprintOf, hostFieldMatches, HostKeyStore, hostKeyAlgorithmsFor, keyTypeOf, knownHostName } from '../../../../src/tools/ssh/known-hosts.js';
import { hasCommand, missingRequirement } from '../../../helpers/require-tool.js';

const skip = missingRequirement(hasCommand('ssh-keygen'), 'known_hosts tests need ssh-keygen');

describe.skipIf(skip)('HostKeyStore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'k8sb-kh-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  let n = 0;
  function newKey(type = 'ed25519'): { blob: Buffer; line: string; path: string } {
    const path = join(dir, `key${n++}`);
    execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', path]);
    const pub = readFileSync(`${path}.pub`, 'utf8').trim();
    const [keyType, base64] = pub.split(' ');
    return { blob: Buffer.from(base64!, 'base64'), line: `${keyType} ${base64}`, path };
  }

  it('records a new key 0600 and matches it afterwards (also after reloading)', async () => {
    const file = join(dir, 'secrets', 'known_hosts');
    const store = new HostKeyStore({ file });
    const key = newKey();
    expect(store.verify('10.0.0.5', 22, key.blob)).toEqual({ status: 'new' });
    await store.record('10.0.0.5', 22, key.blob);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe(`10.0.0.5 ${key.line}\n`);
    expect(new HostKeyStore({ file }).verify('10.0.0.5', 22, key.blob)).toEqual({ status: 'match' });
    expect(new HostKeyStore({ file }).verify('10.0.0.5', 2222, key.blob)).toEqual({ status: 'new' });
  });

  it('keeps no pin in memory when the file cannot be written: the next verify still calls the key new', async () => {
    const blocker = join(dir, 'not-a-folder');
    writeFileSync(blocker, 'a file where the secrets folder should be');
    const store = new HostKeyStore({ file: join(blocker, 'known_hosts') });
    const key = newKey();
    await expect(store.record('10.0.0.6', 22, key.blob)).rejects.toThrow();
    expect(store.verify('10.0.0.6', 22, key.blob)).toEqual({ status: 'new' });
  });

  it('reports a mismatch with the expected fingerprint, like ssh-keygen -l', async () => {
    const file = join(dir, 'kh-mismatch');
    const store = new HostKeyStore({ file });
    const known = newKey();
    await store.record('node', 2200, known.blob);
    const verdict = store.verify('node', 2200, newKey().blob);
    const keygenFingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${known.path}.pub`]).toString().split(' ')[1];
    expect(verdict).toEqual({ status: 'mismatch', expected: [`ssh-ed25519 ${keygenFingerprint}`] });
    expect(fingerprintOf(known.blob)).toBe(keygenFingerprint);
  });

  it('reads a user file (read-only), including hashed entries and [host]:port', () => {
    const userFile = join(dir, 'user_known_hosts');
    const a = newKey();
    const b = newKey('ecdsa');
    writeFileSync(userFile, `# comment\n[10.0.0.6]:2222 ${a.line}\nweb-1,10.0.0.7 ${b.line} comment\n`);
    execFileSync('ssh-keygen', ['-H', '-f', userFile], { stdio: 'ignore' });
    expect(readFileSync(userFile, 'utf8')).toMatch(/^\|1\|/m);
    const before = readFileSync(userFile, 'utf8');
    const store = new HostKeyStore({ file: join(dir, 'kh-with-user'), readOnlyFiles: [userFile] });
    expect(store.verify('10.0.0.6', 2222, a.blob)).toEqual({ status: 'match' });
    expect(store.verify('10.0.0.7', 22, b.blob)).toEqual({ status: 'match' });
    expect(store.verify('web-1', 22, a.blob).status).toBe('mismatch');
    expect(store.knownKeys('10.0.0.7').map((k) => k.keyType)).toEqual(['ecdsa-sha2-nistp256']);
    expect(readFileSync(userFile, 'utf8')).toBe(before);
  });

  it('refuses @revoked keys', () => {
    const file = join(dir, 'kh-revoked');
    const key = newKey();
    writeFileSync(file, `@revoked * ${key.line}\n`);
    expect(new HostKeyStore({ file }).verify('any', 22, key.blob)).toEqual({ status: 'revoked', file });
  });

  it('helpers: names, types, patterns, algorithms', () => {
    expect(knownHostName('h', 22)).toBe('h');
    expect(knownHostName('h', 2222)).toBe('[h]:2222');
    expect(keyTypeOf(newKey().blob)).toBe('ssh-ed25519');
    expect(hostFieldMatches('*.example.com,!bad.example.com', 'good.example.com')).toBe(true);
    expect(hostFieldMatches('*.example.com,!bad.example.com', 'bad.example.com')).toBe(false);
    expect(hostFieldMatches('10.0.0.?', '10.0.0.5')).toBe(true);
    expect(hostKeyAlgorithmsFor(['ssh-rsa', 'ssh-ed25519'])).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-ed25519']);
  });
});

describe('HostKeyStore.forget', () => {
  it('drops the keys it recorded for host:port, keeps the others, and a new key is then accepted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8sb-kh-'));
    const file = join(dir, 'known_hosts');
    const store = new HostKeyStore({ file });
    const keyA = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 4]), Buffer.from('AAAA')]);
    const keyB = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 4]), Buffer.from('BBBB')]);
    await store.record('203.0.113.5', 22, keyA);
    await store.record('203.0.113.6', 22, keyA);
    expect(store.verify('203.0.113.5', 22, keyB).status).toBe('mismatch');
    expect(await store.forget('203.0.113.5', 22)).toBe(1);
    expect(store.verify('203.0.113.5', 22, keyB).status).toBe('new');
    expect(new HostKeyStore({ file }).verify('203.0.113.5', 22, keyB).status).toBe('new');
    expect(new HostKeyStore({ file }).verify('203.0.113.6', 22, keyA).status).toBe('match');
    expect(readFileSync(file, 'utf8')).not.toContain('203.0.113.5 ');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});

describe('HostKeyStore writes the whole file atomically', () => {
  const blob = (tag: string) => Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, tag.length]), Buffer.from(tag)]);
  const line = (host: string, tag: string) => `${host} ssh-ed25519 ${blob(tag).toString('base64')}`;

  it('keeps a hand-added last line that has no newline as its own line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8sb-kh-'));
    const file = join(dir, 'known_hosts');
    // What an editor (or `echo -n`) leaves when a person pins a key by hand, as HostKeyNotPinned suggests.
    writeFileSync(file, line('203.0.113.7', 'HAND'), { mode: 0o600 });
    await new HostKeyStore({ file }).record('203.0.113.8', 22, blob('NEW1'));
    expect(readFileSync(file, 'utf8')).toBe(`${line('203.0.113.7', 'HAND')}\n${line('203.0.113.8', 'NEW1')}\n`);
    const reloaded = new HostKeyStore({ file });
    expect(reloaded.verify('203.0.113.7', 22, blob('HAND')).status).toBe('match');
    expect(reloaded.verify('203.0.113.8', 22, blob('NEW1')).status).toBe('match');
  });

  it('record and forget leave the whole file, 0600, in a 0700 folder, and no temporary file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8sb-kh-'));
    const file = join(dir, 'secrets', 'known_hosts');
    const store = new HostKeyStore({ file });
    await store.record('203.0.113.1', 22, blob('AAAA'));
    await store.record('203.0.113.2', 2222, blob('BBBB'));
    expect(readFileSync(file, 'utf8')).toBe(`${line('203.0.113.1', 'AAAA')}\n${line('[203.0.113.2]:2222', 'BBBB')}\n`);
    expect(await store.forget('203.0.113.1')).toBe(1);
    expect(readFileSync(file, 'utf8')).toBe(`${line('[203.0.113.2]:2222', 'BBBB')}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'secrets')).mode & 0o777).toBe(0o700);
    expect(readdirSync(join(dir, 'secrets'))).toEqual(['known_hosts']);
  });

  it('two stores of one file recording at once keep both keys', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8sb-kh-'));
    const file = join(dir, 'known_hosts');
    const first = new HostKeyStore({ file });
    const second = new HostKeyStore({ file });
    await Promise.all([first.record('203.0.113.1', 22, blob('AAAA')), second.record('203.0.113.2', 22, blob('BBBB')), first.forget('203.0.113.9')]);
    const lines = readFileSync(file, 'utf8').trim().split('\n').sort();
    expect(lines).toEqual([line('203.0.113.1', 'AAAA'), line('203.0.113.2', 'BBBB')]);
    expect(readdirSync(dir)).toEqual(['known_hosts']);
  });

  it("forget never drops the person's own pins for that address", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8sb-kh-'));
    const userFile = join(dir, 'user_known_hosts');
    writeFileSync(userFile, `${line('203.0.113.3', 'USER')}\n`);
    const store = new HostKeyStore({ file: join(dir, 'known_hosts'), readOnlyFiles: [userFile] });
    expect(await store.forget('203.0.113.3')).toBe(0);
    expect(store.verify('203.0.113.3', 22, blob('USER')).status).toBe('match');
    expect(readFileSync(userFile, 'utf8')).toBe(`${line('203.0.113.3', 'USER')}\n`);
  });

  it('a @cert-authority line for the host makes an unpinned key a refusal, not a new key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8sb-kh-'));
    const userFile = join(dir, 'user_known_hosts');
    writeFileSync(userFile, `@cert-authority *.example.com ssh-ed25519 ${blob('CAKEY').toString('base64')}\n`);
    const store = new HostKeyStore({ file: join(dir, 'known_hosts'), readOnlyFiles: [userFile] });
    expect(store.verify('node.example.com', 22, blob('HOST')).status).toBe('certificate-authority');
    expect(store.verify('node.example.com', 22, blob('HOST'))).toEqual({ status: 'certificate-authority', file: userFile });
    expect(store.verify('node.example.org', 22, blob('HOST'))).toEqual({ status: 'new' });
  });
});
