/**
 * End to end on fleet nodes that behave like stock cloud images (test/fleet/README.md): the node
 * path holds where the archive's containerd is 1.x (Debian 12) or where Docker already runs,
 * reaches pod networking (CoreDNS, a DNS lookup from a pod), and a host reinstalled with another
 * CNI after `destroy --reset-nodes` works.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Fleet } from '../../fleet/fleet.js';
import { cli, failureText, fleetOf, fleetSkipReason, initArgs, latestLog, nodesSeenBy, onNode, tempDir } from './cluster-helpers.js';
import { DEFAULT_KUBERNETES_VERSION } from '../../../src/kube/versions.js';

const skip = fleetSkipReason();
const KUBECTL = 'sudo -n kubectl --kubeconfig /etc/kubernetes/admin.conf';

describe.skipIf(skip)('init at the default version on stock Debian 12 and Ubuntu 22.04 nodes, one of them running Docker', () => {
  let fleet: Fleet;
  let cwd: string;
  let dir: string;
  let first: Awaited<ReturnType<typeof cli>>;

  beforeAll(async () => {
    fleet = await fleetOf(1, 3, {}, {
      'cp-1': { distro: 'debian-12' },
      'worker-1': { distro: 'ubuntu-22.04' },
      'worker-2': { distro: 'debian-12' },
      'worker-3': { distro: 'ubuntu-22.04', preinstalled: ['docker-ce'] },
    });
    cwd = tempDir('e2e-real-hosts');
    dir = join(cwd, 'cluster');
    first = await cli(initArgs(fleet, { name: 'stock', dir }), cwd);
  }, 300_000);

  afterAll(() => fleet?.stop());

  it('reaches all Ready with containerd 2.x on every node', async () => {
    expect(first.code, failureText(first)).toBe(0);
    const nodes = await nodesSeenBy(fleet);
    expect(nodes.map((n) => n.name).sort()).toEqual(['cp-1', 'worker-1', 'worker-2', 'worker-3']);
    for (const node of nodes) {
      expect(node.ready, node.name).toBe(true);
      expect(node.kubeletVersion, node.name).toBe(`v${DEFAULT_KUBERNETES_VERSION}`);
      const version = await onNode(fleet, node.name, 'containerd --version');
      expect(version, node.name).toMatch(/ 2\.\d+\.\d+/);
      expect(await onNode(fleet, node.name, 'sudo -n cat /etc/containerd/config.toml'), node.name).toMatch(/SystemdCgroup = true/);
    }
  });

  it("keeps Docker's containerd.io and Docker CE on the host that runs Docker", async () => {
    expect(await onNode(fleet, 'worker-3', "dpkg-query -W -f='${Package} ${Version}\\n' containerd.io docker-ce")).toMatch(/^containerd\.io 2\.2\.1-1~ubuntu\.22\.04~jammy\ndocker-ce 5:/);
    expect(fleet.toolCallsOn('worker-3').filter((call) => /^apt-get .*install .*\bcontainerd\b(?!\.io)/.test(call))).toEqual([]);
  });

  it("installs containerd.io from Docker's repository where the archive has 1.x", async () => {
    for (const node of ['cp-1', 'worker-1', 'worker-2']) {
      expect(await onNode(fleet, node, 'cat /etc/apt/sources.list.d/docker.sources'), node).toContain('URIs: https://download.docker.com/linux/');
    }
  });

  it('proves pod networking: CoreDNS available and a pod on a worker resolved a Service name', async () => {
    expect(latestLog(dir)).toMatch(/a pod on worker-1 resolved kubernetes\.default through CoreDNS/);
    expect((await onNode(fleet, 'cp-1', `${KUBECTL} -n kube-system wait --for=condition=Available deployment/coredns --timeout=5s`))).toContain('condition met');
  });

  it('reinstalls the same hosts with another CNI after destroy --reset-nodes', async () => {
    const destroyed = await cli(['--dir', dir, '--output', 'plain', '--yes', 'destroy', '--reset-nodes'], cwd);
    expect(destroyed.code, failureText(destroyed)).toBe(0);
    for (const node of ['cp-1', 'worker-1']) {
      expect(await onNode(fleet, node, 'ls -A /etc/cni/net.d; ls -A /etc/k8s-bootstrap'), node).toBe('prepared\n');
    }
    const again = await cli(initArgs(fleet, { name: 'stock', dir, extra: ['--cni', 'calico'] }), cwd);
    expect(again.code, failureText(again)).toBe(0);
    expect(latestLog(dir)).toMatch(/a pod on worker-1 resolved kubernetes\.default through CoreDNS/);
    expect(fleet.api().cni).toMatchObject({ kind: 'calico', pool: '10.244.0.0/16' });
    expect((await onNode(fleet, 'worker-1', 'ls /etc/cni/net.d')).trim()).toBe('10-calico.conflist');
  });
});

describe.skipIf(skip)('init through failures inside kubeadm: an unhealthy kubelet during init, a control-plane join failing in etcd', () => {
  let fleet: Fleet;
  let run: Awaited<ReturnType<typeof cli>>;
  let log = '';

  beforeAll(async () => {
    fleet = await fleetOf(3, 1);
    fleet.setFault('cp-2', { failInPhase: { op: 'kubeadm join', phase: 'control-plane-join/etcd' } });
    // The connection drops after cilium install did its work: the step's retry must not install twice.
    fleet.setFault('cp-1', { failInPhase: { op: 'kubeadm init', phase: 'wait-control-plane' }, dropConnectionAfterOnce: 'cilium install' });
    const cwd = tempDir('e2e-kubeadm-faults');
    run = await cli(initArgs(fleet, { name: 'faults', dir: join(cwd, 'cluster'), extra: ['--virtual-ip', `127.0.${fleet.id}.200`, '--cni', 'cilium'] }), cwd);
    log = latestLog(join(cwd, 'cluster'));
  }, 300_000);

  afterAll(() => fleet?.stop());

  it('finishes in one run: the partial init and the half-joined control plane are reset and run again', async () => {
    expect(run.code, failureText(run)).toBe(0);
    const history = fleet.api().history;
    expect(history.filter((h) => h.op === 'reset').map((h) => h.node).sort()).toEqual(['cp-1', 'cp-2']);
    expect(log).toMatch(/cp-1 holds a kubeadm init of this cluster that did not finish/);
    expect(log).toMatch(/cp-2 holds a control-plane join of this cluster that did not finish/);
  });

  it('ends with 3 etcd members and every control plane labelled', async () => {
    const members = fleet.api().etcd?.members ?? [];
    expect(members.map((m) => `${m.name}${m.isLearner ? ' (learner)' : ''}`).sort()).toEqual(['cp-1', 'cp-2', 'cp-3']);
    const nodes = await nodesSeenBy(fleet);
    expect(nodes.filter((n) => n.roles.includes('control-plane')).map((n) => n.name).sort()).toEqual(['cp-1', 'cp-2', 'cp-3']);
    expect(log).toMatch(/etcd: 3 members \(cp-1, cp-2, cp-3\)/);
  });

  it('installs Cilium once: the retry after the dropped connection finds the release and does not install again', () => {
    expect(fleet.toolCallsOn('cp-1').filter((call) => call.startsWith('cilium install'))).toHaveLength(1);
    expect(fleet.api().cni).toMatchObject({ kind: 'cilium', version: '1.20.0' });
  });
});

/** A client certificate for kubernetes-admin signed by the fleet cluster's CA, valid `days`. */
function adminCertificate(fleet: Fleet, days: number): { cert: string; key: string } {
  const pki = JSON.parse(readFileSync(join(fleet.root, 'shared', 'cluster-pki.json'), 'utf8')) as { caCert: string; caKey: string };
  const work = mkdtempSync(join(tmpdir(), 'k8sb-admin-cert-'));
  try {
    writeFileSync(join(work, 'ca.crt'), pki.caCert);
    writeFileSync(join(work, 'ca.key'), pki.caKey, { mode: 0o600 });
    const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(work, 'k'), '-out', join(work, 'csr'), '-subj', '/O=kubeadm:cluster-admins/CN=kubernetes-admin');
    openssl('x509', '-req', '-in', join(work, 'csr'), '-CA', join(work, 'ca.crt'), '-CAkey', join(work, 'ca.key'), '-set_serial', '0x1234', '-days', String(days), '-out', join(work, 'crt'));
    return { cert: readFileSync(join(work, 'crt'), 'utf8'), key: readFileSync(join(work, 'k'), 'utf8') };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

describe.skipIf(skip)('boot-time apt locks, a kubeconfig near expiry, and a machine of another cluster', () => {
  let fleet: Fleet;
  let cwd: string;
  let dir: string;
  let first: Awaited<ReturnType<typeof cli>>;
  const b64 = (text: string) => Buffer.from(text).toString('base64');

  beforeAll(async () => {
    fleet = await fleetOf(1, 2);
    // unattended-upgrades and apt-daily hold apt's locks for the first seconds after boot.
    fleet.setFault('worker-1', { aptBusyMs: { dpkg: 7000, lists: 1500 } });
    cwd = tempDir('e2e-hosts-day2');
    dir = join(cwd, 'cluster');
    first = await cli(initArgs(fleet, { name: 'locks', dir, names: ['cp-1', 'worker-1'] }), cwd);
  }, 300_000);

  afterAll(() => fleet?.stop());

  it('waits for the dpkg lock and retries apt-get update while the lists are locked', () => {
    expect(first.code, failureText(first)).toBe(0);
    const log = latestLog(dir);
    expect(log).toMatch(/worker-1.*apt lists are locked by another process/);
    expect(log).toMatch(/worker-1.*Waiting for cache lock: Could not get lock \/var\/lib\/dpkg\/lock-frontend/);
  });

  it('says when the kubeconfig expires, and refreshes one that expires within 30 days', async () => {
    const file = join(dir, 'kubeconfig');
    const near = adminCertificate(fleet, 10);
    const text = readFileSync(file, 'utf8')
      .replace(/client-certificate-data: \S+/, `client-certificate-data: ${b64(near.cert)}`)
      .replace(/client-key-data: \S+/, `client-key-data: ${b64(near.key)}`);
    writeFileSync(file, text, { mode: 0o600 });
    const status = await cli(['--dir', dir, 'status'], cwd);
    expect(status.stdout).toMatch(/kubeconfig .*: client certificate valid until \d{4}-\d{2}-\d{2} \(9 days\)/);
    expect(status.stdout).toMatch(/warning: the client certificate expires in 9 days/);

    const again = await cli(initArgs(fleet, { name: 'locks', dir, names: ['cp-1', 'worker-1'] }), cwd);
    expect(again.code, failureText(again)).toBe(0);
    const admin = await onNode(fleet, 'cp-1', 'sudo -n cat /etc/kubernetes/admin.conf');
    const nodeCert = /client-certificate-data: (\S+)/.exec(admin)![1];
    expect(/client-certificate-data: (\S+)/.exec(readFileSync(file, 'utf8'))![1]).toBe(nodeCert);
    expect((await cli(['--dir', dir, 'status'], cwd)).stdout).not.toMatch(/warning: the client certificate/);
  });

  it('refuses a machine that holds another cluster, naming it and the fix, and resets nothing there', async () => {
    const work = mkdtempSync(join(tmpdir(), 'k8sb-foreign-ca-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(work, 'k'), '-out', join(work, 'c'), '-days', '30', '-subj', '/CN=kubernetes'], { stdio: 'ignore' });
    const foreign = readFileSync(join(work, 'c'), 'utf8');
    rmSync(work, { recursive: true, force: true });
    await onNode(fleet, 'worker-2', `sudo -n mkdir -p /etc/kubernetes/pki && echo ${b64(foreign)} | base64 -d | sudo -n tee /etc/kubernetes/pki/ca.crt >/dev/null && echo ${b64('placeholder\n')} | base64 -d | sudo -n tee /etc/kubernetes/kubelet.conf >/dev/null`);
    const run = await cli(['--dir', dir, '--output', 'plain', 'add-workers', '--host', `${fleet.node('worker-2').address},name=worker-2`, '--yes'], cwd);
    expect(run.code, failureText(run)).toBe(1);
    expect(run.stderr).toMatch(/worker-2 \(127\.0\.\d+\.\d+\) already holds the kubeadm state of another Kubernetes cluster/);
    expect(run.stderr).toMatch(/sudo kubeadm reset -f/);
    expect(fleet.toolCallsOn('worker-2').filter((call) => /^kubeadm (reset|join)/.test(call))).toEqual([]);
    expect((await onNode(fleet, 'worker-2', 'sudo -n cat /etc/kubernetes/pki/ca.crt'))).toBe(foreign);
  });
});
