/**
 * End to end on the simulated fleet: a two-minor --to goes through the minor in between (and a
 * terminal without --to offers the patches), and a drain that exceeds --drain-timeout stops the
 * rollout at that node and the next run finishes it. The HA upgrade (the official order, one
 * worker cordoned at a time) is part of ha-lifecycle.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Fleet } from '../../fleet/fleet.js';
import { main } from '../../../src/cli/main.js';
import { fakeIo } from '../../helpers/fake-io.js';
import { cli, failureText, fleetSkipReason, initArgs, nodesSeenBy, preparedFleetOf, tempDir } from './cluster-helpers.js';
import { kubectlOnCp1, upgradeArgs } from './upgrade-helpers.js';
import { NEWEST_KNOWN_PATCH } from '../../../src/workflows/upgrade/plan.js';

const skip = fleetSkipReason();

describe.skipIf(skip)('upgrade two minors ahead', () => {
  let fleet: Fleet;
  let run: Awaited<ReturnType<typeof cli>>;
  let prompted: { code: number; stderr: string; historyBefore: number; historyAfter: number };

  /** `upgrade` without --to on a (fake) terminal: Enter takes the first offer, then "n" declines. */
  async function promptedRun(dir: string, cwd: string) {
    const historyBefore = fleet.api().history.length;
    const io = fakeIo({ cwd, env: { HOME: cwd, CI: '' }, tty: true });
    const pending = main(['node', 'k8s-bootstrap', '--dir', dir, '--output', 'plain', 'upgrade'], io);
    const answer = async (seen: string, keys: string) => {
      for (let i = 0; i < 600 && !io.stderr.text.includes(seen); i++) await new Promise((r) => setTimeout(r, 50));
      io.stdin.write(keys);
    };
    await answer('Upgrade to:', '\r');
    await answer('Upgrade cluster hops to', 'n\r');
    const code = await pending;
    return { code, stderr: io.stderr.text, historyBefore, historyAfter: fleet.api().history.length };
  }
  let init: Awaited<ReturnType<typeof cli>>;
  let noBackup: Awaited<ReturnType<typeof cli>>;
  let dir: string;

  beforeAll(async () => {
    fleet = await preparedFleetOf(1, 1, '1.35.2');
    const cwd = tempDir('e2e-upgrade-hops');
    dir = join(cwd, 'cluster');
    init = await cli(initArgs(fleet, { name: 'hops', dir, extra: ['--kubernetes-version', '1.35.2'] }), cwd);
    if (init.code !== 0) return;
    prompted = await promptedRun(dir, cwd);
    // Both attempts of the backup step meet a snapshot etcdutl refuses: the upgrade must not start.
    const status = 'kubectl --kubeconfig /etc/kubernetes/admin.conf -n kube-system exec etcd-cp-1 -- etcdutl snapshot status';
    const corrupt = { op: status, message: 'Error: snapshot file integrity check failed. 1 errors found.', exitCode: 1 };
    fleet.setFault('cp-1', { failOnce: [corrupt, corrupt] });
    noBackup = await cli(upgradeArgs(dir, ['--to', '1.37.1']), cwd);
    fleet.setFault('cp-1', {});
    run = await cli(upgradeArgs(dir, ['--to', '1.37.1']), cwd);
  }, 400_000);

  it('on a terminal without --to, offers the newest patch of this minor and the next, and a "no" changes nothing', () => {
    // A "no" exits 1 with no "Error:" (130 is Ctrl-C's).
    expect(prompted.code, prompted.stderr.slice(-3000)).toBe(1);
    expect(prompted.stderr).toContain('Nothing was upgraded.');
    expect(prompted.stderr).toContain('Cluster hops runs v1.35.2. Upgrade to:');
    expect(prompted.stderr).toContain(`v${NEWEST_KNOWN_PATCH['1.35']}`);
    expect(prompted.stderr).toContain(`v${NEWEST_KNOWN_PATCH['1.36']}`);
    expect(prompted.stderr).toContain(`Upgrade plan for cluster hops: v1.35.2 → v${NEWEST_KNOWN_PATCH['1.35']}`);
    // The plan lists the backup first.
    expect(prompted.stderr).toMatch(/Backup:\n1 +etcd snapshot and PKI, verified, kept in clusters\/hops\/backups\//);
    expect(prompted.historyAfter).toBe(prompted.historyBefore);
  });

  afterAll(() => fleet?.stop());

  it('says so in the plan and applies 1.36 then 1.37, each hop finished before the next', async () => {
    expect(init.code, failureText(init)).toBe(0);
    expect(run.code, failureText(run)).toBe(0);
    expect(run.stderr).toContain('More than one minor ahead');
    const history = fleet.api().history;
    const applies = history.filter((e) => e.op === 'upgrade-apply').map((e) => ({ from: e.detail?.from, to: e.detail?.to }));
    expect(applies).toEqual([
      { from: 'v1.35.2', to: `v${NEWEST_KNOWN_PATCH['1.36']}` },
      { from: `v${NEWEST_KNOWN_PATCH['1.36']}`, to: 'v1.37.1' },
    ]);
    // Every kubelet reached the 1.36 hop before the second apply.
    const secondApply = history.findIndex((e) => e.op === 'upgrade-apply' && (e.detail as { to: string }).to === 'v1.37.1');
    const restartsBefore = history.slice(0, secondApply).filter((e) => e.op === 'kubelet-restart' && (e.detail as { to: string }).to === `v${NEWEST_KNOWN_PATCH['1.36']}`);
    expect(restartsBefore.map((e) => e.node).sort()).toEqual(['cp-1', 'worker-1']);
    for (const node of await nodesSeenBy(fleet)) {
      expect(node.ready, node.name).toBe(true);
      expect(node.kubeletVersion, node.name).toBe('v1.37.1');
    }
  });

  it('stops before changing anything when no verified snapshot can be taken, naming --skip-backup', () => {
    expect(noBackup.code).toBe(1);
    expect(noBackup.stderr).toContain('No backup could be taken before upgrading to v1.37.1');
    expect(noBackup.stderr).toMatch(/hint: Nothing was changed\..*run the same command with --skip-backup/);
    // The first apply of the whole file belongs to the run after it.
    const applies = fleet.api().history.filter((e) => e.op === 'upgrade-apply');
    expect(applies).toHaveLength(2);
  });

  it('took and kept a verified etcd snapshot before the first kubeadm upgrade apply', () => {
    expect(run.code, failureText(run)).toBe(0);
    const calls = fleet.toolCallsOn('cp-1');
    const status = calls.findIndex((c) => c.includes(' exec etcd-cp-1 -- etcdutl snapshot status '));
    const firstApply = calls.findIndex((c) => c.startsWith('kubeadm upgrade apply'));
    expect(status, calls.join('\n')).toBeGreaterThan(calls.findIndex((c) => c.includes(' exec etcd-cp-1 -- etcdctl ') && c.includes(' snapshot save ')));
    expect(firstApply).toBeGreaterThan(status);
    // One backup for the whole two-hop upgrade, from before it: v1.35.2, reason upgrade.
    const folders = readdirSync(join(dir, 'backups'));
    expect(folders).toHaveLength(1);
    const record = JSON.parse(readFileSync(join(dir, 'backups', folders[0]!, 'backup.json'), 'utf8'));
    expect(record).toMatchObject({ reason: 'upgrade', node: 'cp-1', kubernetesVersion: '1.35.2' });
    expect(record.etcd.revision).toBeGreaterThan(0);
    expect(record.etcd.totalKey).toBeGreaterThan(0);
    expect(readdirSync(join(dir, 'backups', folders[0]!)).sort()).toEqual(['backup.json', 'etcd-snapshot.db', 'pki.tar.gz']);
  });
});

