/**
 * A new SSH key pair in OpenSSH format, made by ssh2 (which node-ssh uses), so that no ssh-keygen
 * is needed on this machine. Lives here because only src/tools/ssh/ may import ssh2.
 *
 * ssh2 1.17's generateKeyPairSync drops the first byte of an ed25519 public key that starts with
 * 0x00 (lib/keygen.js strips "leading zeros" from the DER bit string; mscdex/ssh2#1390, #1513).
 * About 1 key in 256 then has a 31-byte public key that ssh2 itself refuses to load and that no
 * sshd accepts, so each pair is parsed back and a broken one is drawn again.
 */
import ssh2 from 'ssh2';
import { InternalError } from '../../errors.js';

export interface GeneratedKeyPair {
  /** OpenSSH private key (`-----BEGIN OPENSSH PRIVATE KEY-----`), unencrypted. */
  privateKey: string;
  /** One authorized_keys line: `ssh-ed25519 AAAA… comment`. */
  publicKey: string;
}

/** Draws before giving up; 32 broken pairs in a row has odds of 256^-32. */
const MAX_DRAWS = 32;

export function generateEd25519KeyPair(comment: string): GeneratedKeyPair {
  for (let draw = 0; draw < MAX_DRAWS; draw++) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment });
    if (loadsBack(pair.private, pair.public)) return { privateKey: pair.private, publicKey: pair.public };
  }
  throw new InternalError('KeyGenerationFailed', `ssh2 generated ${MAX_DRAWS} unusable ed25519 key pairs in a row`);
}

/** Both halves parse, and the public line is the private key's own public key. */
function loadsBack(privateKey: string, publicKey: string): boolean {
  const parsedPrivate = ssh2.utils.parseKey(privateKey);
  const parsedPublic = ssh2.utils.parseKey(publicKey);
  if (parsedPrivate instanceof Error || Array.isArray(parsedPrivate) || parsedPublic instanceof Error || Array.isArray(parsedPublic)) return false;
  return parsedPrivate.getPublicSSH().equals(parsedPublic.getPublicSSH());
}
