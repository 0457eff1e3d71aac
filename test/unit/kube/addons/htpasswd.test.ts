/**
 * apr1 (Apache MD5 crypt) of src/kube/addons/htpasswd.ts against the real thing:
 * `openssl passwd -apr1 -salt SALT PASSWORD` (OpenSSL's own implementation).
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { apr1Hash, htpasswdLine, randomApr1Salt } from '../../../../src/kube/addons/htpasswd.js';
import { hasCommand, missingRequirement } from '../../../helpers/require-tool.js';

const openssl = (password: string, salt: string) => execFileSync('openssl', ['passwd', '-apr1', '-salt', salt, '-stdin'], { input: `${password}\n`, encoding: 'utf8' }).trim();

describe('apr1Hash', () => {
  it('matches the published example of the algorithm', () => {
    // tcllib md5crypt: `aprcrypt password 01234567` (research-15 §4).
    expect(apr1Hash('password', '01234567')).toBe('$apr1$01234567$IXBaQywhAhc0d75ZbaSDp/');
    // Traefik's basicAuth documentation example, user test, password test.
    expect(apr1Hash('test', 'H6uskkkW')).toBe('$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/');
  });

  it('is stable for the same password and salt, and differs with the salt', () => {
    expect(apr1Hash('s3cret', 'abcdefgh')).toBe(apr1Hash('s3cret', 'abcdefgh'));
    expect(apr1Hash('s3cret', 'abcdefgh')).not.toBe(apr1Hash('s3cret', 'abcdefgi'));
  });

  it('refuses a salt outside ./0-9A-Za-z or longer than 8', () => {
    expect(() => apr1Hash('x', 'bad$salt')).toThrow(/salt/);
    expect(() => apr1Hash('x', '123456789')).toThrow(/salt/);
    expect(() => apr1Hash('x', '')).toThrow(/salt/);
  });

  it('draws salts of 8 characters of the alphabet', () => {
    for (let i = 0; i < 20; i++) expect(randomApr1Salt()).toMatch(/^[./0-9A-Za-z]{8}$/);
  });

  it('writes an htpasswd line user:hash', () => {
    expect(htpasswdLine('admin', 'password', '01234567')).toBe('admin:$apr1$01234567$IXBaQywhAhc0d75ZbaSDp/');
    expect(() => htpasswdLine('ad:min', 'x', 'abc')).toThrow();
  });
});

describe.skipIf(missingRequirement(hasCommand('openssl'), 'openssl is not installed (apt-get install openssl)'))('apr1Hash against openssl passwd -apr1', () => {
  const cases: Array<[string, string]> = [
    ['password', 'abcdefgh'],
    ['', 'abc'],
    ['a', 'Z'],
    ['x'.repeat(15), '12345678'],
    ['x'.repeat(16), '12345678'],
    ['x'.repeat(17), '12345678'],
    ['y'.repeat(33), './09AZaz'],
    ['pässwörd €', 's4lt'],
    // What state/addon-secrets.ts generates: 43 characters of base64url.
    ['Zm9vYmFyYmF6cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2FsZG8', 'Qx.7/aB9'],
  ];
  it.each(cases)('password %j, salt %j', (password, salt) => {
    expect(apr1Hash(password, salt)).toBe(openssl(password, salt));
  });

  it('agrees on random passwords and salts', () => {
    for (let i = 0; i < 25; i++) {
      const password = Buffer.from(Array.from({ length: 1 + ((i * 7) % 60) }, (_, j) => 33 + ((i * 31 + j * 17) % 94))).toString('latin1');
      const salt = randomApr1Salt();
      expect(apr1Hash(password, salt)).toBe(openssl(password, salt));
    }
  });
});
