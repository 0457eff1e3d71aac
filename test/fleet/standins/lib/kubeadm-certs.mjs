// kubeadm certs check-expiration and kubeadm certs renew (all | <name>): the certificates kubeadm
// manages on a control plane and when they expire, as the real commands print them.
//
// Where the dates come from: admin.conf, super-admin.conf, controller-manager.conf and
// scheduler.conf carry real X509 client certificates (pki.mjs), read here with X509Certificate;
// ca / etcd-ca / front-proxy-ca are the real CA file's notAfter (10 years, makeClusterPki). The
// PKI files of the other leaf certificates are stand-in bytes (kubeadm-common.mjs writeCerts),
// so their dates are kept in the node's state (`certs`), tied to admin.conf's certificate: until
// a renewal records them, they expire with admin.conf's certificate, as kubeadm init/join (and
// kubeadm upgrade apply, which renews them all) issue them together, valid one year
// (ClusterConfiguration certificateValidityPeriod default 8760h; CAs caCertificateValidityPeriod 87600h).
//
// Renewal (renewUsingLocalCA: the existing key, a new certificate signed by the node's own CA,
// valid one year from now on the fleet clock, context.mjs fleetNow) writes new real
// certificates into the kubeconfig files and moves every other leaf date; CAs are never renewed.
// The output follows kubeadm's cmd/kubeadm/app/cmd/certs.go: "<long name> renewed" per
// certificate, "MISSING! <long name>" for a file that is not there (super-admin.conf on a joined
// control plane), then the reminder to restart the control-plane components.
// Table format of check-expiration: tabwriter (minwidth 10, padding 3), "Jan 02, 2006 15:04 MST"
// dates, residual time by apimachinery duration.HumanDuration, `%-8v` yes/no; CA table second.
// Sources: kubernetes.io/docs/tasks/administer-cluster/kubeadm/kubeadm-certs/ and the output
// quoted in kubernetes/kubeadm#2866.
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiState, fail, flagValue, fleetNow, isRoot, nodeState, recordHistory, updateApi, updateNodeState } from './context.mjs';

const YEAR_MS = 365 * 24 * 3_600_000;

/** kubeadm's certificate list (name, long name, signing CA, file), sorted by name as kubeadm prints it. */
export const KUBEADM_CERTS = [
  { name: 'admin.conf', long: 'certificate embedded in the kubeconfig file for the admin to use and for kubeadm itself', ca: 'ca', kubeconfig: '/etc/kubernetes/admin.conf' },
  { name: 'apiserver', long: 'certificate for serving the Kubernetes API', ca: 'ca', file: '/etc/kubernetes/pki/apiserver.crt' },
  { name: 'apiserver-etcd-client', long: 'certificate the apiserver uses to access etcd', ca: 'etcd-ca', file: '/etc/kubernetes/pki/apiserver-etcd-client.crt' },
  { name: 'apiserver-kubelet-client', long: 'certificate for the API server to connect to kubelet', ca: 'ca', file: '/etc/kubernetes/pki/apiserver-kubelet-client.crt' },
  { name: 'controller-manager.conf', long: 'certificate embedded in the kubeconfig file for the controller manager to use', ca: 'ca', kubeconfig: '/etc/kubernetes/controller-manager.conf' },
  { name: 'etcd-healthcheck-client', long: 'certificate for liveness probes to healthcheck etcd', ca: 'etcd-ca', file: '/etc/kubernetes/pki/etcd/healthcheck-client.crt' },
  { name: 'etcd-peer', long: 'certificate for etcd nodes to communicate with each other', ca: 'etcd-ca', file: '/etc/kubernetes/pki/etcd/peer.crt' },
  { name: 'etcd-server', long: 'certificate for serving etcd', ca: 'etcd-ca', file: '/etc/kubernetes/pki/etcd/server.crt' },
  { name: 'front-proxy-client', long: 'certificate for the front proxy client', ca: 'front-proxy-ca', file: '/etc/kubernetes/pki/front-proxy-client.crt' },
  { name: 'scheduler.conf', long: 'certificate embedded in the kubeconfig file for the scheduler manager to use', ca: 'ca', kubeconfig: '/etc/kubernetes/scheduler.conf' },
  { name: 'super-admin.conf', long: 'certificate embedded in the kubeconfig file for the super-admin', ca: 'ca', kubeconfig: '/etc/kubernetes/super-admin.conf' },
];
const CAS = [
  { name: 'ca', file: '/etc/kubernetes/pki/ca.crt' },
  { name: 'etcd-ca', file: '/etc/kubernetes/pki/etcd/ca.crt' },
  { name: 'front-proxy-ca', file: '/etc/kubernetes/pki/front-proxy-ca.crt' },
];
/** The subject kubeadm gives each kubeconfig's client certificate. */
const SUBJECTS = {
  'admin.conf': '/O=kubeadm:cluster-admins/CN=kubernetes-admin',
  'super-admin.conf': '/O=system:masters/CN=kubernetes-super-admin',
  'controller-manager.conf': '/CN=system:kube-controller-manager',
  'scheduler.conf': '/CN=system:kube-scheduler',
};

