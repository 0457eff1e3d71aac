/**
 * The stand-ins fail the way the real tools fail (test/fleet/README.md, "Behaviour spec"):
 * distributions whose archives carry containerd 1.x, Docker's containerd.io replacing and being
 * replaced, conflicting apt sources, boot-time dpkg locks, kubeadm failing inside a phase, a
 * half-joined control plane, etcd members, CNI re-installs and upgrades, and pod networking that
 * needs the CNI plugins where containerd looks for them. Driven by the plain OpenSSH client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingRequirement } from '../helpers/require-tool.js';
import { type Fleet, fleetAvailability, startFleet } from './fleet.js';
import { readFileSync } from 'node:fs';
import { templatePath } from '../../src/tools/template.js';
import { ssh, writeKnownHosts } from './plain-ssh.js';

const availability = fleetAvailability();
const skipReason = missingRequirement(availability.ok, `simulated fleet: ${availability.reason ?? ''}`);

const KUBECTL = 'sudo -n kubectl --kubeconfig /etc/kubernetes/admin.conf';
const ETCDCTL = `${KUBECTL} -n kube-system exec etcd-cp1 -- etcdctl --endpoints https://127.0.0.1:2379 --cacert /etc/kubernetes/pki/etcd/ca.crt --cert /etc/kubernetes/pki/etcd/server.crt --key /etc/kubernetes/pki/etcd/server.key member list -w json`;

/** Kubernetes packages and node settings by hand (the runtime is left to each test). */
const KUBE_PACKAGES = `set -e
sudo -n install -d -m 0755 /etc/apt/keyrings
curl -fsSL https://pkgs.k8s.io/core:/stable:/v1.37/deb/Release.key | sudo -n gpg --dearmor --batch --yes -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg
echo 'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.37/deb/ /' | sudo -n tee /etc/apt/sources.list.d/kubernetes.list >/dev/null
sudo -n apt-get update >/dev/null
sudo -n apt-get install -y kubelet=1.37.1-1.1 kubeadm=1.37.1-1.1 kubectl=1.37.1-1.1 >/dev/null
sudo -n modprobe br_netfilter
printf 'net.ipv4.ip_forward = 1\\n' | sudo -n tee /etc/sysctl.d/k8s.conf >/dev/null
sudo -n sysctl --system >/dev/null
echo prepared`;

const initConfig = (endpoint: string) => `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
bootstrapTokens:
  - token: abcdef.0123456789abcdef
certificateKey: ${'b2'.repeat(32)}
nodeRegistration:
  criSocket: unix:///var/run/containerd/containerd.sock
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.37.1
controlPlaneEndpoint: ${endpoint}
networking:
  podSubnet: 10.244.0.0/16
`;

