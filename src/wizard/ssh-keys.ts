/**
 * The private keys a person already has in ~/.ssh, for the wizard's SSH key question: the
 * OpenSSH default names first, then any other file there that
 * starts like a private key. Only the first line is read, and nothing is kept.
 */
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** ssh(1)'s default identities (ssh_config(5), IdentityFile), newest key type first: shown first. */
const PREFERRED = ['id_ed25519', 'id_ecdsa', 'id_rsa', 'id_ed25519_sk', 'id_ecdsa_sk'];

/** OpenSSH, PKCS#1 (RSA/EC/DSA) and PKCS#8 private key headers. */
const PRIVATE_KEY_HEADER = /^-----BEGIN (?:OPENSSH |RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY-----/;

/** Absolute paths of the private key files in `<home>/.ssh`, preferred names first. */
export function findPrivateKeys(home: string): string[] {
  const dir = join(home, '.ssh');
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const keys = names.filter((name) => !name.endsWith('.pub') && isPrivateKeyFile(join(dir, name)));
  const rank = (name: string) => {
    const at = PREFERRED.indexOf(name);
    return at >= 0 ? at : PREFERRED.length;
  };
  return keys.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).map((name) => join(dir, name));
}

function isPrivateKeyFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    const fd = openSync(path, 'r');
    try {
      const head = Buffer.alloc(64);
      const read = readSync(fd, head, 0, head.length, 0);
      return PRIVATE_KEY_HEADER.test(head.subarray(0, read).toString('latin1'));
    } finally {
      closeSync(fd);
    }
  } catch {
    // Unreadable: the person can still name it with "Another private key file…", and be told why it fails.
    return false;
  }
}
