// containerd and kubelet binaries: only what an installer calls directly (the daemons themselves
// are simulated by systemctl).
import { commandNotFound, fail, installedVersion, upstreamVersion } from './context.mjs';
import { configDefault, installedContainerd } from './containerd.mjs';

export async function run(tool, argv) {
  if (tool === 'containerd') return containerd(argv);
  return kubelet(argv);
}

function containerd(argv) {
  const build = installedContainerd();
  if (!build) commandNotFound('containerd');
  if (argv[0] === 'config' && argv[1] === 'default') {
    process.stdout.write(configDefault(build));
    return 0;
  }
  if (argv[0] === '--version' || argv[0] === '-v') {
    // Docker's build names itself containerd.io; distro builds name the upstream module.
    const origin = build.package === 'containerd.io' ? 'containerd.io' : 'github.com/containerd/containerd';
    process.stdout.write(`containerd ${origin} ${build.package === 'containerd.io' ? build.version : build.full} 0000000000000000000000000000000000000000\n`);
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