describe.skipIf(skipReason)('fleet stand-ins behave like the real tools', () => {
  let fleet: Fleet;
  let known: string;
  const run = (node: string, command: string, input?: string) => ssh(fleet, known, node, command, input);

  beforeAll(async () => {
    fleet = await startFleet({
      nodes: [
        { name: 'cp1', role: 'control-plane' },
        { name: 'cp2', role: 'control-plane' },
        { name: 'deb12', distro: 'debian-12' },
        { name: 'jammy', distro: 'ubuntu-22.04' },
        { name: 'docker', distro: 'ubuntu-22.04', preinstalled: ['docker-ce'] },
        { name: 'trixie', distro: 'debian-13' },
        { name: 'fresh' },
        { name: 'baked', image: { kubernetes: '1.37.1' } },
      ],
    });
    known = writeKnownHosts(fleet);
  }, 60_000);
  afterAll(() => fleet?.stop());

  it('gives each node its distribution: os-release and the containerd its archive carries', async () => {
    const deb = await run('deb12', '. /etc/os-release; echo "$ID $VERSION_CODENAME"; apt-cache policy containerd | grep Candidate');
    expect(deb.stdout).toBe('debian bookworm\n  Candidate: 1.6.20~ds1-1+deb12u3\n');
    const jammy = await run('jammy', '. /etc/os-release; echo "$ID $UBUNTU_CODENAME"; apt-cache policy containerd | grep Candidate');
    expect(jammy.stdout).toBe('ubuntu jammy\n  Candidate: 1.7.28-0ubuntu1~22.04.1\n');
    expect((await run('cp1', 'apt-cache policy containerd | grep Candidate')).stdout).toBe('  Candidate: 2.2.1-0ubuntu1~24.04.3\n');
  });

  it("installs Debian's containerd 1.6 with its config.toml (CNI plugins in /usr/lib/cni) and a version 2 default", async () => {
    const install = await run('deb12', 'sudo -n apt-get install -y containerd');
    expect(install.code, install.stderr).toBe(0);
    expect(install.stdout).toContain('Setting up runc');
    const config = await run('deb12', 'cat /etc/containerd/config.toml; containerd config default | grep -E "^version|SystemdCgroup|bin_dir"');
    expect(config.stdout).toContain('bin_dir = "/usr/lib/cni"');
    expect(config.stdout).toContain('version = 2\n');
    expect(config.stdout).toContain('SystemdCgroup = false');
    const trixie = await run('trixie', 'sudo -n apt-get install -y containerd >/dev/null && containerd config default | grep bin_dir');
    expect(trixie.stdout.trim()).toBe('bin_dir = "/usr/lib/cni"');
  });

  it("removes Docker's containerd.io and docker-ce when the distribution's containerd is installed", async () => {
    expect((await run('docker', "dpkg-query -W -f='${Version}\\n' containerd.io docker-ce")).stdout).toMatch(/^2\.2\.1-1~ubuntu\.22\.04~jammy\n5:/);
    const install = await run('docker', 'sudo -n apt-get install -y containerd');
    expect(install.code).toBe(0);
    expect(install.stdout).toContain('The following packages will be REMOVED:\n  containerd.io docker-ce');
    const after = await run('docker', 'dpkg-query -W docker-ce');
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('no packages found matching docker-ce');
  });

  it('refuses a second Docker source with another key, and replaces distro containerd with containerd.io from it', async () => {
    const sources = (key: string) => `Types: deb\nURIs: https://download.docker.com/linux/ubuntu\nSuites: jammy\nComponents: stable\nSigned-By: ${key}\n`;
    // The Docker node lists the repository in docker.list with docker.asc already.
    await run('docker', 'sudo -n tee /etc/apt/sources.list.d/docker.sources >/dev/null', sources('/etc/apt/keyrings/docker.gpg'));
    const conflict = await run('docker', 'sudo -n apt-get update');
    expect(conflict.code).toBe(100);
    expect(conflict.stderr).toContain('E: Conflicting values set for option Signed-By regarding source https://download.docker.com/linux/ubuntu/ jammy: /etc/apt/keyrings/docker.asc != /etc/apt/keyrings/docker.gpg');
    await run('docker', 'sudo -n rm /etc/apt/sources.list.d/docker.sources');

    await run('jammy', 'sudo -n apt-get install -y containerd >/dev/null');
    await run('jammy', 'sudo -n install -d -m 0755 /etc/apt/keyrings && sudo -n curl -fsSL https://download.docker.com/linux/ubuntu/gpg -o /etc/apt/keyrings/docker.asc');
    await run('jammy', 'sudo -n tee /etc/apt/sources.list.d/docker.sources >/dev/null', sources('/etc/apt/keyrings/docker.asc'));
    const updated = await run('jammy', 'sudo -n apt-get update');
    expect(updated.code, updated.stdout + updated.stderr).toBe(0);
    const replace = await run('jammy', 'sudo -n apt-get install -y containerd.io');
    expect(replace.stdout).toContain('The following packages will be REMOVED:\n  containerd runc');
    const config = await run('jammy', 'cat /etc/containerd/config.toml; containerd --version');
    expect(config.stdout).toContain('disabled_plugins = ["cri"]');
    expect(config.stdout).toContain('containerd containerd.io 2.2.1');
  });

  it('boots a prepared image exactly as prepare-node.sh leaves a node: a run on it changes nothing', async () => {
    const script = readFileSync(templatePath('scripts', 'prepare-node.sh'), 'utf8');
    const prepare = (node: string) => run(node, 'sudo -n env K8S_VERSION=1.37.1 K8S_MINOR=1.37 RUNTIME=containerd PULL_IMAGES=0 bash -s', script);
    const first = await prepare('fresh');
    expect(first.code, first.stderr).toBe(0);
    const second = await prepare('fresh');
    expect(second.code, second.stderr).toBe(0);
    const baked = await prepare('baked');
    expect(baked.code, baked.stderr).toBe(0);
    // The second run on a node it prepared only looks; so must the first run on the image.
    expect(baked.stdout).toBe(second.stdout);
    const state = 'dpkg-query -W kubelet kubeadm containerd; apt-mark showhold; systemctl is-active containerd kubelet; cat /etc/k8s-bootstrap/prepared';
    expect((await run('baked', state)).stdout).toBe((await run('fresh', state)).stdout);
  });

  it('holds the dpkg lock after boot: apt-get fails at once, or waits with DPkg::Lock::Timeout; update never waits', async () => {
    // One lock at a time: each starts with the next apt call, so a slow machine does not let it lapse.
    fleet.setFault('trixie', { aptBusyMs: { lists: 5000 } });
    const update = await run('trixie', 'sudo -n apt-get -o DPkg::Lock::Timeout=60 update');
    expect(update.code).toBe(100);
    expect(update.stderr).toContain('E: Could not get lock /var/lib/apt/lists/lock');
    fleet.setFault('trixie', { aptBusyMs: { dpkg: 5000 } });
    const now = await run('trixie', 'sudo -n apt-get install -y jq');
    expect(now.code).toBe(100);
    expect(now.stderr).toContain('E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 1187 (unattended-upgr)');
    const waited = await run('trixie', 'sudo -n apt-get -o DPkg::Lock::Timeout=60 install -y jq');
    expect(waited.code, waited.stderr).toBe(0);
    expect(waited.stdout).toContain('Waiting for cache lock: Could not get lock /var/lib/dpkg/lock-frontend');
  });

  it('fails kubeadm init inside wait-control-plane after writing admin.conf, and needs a reset to run again', async () => {
    for (const node of ['cp1', 'cp2']) {
      expect((await run(node, 'sudo -n apt-get install -y containerd >/dev/null && sudo -n systemctl restart containerd')).code).toBe(0);
      expect((await run(node, KUBE_PACKAGES)).stdout).toContain('prepared');
    }
    await run('cp1', 'mkdir -p /tmp/k && cat > /tmp/k/init.yaml', initConfig(`${fleet.node('cp1').address}:6443`));
    fleet.setFault('cp1', { failInPhase: { op: 'kubeadm init', phase: 'wait-control-plane' } });
    const failed = await run('cp1', 'sudo -n kubeadm init --config /tmp/k/init.yaml --upload-certs');
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('[kubelet-check] The kubelet is not healthy after');
    expect(failed.stderr).toContain("error execution phase wait-control-plane: failed while waiting for the kubelet to start: The HTTP call equal to 'curl -sSL http://127.0.0.1:10248/healthz' returned error");
    expect((await run('cp1', 'sudo -n test -e /etc/kubernetes/admin.conf && echo yes')).stdout).toBe('yes\n');
    const config = await run('cp1', `${KUBECTL} -n kube-system get configmap kubeadm-config`);
    expect(config.code).toBe(1);
    expect(config.stderr).toContain('was refused');
    const again = await run('cp1', 'sudo -n kubeadm init --config /tmp/k/init.yaml --upload-certs');
    expect(again.stderr).toContain('[ERROR FileAvailable--etc-kubernetes-manifests-kube-apiserver.yaml]');

    const reset = await run('cp1', 'sudo -n kubeadm reset -f --cri-socket unix:///var/run/containerd/containerd.sock');
    expect(reset.stdout).toContain('The reset process does not clean CNI configuration');
    const init = await run('cp1', 'sudo -n kubeadm init --config /tmp/k/init.yaml --upload-certs');
    expect(init.code, init.stderr).toBe(0);
    const objects = await run('cp1', `${KUBECTL} -n kube-system get configmap/kubeadm-config deployment/coredns daemonset/kube-proxy secret/bootstrap-token-abcdef -o name && ${KUBECTL} -n kube-public get configmap cluster-info -o name`);
    expect(objects.stdout.split('\n').filter(Boolean)).toEqual(['configmap/kubeadm-config', 'deployment/coredns', 'daemonset/kube-proxy', 'secret/bootstrap-token-abcdef', 'configmap/cluster-info']);
  });

  it('leaves a half-joined control plane: Node registered without its label, a learner in etcd; reset removes the member', async () => {
    const hash = JSON.parse(JSON.stringify(fleet.api().cluster)).caCertHash as string;
    const join = `sudo -n kubeadm join ${fleet.node('cp1').address}:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash ${hash} --control-plane --certificate-key ${'b2'.repeat(32)} --cri-socket unix:///var/run/containerd/containerd.sock`;
    fleet.setFault('cp2', { failInPhase: { op: 'kubeadm join', phase: 'control-plane-join/etcd' } });
    const failed = await run('cp2', join);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('error execution phase control-plane-join/etcd: error creating local etcd static pod manifest file');
    const node = JSON.parse((await run('cp1', `${KUBECTL} get node cp2 -o json`)).stdout);
    expect(node.metadata.labels['node-role.kubernetes.io/control-plane']).toBeUndefined();
    const members = JSON.parse((await run('cp1', ETCDCTL)).stdout).members;
    expect(members.map((m: { name: string; isLearner?: boolean }) => `${m.name}${m.isLearner ? ' (learner)' : ''}`)).toEqual(['cp1', 'cp2 (learner)']);
    expect((await run('cp2', join)).stderr).toContain('[ERROR FileAvailable--etc-kubernetes-kubelet.conf]');

    const reset = await run('cp2', 'sudo -n kubeadm reset -f --cri-socket unix:///var/run/containerd/containerd.sock');
    expect(reset.stdout).toMatch(/Removing member [0-9a-f]+ \(cp2\) from the etcd cluster/);
    expect(JSON.parse((await run('cp1', ETCDCTL)).stdout).members).toHaveLength(1);
    expect((await run('cp2', join)).code).toBe(0);
    const joined = JSON.parse((await run('cp1', ETCDCTL)).stdout).members;
    expect(joined.map((m: { name: string; isLearner?: boolean }) => [m.name, Boolean(m.isLearner)])).toEqual([['cp1', false], ['cp2', false]]);
    const pods = JSON.parse((await run('cp1', `${KUBECTL} -n kube-system get pods --field-selector spec.nodeName=cp2 -o json`)).stdout);
    expect(pods.items.map((p: { metadata: { name: string } }) => p.metadata.name).sort()).toEqual(expect.arrayContaining(['etcd-cp2', 'kube-apiserver-cp2']));
  });

  it('creates objects once (AlreadyExists per object), and applies an upgrade only server-side with --force-conflicts', async () => {
    const base = 'https://raw.githubusercontent.com/projectcalico/calico';
    const first = await run('cp1', `${KUBECTL} create -f ${base}/v3.31.7/manifests/operator-crds.yaml && ${KUBECTL} create -f ${base}/v3.31.7/manifests/tigera-operator.yaml`);
    expect(first.code, first.stderr).toBe(0);
    const twice = await run('cp1', `${KUBECTL} create -f ${base}/v3.31.7/manifests/tigera-operator.yaml`);
    expect(twice.code).toBe(1);
    const lines = twice.stderr.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(line).toMatch(/^Error from server \(AlreadyExists\): error when creating ".*": \S+ "\S+" already exists$/);
    const conflict = await run('cp1', `${KUBECTL} apply --server-side -f ${base}/v3.33.1/manifests/tigera-operator.yaml`);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain('conflict with "kubectl-create"');
    const forced = await run('cp1', `${KUBECTL} apply --server-side --force-conflicts -f ${base}/v3.33.1/manifests/tigera-operator.yaml`);
    expect(forced.stdout).toContain('deployment.apps/tigera-operator serverside-applied');
    const installation = `apiVersion: operator.tigera.io/v1\nkind: Installation\nmetadata:\n  name: default\nspec:\n  calicoNetwork:\n    ipPools:\n      - cidr: 10.244.0.0/16\n`;
    await run('cp1', `${KUBECTL} wait --for=condition=Established crd/installations.operator.tigera.io --timeout=10s`);
    expect((await run('cp1', `${KUBECTL} create -f -`, installation)).code).toBe(0);
    expect((await run('cp1', `${KUBECTL} get installation default -o jsonpath='{.status.calicoVersion}'`)).stdout).toBe('v3.33.1');
  });

  it('runs pods only where containerd finds the CNI plugins (/opt/cni/bin), and CoreDNS answers lookups', async () => {
    // deb12 keeps Debian's bin_dir = "/usr/lib/cni"; SystemdCgroup is set so the kubelet runs.
    const config = 'version = 2\n[plugins]\n  [plugins."io.containerd.grpc.v1.cri"]\n    [plugins."io.containerd.grpc.v1.cri".cni]\n      bin_dir = "/usr/lib/cni"\n    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\n      SystemdCgroup = true\n';
    await run('deb12', 'sudo -n tee /etc/containerd/config.toml >/dev/null && sudo -n systemctl restart containerd', config);
    expect((await run('deb12', KUBE_PACKAGES)).stdout).toContain('prepared');
    const token = (await run('cp1', 'sudo -n kubeadm token create --print-join-command')).stdout.trim();
    expect((await run('deb12', `sudo -n ${token} --cri-socket unix:///var/run/containerd/containerd.sock`)).code).toBe(0);
    const available = await run('cp1', `${KUBECTL} -n kube-system wait --for=condition=Available deployment/coredns --timeout=5s`);
    expect(available.code, available.stderr).toBe(0);
    const pod = (node: string) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: dns-${node}\n  namespace: default\nspec:\n  nodeName: ${node}\n  restartPolicy: Never\n  containers:\n    - name: dns\n      image: registry.k8s.io/e2e-test-images/agnhost:2.39\n      command: [nslookup, kubernetes.default]\n`;
    for (const node of ['cp1', 'deb12']) await run('cp1', `${KUBECTL} create -f -`, pod(node));
    const ok = await run('cp1', `${KUBECTL} wait --for=jsonpath='{.status.phase}'=Succeeded pod/dns-cp1 --timeout=5s && ${KUBECTL} logs dns-cp1`);
    expect(ok.stdout, ok.stderr + (await run('cp1', `${KUBECTL} get pod dns-cp1 -o json`)).stdout).toContain('Name:\tkubernetes.default.svc.cluster.local');
    const stuck = await run('cp1', `${KUBECTL} wait --for=jsonpath='{.status.phase}'=Succeeded pod/dns-deb12 --timeout=1s`);
    expect(stuck.code).toBe(1);
    const events = JSON.parse((await run('cp1', `${KUBECTL} get events --field-selector involvedObject.name=dns-deb12 -o json`)).stdout);
    expect(events.items[0]).toMatchObject({ reason: 'FailedCreatePodSandBox' });
    expect(events.items[0].message).toContain('failed to find plugin "loopback" in path [/usr/lib/cni]');
  });
  // Last: it replaces the cluster's CNI.
  it('refuses `cilium install` over an existing release and upgrades it with `cilium upgrade`', async () => {
    const download = await run('cp2', 'cd /tmp && curl -fsSL --remote-name-all https://github.com/cilium/cilium-cli/releases/download/v0.19.7/cilium-linux-amd64.tar.gz{,.sha256sum} && sha256sum --check cilium-linux-amd64.tar.gz.sha256sum && sudo -n tar -xzf cilium-linux-amd64.tar.gz -C /usr/local/bin');
    expect(download.code, download.stderr).toBe(0);
    const cli = await run('cp2', 'cilium version --client');
    expect(cli.stdout, cli.stderr).toContain('cilium-cli: v0.19.7');
    const env = 'sudo -n env KUBECONFIG=/etc/kubernetes/admin.conf cilium';
    expect((await run('cp2', `${env} upgrade --version 1.20.0`)).stderr).toContain('has no deployed releases');
    expect((await run('cp2', `${env} install --version 1.19.6 --set ipam.mode=kubernetes`)).code).toBe(0);
    const twice = await run('cp2', `${env} install --version 1.20.0 --set ipam.mode=kubernetes`);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('Error: Unable to install Cilium: cannot reuse a name that is still in use');
    expect((await run('cp2', `${env} upgrade --version 1.20.0`)).code).toBe(0);
    expect(fleet.api().cni).toMatchObject({ kind: 'cilium', version: '1.20.0', pool: '10.244.0.0/16' });
  });

});
