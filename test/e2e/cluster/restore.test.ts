/**
 * End to end on the simulated fleet (one control plane, one worker): backup, then delete a
 * namespace, then `restore --from <backup> --confirm-name <cluster>`: the namespace is back, every
 * node Ready, etcd a one-member cluster started from the restored data dir (etcdutl snapshot
 * restore in the etcd pod, the static pods stopped and started again), a backup of the state
 * before the restore kept, the old data dir kept aside. Before anything changes: --yes alone and a
 * wrong --confirm-name are refused (exit 2, no SSH), and so is a backup whose snapshot no longer
 * matches its backup.json; a dry run prints the plan.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Fleet } from '../../fleet/fleet.js';
import { resultOf } from '../../helpers/json-lines.js';
import { cli, failureText, fleetSkipReason, initArgs, nodesSeenBy, onNode, preparedFleetOf, tempDir } from './cluster-helpers.js';

const skip = fleetSkipReason();
const KUBECTL = 'sudo -n kubectl --kubeconfig /etc/kubernetes/admin.conf';
const stamps = (dir: string) => readdirSync(join(dir, 'backups')).filter((n) => /^\d{8}T\d{6}Z$/.test(n)).sort();

describe.skipIf(skip)('restore', () => {
  let fleet: Fleet;
  let cwd: string;
  let dir: string;
  let init: Awaited<ReturnType<typeof cli>>;
  let stamp: string;

  beforeAll(async () => {
    fleet = await preparedFleetOf(1, 1, '1.37.1');
    cwd = tempDir('e2e-restore');
    dir = join(cwd, 'cluster');
    init = await cli(initArgs(fleet, { name: 'rs', dir, extra: ['--kubernetes-version', '1.37.1'] }), cwd);
    if (init.code !== 0) return;
    await onNode(fleet, 'cp-1', `echo '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}}' | ${KUBECTL} apply -f -`);
    const backup = await cli(['--dir', dir, '--output', 'json', 'backup'], cwd);
    if (backup.code !== 0) throw new Error(failureText(backup));
    stamp = resultOf<{ stamp: string }>(backup.stdout, 'backup').stamp;
    await onNode(fleet, 'cp-1', `${KUBECTL} delete namespace shop`);
  }, 300_000);
  afterAll(() => fleet?.stop());

  const sshCount = () => fleet.allCommands().length;

  it('refuses --yes without --confirm-name, and a wrong name, before any SSH (exit 2)', async () => {
    expect(init.code, failureText(init)).toBe(0);
    const before = sshCount();
    const yes = await cli(['--dir', dir, '--output', 'plain', '--yes', 'restore', '--from', stamp], cwd);
    expect(yes.code, failureText(yes)).toBe(2);
    expect(yes.stderr).toContain('--confirm-name rs');
    const wrong = await cli(['--dir', dir, '--output', 'plain', 'restore', '--from', stamp, '--confirm-name', 'prod'], cwd);
    expect(wrong.code, failureText(wrong)).toBe(2);
    expect(wrong.stderr).toContain('is not the cluster\'s name (rs)');
    expect(sshCount()).toBe(before);
    expect(stamps(dir)).toEqual([stamp]);
  });

  it('refuses a backup whose snapshot changed since it was taken, before any SSH', async () => {
    const bad = '20200101T000000Z';
    cpSync(join(dir, 'backups', stamp), join(dir, 'backups', bad), { recursive: true });
    const file = join(dir, 'backups', bad, 'etcd-snapshot.db');
    const bytes = readFileSync(file);
    bytes[100] = bytes[100]! ^ 1;
    writeFileSync(file, bytes);
    const before = sshCount();
    const refused = await cli(['--dir', dir, '--output', 'plain', 'restore', '--from', join(dir, 'backups', bad, 'etcd-snapshot.db'), '--confirm-name', 'rs'], cwd);
    expect(refused.code, failureText(refused)).toBe(2);
    expect(refused.stderr).toMatch(/etcd-snapshot\.db has sha256 [0-9a-f]{64} .*the file changed since the backup; nothing was changed/);
    expect(sshCount()).toBe(before);
    // Another cluster's backup is refused too.
    const record = JSON.parse(readFileSync(join(dir, 'backups', bad, 'backup.json'), 'utf8'));
    writeFileSync(join(dir, 'backups', bad, 'backup.json'), JSON.stringify({ ...record, cluster: 'other' }));
    const foreign = await cli(['--dir', dir, '--output', 'plain', 'restore', '--from', bad, '--confirm-name', 'rs'], cwd);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toContain('it is a backup of cluster other, not of rs');
    const { rmSync } = await import('node:fs');
    rmSync(join(dir, 'backups', bad), { recursive: true });
  });

  it('a dry run prints the plan and changes nothing', async () => {
    const before = sshCount();
    const plan = await cli(['--dir', dir, '--output', 'plain', 'restore', '--from', stamp, '--dry-run'], cwd);
    expect(plan.code, failureText(plan)).toBe(0);
    expect(plan.stdout).toContain(`Restore of cluster rs to backup ${stamp}`);
    expect(plan.stdout).toContain('etcdutl snapshot restore --name cp-1');
    expect(plan.stdout).toContain('Stop the control-plane static pods on cp-1');
    expect(sshCount()).toBe(before);
  });

  it('restores: the deleted namespace is back, every node Ready, etcd one member, the old data kept', async () => {
    expect((await onNode(fleet, 'cp-1', `${KUBECTL} get namespaces -o name`))).not.toContain('namespace/shop');
    const memberBefore = fleet.api().etcd!.members[0]!.id;
    const restored = await cli(['--dir', dir, '--output', 'json', 'restore', '--from', stamp, '--confirm-name', 'rs'], cwd);
    expect(restored.code, failureText(restored)).toBe(0);
    const result = resultOf<{ stamp: string; preRestoreBackup?: string; oldDataDir?: string }>(restored.stdout, 'restore');
    expect(result.stamp).toBe(stamp);
    expect(await onNode(fleet, 'cp-1', `${KUBECTL} get namespaces -o name`)).toContain('namespace/shop');
    const seen = await nodesSeenBy(fleet);
    expect(seen.map((n) => [n.name, n.ready])).toEqual([['cp-1', true], ['worker-1', true]]);
    const members = fleet.api().etcd!.members;
    expect(members.map((m) => m.name)).toEqual(['cp-1']);
    // etcd came up from the restored data dir (a new member ID), not from the old one.
    const started = (fleet.api().history as unknown as Array<{ op: string; detail?: { members?: string[] } }>).filter((h) => h.op === 'etcd-restore-start');
    expect(started.map((h) => h.detail?.members)).toEqual([['cp-1']]);
    expect(members[0]!.id).not.toBe(memberBefore);
    // The documented order on the node: etcdutl in the etcd pod, manifests out, data dir swapped, manifests back.
    const calls = fleet.toolCallsOn('cp-1').filter((c) => c.includes('etcdutl snapshot restore'));
    expect(calls).toHaveLength(1);
    expect(calls[0]).toContain('--name cp-1 --initial-cluster cp-1=https://');
    // The kubelets restarted after the API came back (kubernetes.io: none relies on stale data).
    expect(fleet.toolCallsOn('worker-1').some((c) => c.startsWith('systemctl restart kubelet'))).toBe(true);
    // The state before the restore is a backup (reason restore), the older data dir kept aside.
    expect(result.preRestoreBackup).toBeDefined();
    expect(JSON.parse(readFileSync(join(dir, 'backups', result.preRestoreBackup!, 'backup.json'), 'utf8')).reason).toBe('restore');
    expect(result.oldDataDir).toBe(`/etc/kubernetes/tmp/k8sb-pre-restore-${stamp}/etcd`);
    expect(await onNode(fleet, 'cp-1', `sudo -n ls ${result.oldDataDir}; sudo -n ls /etc/kubernetes/manifests; sudo -n ls -A /var/lib/etcd; ls -A /tmp/k8sb`)).toMatch(/^member\netcd\.yaml\nkube-apiserver\.yaml\nkube-controller-manager\.yaml\nkube-scheduler\.yaml\nmember\n/);
    // Done: the checkpoints no longer hold a restore in progress.
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
    expect(state.facts['restore.run']).toBeUndefined();
  });
});
