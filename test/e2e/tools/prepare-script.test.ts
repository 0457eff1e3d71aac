/**
 * templates/scripts/prepare-node.sh, the shared node preparation, run for real with bash but
 * against stand-in commands (a temp folder first on PATH) and a fake root (K8SB_PREPARE_ROOT),
 * so nothing on this machine changes. The stand-ins keep just enough state (installed packages,
 * holds, enabled/active services) for the script's look-before-you-act checks to be exercised.
 * The full run inside a throwaway mount namespace belongs to the fleet tests.
 */
import { spawnSync } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { templatePath } from '../../../src/tools/template.js';

const SCRIPT = templatePath('scripts', 'prepare-node.sh');

/** One multi-call stand-in; behaviour by the name it is called as. Every call is logged. */
const FAKE_TOOL = fileURLToPath(new URL('../../fixtures/packer/fake-node-tool.sh', import.meta.url));

const TOOLS = ['id', 'stat', 'modprobe', 'swapoff', 'kubeadm', 'sysctl', 'curl', 'gpg', 'dpkg-query', 'dpkg', 'apt-get', 'apt-cache', 'apt-mark', 'systemctl', 'containerd', 'journalctl'];
/**
 * Commands that only look; anything else in a second run would be a change. `systemctl enable`
 * of units that are enabled already changes nothing (systemd creates no symlink and prints
 * nothing), and is one process where asking first would be one per unit.
 */
const READ_ONLY = [/^id /, /^stat /, /^sysctl -n /, /^dpkg-query /, /^apt-mark showhold/, /^systemctl is-(enabled|active) /, /^systemctl enable --no-reload containerd kubelet$/, /^containerd config default/, /^kubeadm config images list/];

let base: string;
let root: string;
let state: string;
let bin: string;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'k8sb-prepare-'));
  root = join(base, 'root');
  state = join(base, 'state');
  bin = join(base, 'bin');
  await mkdir(join(root, 'etc'), { recursive: true });
  await mkdir(join(root, 'proc'), { recursive: true });
  await mkdir(bin);
  await copyFile(FAKE_TOOL, join(bin, 'fake-tool'));
  await chmod(join(bin, 'fake-tool'), 0o755);
  for (const tool of TOOLS) await symlink(join(bin, 'fake-tool'), join(bin, tool));
  await writeFile(join(root, 'etc', 'fstab'), 'UUID=abc / ext4 defaults 0 1\n/swap.img none swap sw 0 0\n# /old none swap sw 0 0\n');
  await writeFile(join(root, 'proc', 'swaps'), 'Filename Type Size Used Priority\n/swap.img file 1024 0 -2\n');
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