const READING = (verb) => `[${verb}] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...\n[${verb}] Use 'kubeadm init phase upload-config --config your-config-file' to re-upload it.\n\n`;
const STACK = 'To see the stack trace of this error execute with --v=5 or higher';

export function runCerts(sub, rest, flags) {
  if (sub === 'check-expiration') return checkExpiration(flags);
  if (sub === 'renew') return renew(rest[0], flags);
  fail(1, `unknown command "${sub ?? ''}" for "kubeadm certs"\nRun 'kubeadm certs --help' for usage.`);
}

function requireControlPlane(verb) {
  if (!isRoot()) fail(1, `failed to load admin kubeconfig: open /etc/kubernetes/admin.conf: permission denied\n${STACK}`);
  if (!existsSync('/etc/kubernetes/admin.conf') || !existsSync('/etc/kubernetes/pki/ca.crt')) {
    // kubeadm reads the ClusterConfiguration through admin.conf first: a worker or a reset node has none.
    fail(1, `[${verb}] Reading configuration from the cluster...\nfailed to load admin kubeconfig: open /etc/kubernetes/admin.conf: no such file or directory\n${STACK}`);
  }
  const api = apiState();
  if (!api.cluster) fail(1, `[${verb}] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...\nerror execution phase: failed to get config map: Get "https://${'127.0.0.1:6443'}/api/v1/namespaces/kube-system/configmaps/kubeadm-config?timeout=10s": dial tcp 127.0.0.1:6443: connect: connection refused\n${STACK}`);
  return api;
}

function kubeconfigCert(path) {
  if (!existsSync(path)) return null;
  const data = /client-certificate-data:\s*(\S+)/.exec(readFileSync(path, 'utf8'))?.[1];
  if (!data) return null;
  try {
    return new X509Certificate(Buffer.from(data, 'base64'));
  } catch {
    return null;
  }
}

const fingerprint = (cert) => (cert ? createHash('sha256').update(cert.raw).digest('hex') : null);

/** name → expiry Date (or null: missing), for this node's certificates. */
export function certificateDates() {
  const admin = kubeconfigCert('/etc/kubernetes/admin.conf');
  const recorded = nodeState().certs;
  // Dates a renewal recorded count while admin.conf still carries the certificate it wrote.
  const dates = recorded && recorded.admin === fingerprint(admin) ? recorded.dates : {};
  const out = {};
  for (const cert of KUBEADM_CERTS) {
    if (cert.kubeconfig) {
      const x509 = kubeconfigCert(cert.kubeconfig);
      out[cert.name] = x509 ? new Date(x509.validTo) : null;
    } else if (!existsSync('/etc/kubernetes/pki/ca.key')) {
      // The leaf pairs are a control plane's (writeCerts writes stand-in bytes for some, none for others).
      out[cert.name] = null;
    } else {
      out[cert.name] = dates[cert.name] ? new Date(dates[cert.name]) : admin ? new Date(admin.validTo) : null;
    }
  }
  for (const ca of CAS) {
    out[ca.name] = existsSync(ca.file) ? new Date(new X509Certificate(readFileSync(ca.file)).validTo) : null;
  }
  return out;
}

