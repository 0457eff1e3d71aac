// Entry point of every stand-in: bin/<tool> calls main('<tool>').
import { dropAfterIfAsked, injectFaults, logToolEvent, ToolExit } from './context.mjs';

const MODULES = {
  'apt-get': './apt.mjs',
  'apt-mark': './apt.mjs',
  'apt-cache': './apt.mjs',
  'dpkg-query': './apt.mjs',
  systemctl: './systemd.mjs',
  journalctl: './systemd.mjs',
  kubeadm: './kubeadm.mjs',
  kubectl: './kubectl.mjs',
  cilium: './cilium.mjs',
  curl: './download.mjs',
  gpg: './download.mjs',
  modprobe: './kernel.mjs',
  sysctl: './kernel.mjs',
  swapoff: './kernel.mjs',
  containerd: './runtime.mjs',
  kubelet: './runtime.mjs',
};

export async function main(tool) {
  const argv = process.argv.slice(2);
  let code = 0;
  try {
    await injectFaults(tool, argv);
    const module = await import(MODULES[tool]);
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
  logToolEvent(tool, argv, code);
  process.exitCode = code;
}