function prepare(env: Record<string, string>) {
  const result = spawnSync('bash', [SCRIPT], {
    encoding: 'utf8',
    env: { PATH: `${bin}:/usr/bin:/bin`, FAKE_STATE: state, K8SB_PREPARE_ROOT: root, ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function takeCalls(): Promise<string[]> {
  const path = join(state, 'calls.log');
  const text = await readFile(path, 'utf8').catch(() => '');
  await rm(path, { force: true });
  return text.split('\n').filter(Boolean);
}

const read = (path: string) => readFile(join(root, path), 'utf8');

describe('prepare-node.sh', () => {
  it('is valid bash', () => {
    expect(spawnSync('bash', ['-n', SCRIPT]).status).toBe(0);
  });

  it.each([
    [{ K8S_VERSION: '1.30.0 && curl x' }, /K8S_VERSION must look like 1\.36\.2/],
    [{ K8S_VERSION: '' }, /K8S_VERSION must look like/],
    [{ K8S_VERSION: '1.36.2', K8S_MINOR: '1.35' }, /K8S_MINOR 1\.35 does not match K8S_VERSION 1\.36\.2/],
    [{ K8S_VERSION: '1.36.2', K8S_MINOR: '1.36;id' }, /K8S_MINOR must look like 1\.36/],
    [{ K8S_VERSION: '1.36.2', RUNTIME: 'docker' }, /RUNTIME must be containerd or cri-o/],
    [{ K8S_VERSION: '1.36.2', PULL_IMAGES: 'yes' }, /PULL_IMAGES must be 0 or 1/],
  ])('refuses bad input %j before doing anything', async (env, message) => {
    const run = prepare(env);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(await takeCalls()).toEqual([]);
  });

  it('prepares a node with containerd, then changes nothing on a second run', async () => {
    const first = prepare({ K8S_VERSION: '1.36.2', K8S_MINOR: '1.36', RUNTIME: 'containerd', PULL_IMAGES: '1' });
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    const calls = await takeCalls();
    expect(calls).toEqual(
      expect.arrayContaining([
        'modprobe overlay',
        'modprobe br_netfilter',
        'sysctl --system',
        'swapoff -a',
        'apt-get -o DPkg::Lock::Timeout=600 update',
        'apt-get -o DPkg::Lock::Timeout=600 install -y ca-certificates curl gpg',
        'curl -fsSL https://pkgs.k8s.io/core:/stable:/v1.36/deb/Release.key',
        `gpg --dearmor --batch --yes -o ${root}/etc/apt/keyrings/kubernetes-apt-keyring.gpg`,
        // The runtime and the kube packages in one apt-get (one process per node, not two).
        'apt-get -o DPkg::Lock::Timeout=600 install -y containerd kubelet=1.36.2-* kubeadm=1.36.2-* kubectl=1.36.2-*',
        'systemctl restart containerd',
        'apt-mark hold kubelet kubeadm kubectl',
        'systemctl enable --no-reload containerd kubelet',
        'kubeadm config images pull --kubernetes-version v1.36.2',
      ]),
    );
    // The pkgs.k8s.io list is refreshed (apt-get update) before the kube packages are installed.
    const update = 'apt-get -o DPkg::Lock::Timeout=600 update';
    expect(calls.lastIndexOf(update)).toBeLessThan(calls.indexOf('apt-get -o DPkg::Lock::Timeout=600 install -y containerd kubelet=1.36.2-* kubeadm=1.36.2-* kubectl=1.36.2-*'));
    expect(calls.filter((call) => / install /.test(call))).toHaveLength(2); // the prerequisites, then everything else
    // Holds are read from dpkg's status (db:Status-Abbrev), not asked of apt-mark.
    expect(calls.filter((call) => call.startsWith('apt-mark showhold') || call.startsWith('systemctl is-enabled'))).toEqual([]);
    expect(calls.lastIndexOf(update)).toBeGreaterThan(calls.findIndex((call) => call.startsWith('gpg ')));
    // Every apt-get waits for the dpkg lock that unattended-upgrades holds after boot.
    expect(calls.filter((call) => call.startsWith('apt-get ') && !call.startsWith('apt-get -o DPkg::Lock::Timeout=600 '))).toEqual([]);
    expect(await read('etc/apt/sources.list.d/kubernetes.list')).toBe(
      'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.36/deb/ /\n',
    );
    expect(await read('etc/modules-load.d/k8s.conf')).toBe('overlay\nbr_netfilter\n');
    expect(await read('etc/sysctl.d/k8s.conf')).toContain('net.ipv4.ip_forward = 1');
    const config = await read('etc/containerd/config.toml');
    expect(config).toMatch(/^\s*SystemdCgroup = true$/m);
    expect(config).toMatch(/^\s*sandbox = 'registry\.k8s\.io\/pause:3\.10\.2'$/m);
    expect(config).toContain("bin_dirs = ['/opt/cni/bin']");
    expect(await read('etc/fstab')).toBe('UUID=abc / ext4 defaults 0 1\n# /swap.img none swap sw 0 0\n# /old none swap sw 0 0\n');
    expect(await read('etc/k8s-bootstrap/prepared')).toBe('version=1.36.2 runtime=containerd\n');

    const snapshot = await Promise.all(['etc/fstab', 'etc/containerd/config.toml', 'etc/apt/sources.list.d/kubernetes.list', 'etc/k8s-bootstrap/prepared'].map(read));
    const second = prepare({ K8S_VERSION: '1.36.2', K8S_MINOR: '1.36', RUNTIME: 'containerd', PULL_IMAGES: '1' });
    expect(second.status).toBe(0);
    const changes = (await takeCalls()).filter((call) => !READ_ONLY.some((pattern) => pattern.test(call)));
    expect(changes).toEqual([]);
    expect(await Promise.all(['etc/fstab', 'etc/containerd/config.toml', 'etc/apt/sources.list.d/kubernetes.list', 'etc/k8s-bootstrap/prepared'].map(read))).toEqual(snapshot);
  });

  it('moves held packages to a new minor with --allow-change-held-packages', async () => {
    expect(prepare({ K8S_VERSION: '1.36.2' }).status).toBe(0);
    await takeCalls();
    const upgrade = prepare({ K8S_VERSION: '1.37.1' });
    expect(upgrade.stderr).toBe('');
    expect(upgrade.status).toBe(0);
    const calls = await takeCalls();
    expect(calls).toContain('curl -fsSL https://pkgs.k8s.io/core:/stable:/v1.37/deb/Release.key');
    expect(calls).toContain('apt-get -o DPkg::Lock::Timeout=600 update');
    expect(calls).toContain('apt-get -o DPkg::Lock::Timeout=600 install -y --allow-change-held-packages kubelet=1.37.1-* kubeadm=1.37.1-* kubectl=1.37.1-*');
    expect(await read('etc/apt/sources.list.d/kubernetes.list')).toContain('/core:/stable:/v1.37/deb/');
    expect(await read('etc/k8s-bootstrap/prepared')).toBe('version=1.37.1 runtime=containerd\n');
  });

  it('refuses to downgrade the kube packages', async () => {
    expect(prepare({ K8S_VERSION: '1.36.2' }).status).toBe(0);
    const downgrade = prepare({ K8S_VERSION: '1.36.1' });
    expect(downgrade.status).toBe(1);
    expect(downgrade.stderr).toMatch(/kubelet 1\.36\.2-1\.1 is newer than the requested 1\.36\.1/);
  });

  it('configures the CRI-O repository of the same minor', async () => {
    const run = prepare({ K8S_VERSION: '1.36.2', RUNTIME: 'cri-o' });
    expect(run.status).toBe(0);
    const calls = await takeCalls();
    expect(calls).toContain('curl -fsSL https://download.opensuse.org/repositories/isv:/cri-o:/stable:/v1.36/deb/Release.key');
    expect(calls).toContain('apt-get -o DPkg::Lock::Timeout=600 install -y cri-o kubelet=1.36.2-* kubeadm=1.36.2-* kubectl=1.36.2-*');
    expect(calls).toContain('systemctl start crio');
    expect(calls.some((call) => call.startsWith('containerd'))).toBe(false);
    expect(await read('etc/apt/sources.list.d/cri-o.list')).toBe(
      'deb [signed-by=/etc/apt/keyrings/cri-o-apt-keyring.gpg] https://download.opensuse.org/repositories/isv:/cri-o:/stable:/v1.36/deb/ /\n',
    );
    expect(await read('etc/k8s-bootstrap/prepared')).toBe('version=1.36.2 runtime=cri-o\n');
  });

  it('fails clearly on a cgroup v1 host for Kubernetes 1.35 and later', async () => {
    const run = prepare({ K8S_VERSION: '1.35.3', FAKE_CGROUP_FS: 'tmpfs' });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/Kubernetes 1\.35 needs cgroup v2, but \/sys\/fs\/cgroup is 'tmpfs'/);
    expect((await takeCalls()).some((call) => call.startsWith('apt-get'))).toBe(false);
  });

  it('requires root', async () => {
    await rm(join(bin, 'id'));
    await writeFile(join(bin, 'id'), '#!/bin/sh\necho 1000\n');
    await chmod(join(bin, 'id'), 0o755);
    const run = prepare({ K8S_VERSION: '1.36.2' });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/must run as root/);
  });

  it('SKIP_IF_PREPARED=1: a node whose marker names this version and runtime is left as it is, and says so', async () => {
    expect(prepare({ K8S_VERSION: '1.36.2' }).status).toBe(0);
    await takeCalls();
    const again = prepare({ K8S_VERSION: '1.36.2', SKIP_IF_PREPARED: '1' });
    expect(again.status).toBe(0);
    expect(again.stdout).toBe('k8sb-prepare: already prepared (version=1.36.2 runtime=containerd)\n');
    expect((await takeCalls()).filter((call) => !/^id /.test(call))).toEqual([]);
    // Another version is prepared as usual.
    const other = prepare({ K8S_VERSION: '1.37.1', SKIP_IF_PREPARED: '1' });
    expect(other.status).toBe(0);
    expect(other.stdout).not.toContain('already prepared');
    expect(await takeCalls()).toContain('apt-get -o DPkg::Lock::Timeout=600 install -y --allow-change-held-packages kubelet=1.37.1-* kubeadm=1.37.1-* kubectl=1.37.1-*');
  });

  it('stops before moving a runtime package someone else held, naming it and the fix', async () => {
    await mkdir(join(state, 'installed'), { recursive: true });
    await mkdir(join(state, 'held'), { recursive: true });
    await writeFile(join(state, 'installed', 'containerd.io'), '1.7.28-1~ubuntu.24.04~noble');
    await writeFile(join(state, 'held', 'containerd.io'), '');
    const run = prepare({ K8S_VERSION: '1.36.2' });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/containerd\.io is held \(apt-mark hold\) at 1\.7\.28.*apt-mark unhold containerd\.io/);
    expect((await takeCalls()).filter((call) => call.includes(' install -y containerd.io'))).toEqual([]);
  });

  it('finds a swap entry on the last line of /etc/fstab without a newline', async () => {
    await writeFile(join(root, 'etc', 'fstab'), 'UUID=abc / ext4 defaults 0 1\n/swap.img none swap sw 0 0');
    expect(prepare({ K8S_VERSION: '1.36.2' }).status).toBe(0);
    expect(await read('etc/fstab')).toBe('UUID=abc / ext4 defaults 0 1\n# /swap.img none swap sw 0 0\n');
  });

  it('takes a package removed but not purged (dpkg status rc, its version still listed) as missing', async () => {
    await mkdir(join(state, 'config-files'), { recursive: true });
    await writeFile(join(state, 'config-files', 'containerd'), '2.2.1-0ubuntu1~24.04.3');
    const run = prepare({ K8S_VERSION: '1.36.2' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(await takeCalls()).toContain('apt-get -o DPkg::Lock::Timeout=600 install -y containerd kubelet=1.36.2-* kubeadm=1.36.2-* kubectl=1.36.2-*');
  });

  describe('containerd 2.x on every supported host', () => {
    const osRelease = (id: string, codename: string) => writeFile(join(root, 'etc', 'os-release'), `ID=${id}\nVERSION_CODENAME=${codename}\n${id === 'ubuntu' ? `UBUNTU_CODENAME=${codename}\n` : ''}`);
    const installed = async (pkg: string, version: string) => {
      await mkdir(join(state, 'installed'), { recursive: true });
      await writeFile(join(state, 'installed', pkg), version);
    };
    const existingConfig = async (text: string) => {
      await mkdir(join(root, 'etc', 'containerd'), { recursive: true });
      await writeFile(join(root, 'etc', 'containerd', 'config.toml'), text);
    };
    const DEBIAN_ARCHIVE = { K8S_VERSION: '1.36.2', FAKE_CONTAINERD_CANDIDATE: '1.6.20~ds1-1+deb12u3' };

    it("installs containerd.io from Docker's repository when the archive has only 1.x (Debian 12)", async () => {
      await osRelease('debian', 'bookworm');
      const run = prepare(DEBIAN_ARCHIVE);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const calls = await takeCalls();
      expect(calls).toContain(`curl -fsSL https://download.docker.com/linux/debian/gpg -o ${root}/etc/apt/keyrings/docker.asc`);
      expect(calls.filter((call) => call.includes(' install -y containerd'))).toEqual([expect.stringMatching(/ install -y containerd\.io( kube|$)/)]);
      expect(await read('etc/apt/sources.list.d/docker.sources')).toBe(
        'Types: deb\nURIs: https://download.docker.com/linux/debian\nSuites: bookworm\nComponents: stable\nArchitectures: amd64\nSigned-By: /etc/apt/keyrings/docker.asc\n',
      );
      expect(await read('etc/containerd/config.toml')).toMatch(/^version = 3$/m);
    });

    it("keeps a Docker repository entry the host has, instead of adding a second one", async () => {
      await osRelease('ubuntu', 'jammy');
      await mkdir(join(root, 'etc', 'apt', 'sources.list.d'), { recursive: true });
      await writeFile(join(root, 'etc', 'apt', 'sources.list.d', 'docker.list'), 'deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.gpg] https://download.docker.com/linux/ubuntu jammy stable\n');
      expect(prepare({ ...DEBIAN_ARCHIVE, FAKE_CONTAINERD_CANDIDATE: '1.7.28-0ubuntu1~22.04.1' }).status).toBe(0);
      const calls = await takeCalls();
      expect(calls.some((call) => call.includes('download.docker.com'))).toBe(false);
      expect(calls.some((call) => / install -y containerd\.io( kube|$)/.test(call))).toBe(true);
      await expect(read('etc/apt/sources.list.d/docker.sources')).rejects.toThrow();
    });

    it("keeps Docker's containerd.io 2.x and its Docker CE, and turns the CRI plugin on", async () => {
      await installed('containerd.io', '2.2.1-1~ubuntu.22.04~jammy');
      await installed('docker-ce', '5:28.5.2-1~ubuntu.22.04~jammy');
      await existingConfig('#   Copyright 2018-2022 Docker Inc.\n\ndisabled_plugins = ["cri"]\n\n#root = "/var/lib/containerd"\n');
      const run = prepare({ K8S_VERSION: '1.36.2' });
      expect(run.status).toBe(0);
      expect((await takeCalls()).filter((call) => /install -y (containerd|docker)/.test(call))).toEqual([]);
      const config = await read('etc/containerd/config.toml');
      expect(config).not.toContain('"cri"');
      expect(config).toMatch(/^\s*SystemdCgroup = true$/m);
    });

    it("stops before replacing the distribution's containerd that docker.io depends on", async () => {
      await osRelease('debian', 'bookworm');
      await installed('containerd', '1.6.20~ds1-1+deb12u3');
      await installed('docker.io', '20.10.24+dfsg1-1+deb12u1+b6');
      const run = prepare(DEBIAN_ARCHIVE);
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/runs the distribution's Docker \(docker\.io\), which depends on its containerd 1\.6\.20~ds1-1\+deb12u3/);
      expect((await takeCalls()).some((call) => call.includes('install -y containerd'))).toBe(false);
    });

    it('keeps the settings of an existing config.toml (registry mirrors), sets only what Kubernetes needs, and keeps a backup', async () => {
      await installed('containerd.io', '2.2.1-1~debian.12~bookworm');
      const mine = 'version = 2\n\n[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n  endpoint = ["https://mirror.example.internal"]\n';
      await existingConfig(mine);
      const run = prepare({ K8S_VERSION: '1.36.2' });
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(/\/etc\/containerd\/config\.toml has settings of its own: kept/);
      const config = await read('etc/containerd/config.toml');
      expect(config).toContain('endpoint = ["https://mirror.example.internal"]');
      expect(config).toContain('[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\n  SystemdCgroup = true');
      expect(config).toContain('bin_dir = "/opt/cni/bin"');
      const backups = (await import('node:fs')).readdirSync(join(root, 'etc', 'containerd')).filter((name) => name.startsWith('config.toml.k8sb-backup-'));
      expect(backups).toHaveLength(1);
      expect(await read(`etc/containerd/${backups[0]}`)).toBe(mine);
      // A second run finds nothing to change and makes no second backup.
      expect(prepare({ K8S_VERSION: '1.36.2' }).status).toBe(0);
      expect((await import('node:fs')).readdirSync(join(root, 'etc', 'containerd')).filter((name) => name.startsWith('config.toml.k8sb-backup-'))).toHaveLength(1);
    });

    it("replaces Debian's stock config.toml (CNI plugins in /usr/lib/cni): it holds nothing of the user's", async () => {
      await installed('containerd.io', '2.2.1-1~debian.12~bookworm');
      await existingConfig('version = 2\n[plugins]\n  [plugins."io.containerd.grpc.v1.cri"]\n    [plugins."io.containerd.grpc.v1.cri".cni]\n      bin_dir = "/usr/lib/cni"\n      conf_dir = "/etc/cni/net.d"\n  [plugins."io.containerd.internal.v1.opt"]\n    path = "/var/lib/containerd/opt"\n');
      expect(prepare({ K8S_VERSION: '1.36.2' }).status).toBe(0);
      const config = await read('etc/containerd/config.toml');
      expect(config).toMatch(/^# Written by k8s-bootstrap/);
      expect(config).not.toContain('/usr/lib/cni');
    });

    it('RUNTIME_ONLY=1 (an upgrade hop to 1.38+) moves the runtime to containerd 2.x and leaves the kube packages alone', async () => {
      await osRelease('debian', 'bookworm');
      await installed('containerd', '1.6.20~ds1-1+deb12u3');
      const run = prepare({ ...DEBIAN_ARCHIVE, RUNTIME_ONLY: '1' });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const calls = await takeCalls();
      expect(calls).toContain('apt-get -o DPkg::Lock::Timeout=600 install -y containerd.io');
      // dpkg-query reads every package version the script asks about at once: looking only.
      expect(calls.some((call) => !call.startsWith('dpkg-query ') && /kubelet|kubeadm=|pkgs\.k8s\.io/.test(call))).toBe(false);
      await expect(read('etc/k8s-bootstrap/prepared')).rejects.toThrow();
      expect(await read('etc/containerd/config.toml')).toMatch(/^version = 3$/m);
    });

    it('refuses a config.toml without a version line, naming the file', async () => {
      await installed('containerd.io', '2.2.1-1~debian.12~bookworm');
      await existingConfig('[plugins.cri]\n  sandbox_image = "x"\n');
      const run = prepare({ K8S_VERSION: '1.36.2' });
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/\/etc\/containerd\/config\.toml has no 'version = 2' or 'version = 3' line/);
    });
  });
});
