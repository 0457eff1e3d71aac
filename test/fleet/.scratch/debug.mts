import { startFleet } from '../fleet.js';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
const fleet = await startFleet({ nodes: [{ name: 'a' }] });
const kh = `${fleet.root}/kh`;
writeFileSync(kh, fleet.knownHostsLine('a') + '\n');
const run = (cmd: string) => { try { return 'OK ' + execFileSync('ssh', ['-i', fleet.privateKeyPath, '-o', `UserKnownHostsFile=${kh}`, '-o', 'BatchMode=yes', `k8sb@${fleet.node('a').address}`, cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }); } catch (e: any) { return `ERR ${e.status} ${e.stdout} ${e.stderr}`; } };
console.log(run(`set -e
sudo -n install -d -m 0755 /etc/apt/keyrings
curl -fsSL https://pkgs.k8s.io/core:/stable:/v1.36/deb/Release.key | sudo -n gpg --dearmor --batch --yes -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg
echo 'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.36/deb/ /' | sudo -n tee /etc/apt/sources.list.d/kubernetes.list >/dev/null
sudo -n apt-get update
sudo -n apt-get install -y containerd kubelet=1.36.1-1.1 kubeadm=1.36.1-1.1 kubectl=1.36.1-1.1`));
console.log(run("kubeadm version -o short; dpkg-query -W -f='${Version}' kubeadm"));
fleet.setFault('a', { hang: 'kubeadm version' });
console.log(readFileSync(`${fleet.root}/nodes/a/state/faults.json`, 'utf8'));
console.log(run('ls -la /var/lib/k8sb-fleet-node/; cat /var/lib/k8sb-fleet-node/faults.json; timeout 2 kubeadm version; echo rc=$?'));
fleet.setFault('a', { dropConnectionOnce: 'kubeadm version', failOnce: 'kubeadm version' });
console.log(run('kubeadm version -o short'));
console.log(run('cat /var/lib/k8sb-fleet-node/faults.json; kubeadm version -o short'));
console.log(run('kubeadm version -o short'));
fleet.stop();
import { readFileSync } from 'node:fs';
