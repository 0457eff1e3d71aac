/**
 * Tests of the simulated fleet itself, driven by the plain OpenSSH client (not the project's SSH
 * layer), so a bug in one cannot hide a bug in the other.
 */
import { execFile, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingRequirement } from '../helpers/require-tool.js';
import { DEFAULT_CATALOGUE, type Fleet, fleetAvailability, startFleet } from './fleet.js';
import { type Result, ssh, sshArgs, writeKnownHosts } from './plain-ssh.js';

const availability = fleetAvailability();
const skipReason = missingRequirement(availability.ok, `simulated fleet: ${availability.reason ?? ''}`);

const PREPARE = (minor: string, patch: string) => `set -e
sudo -n install -d -m 0755 /etc/apt/keyrings
curl -fsSL https://pkgs.k8s.io/core:/stable:/v${minor}/deb/Release.key | sudo -n gpg --dearmor --batch --yes -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg
echo 'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v${minor}/deb/ /' | sudo -n tee /etc/apt/sources.list.d/kubernetes.list >/dev/null
sudo -n apt-get update >/dev/null
sudo -n apt-get install -y containerd kubelet=${patch}-1.1 kubeadm=${patch}-1.1 kubectl=${patch}-1.1 >/dev/null
sudo -n apt-mark hold kubelet kubeadm kubectl >/dev/null
sudo -n modprobe overlay
sudo -n modprobe br_netfilter
printf 'net.ipv4.ip_forward = 1\\n' | sudo -n tee /etc/sysctl.d/k8s.conf >/dev/null
sudo -n sysctl --system >/dev/null
sudo -n swapoff -a
sudo -n systemctl enable --now kubelet 2>/dev/null
echo prepared`;

const KUBEADM_CONFIG = `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
bootstrapTokens:
  - token: abcdef.0123456789abcdef
nodeRegistration:
  name: cp1
  criSocket: unix:///var/run/containerd/containerd.sock
  kubeletExtraArgs:
    - name: node-ip
      value: 127.0.0.99
certificateKey: ${'a1'.repeat(32)}
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.36.2
controlPlaneEndpoint: cp1.fleet.test:6443
networking:
  podSubnet: 10.244.0.0/16
  serviceSubnet: 10.96.0.0/12
`;

const KUBECTL = 'sudo -n kubectl --kubeconfig /etc/kubernetes/admin.conf';

/** The worker join line printed by kubeadm init (a backslash-continued command). */
function workerJoinCommand(initOutput: string): string {
  const tail = initOutput.slice(initOutput.indexOf('Then you can join any number of worker nodes'));
  const match = /kubeadm join [^\n]*\\\n[^\n]*/.exec(tail);
  if (!match) throw new Error(`no join command in:\n${initOutput}`);
  return match[0].replace(/\\\n/g, ' ').replace(/\s+/g, ' ').trim();
}

