import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  caCertHash,
  certificateKeyIsFresh,
  generateBootstrapToken,
  generateCertificateKey,
  joinRenewal,
  parseJoinCommand,
  tokenIsFresh,
} from '../../../src/kube/join-material.js';
import { hasCommand, missingRequirement } from '../../helpers/require-tool.js';

describe('generated join secrets', () => {
  it('tokens match [a-z0-9]{6}.[a-z0-9]{16} and differ', () => {
    const tokens = Array.from({ length: 200 }, generateBootstrapToken);
    for (const token of tokens) expect(token).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    expect(new Set(tokens).size).toBe(200);
  });

  it('certificate keys are 32 random bytes as hex', () => {
    const key = generateCertificateKey();
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(generateCertificateKey()).not.toBe(key);
  });
});

const noOpenssl = missingRequirement(hasCommand('openssl'), 'CA hash test needs the openssl CLI');

describe.skipIf(noOpenssl)('caCertHash', () => {
  const dir = mkdtempSync(join(tmpdir(), 'k8sb-ca-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function opensslHash(cert: string): string {
    const pubkey = execFileSync('openssl', ['x509', '-pubkey', '-noout', '-in', cert]);
    const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'der'], { input: pubkey });
    const digest = execFileSync('openssl', ['dgst', '-sha256', '-hex'], { input: der }).toString();
    return `sha256:${digest.trim().split(/\s+/).pop()}`;
  }

  it.each([
    ['rsa', ['-newkey', 'rsa:2048']],
    ['ecdsa', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1']],
  ])('equals the openssl pipeline for an %s CA', (kind, keyArgs) => {
    const cert = join(dir, `${kind}.crt`);
    execFileSync('openssl', ['req', '-x509', ...keyArgs, '-nodes', '-keyout', join(dir, `${kind}.key`), '-out', cert, '-days', '1', '-subj', '/CN=kubernetes'], {
      stdio: 'ignore',
    });
    const hash = caCertHash(readFileSync(cert, 'utf8'));
    expect(hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(hash).toBe(opensslHash(cert));
  });

  it('reports a certificate it cannot parse', () => {
    expect(() => caCertHash('not a cert')).toThrow(expect.objectContaining({ code: 'InvalidCaCertificate' }));
  });
});

describe('parseJoinCommand', () => {
  const token = 'abcdef.0123456789abcdef';
  const hash = `sha256:${'0f'.repeat(32)}`;

  it('reads token create --print-join-command output', () => {
    const parsed = parseJoinCommand(`kubeadm join 10.0.0.5:6443 --token ${token} --discovery-token-ca-cert-hash ${hash} \n`);
    expect(parsed).toEqual({ endpoint: '10.0.0.5:6443', token, caCertHashes: [hash], controlPlane: false });
  });

  it('reads the backslash-continued control-plane join of kubeadm init output', () => {
    const key = 'a1'.repeat(32);
    const text = [
      'Your Kubernetes control-plane has initialized successfully!',
      '  kubeadm join api.example.com:8443 --token ' + token + ' \\',
      '\t--discovery-token-ca-cert-hash ' + hash + ' \\',
      '\t--control-plane --certificate-key ' + key,
    ].join('\n');
    expect(parseJoinCommand(text)).toEqual({ endpoint: 'api.example.com:8443', token, caCertHashes: [hash], controlPlane: true, certificateKey: key });
  });

  it.each([
    ['empty output', ''],
    ['an error message', 'failed to create or update bootstrap token with name bootstrap-token-abcdef: etcdserver: request timed out'],
    ['a bad token', `kubeadm join 10.0.0.5:6443 --token nope --discovery-token-ca-cert-hash ${hash}`],
    ['no hash', `kubeadm join 10.0.0.5:6443 --token ${token}`],
    ['an unknown flag', `kubeadm join 10.0.0.5:6443 --token ${token} --discovery-token-ca-cert-hash ${hash} --surprise`],
  ])('refuses %s, showing the output without secrets', (_what, text) => {
    let error: unknown;
    try {
      parseJoinCommand(text);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'UnexpectedJoinCommand' });
    const details = (error as { details: string[] }).details.join('\n');
    expect(details).not.toContain(token);
    if (text.includes('etcdserver')) expect(details).toContain('etcdserver');
  });
});

describe('freshness rules', () => {
  const now = new Date('2026-09-20T12:00:00Z');
  const ago = (minutes: number) => new Date(now.getTime() - minutes * 60_000).toISOString();
  const material = { token: 'abcdef.0123456789abcdef', certificateKey: 'ab'.repeat(32) };

  it('renews a token older than about 23 hours or missing', () => {
    expect(tokenIsFresh({ ...material, tokenCreatedAt: ago(60) }, now)).toBe(true);
    expect(tokenIsFresh({ ...material, tokenCreatedAt: ago(23 * 60 + 1) }, now)).toBe(false);
    expect(tokenIsFresh({}, now)).toBe(false);
    expect(tokenIsFresh(undefined, now)).toBe(false);
  });

  it('re-uploads certificates before their 2-hour expiry', () => {
    expect(certificateKeyIsFresh({ ...material, certificateKeyUploadedAt: ago(30) }, now)).toBe(true);
    expect(certificateKeyIsFresh({ ...material, certificateKeyUploadedAt: ago(121) }, now)).toBe(false);
    expect(certificateKeyIsFresh({ ...material, certificateKeyUploadedAt: 'garbage' }, now)).toBe(false);
  });

  it('asks for certificate upload only for control-plane joins', () => {
    const stale = { ...material, tokenCreatedAt: ago(10), certificateKeyUploadedAt: ago(180) };
    expect(joinRenewal(stale, false, now)).toEqual({ newToken: false, uploadCertificates: false });
    expect(joinRenewal(stale, true, now)).toEqual({ newToken: false, uploadCertificates: true });
  });
});
