import { startFleet } from '../fleet.js';
const t0 = Date.now();
const fleet = await startFleet({ nodes: [{ name: 'cp1' }, { name: 'w1' }, { name: 'w2' }] });
console.log('started in', Date.now() - t0, 'ms', fleet.nodes);
console.log(fleet.knownHostsLine('cp1'));
const { execFileSync } = await import('node:child_process');
const kh = `${fleet.root}/kh`;
(await import('node:fs')).writeFileSync(kh, fleet.nodes.map((n) => fleet.knownHostsLine(n.name)).join('\n') + '\n');
for (const n of fleet.nodes) {
  try {
    const out = execFileSync('ssh', ['-i', fleet.privateKeyPath, '-o', `UserKnownHostsFile=${kh}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', `k8sb@${n.address}`, 'hostname; id -un; sudo -n id -un; ls /etc/kubernetes; touch /etc/kubernetes/x 2>&1; sudo -n touch /etc/kubernetes/mine-$(hostname); ls /etc/kubernetes; stat -fc %T /sys/fs/cgroup/; which apt-get; apt-get update; sudo -n kubeadm version; ls /tmp; echo $PATH'], { encoding: 'utf8' });
    console.log(n.name, out);
  } catch (e: any) { console.log('ERR', e.status, e.stdout, e.stderr); }
}
console.log(fleet.allCommands());
console.log(fleet.events().length);
fleet.stop();