// ---- check-expiration

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n) => String(n).padStart(2, '0');
/** Go's "Jan 02, 2006 15:04 MST" in UTC. */
export const formatExpiry = (date) => `${MONTHS[date.getUTCMonth()]} ${pad2(date.getUTCDate())}, ${date.getUTCFullYear()} ${pad2(date.getUTCHours())}:${pad2(date.getUTCMinutes())} UTC`;

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration. */
export function humanDuration(ms) {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.trunc(hours / 24) % 365;
    return dy === 0 ? `${Math.trunc(hours / 24 / 365)}y` : `${Math.trunc(hours / 24 / 365)}y${dy}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/** Go text/tabwriter with minwidth 10, tabwidth 4, padding 3, padchar ' ', flags 0: cells ended by a tab are aligned. */
function tabwrite(rows) {
  const widths = [];
  for (const cells of rows) cells.slice(0, -1).forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, Math.max(10, cell.length + 3))));
  return rows.map((cells) => cells.map((cell, i) => (i < cells.length - 1 ? cell.padEnd(widths[i]) : cell)).join('')).join('\n') + '\n';
}

function checkExpiration(flags) {
  const output = flagValue(flags, 'o') ?? flagValue(flags, 'output') ?? flagValue(flags, 'experimental-output') ?? 'text';
  if (output !== 'text') fail(1, `fleet: kubeadm certs check-expiration -o ${output} is not simulated (only the text table)`);
  const api = requireControlPlane('check-expiration');
  const now = fleetNow(api);
  const dates = certificateDates();
  const yesNo = (value) => (value ? 'yes' : 'no').padEnd(8);
  const certRows = [['CERTIFICATE', 'EXPIRES', 'RESIDUAL TIME', 'CERTIFICATE AUTHORITY', 'EXTERNALLY MANAGED']];
  for (const cert of KUBEADM_CERTS) {
    const date = dates[cert.name];
    // "!MISSING! <name>\t\t\t\t": kubeadm's row for a certificate whose file is absent.
    if (!date) certRows.push([`!MISSING! ${cert.name}`, '', '', '', '']);
    else certRows.push([cert.name, formatExpiry(date), humanDuration(date - now), cert.ca, yesNo(false)]);
  }
  const caRows = [['CERTIFICATE AUTHORITY', 'EXPIRES', 'RESIDUAL TIME', 'EXTERNALLY MANAGED']];
  for (const ca of CAS) {
    const date = dates[ca.name];
    if (!date) caRows.push([`!MISSING! ${ca.name}`, '', '', '']);
    else caRows.push([ca.name, formatExpiry(date), humanDuration(date - now), yesNo(false)]);
  }
  process.stdout.write(`${READING('check-expiration')}${tabwrite(certRows)}\n${tabwrite(caRows)}`);
  return 0;
}

// ---- renew

function openssl(...args) {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A new certificate for the existing key, signed by this node's CA, valid until `notAfter` (whole days from real now). */
function resign(keyPem, subject, notAfter) {
  const dir = mkdtempSync('/tmp/.k8sb-fleet-renew-');
  try {
    const file = (name) => join(dir, name);
    writeFileSync(file('client.key'), keyPem, { mode: 0o600 });
    openssl('req', '-new', '-key', file('client.key'), '-out', file('client.csr'), '-subj', subject);
    const days = Math.max(1, Math.ceil((notAfter.getTime() - Date.now()) / 86_400_000));
    openssl('x509', '-req', '-in', file('client.csr'), '-CA', '/etc/kubernetes/pki/ca.crt', '-CAkey', '/etc/kubernetes/pki/ca.key', '-set_serial', `0x${Date.now().toString(16)}${process.pid.toString(16)}`, '-days', String(days), '-out', file('client.crt'));
    return readFileSync(file('client.crt'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function renewKubeconfig(cert, notAfter) {
  const text = readFileSync(cert.kubeconfig, 'utf8');
  const key = /client-key-data:\s*(\S+)/.exec(text)?.[1];
  if (!key) fail(1, `failed to renew certificate ${cert.name}: ${cert.kubeconfig} has no client-key-data\n${STACK}`);
  const pem = resign(Buffer.from(key, 'base64').toString('utf8'), SUBJECTS[cert.name], notAfter);
  writeFileSync(cert.kubeconfig, text.replace(/client-certificate-data:\s*\S+/, `client-certificate-data: ${Buffer.from(pem).toString('base64')}`), { mode: 0o600 });
}

function renew(which, flags) {
  if (!which) fail(1, 'This command is not meant to be run on its own. See list of available subcommands.');
  const wanted = which === 'all' ? KUBEADM_CERTS : KUBEADM_CERTS.filter((cert) => cert.name === which);
  if (wanted.length === 0) fail(1, `unknown command "${which}" for "kubeadm certs renew"\nRun 'kubeadm certs renew --help' for usage.`);
  void flags;
  const api = requireControlPlane('renew');
  if (!existsSync('/etc/kubernetes/pki/ca.key')) {
    // External CA mode: kubeadm cannot sign, and says so per certificate.
    fail(1, `${READING('renew')}Detected external CA mode for certificate ${wanted[0].name}: the ca.key is missing; certificate renewal is not possible\n${STACK}`);
  }
  const before = certificateDates();
  const notAfter = new Date(fleetNow(api).getTime() + YEAR_MS);
  const lines = [];
  const dates = {};
  for (const cert of KUBEADM_CERTS) {
    const missing = before[cert.name] === null;
    if (!wanted.includes(cert)) {
      if (!cert.kubeconfig && !missing) dates[cert.name] = before[cert.name].toISOString();
      continue;
    }
    if (missing) {
      lines.push(`MISSING! ${cert.long}`);
      continue;
    }
    if (cert.kubeconfig) renewKubeconfig(cert, notAfter);
    else dates[cert.name] = notAfter.toISOString();
    lines.push(`${cert.long} renewed`);
  }
  const admin = fingerprint(kubeconfigCert('/etc/kubernetes/admin.conf'));
  updateNodeState((state) => {
    state.certs = { admin, dates, renewedAt: fleetNow(api).toISOString() };
  });
  updateApi((next) => recordHistory(next, 'certs-renew', { which }));
  process.stdout.write(`${READING('renew')}${lines.join('\n')}\n\nDone renewing certificates. You must restart the kube-apiserver, kube-controller-manager, kube-scheduler and etcd, so that they can use the new certificates.\n`);
  return 0;
}
