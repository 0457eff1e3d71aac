/**
 * The etcd restore stand-in (standins/lib/etcd-restore.mjs; test/fleet/README.md "etcd restore"):
 * `etcdutl snapshot restore` in the etcd pod refuses a non-empty data dir, a corrupt file and a
 * name missing from --initial-cluster as etcdutl does, and writes member/snap/db + member/wal on
 * the node through the pod's hostPath; nothing changes while etcd runs on its old data dir; with
 * the static-pod manifests moved out the API refuses connections; once the restored member dir is
 * in /var/lib/etcd and the manifests are back, the API holds the snapshot's state and etcd is the
 * one restored member; it starts from that data dir once (later writes stay).
 * Driven by the plain OpenSSH client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingRequirement } from '../helpers/require-tool.js';
import { type Fleet, fleetAvailability, startFleet } from './fleet.js';
import { ssh, writeKnownHosts } from './plain-ssh.js';

const availability = fleetAvailability();
const skipReason = missingRequirement(availability.ok, `simulated fleet: ${availability.reason ?? ''}`);

const KUBECTL = 'sudo -n kubectl --kubeconfig /etc/kubernetes/admin.conf';
const TLS = '--endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/server.crt --key=/etc/kubernetes/pki/etcd/server.key';
const ETCDCTL = `${KUBECTL} -n kube-system exec etcd-cp1 -- etcdctl ${TLS}`;
const ETCDUTL = `${KUBECTL} -n kube-system exec etcd-cp1 -- etcdutl`;
const namespace = (name: string) => `echo '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"${name}"}}' | ${KUBECTL} apply -f -`;

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

describe.skipIf(skipReason)('etcdutl snapshot restore and an etcd started on the restored data dir', () => {
  let fleet: Fleet;
  let known: string;
  let peer: string;
  const run = (command: string, input?: string) => ssh(fleet, known, 'cp1', command, input);

  beforeAll(async () => {
    fleet = await startFleet({ nodes: [{ name: 'cp1', role: 'control-plane', image: { kubernetes: '1.37.1' } }] });
    known = writeKnownHosts(fleet);
    peer = `https://${fleet.node('cp1').address}:2380`;
    await run('mkdir -p /tmp/k && cat > /tmp/k/init.yaml', INIT);
    const init = await run('sudo -n kubeadm init --config /tmp/k/init.yaml');
    expect(init.code, init.stderr).toBe(0);
    expect((await run(namespace('shop'))).code).toBe(0);
    expect((await run(`${ETCDCTL} snapshot save /var/lib/etcd/s.db`)).code).toBe(0);
    expect((await run(`${KUBECTL} delete namespace shop`)).code).toBe(0);
  }, 60_000);
  afterAll(() => fleet?.stop());

  const restore = (file: string, dataDir: string, name = 'cp1') =>
    run(`${ETCDUTL} snapshot restore ${file} --data-dir ${dataDir} --name ${name} --initial-cluster cp1=${peer} --initial-advertise-peer-urls ${peer} --initial-cluster-token t1`);

  it('refuses a non-empty data dir, a corrupt file and a name missing from --initial-cluster, as etcdutl does', async () => {
    const busy = await restore('/var/lib/etcd/s.db', '/var/lib/etcd');
    expect(busy.code).toBe(1);
    expect(busy.stderr).toBe('Error: data-dir "/var/lib/etcd" not empty or could not be read\n');
    await run('sudo -n cp /var/lib/etcd/s.db /var/lib/etcd/cut.db && sudo -n truncate -s 1000 /var/lib/etcd/cut.db');
    const cut = await restore('/var/lib/etcd/cut.db', '/var/lib/etcd/r1');
    expect(cut.code).toBe(1);
    expect(cut.stderr).toMatch(/^Error: snapshot file integrity check failed/);
    const stranger = await restore('/var/lib/etcd/s.db', '/var/lib/etcd/r1', 'cp9');
    expect(stranger.code).toBe(1);
    expect(stranger.stderr).toBe('Error: couldn\'t find local name "cp9" in the initial cluster configuration\n');
    expect((await run('sudo -n test -e /var/lib/etcd/r1; echo $?')).stdout).toBe('1\n');
  });

  it('crictl (cri-tools, a kubeadm dependency) finds the etcd container and runs etcdutl in it without the API; needs root', async () => {
    const crictl = 'sudo -n crictl --runtime-endpoint unix:///run/containerd/containerd.sock';
    const ids = await run(`${crictl} ps --name '^etcd$' --state running -q`);
    expect(ids.code, ids.stderr).toBe(0);
    const id = ids.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect((await run(`${crictl} ps -q`)).stdout.trim().split('\n')).toHaveLength(4);
    const ok = await run(`${crictl} exec ${id} etcdutl snapshot restore /var/lib/etcd/s.db --data-dir /var/lib/etcd/rc --name cp1 --initial-cluster cp1=${peer} --initial-advertise-peer-urls ${peer} --initial-cluster-token t2`);
    expect(ok.code, ok.stderr).toBe(0);
    expect((await run('sudo -n test -d /var/lib/etcd/rc/member && echo yes')).stdout).toBe('yes\n');
    expect((await run(`${crictl} exec ${id} sh -c true`)).code).toBe(126);
    const user = await run("crictl ps --name '^etcd$' -q");
    expect(user.code).toBe(1);
    expect(user.stderr).toContain('permission denied');
    const wrong = await run('sudo -n crictl --runtime-endpoint unix:///var/run/crio/crio.sock.missing ps');
    expect(wrong.code).toBe(1);
    await run('sudo -n rm -rf /var/lib/etcd/rc');
  });

  it('writes member/snap/db and member/wal on the node; the running etcd does not notice', async () => {
    const ok = await restore('/var/lib/etcd/s.db', '/var/lib/etcd/r');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toContain('"msg":"restored snapshot"');
    expect((await run('sudo -n find /var/lib/etcd/r -type f | sort')).stdout).toBe('/var/lib/etcd/r/member/snap/db\n/var/lib/etcd/r/member/wal/0000000000000000-0000000000000000.wal\n');
    expect((await run(`${KUBECTL} get namespaces -o name`)).stdout).not.toContain('namespace/shop');
  });

  it('refuses connections while the static pods are stopped; comes back with the snapshot\'s state and one new member', async () => {
    const before = fleet.api().etcd!.members.map((m) => m.id);
    await run('sudo -n mkdir -p /etc/kubernetes/tmp/aside && sudo -n sh -c "mv /etc/kubernetes/manifests/*.yaml /etc/kubernetes/tmp/aside/"');
    const down = await run(`${KUBECTL} get namespaces`);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/The connection to the server .* was refused/);
    await run('sudo -n mkdir -p /etc/kubernetes/tmp/old && sudo -n mv /var/lib/etcd/member /etc/kubernetes/tmp/old/member && sudo -n mv /var/lib/etcd/r/member /var/lib/etcd/member');
    // Still down: etcd is not running yet.
    expect((await run(`${KUBECTL} get namespaces`)).code).toBe(1);
    await run('sudo -n sh -c "mv /etc/kubernetes/tmp/aside/*.yaml /etc/kubernetes/manifests/"');
    const up = await run(`${KUBECTL} get namespaces -o name`);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain('namespace/shop');
    const members = fleet.api().etcd!.members;
    expect(members.map((m) => [m.name, m.peerURL, m.isLearner])).toEqual([['cp1', peer, false]]);
    expect(before).not.toContain(members[0]!.id);
  });

  it('starts from the restored data dir once: later writes stay', async () => {
    expect((await run(namespace('after'))).code).toBe(0);
    await run(`${KUBECTL} get nodes`);
    const names = (await run(`${KUBECTL} get namespaces -o name`)).stdout;
    expect(names).toContain('namespace/after');
    expect(names).toContain('namespace/shop');
  });
});
