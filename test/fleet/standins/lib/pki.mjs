// A real cluster CA and admin client certificate (openssl), so the discovery hash kubeadm prints
// and checks is the genuine SPKI sha256 of the CA.
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function caCertHash(caPem) {
  const spki = new X509Certificate(caPem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('hex');
}

/** A new CA plus a kubernetes-admin client certificate signed by it. PEM strings. */
export function makeClusterPki() {
  const dir = mkdtempSync('/tmp/.k8sb-fleet-pki-');
  try {
    const file = (name) => join(dir, name);
    const openssl = (...args) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '3650', '-subj', '/CN=kubernetes',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign');
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('admin.key'), '-out', file('admin.csr'), '-subj', '/O=kubeadm:cluster-admins/CN=kubernetes-admin');
    openssl('x509', '-req', '-in', file('admin.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-set_serial', '0x' + Date.now().toString(16), '-days', '365', '-out', file('admin.crt'));
    const read = (name) => readFileSync(file(name), 'utf8');
    return { caCert: read('ca.crt'), caKey: read('ca.key'), adminCert: read('admin.crt'), adminKey: read('admin.key') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A client certificate signed by the cluster CA, valid for `days` (negative: already expired). */
export function signClientCert(pki, { commonName, organization, days = 365 }) {
  const dir = mkdtempSync('/tmp/.k8sb-fleet-pki-');
  try {
    const file = (name) => join(dir, name);
    const openssl = (...args) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    writeFileSync(file('ca.crt'), pki.caCert);
    writeFileSync(file('ca.key'), pki.caKey, { mode: 0o600 });
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('client.key'), '-out', file('client.csr'), '-subj', `/O=${organization}/CN=${commonName}`);
    openssl('x509', '-req', '-in', file('client.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-set_serial', `0x${Date.now().toString(16)}${process.pid.toString(16)}`, '-days', String(days), '-out', file('client.crt'));
    return { cert: readFileSync(file('client.crt'), 'utf8'), key: readFileSync(file('client.key'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const b64 = (text) => Buffer.from(text).toString('base64');

export function kubeconfig({ server, caCert, clientCert, clientKey, user = 'kubernetes-admin' }) {
  return `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: ${b64(caCert)}
    server: https://${server}
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: ${user}
  name: ${user}@kubernetes
current-context: ${user}@kubernetes
kind: Config
preferences: {}
users:
- name: ${user}
  user:
    client-certificate-data: ${b64(clientCert)}
    client-key-data: ${b64(clientKey)}
`;
}
