// Entry point of every stand-in: bin/<tool> calls main('<tool>').
import { dropAfterIfAsked, injectFaults, logToolEvent, ToolExit } from './context.mjs';

// Literal imports, so that the fleet's bundler (fleet.ts) can put every stand-in in one file.
const MODULES = {
  'apt-get': () => import('./apt.mjs'),
  'apt-mark': () => import('./apt.mjs'),
  'apt-cache': () => import('./apt.mjs'),
  'dpkg-query': () => import('./apt.mjs'),
  systemctl: () => import('./systemd.mjs'),
  journalctl: () => import('./systemd.mjs'),
  kubeadm: () => import('./kubeadm.mjs'),
  kubectl: () => import('./kubectl.mjs'),
  cilium: () => import('./cilium.mjs'),
  curl: () => import('./download.mjs'),
  gpg: () => import('./download.mjs'),
  modprobe: () => import('./kernel.mjs'),
  sysctl: () => import('./kernel.mjs'),
  swapoff: () => import('./kernel.mjs'),
  containerd: () => import('./runtime.mjs'),
  kubelet: () => import('./runtime.mjs'),
  lsblk: () => import('./disks.mjs'),
  helm: () => import('./helm.mjs'),
  sha256sum: () => import('./sha256sum.mjs'),
  crictl: () => import('./crictl.mjs'),
};

export async function main(tool) {
  const argv = process.argv.slice(2);
  const startedAt = new Date();
  let code = 0;
  try {
    await injectFaults(tool, argv);
    const module = await MODULES[tool]();
    code = (await module.run(tool, argv)) ?? 0;
    await dropAfterIfAsked(tool, argv);
  } catch (error) {
    if (error instanceof ToolExit) {
      if (error.stdout) process.stdout.write(error.stdout);
      if (error.stderr) process.stderr.write(error.stderr);
      code = error.code;
    } else {
      process.stderr.write(`fleet stand-in ${tool} crashed: ${error?.stack ?? error}\n`);
      code = 70;
    }
  }
  logToolEvent(tool, argv, code, startedAt);
  process.exitCode = code;
}
