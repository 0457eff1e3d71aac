/**
 * The kubeadm certificate stand-in (standins/lib/kubeadm-certs.mjs; test/fleet/README.md
 * "Certificates"): `kubeadm certs check-expiration` prints kubeadm's two tables with the dates
 * init gave (leaf certificates one year, CAs ten), counted on the fleet clock; `kubeadm certs
 * renew all` moves every leaf certificate to now + 1 year, writes a new real client certificate
 * into admin.conf, leaves the CAs alone and reminds to restart the control-plane components.
 * Driven by the plain OpenSSH client.
 */
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingRequirement } from '../helpers/require-tool.js';
import { type Fleet, fleetAvailability, startFleet } from './fleet.js';
import { ssh, writeKnownHosts } from './plain-ssh.js';
import { formatExpiry, humanDuration } from './standins/lib/kubeadm-certs.mjs';

const availability = fleetAvailability();
const skipReason = missingRequirement(availability.ok, `simulated fleet: ${availability.reason ?? ''}`);

const INIT = `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
bootstrapTokens:
  - token: abcdef.0123456789abcdef
nodeRegistration:
  criSocket: unix:///var/run/containerd/containerd.sock
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.37.1
networking:
  podSubnet: 10.244.0.0/16
`;

const DAY = 86_400_000;

describe('duration and date formats (no fleet needed)', () => {
  it('prints residual time as apimachinery HumanDuration and dates as Go "Jan 02, 2006 15:04 MST"', () => {
    expect(humanDuration(364 * DAY + 3_600_000)).toBe('364d');
    expect(humanDuration(10 * 365 * DAY)).toBe('10y');
    expect(humanDuration(3 * 365 * DAY + 5 * DAY)).toBe('3y5d');
    expect(humanDuration(3 * DAY + 4 * 3_600_000)).toBe('3d4h');
    expect(humanDuration(20 * 3_600_000)).toBe('20h');
    expect(humanDuration(-5000)).toBe('<invalid>');
    expect(formatExpiry(new Date('2027-03-05T07:09:59Z'))).toBe('Mar 05, 2027 07:09 UTC');
  });
});

/** The rows of check-expiration's first table: name → [expires, residual, ca]. */
function rows(stdout: string): Map<string, string[]> {
  const table = stdout.split('\n\n')[1]!.split('\n').slice(1);
  return new Map(table.map((line) => {
    const cells = line.split(/ {3,}/);
    return [cells[0]!, cells.slice(1)];
  }));
}

describe.skipIf(skipReason)('kubeadm certs check-expiration / renew all', () => {
  let fleet: Fleet;
  let known: string;
  const run = (command: string, input?: string) => ssh(fleet, known, 'cp1', command, input);

  beforeAll(async () => {
    fleet = await startFleet({ nodes: [{ name: 'cp1', role: 'control-plane', image: { kubernetes: '1.37.1' } }, { name: 'w1', image: { kubernetes: '1.37.1' } }] });
    known = writeKnownHosts(fleet);
    await run('mkdir -p /tmp/k && cat > /tmp/k/init.yaml', INIT);
    const init = await run('sudo -n kubeadm init --config /tmp/k/init.yaml');
    expect(init.code, init.stderr).toBe(0);
  }, 60_000);
  afterAll(() => fleet?.stop());

  it('prints both tables as kubeadm does: one year for every leaf certificate, ten for the CAs', async () => {
    const check = await run('sudo -n kubeadm certs check-expiration');
    expect(check.code, check.stderr).toBe(0);
    const lines = check.stdout.split('\n');
    expect(lines[0]).toBe('[check-expiration] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...');
    expect(lines[3]).toBe('CERTIFICATE                EXPIRES                  RESIDUAL TIME   CERTIFICATE AUTHORITY   EXTERNALLY MANAGED');
    expect(lines[4]).toMatch(/^admin\.conf {17}[A-Z][a-z]{2} \d{2}, \d{4} \d{2}:\d{2} UTC {3}364d {12}ca {22}no {6}$/);
    const table = rows(check.stdout);
    expect([...table.keys()]).toEqual(['admin.conf', 'apiserver', 'apiserver-etcd-client', 'apiserver-kubelet-client', 'controller-manager.conf', 'etcd-healthcheck-client', 'etcd-peer', 'etcd-server', 'front-proxy-client', 'scheduler.conf', 'super-admin.conf']);
    expect(table.get('etcd-peer')![2]).toBe('etcd-ca');
    expect(check.stdout).toContain('\nCERTIFICATE AUTHORITY   EXPIRES                  RESIDUAL TIME   EXTERNALLY MANAGED\nca                      ');
    expect(check.stdout).toMatch(/\nca {22}\S+ \d\d, \d{4} \d\d:\d\d UTC {3}9y {14}no {6}\n/);
  });

  it('counts residual time on the fleet clock; renew all moves every leaf to now + 1 year, writes a new admin.conf certificate, and leaves the CAs', async () => {
    fleet.advanceClock(340 * 24);
    const near = rows((await run('sudo -n kubeadm certs check-expiration')).stdout);
    expect(near.get('apiserver')![1]).toBe('24d');
    const adminBefore = await run('sudo -n cat /etc/kubernetes/admin.conf');
    const caBefore = (await run('sudo -n kubeadm certs check-expiration')).stdout.split('\n\n')[2];

    const renew = await run('sudo -n kubeadm certs renew all');
    expect(renew.code, renew.stderr).toBe(0);
    expect(renew.stdout).toContain('\ncertificate embedded in the kubeconfig file for the admin to use and for kubeadm itself renewed\ncertificate for serving the Kubernetes API renewed\n');
    expect(renew.stdout).toContain('certificate for serving etcd renewed\n');
    expect(renew.stdout).toMatch(/\n\nDone renewing certificates\. You must restart the kube-apiserver, kube-controller-manager, kube-scheduler and etcd, so that they can use the new certificates\.\n$/);

    const after = await run('sudo -n kubeadm certs check-expiration');
    for (const [name, cells] of rows(after.stdout)) expect(cells[1], name).toMatch(/^36[45]d$/);
    expect(after.stdout.split('\n\n')[2]).toBe(caBefore);
    const adminAfter = await run('sudo -n cat /etc/kubernetes/admin.conf');
    const certOf = (text: string) => new X509Certificate(Buffer.from(/client-certificate-data: (\S+)/.exec(text)![1]!, 'base64'));
    const gained = Date.parse(certOf(adminAfter.stdout).validTo) - Date.parse(certOf(adminBefore.stdout).validTo);
    expect(gained / DAY).toBeGreaterThan(339);
    expect(certOf(adminAfter.stdout).subject).toContain('CN=kubernetes-admin');
    // Still accepted by kubectl: the same key, a certificate of the same CA.
    expect((await run('sudo -n kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes -o name')).stdout).toContain('node/cp1');
  });

  it('refuses without root, and on a worker (no admin.conf), as kubeadm does', async () => {
    const user = await run('kubeadm certs check-expiration');
    expect(user.code).toBe(1);
    expect(user.stderr).toContain('failed to load admin kubeconfig: open /etc/kubernetes/admin.conf: permission denied');
    const worker = await ssh(fleet, known, 'w1', 'sudo -n kubeadm certs renew all');
    expect(worker.code).toBe(1);
    expect(worker.stderr).toContain('open /etc/kubernetes/admin.conf: no such file or directory');
  });
});
