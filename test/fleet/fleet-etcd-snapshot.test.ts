/**
 * The etcd snapshot stand-in (standins/lib/etcd-snapshot.mjs; test/fleet/README.md "etcd
 * snapshots"): `etcdctl snapshot save` in the etcd pod writes the node's file through the pod's
 * hostPath mounts and fails like etcdctl outside them, `etcdutl snapshot status -w json` prints
 * etcdutl's fields and refuses a corrupt or truncated file, and etcdctl 3.6 has no status.
 * Driven by the plain OpenSSH client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingRequirement } from '../helpers/require-tool.js';
import { type Fleet, fleetAvailability, startFleet } from './fleet.js';
import { ssh, writeKnownHosts } from './plain-ssh.js';
import { decodeSnapshot, encodeSnapshot, snapshotOf, snapshotStatus } from './standins/lib/etcd-snapshot.mjs';

const availability = fleetAvailability();
const skipReason = missingRequirement(availability.ok, `simulated fleet: ${availability.reason ?? ''}`);

const KUBECTL = 'sudo -n kubectl --kubeconfig /etc/kubernetes/admin.conf';
const TLS = '--endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/server.crt --key=/etc/kubernetes/pki/etcd/server.key';
const ETCDCTL = `${KUBECTL} -n kube-system exec etcd-cp1 -- etcdctl ${TLS}`;
const ETCDUTL = `${KUBECTL} -n kube-system exec etcd-cp1 -- etcdutl`;

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

describe('etcd snapshot format (no fleet needed)', () => {
  it('is 512·n + 32 bytes with the body\'s sha256, and any changed or cut byte is refused', () => {
    const objects = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`ConfigMap/default/c${i}`, { kind: 'ConfigMap', name: `c${i}`, namespace: 'default' }]));
    const api = { history: [{}, {}], cluster: { clusterName: 'x' }, nodes: { cp1: { name: 'cp1' } }, objects: { ...objects, 'Namespace//shop': { kind: 'Namespace', name: 'shop' } }, tokens: [], etcd: { members: [] } };
    const bytes: Buffer = encodeSnapshot(snapshotOf(api, { storageVersion: '3.6.0' }));
    expect(bytes.length % 512).toBe(32);
    const decoded = decodeSnapshot(bytes);
    if (!decoded.snapshot) throw new Error(decoded.error);
    expect(decoded.snapshot.state.objects['Namespace//shop'].name).toBe('shop');
    const status = snapshotStatus(decoded);
    expect(bytes.length).toBeGreaterThan(1024);
    expect(status).toMatchObject({ revision: 36, totalKey: 33, totalSize: bytes.length - 32, version: '3.6.0' });
    const flipped = Buffer.from(bytes);
    flipped[40] = flipped[40]! ^ 1;
    expect(decodeSnapshot(flipped).error).toMatch(/^snapshot file integrity check failed/);
    expect(decodeSnapshot(bytes.subarray(0, 1000)).error).toMatch(/^snapshot file integrity check failed/);
    expect(decodeSnapshot(Buffer.alloc(4096, 7)).error).toBe('invalid database');
    expect(decodeSnapshot(bytes.subarray(0, 100)).error).toBe('file size too small');
  });
});

describe.skipIf(skipReason)('etcdctl snapshot save / etcdutl snapshot status in the etcd pod', () => {
  let fleet: Fleet;
  let known: string;
  const run = (command: string, input?: string) => ssh(fleet, known, 'cp1', command, input);

  beforeAll(async () => {
    fleet = await startFleet({ nodes: [{ name: 'cp1', role: 'control-plane', image: { kubernetes: '1.37.1' } }] });
    known = writeKnownHosts(fleet);
    await run('mkdir -p /tmp/k && cat > /tmp/k/init.yaml', INIT);
    const init = await run('sudo -n kubeadm init --config /tmp/k/init.yaml');
    expect(init.code, init.stderr).toBe(0);
    await run(`${KUBECTL} create namespace shop`);
  }, 60_000);
  afterAll(() => fleet?.stop());

  it('saves the API state to the node\'s /var/lib/etcd (a hostPath of the pod), 0600, with a sha256 tail', async () => {
    const save = await run(`${ETCDCTL} snapshot save /var/lib/etcd/s.db`);
    expect(save.code, save.stderr).toBe(0);
    expect(save.stdout).toBe('Snapshot saved at /var/lib/etcd/s.db\n');
    expect(save.stderr).toContain('"msg":"fetched snapshot"');
    const stat = await run('sudo -n stat -c "%a %s" /var/lib/etcd/s.db; sudo -n ls /var/lib/etcd');
    const [mode, size] = stat.stdout.split('\n')[0]!.split(' ');
    expect(mode).toBe('600');
    expect(Number(size) % 512).toBe(32);
    expect(stat.stdout).not.toContain('s.db.part');
  });

  it('etcdutl snapshot status -w json prints hash, revision, totalKey, totalSize and version', async () => {
    const status = await run(`${ETCDUTL} snapshot status /var/lib/etcd/s.db -w json`);
    expect(status.code, status.stderr).toBe(0);
    const parsed = JSON.parse(status.stdout);
    expect(Object.keys(parsed)).toEqual(['hash', 'revision', 'totalKey', 'totalSize', 'version']);
    expect(parsed.revision).toBeGreaterThan(0);
    expect(parsed.totalKey).toBeGreaterThan(0);
    // The storage version of the etcd the pod runs: its manifest's image (the stand-in kubeadm writes etcd:3.6.5-0).
    expect((await run('sudo -n grep -o "etcd:[0-9.]*" /etc/kubernetes/manifests/etcd.yaml')).stdout).toBe('etcd:3.6.5\n');
    expect(parsed.version).toBe('3.6.0');
    const size = Number((await run('sudo -n stat -c %s /var/lib/etcd/s.db')).stdout);
    expect(parsed.totalSize).toBe(size - 32);
  });

  it('fails like etcdctl where the pod has no such folder, and keeps container-only files off the host', async () => {
    const missing = await run(`${ETCDCTL} snapshot save /backups/s.db`);
    expect(missing.code).toBe(5);
    expect(missing.stderr).toContain('Error: could not open /backups/s.db.part (open /backups/s.db.part: no such file or directory)');
    const inContainer = await run(`${ETCDCTL} snapshot save /tmp/c.db`);
    expect(inContainer.code).toBe(0);
    expect((await run('sudo -n test -e /tmp/c.db; echo $?')).stdout).toBe('1\n');
    // …but etcdutl in the same container sees it.
    expect((await run(`${ETCDUTL} snapshot status /tmp/c.db -w json`)).code).toBe(0);
  });

  it('refuses a truncated, a corrupt and a missing file as etcdutl does; etcdctl 3.6 has no snapshot status', async () => {
    await run('sudo -n cp /var/lib/etcd/s.db /var/lib/etcd/cut.db && sudo -n truncate -s 1000 /var/lib/etcd/cut.db');
    const cut = await run(`${ETCDUTL} snapshot status /var/lib/etcd/cut.db -w json`);
    expect(cut.code).toBe(1);
    expect(cut.stderr).toMatch(/^Error: snapshot file integrity check failed\. 1 errors found\./);
    await run('head -c 8192 /dev/urandom | sudo -n tee /var/lib/etcd/junk.db >/dev/null');
    const junk = await run(`${ETCDUTL} snapshot status /var/lib/etcd/junk.db -w json`);
    expect(junk.code).toBe(1);
    expect(junk.stderr).toBe('Error: invalid database\n');
    const gone = await run(`${ETCDUTL} snapshot status /var/lib/etcd/gone.db -w json`);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe('Error: stat /var/lib/etcd/gone.db: no such file or directory\n');
    const old = await run(`${ETCDCTL} snapshot status /var/lib/etcd/s.db`);
    expect(old.code).toBe(1);
    expect(old.stderr).toContain('unknown command "status" for "etcdctl snapshot"');
  });
});
