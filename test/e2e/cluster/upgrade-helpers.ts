/** What the upgrade e2e files share: the command line, the cordon replay, kubectl on cp-1. */
import { execFileSync } from 'node:child_process';
import type { ApiHistoryEntry, Fleet } from '../../fleet/fleet.js';

export function upgradeArgs(dir: string, extra: string[]): string[] {
  return ['--dir', dir, '--output', 'plain', '--yes', 'upgrade', '--timeout', '10m', ...extra];
}

/** The most workers cordoned at the same time, replaying cordon/drain/uncordon from the API history. */
export function maxCordonedAtOnce(history: ApiHistoryEntry[], isWorker: (name: string) => boolean): number {
  const cordoned = new Set<string>();
  let max = 0;
  for (const entry of history) {
    const name = (entry.detail as { name?: string } | undefined)?.name;
    if (!name || !isWorker(name)) continue;
    if (entry.op === 'cordon' || entry.op === 'drain') cordoned.add(name);
    if (entry.op === 'uncordon') cordoned.delete(name);
    max = Math.max(max, cordoned.size);
  }
  return max;
}

/** kubectl as root on cp-1 over plain OpenSSH: what an operator would type. */
export function kubectlOnCp1(fleet: Fleet, args: string): string {
  const cp = fleet.node('cp-1');
  return execFileSync(
    'ssh',
    ['-i', fleet.privateKeyPath, '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', `${fleet.sshUser}@${cp.address}`, `sudo -n kubectl --kubeconfig /etc/kubernetes/admin.conf ${args}`],
    { encoding: 'utf8', timeout: 30_000 },
  );
}
