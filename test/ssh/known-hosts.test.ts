import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fingerprintOf, hostFieldMatches, HostKeyStore, hostKeyAlgorithmsFor, keyTypeOf, knownHostName } from '../../src/tools/known-hosts.js';
import { hasCommand, missingRequirement } from '../helpers/require-tool.js';

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

  it('records a new key 0600 and matches it afterwards (also after reloading)', () => {
    const file = join(dir, 'secrets', 'known_hosts');
    const store = new HostKeyStore({ file });
    const key = newKey();
    expect(store.verify('10.0.0.5', 22, key.blob)).toEqual({ status: 'new' });
    store.record('10.0.0.5', 22, key.blob);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe(`10.0.0.5 ${key.line}\n`);
    expect(new HostKeyStore({ file }).verify('10.0.0.5', 22, key.blob)).toEqual({ status: 'match' });
    expect(new HostKeyStore({ file }).verify('10.0.0.5', 2222, key.blob)).toEqual({ status: 'new' });
  });

  it('reports a mismatch with the expected fingerprint, like ssh-keygen -l', () => {
    const file = join(dir, 'kh-mismatch');
    const store = new HostKeyStore({ file });
    const known = newKey();
    store.record('node', 2200, known.blob);
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
    expect(new HostKeyStore({ file }).verify('any', 22, key.blob)).toEqual({ status: 'revoked' });
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
  it('drops the keys it recorded for host:port, keeps the others, and a new key is then accepted', () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8sb-kh-'));
    const file = join(dir, 'known_hosts');
    const store = new HostKeyStore({ file });
    const keyA = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 4]), Buffer.from('AAAA')]);
    const keyB = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 4]), Buffer.from('BBBB')]);
    store.record('203.0.113.5', 22, keyA);
    store.record('203.0.113.6', 22, keyA);
    expect(store.verify('203.0.113.5', 22, keyB).status).toBe('mismatch');
    expect(store.forget('203.0.113.5', 22)).toBe(1);
    expect(store.verify('203.0.113.5', 22, keyB).status).toBe('new');
    expect(new HostKeyStore({ file }).verify('203.0.113.5', 22, keyB).status).toBe('new');
    expect(new HostKeyStore({ file }).verify('203.0.113.6', 22, keyA).status).toBe('match');
    expect(readFileSync(file, 'utf8')).not.toContain('203.0.113.5 ');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
