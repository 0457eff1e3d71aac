/**
 * End to end on the simulated fleet (three control planes, no worker): restore brings etcd back as
 * one member on cp-1, then cp-2 and cp-3 rejoin one at a time (kubeadm reset, the control-plane
 * join with a new token and certificates uploaded): three voting members again, every node Ready,
 * the namespace deleted after the backup back. Then the case a restore is most often for: etcd
 * has lost its quorum (two of three members stopped), so the API refuses every request and
 * `kubectl exec` cannot reach the etcd pod; the restore runs etcdutl in the etcd container through
 * the container runtime (crictl exec) and brings the cluster back the same way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Fleet } from '../../fleet/fleet.js';
import { resultOf } from '../../helpers/json-lines.js';
import { cli, failureText, fleetSkipReason, initArgs, nodesSeenBy, onNode, preparedFleetOf, tempDir } from './cluster-helpers.js';

const skip = fleetSkipReason();
const KUBECTL = 'sudo -n kubectl --kubeconfig /etc/kubernetes/admin.conf';

describe.skipIf(skip)('restore with three control planes', () => {
  let fleet: Fleet;
  let cwd: string;
  let dir: string;
  let init: Awaited<ReturnType<typeof cli>>;

  beforeAll(async () => {
    fleet = await preparedFleetOf(3, 0, '1.37.1');
    cwd = tempDir('e2e-restore-ha');
    dir = join(cwd, 'cluster');
    init = await cli(initArgs(fleet, { name: 'ha', dir, extra: ['--virtual-ip', `127.0.${fleet.id}.200`, '--kubernetes-version', '1.37.1'] }), cwd);
  }, 300_000);
  afterAll(() => fleet?.stop());

  it('restores on cp-1 as one member, then rejoins cp-2 and cp-3 one at a time', async () => {
    expect(init.code, failureText(init)).toBe(0);
    await onNode(fleet, 'cp-1', `echo '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}}' | ${KUBECTL} apply -f -`);
    const backup = await cli(['--dir', dir, '--output', 'json', 'backup'], cwd);
    expect(backup.code, failureText(backup)).toBe(0);
    const stamp = resultOf<{ stamp: string }>(backup.stdout, 'backup').stamp;
    await onNode(fleet, 'cp-1', `${KUBECTL} delete namespace shop`);
    const idsBefore = fleet.api().etcd!.members.map((m) => m.id);
    const restored = await cli(['--dir', dir, '--output', 'plain', 'restore', '--from', stamp, '--confirm-name', 'ha', '--skip-backup'], cwd);
    expect(restored.code, failureText(restored)).toBe(0);
    expect(await onNode(fleet, 'cp-1', `${KUBECTL} get namespaces -o name`)).toContain('namespace/shop');
    const members = fleet.api().etcd!.members;
    expect(members.map((m) => m.name).sort()).toEqual(['cp-1', 'cp-2', 'cp-3']);
    expect(members.every((m) => !m.isLearner)).toBe(true);
    // A new cluster: the restored member and the rejoined ones all have new IDs; etcd started from the restored data dir with cp-1 alone.
    expect(members.some((m) => idsBefore.includes(m.id))).toBe(false);
    const started = (fleet.api().history as unknown as Array<{ op: string; detail?: { members?: string[] } }>).filter((h) => h.op === 'etcd-restore-start');
    expect(started.map((h) => h.detail?.members)).toEqual([['cp-1']]);
    expect((await nodesSeenBy(fleet)).map((n) => [n.name, n.ready])).toEqual([['cp-1', true], ['cp-2', true], ['cp-3', true]]);
    // One at a time: cp-2's join ended before cp-3's reset began.
    const events = fleet.events().filter((e: { kind: string; tool?: string }) => e.kind === 'tool' && e.tool === 'kubeadm') as Array<{ node: string; command: string; startedAt: string; time: string }>;
    const joinCp2 = events.find((e) => e.node === 'cp-2' && e.command.includes('join'))!;
    const resetCp3 = events.filter((e) => e.node === 'cp-3' && e.command.includes('reset')).pop()!;
    expect(joinCp2.time <= resetCp3.startedAt).toBe(true);
  });

  it('restores a cluster whose etcd lost its quorum (API down): etcdutl through crictl exec', async () => {
    await onNode(fleet, 'cp-1', `echo '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"books"}}' | ${KUBECTL} apply -f -`);
    const backup = await cli(['--dir', dir, '--output', 'json', 'backup'], cwd);
    expect(backup.code, failureText(backup)).toBe(0);
    const stamp = resultOf<{ stamp: string }>(backup.stdout, 'backup').stamp;
    // Two of three etcd members stop (their static-pod manifests gone): no quorum, the API refuses.
    for (const node of ['cp-2', 'cp-3']) await onNode(fleet, node, 'sudo -n mkdir -p /root/gone && sudo -n mv /etc/kubernetes/manifests/etcd.yaml /root/gone/');
    const refused = await onNode(fleet, 'cp-1', `${KUBECTL} get namespaces -o name 2>&1 || true`);
    const restoresBefore = fleet.toolCallsOn('cp-1').filter((c) => c.includes('etcdutl snapshot restore')).length;
    expect(refused).not.toContain('namespace/books');
    // No backup can be taken now: the run says so and points at --skip-backup, changing nothing.
    const noBackup = await cli(['--dir', dir, '--output', 'plain', 'restore', '--from', stamp, '--confirm-name', 'ha'], cwd);
    expect(noBackup.code).not.toBe(0);
    expect(noBackup.stderr).toContain('--skip-backup');
    expect(fleet.toolCallsOn('cp-1').filter((c) => c.includes('etcdutl snapshot restore'))).toHaveLength(restoresBefore);

    const restored = await cli(['--dir', dir, '--output', 'plain', 'restore', '--from', stamp, '--confirm-name', 'ha', '--skip-backup'], cwd);
    expect(restored.code, failureText(restored)).toBe(0);
    const restores = fleet.toolCallsOn('cp-1').filter((c) => c.includes('etcdutl snapshot restore')).slice(restoresBefore);
    expect(restores.some((c) => c.startsWith('crictl ') && c.includes(' exec '))).toBe(true);
    const log = readdirSync(join(dir, 'logs')).sort().filter((f) => f.endsWith('-restore.log')).pop()!;
    expect(readFileSync(join(dir, 'logs', log), 'utf8')).toContain('the API did not answer: etcdutl ran in the etcd container of cp-1 through the container runtime (crictl exec)');
    expect(await onNode(fleet, 'cp-1', `${KUBECTL} get namespaces -o name`)).toContain('namespace/books');
    expect(fleet.api().etcd!.members.map((m) => m.name).sort()).toEqual(['cp-1', 'cp-2', 'cp-3']);
    expect((await nodesSeenBy(fleet)).map((n) => [n.name, n.ready])).toEqual([['cp-1', true], ['cp-2', true], ['cp-3', true]]);
  }, 240_000);
});
