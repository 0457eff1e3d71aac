// containerd and kubelet binaries: only what an installer calls directly (the daemons themselves
// are simulated by systemctl).
import { commandNotFound, fail, installedVersion, upstreamVersion } from './context.mjs';

const CONTAINERD_CONFIG = `version = 3
root = '/var/lib/containerd'
state = '/run/containerd'

[grpc]
  address = '/run/containerd/containerd.sock'

[plugins]
  [plugins.'io.containerd.cri.v1.images']
    snapshotter = 'overlayfs'

    [plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = 'registry.k8s.io/pause:3.10'

  [plugins.'io.containerd.cri.v1.runtime']
    enable_selinux = false

    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      default_runtime_name = 'runc'

      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes]
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
          runtime_type = 'io.containerd.runc.v2'

          [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
            BinaryName = ''
            SystemdCgroup = false

    [plugins.'io.containerd.cri.v1.runtime'.cni]
      bin_dirs = ['/opt/cni/bin']
      conf_dir = '/etc/cni/net.d'
`;

export async function run(tool, argv) {
  if (tool === 'containerd') return containerd(argv);
  return kubelet(argv);
}

function containerd(argv) {
  const version = installedVersion('containerd') ?? installedVersion('containerd.io');
  if (!version) commandNotFound('containerd');
  if (argv[0] === 'config' && argv[1] === 'default') {
    process.stdout.write(CONTAINERD_CONFIG);
    return 0;
  }
  if (argv[0] === '--version' || argv[0] === '-v') {
    process.stdout.write(`containerd containerd.io ${upstreamVersion(version)} 0000000000000000000000000000000000000000\n`);
    return 0;
  }
  fail(1, `containerd: flag provided but not defined: ${argv[0] ?? ''}`);
}

function kubelet(argv) {
  const version = installedVersion('kubelet');
  if (!version) commandNotFound('kubelet');
  if (argv[0] === '--version') {
    process.stdout.write(`Kubernetes v${upstreamVersion(version)}\n`);
    return 0;
  }
  // Running the daemon by hand is not something an installer does; systemd runs it.
  fail(1, 'E1123 kubelet: running the kubelet directly is not supported on a fleet node; use systemctl');
}
