import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caCertHash } from '../../../src/kube/join-material.js';
import { ownershipOf, parseKubeadmState } from '../../../src/kube/node-ownership.js';

function selfSignedCa(): string {
  const dir = mkdtempSync(join(tmpdir(), 'k8sb-ca-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k'), '-out', join(dir, 'c'), '-days', '1', '-subj', '/CN=kubernetes'], { stdio: 'ignore' });
    return readFileSync(join(dir, 'c'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const UID = '0b7f0d2e-1c2a-4b7e-9f3a-5d6e7f8a9b0c';
const output = (fields: Record<string, string>, ca = '') =>
  `${Object.entries({ admin_conf: 'no', kubelet_conf: 'no', manifests: 'no', etcd_data: 'no', marker: '', ...fields }).map(([k, v]) => `${k}=${v}`).join('\n')}\nca:\n${ca}`;

describe('whose kubeadm state a node holds', () => {
  const ours = selfSignedCa();
  const theirs = selfSignedCa();

  it('a fresh machine holds none', () => {
    expect(ownershipOf(parseKubeadmState(output({})), { caCertHash: caCertHash(ours), uid: UID })).toBe('none');
  });

  it('the same CA is ours, another CA is foreign', () => {
    const state = parseKubeadmState(output({ kubelet_conf: 'yes' }, ours));
    expect(state.caCertHash).toBe(caCertHash(ours));
    expect(ownershipOf(state, { caCertHash: caCertHash(ours), uid: UID })).toBe('ours');
    expect(ownershipOf(parseKubeadmState(output({ kubelet_conf: 'yes' }, theirs)), { caCertHash: caCertHash(ours), uid: UID })).toBe('foreign');
  });

  it('before any CA hash was recorded (an init that stopped), only our marker makes it ours', () => {
    const state = parseKubeadmState(output({ admin_conf: 'yes', manifests: 'yes', marker: `uid=${UID} name=lab` }, ours));
    expect(ownershipOf(state, { uid: UID })).toBe('ours');
    expect(ownershipOf(parseKubeadmState(output({ admin_conf: 'yes' }, ours)), { uid: UID })).toBe('foreign');
    expect(ownershipOf(parseKubeadmState(output({ admin_conf: 'yes', marker: `uid=${UID.replace('0b', 'ff')} name=other` })), { uid: UID })).toBe('foreign');
  });

  it('takes the node output as data: a malformed marker or certificate counts as nothing of ours', () => {
    const state = parseKubeadmState(output({ manifests: 'yes', marker: 'uid=$(reboot) name=x' }, '-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----'));
    expect(state.markerUid).toBeUndefined();
    expect(ownershipOf(state, { uid: UID, caCertHash: caCertHash(ours) })).toBe('foreign');
  });
});
