/** The generated cluster key: an OpenSSH ed25519 pair whose public line belongs to its private key. */
import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { generateEd25519KeyPair } from '../../../../src/tools/ssh/keygen.js';

/** The public key blob of an authorized_keys line, decoded. */
function publicBlob(line: string): Buffer {
  return Buffer.from(line.trim().split(' ')[1] ?? '', 'base64');
}

describe('generateEd25519KeyPair', () => {
  it('writes an OpenSSH private key and the matching authorized_keys line with the comment', () => {
    const pair = generateEd25519KeyPair('k8s-bootstrap-demo');
    expect(pair.privateKey).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
    const [type, , comment] = pair.publicKey.trim().split(' ');
    expect(type).toBe('ssh-ed25519');
    expect(comment).toBe('k8s-bootstrap-demo');
    const parsed = ssh2.utils.parseKey(pair.privateKey);
    if (parsed instanceof Error || Array.isArray(parsed)) throw new Error('the private key does not parse as one key');
    expect(parsed.type).toBe('ssh-ed25519');
    expect(parsed.getPublicSSH().equals(publicBlob(pair.publicKey))).toBe(true);
  });

  it('never hands out a pair with a shortened public key (ssh2 makes about 1 in 256)', () => {
    // string "ssh-ed25519" (4 + 11 bytes) + string key (4 + 32 bytes)
    const lengths = new Set(Array.from({ length: 2000 }, () => publicBlob(generateEd25519KeyPair('k').publicKey).length));
    expect([...lengths]).toEqual([51]);
  });

  it('makes a new key each time', () => {
    expect(generateEd25519KeyPair('a').privateKey).not.toBe(generateEd25519KeyPair('a').privateKey);
  });
});
