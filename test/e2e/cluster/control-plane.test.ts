/**
 * A dead control plane of three (Kubespray #12986): a static HA cluster of 3 control planes behind
 * keepalived + haproxy; cp-3's machine dies (Fleet.kill: SSH refused, Node NotReady, its etcd
 * member still listed but unhealthy). Removing a healthy one now would leave 1 healthy member of
 * 2: refused (exit 2), nothing changed. remove-control-plane cp-3 takes a backup from a healthy
 * control plane, removes the etcd member from cp-1's etcd, deletes the Node and shrinks haproxy's
 * backends: etcd keeps its quorum with 2 members. add-control-plane joins cp-4: 3 members again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Fleet } from '../../fleet/fleet.js';
import { cli, failureText, fleetSkipReason, initArgs, nodesSeenBy, onNode, preparedFleetOf, tempDir } from './cluster-helpers.js';

const skip = fleetSkipReason();

describe.skipIf(skip)('remove-control-plane of a dead control plane, then add-control-plane', () => {
  let fleet: Fleet;
  let cwd: string;
  let dir: string;
  const global = () => ['--dir', dir, '--output', 'plain', '--yes'];
  const members = () => (fleet.api().etcd?.members ?? []).map((m) => m.name).sort();
  const haproxy = (node: string) => onNode(fleet, node, 'sudo -n cat /etc/haproxy/haproxy.cfg');
  const backends = (cfg: string) => [...cfg.matchAll(/^\s*server (\S+) /gm)].map((m) => m[1]).sort();
  const controlPlaneHosts = () => (parse(readFileSync(join(dir, 'cluster.yaml'), 'utf8')) as { provider: { hosts: Array<{ role: string; name: string }> } }).provider.hosts.filter((h) => h.role === 'control-plane').map((h) => h.name);

  beforeAll(async () => {
    fleet = await preparedFleetOf(4, 0, '1.36.1');
    cwd = tempDir('e2e-cp');
    dir = join(cwd, 'cluster');
    const vip = `127.0.${fleet.id}.200`;
    const init = await cli(initArgs(fleet, { name: 'cp', dir, names: ['cp-1', 'cp-2', 'cp-3'], extra: ['--virtual-ip', vip, '--kubernetes-version', '1.36.1'] }), cwd);
    expect(init.code, failureText(init)).toBe(0);
    expect(members()).toEqual(['cp-1', 'cp-2', 'cp-3']);
    fleet.kill('cp-3');
  }, 180_000);

  afterAll(() => fleet?.stop());

  it('refuses removing a healthy member while another is dead (1 healthy of 2 left: no quorum), changing nothing', async () => {
    const before = fleet.api().history.length;
    const yaml = readFileSync(join(dir, 'cluster.yaml'), 'utf8');
    const refused = await cli([...global(), 'remove-control-plane', 'cp-2', '--ssh-timeout', '3s'], cwd);
    expect(refused.code, failureText(refused)).toBe(2);
    expect(refused.stderr).toMatch(/would break etcd's quorum/);
    expect(refused.stderr).toMatch(/cp-3/);
    expect(members()).toEqual(['cp-1', 'cp-2', 'cp-3']);
    expect(fleet.api().history.length).toBe(before);
    expect(readFileSync(join(dir, 'cluster.yaml'), 'utf8')).toBe(yaml);
  }, 60_000);

  describe('remove-control-plane cp-3 (dead)', () => {
    let run: Awaited<ReturnType<typeof cli>>;
    beforeAll(async () => {
      run = await cli([...global(), 'remove-control-plane', 'cp-3', '--ssh-timeout', '3s'], cwd);
    }, 120_000);

    it('succeeds, warning that cp-3 was not reset', () => {
      expect(run.code, failureText(run)).toBe(0);
      expect(run.stderr).toMatch(/cp-3 did not answer SSH and was not reset/);
    });

    it('removes the etcd member from a healthy member: 2 members keep the quorum', () => {
      expect(members()).toEqual(['cp-1', 'cp-2']);
      const removal = fleet.api().history.filter((h) => h.op === 'etcd-member-remove');
      expect(removal.map((h) => [h.node, (h.detail as { name: string }).name])).toEqual([['cp-1', 'cp-3']]);
    });

    it('deletes the Node; the nodes left are Ready', async () => {
      const nodes = await nodesSeenBy(fleet);
      expect(nodes.map((n) => n.name).sort()).toEqual(['cp-1', 'cp-2']);
      expect(nodes.every((n) => n.ready)).toBe(true);
    });

    it("drops cp-3 from haproxy's backends on the control planes left, and from cluster.yaml", async () => {
      for (const cp of ['cp-1', 'cp-2']) expect(backends(await haproxy(cp)), cp).toEqual(['cp-1', 'cp-2']);
      expect(controlPlaneHosts()).toEqual(['cp-1', 'cp-2']);
      const inventory = JSON.parse(readFileSync(join(dir, 'inventory.json'), 'utf8')) as { control_plane: Array<{ name: string }>; api_endpoint: string };
      expect(inventory.control_plane.map((n) => n.name)).toEqual(['cp-1', 'cp-2']);
      expect(inventory.api_endpoint).toBe(`127.0.${fleet.id}.200:8443`);
    });

    it('took a verified backup first, from a control plane that stays', () => {
      const backups = join(dir, 'backups');
      expect(existsSync(backups)).toBe(true);
      const records = readdirSync(backups).map((stamp) => JSON.parse(readFileSync(join(backups, stamp, 'backup.json'), 'utf8')) as { reason: string; node?: string });
      expect(records.some((r) => r.reason === 'remove-control-plane')).toBe(true);
    });

    it('a second run has nothing to do (a name that is no control plane any more)', async () => {
      const again = await cli([...global(), 'remove-control-plane', 'cp-3'], cwd);
      expect(again.code, failureText(again)).toBe(0);
      expect(again.stdout + again.stderr).toMatch(/not a control plane of cluster cp \(already removed\?\)/);
    });
  });

  describe('add-control-plane cp-4', () => {
    let run: Awaited<ReturnType<typeof cli>>;
    let uploadsBefore = 0;
    const uploads = () => fleet.toolCallsOn('cp-1').filter((call) => /kubeadm init phase upload-certs/.test(call)).length;
    beforeAll(async () => {
      uploadsBefore = uploads();
      run = await cli([...global(), 'add-control-plane', '--host', `${fleet.node('cp-4').address},name=cp-4`], cwd);
    }, 120_000);

    it('joins cp-4 as a control plane: 3 etcd members, every node Ready', async () => {
      expect(run.code, failureText(run)).toBe(0);
      expect(members()).toEqual(['cp-1', 'cp-2', 'cp-4']);
      const nodes = await nodesSeenBy(fleet);
      expect(nodes.map((n) => n.name).sort()).toEqual(['cp-1', 'cp-2', 'cp-4']);
      expect(nodes.every((n) => n.ready)).toBe(true);
      expect(nodes.find((n) => n.name === 'cp-4')!.roles).toContain('control-plane');
    });

    it('uploads the control-plane certificates afresh for the join, and takes a backup first', () => {
      expect(uploads()).toBe(uploadsBefore + 1);
      const history = fleet.api().history;
      expect(history.filter((h) => h.op === 'join' || /join/.test(h.op)).at(-1)?.node).toBe('cp-4');
    });

    it("puts cp-4 among haproxy's backends everywhere and into cluster.yaml", async () => {
      for (const cp of ['cp-1', 'cp-2', 'cp-4']) expect(backends(await haproxy(cp)), cp).toEqual(['cp-1', 'cp-2', 'cp-4']);
      expect(controlPlaneHosts()).toEqual(['cp-1', 'cp-2', 'cp-4']);
    });

    it('refuses to go to an even count (exit 2)', async () => {
      const before = fleet.api().history.length;
      const even = await cli([...global(), 'add-control-plane', '--host', '127.0.0.99,name=cp-5', '--dry-run'], cwd);
      expect(even.code, failureText(even)).toBe(2);
      expect(even.stderr).toMatch(/makes 4/);
      expect(fleet.api().history.length).toBe(before);
    });
  });

  describe('remove-control-plane cp-1 (alive, the first control plane)', () => {
    let run: Awaited<ReturnType<typeof cli>>;
    let historyBefore = 0;
    beforeAll(async () => {
      historyBefore = fleet.api().history.length;
      run = await cli([...global(), 'remove-control-plane', '--node', 'cp-1', '--skip-backup'], cwd);
    }, 120_000);

    it('drains it, removes its etcd member from cp-2, resets the machine (keepalived and haproxy stopped), deletes the Node', async () => {
      expect(run.code, failureText(run)).toBe(0);
      expect(run.stderr).toMatch(/--skip-backup/);
      const ops = fleet.api().history.slice(historyBefore).map((h) => `${h.op}@${h.node}`);
      const at = (op: string) => ops.findIndex((entry) => entry.startsWith(op));
      expect(at('drain')).toBeGreaterThanOrEqual(0);
      expect(at('drain')).toBeLessThan(at('etcd-member-remove'));
      expect(ops).toContain('etcd-member-remove@cp-2');
      expect(at('etcd-member-remove')).toBeLessThan(ops.indexOf('reset@cp-1'));
      expect(members()).toEqual(['cp-2', 'cp-4']);
      expect((await nodesSeenBy(fleet, 'cp-2')).map((n) => n.name).sort()).toEqual(['cp-2', 'cp-4']);
      expect(await onNode(fleet, 'cp-1', 'systemctl is-active haproxy keepalived; test -e /etc/kubernetes/admin.conf || echo reset')).toBe('inactive\ninactive\nreset\n');
      for (const cp of ['cp-2', 'cp-4']) expect(backends(await haproxy(cp)), cp).toEqual(['cp-2', 'cp-4']);
    });

    it('makes cp-2 the first control plane: keepalived MASTER there, first in inventory.json', async () => {
      const inventory = JSON.parse(readFileSync(join(dir, 'inventory.json'), 'utf8')) as { control_plane: Array<{ name: string }> };
      expect(inventory.control_plane.map((n) => n.name)).toEqual(['cp-2', 'cp-4']);
      expect(await onNode(fleet, 'cp-2', 'sudo -n grep -o "state [A-Z]*" /etc/keepalived/keepalived.conf')).toBe('state MASTER\n');
      const status = await cli([...global(), 'status'], cwd);
      expect(status.code, failureText(status)).toBe(0);
    });
  });

  describe('etcd as the stand-in answers it (etcdctl in the etcd pod, over plain SSH)', () => {
    const etcdctl = (args: string) =>
      onNode(fleet, 'cp-2', `sudo -n kubectl --kubeconfig /etc/kubernetes/admin.conf -n kube-system exec etcd-cp-2 -- etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/server.crt --key=/etc/kubernetes/pki/etcd/server.key ${args} 2>&1; echo "exit $?"`);

    it("refuses an unknown or non-hex member ID with etcdctl's own errors", async () => {
      const health = await etcdctl('endpoint health --cluster -w json');
      expect(health).toMatch(/"health":true/);
      expect(health).toMatch(/exit 0\n$/);
      expect(await etcdctl('member remove 8211f1d0f64f3269')).toMatch(/Error: etcdserver: member not found\nexit 1\n$/);
      expect(await etcdctl('member remove cp-4')).toBe('Error: bad member ID arg (strconv.ParseUint: parsing "cp-4": invalid syntax), expecting ID in Hex\nexit 1\n');
    });

    it('loses its quorum when cp-4 dies (1 of 2): etcdctl times out, and remove-control-plane refuses (exit 2) naming restore', async () => {
      fleet.kill('cp-4');
      expect(await etcdctl('member list -w json')).toMatch(/Error: context deadline exceeded\nexit 1\n$/);
      expect(await etcdctl('endpoint health --cluster -w json')).toMatch(/Error: context deadline exceeded\nexit 1\n$/);
      const before = fleet.api().history.length;
      const refused = await cli([...global(), 'remove-control-plane', 'cp-4', '--ssh-timeout', '3s'], cwd);
      expect(refused.code, failureText(refused)).toBe(2);
      expect(refused.stderr).toMatch(/No other control plane of cp answers with a working etcd|etcd has lost its quorum/);
      expect(refused.stderr).toMatch(/restore/);
      expect(fleet.api().history.length).toBe(before);
    }, 60_000);
  });
});
