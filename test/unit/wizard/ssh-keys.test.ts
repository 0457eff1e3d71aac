/** Which files of ~/.ssh the wizard offers as private keys. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findPrivateKeys } from '../../../src/wizard/ssh-keys.js';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'k8sb-keys-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const put = (name: string, text: string) => writeFileSync(join(home, '.ssh', name), text, { mode: 0o600 });

describe('findPrivateKeys', () => {
  it('no ~/.ssh: none', () => {
    expect(findPrivateKeys(home)).toEqual([]);
  });

  it('OpenSSH, PKCS#1 and PKCS#8 keys, default names first; not public keys, known_hosts, config or folders', () => {
    mkdirSync(join(home, '.ssh'));
    mkdirSync(join(home, '.ssh', 'sockets'));
    put('id_rsa', '-----BEGIN RSA PRIVATE KEY-----\n');
    put('id_ed25519', '-----BEGIN OPENSSH PRIVATE KEY-----\n');
    put('id_ed25519.pub', 'ssh-ed25519 AAAA me\n');
    put('aws.pem', '-----BEGIN PRIVATE KEY-----\n');
    put('legacy_ec', '-----BEGIN EC PRIVATE KEY-----\n');
    put('known_hosts', 'host ssh-ed25519 AAAA\n');
    put('config', 'Host *\n');
    put('authorized_keys', 'ssh-ed25519 AAAA me\n');
    expect(findPrivateKeys(home).map((path) => path.slice(home.length + 6))).toEqual(['id_ed25519', 'id_rsa', 'aws.pem', 'legacy_ec']);
  });
});