describe.skipIf(skip)('a drain that exceeds --drain-timeout', () => {
  let fleet: Fleet;
  let cwd: string;
  let dir: string;
  let init: Awaited<ReturnType<typeof cli>>;
  let stuck: Awaited<ReturnType<typeof cli>>;

  beforeAll(async () => {
    fleet = await preparedFleetOf(1, 2, '1.36.2');
    cwd = tempDir('e2e-upgrade-drain');
    dir = join(cwd, 'cluster');
    init = await cli(initArgs(fleet, { name: 'drain', dir, extra: ['--kubernetes-version', '1.36.2'] }), cwd);
    if (init.code !== 0) return;
    // kubectl runs on cp-1: its drain of worker-1 never returns (a PodDisruptionBudget that never allows eviction).
    fleet.setFault('cp-1', { hang: 'kubectl --kubeconfig /etc/kubernetes/admin.conf drain worker-1' });
    stuck = await cli(upgradeArgs(dir, ['--to', '1.37.1', '--drain-timeout', '2s', '--skip-backup']), cwd);
    fleet.setFault('cp-1', {});
  }, 300_000);

  afterAll(() => fleet?.stop());

  it('fails naming the node instead of hanging, and stops the rollout there', () => {
    expect(init.code, failureText(init)).toBe(0);
    expect(stuck.code, failureText(stuck)).toBe(1);
    expect(stuck.stderr).toMatch(/Draining worker-1 did not finish within --drain-timeout \(2s\)/);
    // (The fleet's hang fault strikes before its drain cordons; a real drain cordons first.)
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { facts: Record<string, unknown> };
    expect(state.facts['upgrade.cordoned.worker-1']).toBe('1.37.1');
    expect(fleet.toolCallsOn('worker-2').filter((c) => c.startsWith('kubeadm upgrade'))).toEqual([]);
  });

  it('--skip-backup took no etcd snapshot and said so', () => {
    expect(stuck.stderr).toContain('--skip-backup: no etcd snapshot is taken before upgrading drain');
    expect(fleet.toolCallsOn('cp-1').filter((c) => c.includes(' snapshot save '))).toEqual([]);
    expect(() => readdirSync(join(dir, 'backups'))).toThrow();
  });

  it('the next run accepts the node it drained itself, finishes it and uncordons it', async () => {
    kubectlOnCp1(fleet, 'cordon worker-1'); // what the real drain had done before it hung
    const again = await cli(upgradeArgs(dir, ['--to', '1.37.1']), cwd);
    expect(again.code, failureText(again)).toBe(0);
    for (const node of await nodesSeenBy(fleet)) {
      expect(node.unschedulable, node.name).toBe(false);
      expect(node.kubeletVersion, node.name).toBe('v1.37.1');
    }
    expect(fleet.api().history.filter((e) => e.op === 'upgrade-apply')).toHaveLength(1);
  });
});