describe.skipIf(skipReason)('simulated fleet', () => {
  let fleet: Fleet;
  let knownHosts: string;

  beforeAll(async () => {
    // 1.36.2 is the newest 1.36 here: the held-package and upgrade cases below rely on it.
    fleet = await startFleet({ nodes: [{ name: 'cp1', role: 'control-plane' }, { name: 'w1' }, { name: 'w2' }], catalogue: { ...DEFAULT_CATALOGUE, '1.36': ['1.36.0', '1.36.1', '1.36.2'] } });
    knownHosts = writeKnownHosts(fleet);
  });
  afterAll(() => fleet?.stop());

  it('gives every node its own hostname, private /etc/kubernetes and a cgroup v2 answer', async () => {
    await ssh(fleet, knownHosts, 'cp1', 'sudo -n touch /etc/kubernetes/only-on-cp1');
    const cp1 = await ssh(fleet, knownHosts, 'cp1', 'hostname; ls /etc/kubernetes; stat -fc %T /sys/fs/cgroup/');
    const w1 = await ssh(fleet, knownHosts, 'w1', 'hostname; ls /etc/kubernetes; id -un; sudo -n id -un');
    expect(cp1.stdout.split('\n')).toEqual(['cp1', 'only-on-cp1', 'cgroup2fs', '']);
    expect(w1.stdout.split('\n')).toEqual(['w1', 'k8sb', 'root', '']);
  });

  it('requires root where the real tools do', async () => {
    const result = await ssh(fleet, knownHosts, 'w2', 'apt-get update');
    expect(result.code).toBe(100);
    expect(result.stderr).toContain('Could not open lock file');
    const notInstalled = await ssh(fleet, knownHosts, 'w2', 'sudo -n kubeadm version -o short');
    expect(notInstalled.stderr).toContain('sudo: kubeadm: command not found');
  });

  it('offers only the configured minor, needs apt-get update after a switch, and refuses held packages', async () => {
    const prepared = await ssh(fleet, knownHosts, 'w1', PREPARE('1.36', '1.36.1'));
    expect(prepared.stdout).toContain('prepared');
    const madison = await ssh(fleet, knownHosts, 'w1', 'apt-cache madison kubeadm');
    expect(madison.stdout.match(/1\.\d+\.\d+-1\.1/g)).toEqual(['1.36.2-1.1', '1.36.1-1.1', '1.36.0-1.1']);
    const version = await ssh(fleet, knownHosts, 'w1', "kubeadm version -o short; dpkg-query -W -f='${Version}' kubeadm");
    expect(version.stdout).toBe('v1.36.1\n1.36.1-1.1');
    // A held package is dpkg's "hold" selection, as apt-mark hold sets it; the others are "install".
    const status = await ssh(fleet, knownHosts, 'w1', "dpkg-query -W -f='${Package}\\t${db:Status-Abbrev}|${db:Status-Want}\\n' kubeadm containerd");
    expect(status.stdout).toBe('kubeadm\thi |hold\ncontainerd\tii |install\n');
    const asUser = await ssh(fleet, knownHosts, 'w1', 'kubeadm init');
    expect(asUser.code).toBe(1);
    expect(asUser.stderr).toContain('[ERROR IsPrivilegedUser]: user is not running as root');

    const held = await ssh(fleet, knownHosts, 'w1', "sudo -n apt-get install -y kubeadm='1.36.2-*'");
    expect(held.code).toBe(100);
    expect(held.stderr).toContain('E: Held packages were changed and -y was used without --allow-change-held-packages.');
    const allowed = await ssh(fleet, knownHosts, 'w1', "sudo -n apt-get install -y --allow-change-held-packages kubeadm='1.36.2-*' && kubeadm version -o short");
    expect(allowed.stdout).toContain('v1.36.2');

    const switchList = "echo 'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.37/deb/ /' | sudo -n tee /etc/apt/sources.list.d/kubernetes.list >/dev/null";
    await ssh(fleet, knownHosts, 'w1', switchList);
    const stale = await ssh(fleet, knownHosts, 'w1', "sudo -n apt-get install -y --allow-change-held-packages kubeadm='1.37.1-*'");
    expect(stale.code).toBe(100);
    expect(stale.stderr).toContain("E: Version '1.37.1-*' for 'kubeadm' was not found");
    const fresh = await ssh(fleet, knownHosts, 'w1', "sudo -n apt-get update >/dev/null && sudo -n apt-get install -y --allow-change-held-packages kubeadm='1.37.1-*' >/dev/null && kubeadm version -o short");
    expect(fresh.stdout).toBe('v1.37.1\n');
    // Back to 1.36 for the bootstrap below.
    await ssh(fleet, knownHosts, 'w1', `${switchList.replace('v1.37', 'v1.36')} && sudo -n apt-get update >/dev/null && sudo -n apt-get install -y --allow-change-held-packages --allow-downgrades kubeadm=1.36.2-1.1 kubelet=1.36.2-1.1 kubectl=1.36.2-1.1 >/dev/null && sudo -n systemctl restart kubelet`);
  });

  let workerJoin = '';

  it('bootstraps a cluster by hand over plain ssh: init, CNI, join, all Ready', async () => {
    expect((await ssh(fleet, knownHosts, 'cp1', PREPARE('1.36', '1.36.2'))).stdout).toContain('prepared');
    await ssh(fleet, knownHosts, 'cp1', 'mkdir -p /tmp/k8sb && cat > /tmp/k8sb/kubeadm.yaml', KUBEADM_CONFIG);
    const init = await ssh(fleet, knownHosts, 'cp1', 'sudo -n kubeadm init --config /tmp/k8sb/kubeadm.yaml --upload-certs');
    expect(init.stderr).toBe('');
    expect(init.stdout).toContain('Your Kubernetes control-plane has initialized successfully!');
    workerJoin = workerJoinCommand(init.stdout);
    expect(workerJoin).toMatch(/^kubeadm join cp1\.fleet\.test:6443 --token abcdef\.0123456789abcdef --discovery-token-ca-cert-hash sha256:[0-9a-f]{64}$/);

    // The printed hash is the real SPKI sha256 of the CA on disk.
    const hash = await ssh(fleet, knownHosts, 'cp1', 'sudo -n openssl x509 -pubkey -noout -in /etc/kubernetes/pki/ca.crt | openssl pkey -pubin -outform der | sha256sum');
    expect(workerJoin).toContain(`sha256:${hash.stdout.split(' ')[0]}`);
    expect(fleet.api().cluster?.caCertHash).toBe(`sha256:${hash.stdout.split(' ')[0]}`);

    const again = await ssh(fleet, knownHosts, 'cp1', 'sudo -n kubeadm init --config /tmp/k8sb/kubeadm.yaml --upload-certs');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('[ERROR FileAvailable--etc-kubernetes-manifests-kube-apiserver.yaml]: /etc/kubernetes/manifests/kube-apiserver.yaml already exists');

    const before = JSON.parse((await ssh(fleet, knownHosts, 'cp1', `${KUBECTL} get nodes -o json`)).stdout);
    expect(before.items[0].status.conditions.find((c: { type: string }) => c.type === 'Ready').status).toBe('False');

    const cni = await ssh(fleet, knownHosts, 'cp1', `${KUBECTL} apply -f https://github.com/flannel-io/flannel/releases/latest/download/kube-flannel.yml`);
    expect(cni.stdout).toContain('configmap/kube-flannel-cfg created');

    const join = await ssh(fleet, knownHosts, 'w1', `sudo -n ${workerJoin}`);
    expect(join.stdout).toContain('This node has joined the cluster');
    const nodes = JSON.parse((await ssh(fleet, knownHosts, 'cp1', `${KUBECTL} get nodes -o json`)).stdout);
    const summary = nodes.items.map((item: any) => ({
      name: item.metadata.name,
      controlPlane: 'node-role.kubernetes.io/control-plane' in item.metadata.labels,
      ready: item.status.conditions.find((c: { type: string }) => c.type === 'Ready').status,
      version: item.status.nodeInfo.kubeletVersion,
    }));
    expect(summary).toEqual([
      { name: 'cp1', controlPlane: true, ready: 'True', version: 'v1.36.2' },
      { name: 'w1', controlPlane: false, ready: 'True', version: 'v1.36.2' },
    ]);
    const internal = nodes.items[0].status.addresses.find((a: { type: string }) => a.type === 'InternalIP').address;
    expect(internal).toBe('127.0.0.99');

    const rejoin = await ssh(fleet, knownHosts, 'w1', `sudo -n ${workerJoin}`);
    expect(rejoin.code).toBe(1);
    expect(rejoin.stderr).toContain('/etc/kubernetes/kubelet.conf already exists');
  });

  it('rejects a wrong CA hash and, after the clock moves 25 h, an expired token', async () => {
    expect((await ssh(fleet, knownHosts, 'w2', PREPARE('1.36', '1.36.2'))).stdout).toContain('prepared');
    const wrong = await ssh(fleet, knownHosts, 'w2', `sudo -n ${workerJoin.replace(/sha256:[0-9a-f]{64}/, `sha256:${'0'.repeat(64)}`)}`);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('none of the public keys');
    fleet.advanceClock(25);
    const expired = await ssh(fleet, knownHosts, 'w2', `sudo -n ${workerJoin}`);
    expect(expired.code).toBe(1);
    expect(expired.stderr).toContain('could not find a JWS signature in the cluster-info ConfigMap for token ID "abcdef"');
  });

  it('drops the SSH connection once, then fails once, then joins', async () => {
    const created = await ssh(fleet, knownHosts, 'cp1', 'sudo -n kubeadm token create --print-join-command');
    const join = `sudo -n ${created.stdout.trim()}`;
    fleet.setFault('w2', { dropConnectionOnce: 'kubeadm join', failOnce: { op: 'kubeadm join', message: 'error execution phase kubelet-start: timed out' } });
    const dropped = await ssh(fleet, knownHosts, 'w2', join);
    expect(dropped.code).toBe(255);
    const failed = await ssh(fleet, knownHosts, 'w2', join);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('timed out');
    const joined = await ssh(fleet, knownHosts, 'w2', join);
    expect(joined.code).toBe(0);
    expect(Object.keys(fleet.api().nodes)).toEqual(['cp1', 'w1', 'w2']);
  });

  it('requires --ignore-daemonsets to drain', async () => {
    const plain = await ssh(fleet, knownHosts, 'cp1', `${KUBECTL} drain w2`);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain('cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore)');
    const ok = await ssh(fleet, knownHosts, 'cp1', `${KUBECTL} drain w2 --ignore-daemonsets --delete-emptydir-data`);
    expect(ok.stdout).toContain('node/w2 drained');
    expect(fleet.api().nodes.w2?.unschedulable).toBe(true);
  });

  it('hangs an operation until the session is killed', async () => {
    fleet.setFault('w2', { hang: 'kubeadm version' });
    const child = spawn('ssh', sshArgs(fleet, knownHosts, fleet.node('w2').address, 'kubeadm version -o short'));
    const exited = await new Promise<boolean>((resolve) => {
      child.once('exit', () => resolve(true));
      setTimeout(() => resolve(false), 1_500);
    });
    child.kill('SIGKILL');
    fleet.setFault('w2', {});
    expect(exited).toBe(false);
    expect((await ssh(fleet, knownHosts, 'w2', 'kubeadm version -o short')).stdout).toBe('v1.36.2\n');
  });

  it('records which node saw which command', () => {
    expect(fleet.commandsOn('w1')).toContain(`sudo -n ${workerJoin}`);
    expect(fleet.commandsOn('cp1')).not.toContain(`sudo -n ${workerJoin}`);
    expect(fleet.toolCallsOn('cp1').filter((call) => call.startsWith('kubeadm init'))).toHaveLength(2);
    expect(fleet.toolCallsOn('w2').filter((call) => call.startsWith('kubeadm join'))).toHaveLength(5);
  });

  it('changes the host key fingerprint on rotation, so a pinned client refuses', async () => {
    const before = fleet.knownHostsLine('w1');
    await fleet.rotateHostKey('w1');
    expect(fleet.knownHostsLine('w1')).not.toBe(before);
    const refused = await ssh(fleet, knownHosts, 'w1', 'true');
    expect(refused.code).toBe(255);
    expect(refused.stderr).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED');
  });

  it('has blackhole nodes that accept TCP but never answer SSH', async () => {
    const hole = await fleet.addBlackhole('silent');
    const result = await new Promise<Result>((resolve) => {
      execFile('ssh', sshArgs(fleet, knownHosts, hole.address, 'true', 1), (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code) : 0, stdout, stderr }),
      );
    });
    expect(result.code).toBe(255);
    expect(result.stderr).toMatch(/timed out/i);
  });
});
