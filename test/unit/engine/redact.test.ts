import { describe, expect, it } from 'vitest';
import { EventBus, type EngineEvent } from '../../../src/engine/events.js';
import { createRedactor, redactText, SecretSet } from '../../../src/engine/redact.js';
import { Recorder } from '../../helpers/fake-steps.js';

const CERT_KEY = '9555b74008f24687eb964bd90a164ecb5760a89481d9c55a77c129b7db438168';
const CA_HASH = 'sha256:7c4f2a0c3b8e9d1f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f';

const cases: Array<[string, string, string]> = [
  ['bootstrap token in a join command', 'kubeadm join 10.0.0.5:6443 --token abcdef.0123456789abcdef', 'abcdef.0123456789abcdef'],
  ['--certificate-key flag', `kubeadm join --control-plane --certificate-key ${CERT_KEY}`, CERT_KEY],
  ['--certificate-key=value', `--certificate-key=${CERT_KEY}`, CERT_KEY],
  ['certificateKey in a kubeadm config', `certificateKey: "${CERT_KEY}"`, CERT_KEY],
  ['certificate key on the next line (multi-line text)', `[upload-certs] Using certificate key:\n${CERT_KEY}\n`, CERT_KEY],
  ['certificate key alone on a line', `  ${CERT_KEY}`, CERT_KEY],
  ['PEM private key block', 'before\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nQUJDREVG\n-----END OPENSSH PRIVATE KEY-----\nafter', 'b3BlbnNzaC1rZXktdjEAAAAA'],
  ['RSA private key block', '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAsecretsecret\n-----END RSA PRIVATE KEY-----', 'MIIEpAIBAAKCAQEAsecretsecret'],
  ['truncated PEM block', '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC', 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC'],
  ['kubeconfig client-key-data', '    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQo=', 'LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQo='],
  ['kubeconfig client-certificate-data', '    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==', 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=='],
  ['kubeconfig token', '    token: eyJhbGciOiJSUzI1NiIsImtpZCI6IiJ9.payload.sig', 'eyJhbGciOiJSUzI1NiIsImtpZCI6IiJ9.payload.sig'],
  ['JSON token field', '{"token": "s3cr3t-value-123", "ok": true}', 's3cr3t-value-123'],
  ['access_token field', 'access_token: zzzzzzyyyyyy', 'zzzzzzyyyyyy'],
];

describe('redactText', () => {
  it.each(cases)('removes %s', (_name, text, secret) => {
    const result = redactText(text);
    expect(result).not.toContain(secret);
    expect(result).toContain('[REDACTED]');
  });

  it('keeps the CA cert hash, which is not secret', () => {
    const text = `kubeadm join 10.0.0.5:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash ${CA_HASH}`;
    expect(redactText(text)).toBe(`kubeadm join 10.0.0.5:6443 --token [REDACTED] --discovery-token-ca-cert-hash ${CA_HASH}`);
  });

  it('keeps text around PEM blocks and ordinary lines intact', () => {
    expect(redactText('a\n-----BEGIN EC PRIVATE KEY-----\nxyz\n-----END EC PRIVATE KEY-----\nb')).toBe('a\n[REDACTED]\nb');
    expect(redactText('[preflight] Running pre-flight checks')).toBe('[preflight] Running pre-flight checks');
  });

  it('replaces every occurrence of each known secret, longest first, ignoring short ones', () => {
    expect(redactText('key=EXOabc123 and again EXOabc123, secret EXOabc123456', ['EXOabc123', 'EXOabc123456', 'abc'])).toBe(
      'key=[REDACTED] and again [REDACTED], secret [REDACTED]',
    );
    expect(redactText('abc stays', ['abc'])).toBe('abc stays');
  });

  it('keeps multi-line secrets line by line as well as whole', () => {
    const secrets = new SecretSet();
    secrets.add('-----BEGIN KEY-----\nAAAAB3NzaC1yc2EAAAADAQABAAABAQ\n-----END KEY-----', 'short', undefined);
    expect([...secrets.values()]).toEqual(['-----BEGIN KEY-----\nAAAAB3NzaC1yc2EAAAADAQABAAABAQ\n-----END KEY-----', '-----BEGIN KEY-----', 'AAAAB3NzaC1yc2EAAAADAQABAAABAQ', '-----END KEY-----']);
  });
});

describe('createRedactor on the EventBus', () => {
  const ref = { stepId: 's', group: 'Control plane', title: 'kubeadm init', node: 'cp-1' };
  const line = (text: string, stream: 'stdout' | 'stderr' = 'stdout'): EngineEvent => ({ type: 'output', time: 0, line: text, stream, ...ref });

  it('redacts every string of every event before sinks see it, including secrets learned mid-run', () => {
    const secrets = new SecretSet();
    const bus = new EventBus();
    const recorder = new Recorder();
    bus.addTransform(createRedactor(() => secrets.values()));
    bus.addSink(recorder);
    bus.emit(line('password is hunter2-long'));
    secrets.add('hunter2-long');
    bus.emit(line('password is hunter2-long'));
    bus.emit({ type: 'failed', time: 0, durationMs: 1, ...ref, error: { code: 'X', message: 'bad hunter2-long', hint: 'use --token abcdef.0123456789abcdef', details: ['client-key-data: QUJD'] } });
    bus.emit({ type: 'retrying', time: 0, attempt: 2, delayMs: 1, reason: 'hunter2-long refused', ...ref });
    const text = JSON.stringify(recorder.events);
    expect(recorder.events[0]).toMatchObject({ line: 'password is hunter2-long' });
    expect(text.split('hunter2-long')).toHaveLength(2); // only the event before the secret was known
    expect(text).not.toContain('abcdef.0123456789abcdef');
    expect(text).not.toContain('QUJD');
    expect(recorder.events[2]).toMatchObject({ type: 'failed', stepId: 's', node: 'cp-1' });
  });

  it('redacts a private key that arrives one line per event', () => {
    const redact = createRedactor(() => []);
    const lines = ['cat key', '-----BEGIN OPENSSH PRIVATE KEY-----', 'b3BlbnNzaC1rZXktdjE', 'QUFBQUFB', '-----END OPENSSH PRIVATE KEY-----', 'done'];
    const out = lines.map((l) => (redact(line(l)) as { line: string }).line);
    expect(out).toEqual(['cat key', '[REDACTED]', '[REDACTED]', '[REDACTED]', '[REDACTED]', 'done']);
  });

  it('redacts kubeadm printing the certificate key on its own line', () => {
    const redact = createRedactor(() => []);
    const out = ['[upload-certs] Using certificate key:', CERT_KEY].map((l) => (redact(line(l)) as { line: string }).line);
    expect(out).toEqual(['[upload-certs] Using certificate key:', '[REDACTED]']);
  });
});
