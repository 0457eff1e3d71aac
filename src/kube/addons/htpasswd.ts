/**
 * The htpasswd line of the monitoring Ingress's basic auth: Apache's MD5 crypt ("apr1"), one of
 * the hashes Traefik's basicAuth middleware accepts (doc.traefik.io/traefik/reference/routing-configuration/http/middlewares/basicauth:
 * "Passwords must be hashed using MD5, SHA1, or BCrypt"; its examples are $apr1$ lines).
 *
 * Written here from the algorithm's description (passlib's apr_md5_crypt: FreeBSD's MD5-crypt
 * with the magic "$apr1$"; salt of up to 8 characters of ./0-9A-Za-z; 1000 rounds; research-15 §4);
 * test/unit/kube/addons/htpasswd.test.ts checks it against `openssl passwd -apr1 -salt S`. The
 * salt is given, not drawn here, so the same password hashes the same on every run and the
 * Secret's content sha stays put.
 */
import { createHash, randomBytes } from 'node:crypto';
import { InternalError } from '../../errors.js';

const MAGIC = '$apr1$';
/** crypt(3)'s base-64 alphabet ("./0-9A-Za-z"), least significant 6 bits first. */
const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SALT = /^[./0-9A-Za-z]{1,8}$/;

const md5 = (...parts: Buffer[]): Buffer => {
  const hash = createHash('md5');
  for (const part of parts) hash.update(part);
  return hash.digest();
};

function to64(value: number, count: number): string {
  let out = '';
  let v = value;
  for (let i = 0; i < count; i++) {
    out += ITOA64[v & 0x3f];
    v >>>= 6;
  }
  return out;
}

/** `$apr1$<salt>$<22 characters>` of `password` (UTF-8) with `salt` (1–8 characters of ./0-9A-Za-z). */
export function apr1Hash(password: string, salt: string): string {
  if (!SALT.test(salt)) throw new InternalError('Apr1SaltInvalid', 'an apr1 salt is 1 to 8 characters of ./0-9A-Za-z');
  const pw = Buffer.from(password, 'utf8');
  const saltBytes = Buffer.from(salt, 'ascii');
  const magic = Buffer.from(MAGIC, 'ascii');

  // The "alternate" sum: password, salt, password.
  const alternate = md5(pw, saltBytes, pw);
  const parts: Buffer[] = [pw, magic, saltBytes];
  // As many bytes of the alternate sum as the password is long, 16 at a time.
  for (let left = pw.length; left > 0; left -= 16) parts.push(alternate.subarray(0, Math.min(16, left)));
  // For each bit of the password's length, lowest first: a NUL byte when set, the password's first byte when clear.
  for (let bits = pw.length; bits > 0; bits >>>= 1) parts.push(bits & 1 ? Buffer.from([0]) : pw.subarray(0, 1));
  let sum = md5(...parts);

  // 1000 rounds to slow a brute force down, mixing password, salt and the previous sum.
  for (let round = 0; round < 1000; round++) {
    const mix: Buffer[] = [round & 1 ? pw : sum];
    if (round % 3 !== 0) mix.push(saltBytes);
    if (round % 7 !== 0) mix.push(pw);
    mix.push(round & 1 ? sum : pw);
    sum = md5(...mix);
  }

  // The 16 bytes in crypt's order: five groups of three, then the last byte alone.
  const group = (a: number, b: number, c: number) => to64((sum[a]! << 16) | (sum[b]! << 8) | sum[c]!, 4);
  const encoded = group(0, 6, 12) + group(1, 7, 13) + group(2, 8, 14) + group(3, 9, 15) + group(4, 10, 5) + to64(sum[11]!, 2);
  return `${MAGIC}${salt}$${encoded}`;
}

/** The line of an htpasswd file for `user` (no newline). */
export function htpasswdLine(user: string, password: string, salt: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(user)) throw new InternalError('HtpasswdUserInvalid', 'an htpasswd user name is letters, digits, _ . -');
  return `${user}:${apr1Hash(password, salt)}`;
}

/** A fresh 8-character salt, drawn once and kept with the password (addon secrets file). */
export function randomApr1Salt(): string {
  return [...randomBytes(8)].map((byte) => ITOA64[byte & 0x3f]).join('');
}
