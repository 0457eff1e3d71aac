/**
 * One static HA cluster through its life, on the simulated fleet: 3 control planes behind
 * keepalived + haproxy (VIP:8443, never 6443 on a control plane) and a worker; add-workers adds a
 * second; upgrade moves it one minor up the official kubeadm way (apply on the first control
 * plane, `upgrade node` on the others one at a time, then the kubelets; never two workers cordoned
 * at once); destroy --reset-nodes frees the VIP. After every command the secret search runs over
 * its output and the cluster folder (secret-leaks.ts). One cluster serves all of it: each init and
 * upgrade of an HA cluster costs the 2-core machine about a minute.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Fleet } from '../../fleet/fleet.js';
import type { FakeRun } from '../../helpers/fake-io.js';
import { cli, failureText, fleetSkipReason, initArgs, nodesSeenBy, onNode, preparedFleetOf, tempDir } from './cluster-helpers.js';
import { expectSecretModes, keySecrets, leaks, runSecrets, type Secret } from '../security/secret-leaks.js';
import { kubectlOnCp1, maxCordonedAtOnce, upgradeArgs } from './upgrade-helpers.js';
import { CNI_VERSIONS } from '../../../src/kube/cni.js';

const skip = fleetSkipReason();
const UPGRADE_OPS = new Set(['upgrade-apply', 'upgrade-node', 'kubelet-restart']);
const clientCertOf = (kubeconfig: string) => /client-certificate-data: (\S+)/.exec(kubeconfig)?.[1] ?? '';

describe.skipIf(skip)('a static HA cluster: init 3 control planes + 1 worker, add a worker, upgrade, destroy', () => {
  let fleet: Fleet;
  let cwd: string;
  let dir: string;
  let vip: string;
  const runs: Array<{ name: string; run: FakeRun }> = [];
  const seen = new Map<string, Secret>();
  const remember = (secrets: Secret[]) => secrets.forEach((s) => seen.set(s.value, s));
  const global = () => ['--dir', dir, '--output', 'plain', '--yes'];

  /** Runs a command of the lifecycle; its outputs join the secret search, which must find nothing. */
  async function step(name: string, args: string[]): Promise<FakeRun> {
    const run = await cli(args, cwd);
    runs.push({ name, run });
    expect(run.code, failureText(run)).toBe(0);
    remember(runSecrets(dir));
    expect(leaks([...seen.values()], runs, dir)).toEqual([]);
    expectSecretModes(dir);
    return run;
  }

  beforeAll(async () => {
    // Nodes boot prepared at the old version (the subjects are HA, the day-2 commands and the
    // upgrade, not preparation). A join takes 1.5 s: joins that overlapped would start closer.
    fleet = await preparedFleetOf(3, 2, '1.36.1', { latencies: { 'kubeadm join': 1500 } });
    cwd = tempDir('e2e-ha');
    dir = join(cwd, 'cluster');
    vip = `127.0.${fleet.id}.200`;
    remember(keySecrets(fleet.privateKeyPath));
  }, 60_000);

  afterAll(() => fleet?.stop());

  it('refuses a private key readable by others, naming the file, before any SSH', async () => {
    const loose = join(cwd, 'id_loose');
    copyFileSync(fleet.privateKeyPath, loose);
    chmodSync(loose, 0o644);
    const args = initArgs(fleet, { name: 'loose', dir: join(cwd, 'loose'), names: ['cp-1', 'worker-1'] }).map((a) => (a === fleet.privateKeyPath ? loose : a));
    const run = await cli(args, cwd);
    expect(run.code, failureText(run)).not.toBe(0);
    expect(run.stderr).toContain(loose);
    expect(run.stderr).toMatch(/0?644|readable by others|permissions/i);
    expect(fleet.allCommands()).toEqual([]);
  });

  describe('init', () => {
    beforeAll(async () => {
      const names = ['cp-1', 'cp-2', 'cp-3', 'worker-1'];
      await step('init', initArgs(fleet, { name: 'ha', dir, names, extra: ['--virtual-ip', vip, '--kubernetes-version', '1.36.1'] }));
    }, 300_000);

    it('creates the join material and VRRP password, and none of them leaks', () => {
      expect(runSecrets(dir).map((s) => s.what)).toEqual(expect.arrayContaining(['bootstrap token', 'certificate key', 'VRRP password', 'admin client key data']));
    });

    it('reaches all-Ready with every node at the spec version', async () => {
      const nodes = await nodesSeenBy(fleet);
      expect(nodes.map((n) => n.name).sort()).toEqual(['cp-1', 'cp-2', 'cp-3', 'worker-1']);
      for (const node of nodes) {
        expect(node.ready, node.name).toBe(true);
        expect(node.kubeletVersion, node.name).toBe('v1.36.1');
      }
      expect(nodes.filter((n) => n.roles.includes('control-plane')).map((n) => n.name).sort()).toEqual(['cp-1', 'cp-2', 'cp-3']);
    });

    it('fixes the API endpoint at the VIP on haproxy port 8443', () => {
      expect(fleet.api().cluster?.controlPlaneEndpoint).toBe(`${vip}:8443`);
      for (const cp of ['cp-1', 'cp-2', 'cp-3']) {
        const calls = fleet.toolCallsOn(cp).join('\n');
        expect(calls, cp).toMatch(/systemctl restart haproxy/);
        expect(calls, cp).toMatch(/systemctl restart keepalived/);
      }
    });

    it('joins the control planes one at a time, after the first is initialised', () => {
      const history = fleet.api().history.filter((h) => /init|join/.test(h.op));
      const order = history.map((h) => `${h.op}:${h.node}`);
      expect(order.findIndex((o) => o.startsWith('init') && o.endsWith('cp-1'))).toBe(0);
      const cpJoins = history.filter((h) => h.op.includes('join') && /^cp-/.test(h.node));
      expect(cpJoins.map((h) => h.node)).toEqual(['cp-2', 'cp-3']);
      // One at a time: cp-3's join starts after cp-2's has finished (fleet events carry times).
      const joins = fleet.events().filter((e) => e.kind === 'tool' && /^kubeadm join/.test(e.command));
      const startOf = (node: string) => Date.parse(joins.find((e) => e.node === node)!.startedAt!);
      const endOf = (node: string) => Date.parse(joins.find((e) => e.node === node)!.time);
      expect(startOf('cp-3')).toBeGreaterThanOrEqual(endOf('cp-2'));
      expect(startOf('cp-3') - startOf('cp-2')).toBeGreaterThanOrEqual(1500);
    });
  });

  describe('add-workers', () => {
    beforeAll(async () => {
      await step('add-workers', [...global(), 'add-workers', '--host', `${fleet.node('worker-2').address},name=worker-2`]);
    }, 300_000);

    it('joins worker-2, and nothing leaks', async () => {
      const nodes = await nodesSeenBy(fleet);
      expect(nodes.map((n) => n.name).sort()).toEqual(['cp-1', 'cp-2', 'cp-3', 'worker-1', 'worker-2']);
      expect(nodes.every((n) => n.ready)).toBe(true);
    });
  });

  describe('upgrade one minor up', () => {
    let historyBefore = 0;
    let certBefore = '';
    let upgrade: FakeRun;

    beforeAll(async () => {
      historyBefore = fleet.api().history.length;
      // The cluster runs an older Flannel than this release pins (as an earlier k8s-bootstrap installed it).
      await onNode(fleet, 'cp-1', `sudo -n sed 's/flannel:${CNI_VERSIONS.flannel}/flannel:v0.27.4/' /etc/kubernetes/k8sb/cni/flannel.yaml | sudo -n kubectl --kubeconfig /etc/kubernetes/admin.conf apply -f -`);
      certBefore = clientCertOf(readFileSync(join(dir, 'kubeconfig'), 'utf8'));
      upgrade = await step('upgrade', upgradeArgs(dir, ['--to', 'v1.37.1']));
    }, 400_000);

    it('plans v1.36.1 → v1.37.1 and says it is done', () => {
      expect(upgrade.stderr).toContain('Upgrade plan for cluster ha: v1.36.1 → v1.37.1');
      expect(upgrade.stdout).toContain('upgraded to v1.37.1');
    });

    it('follows the documented order: apply on cp-1, then upgrade node on cp-2 and cp-3, then the kubelets', () => {
      const ops = fleet.api().history.slice(historyBefore).filter((entry) => UPGRADE_OPS.has(entry.op));
      const described = ops.map((entry) => `${entry.op}@${entry.node}`);
      expect(described[0]).toBe('upgrade-apply@cp-1');
      expect(ops.filter((e) => e.op === 'upgrade-apply')).toHaveLength(1);
      expect(ops[0]!.detail).toMatchObject({ to: 'v1.37.1' });
      expect(described.slice(1, 3)).toEqual(['upgrade-node@cp-2', 'upgrade-node@cp-3']);
      // Then every control plane's kubelet (one at a time, in order), then the workers.
      const kubelets = ops.filter((e) => e.op === 'kubelet-restart').map((e) => e.node);
      expect(kubelets).toEqual(['cp-1', 'cp-2', 'cp-3', 'worker-1', 'worker-2']);
      const firstKubelet = described.findIndex((d) => d.startsWith('kubelet-restart'));
      expect(described.slice(0, firstKubelet)).toEqual(['upgrade-apply@cp-1', 'upgrade-node@cp-2', 'upgrade-node@cp-3']);
      // Each worker runs `kubeadm upgrade node` before its own kubelet restart.
      for (const worker of ['worker-1', 'worker-2']) {
        const node = described.indexOf(`upgrade-node@${worker}`);
        expect(node, worker).toBeGreaterThan(firstKubelet);
        expect(node, worker).toBeLessThan(described.indexOf(`kubelet-restart@${worker}`));
      }
    });

    it('never has two workers cordoned at once with the default --max-unavailable', () => {
      const history = fleet.api().history.slice(historyBefore);
      const workers = new Set(fleet.nodes.filter((n) => n.role === 'worker').map((n) => n.name));
      expect(history.filter((e) => e.op === 'drain').map((e) => (e.detail as { name: string }).name).sort()).toEqual(['cp-1', 'cp-2', 'cp-3', 'worker-1', 'worker-2']);
      expect(maxCordonedAtOnce(history, (name) => workers.has(name))).toBe(1);
    });

    it('ends with every node Ready, schedulable, at v1.37.1, and records the version', async () => {
      const nodes = await nodesSeenBy(fleet);
      expect(nodes).toHaveLength(5);
      for (const node of nodes) {
        expect(node.ready, node.name).toBe(true);
        expect(node.unschedulable, node.name).toBe(false);
        expect(node.kubeletVersion, node.name).toBe('v1.37.1');
      }
      expect(fleet.api().cluster?.kubernetesVersion).toBe('v1.37.1');
      const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { kubernetesVersion: string; facts: Record<string, unknown> };
      expect(state.kubernetesVersion).toBe('1.37.1');
      expect(Object.keys(state.facts).filter((key) => key.startsWith('upgrade.'))).toEqual([]);
      const spec = parse(readFileSync(join(dir, 'cluster.yaml'), 'utf8')) as { kubernetes: { version: string } };
      expect(spec.kubernetes.version).toBe('1.37.1');
    });

    it('moves the CNI to the version this release pins, judged by what the cluster runs', () => {
      expect(fleet.api().cni).toMatchObject({ kind: 'flannel', version: CNI_VERSIONS.flannel });
      expect(fleet.api().history.slice(historyBefore).filter((e) => e.op === 'cni').map((e) => (e.detail as { version: string }).version)).toEqual(['v0.27.4', CNI_VERSIONS.flannel]);
    });

    it("refreshes the operator's kubeconfig with the client certificate kubeadm upgrade renewed", async () => {
      const admin = await onNode(fleet, 'cp-1', 'sudo -n cat /etc/kubernetes/admin.conf');
      const local = clientCertOf(readFileSync(join(dir, 'kubeconfig'), 'utf8'));
      expect(local).not.toBe(certBefore);
      expect(local).toBe(clientCertOf(admin));
    });

    it('refuses a second upgrade to the same version (exit 2) without touching a node', async () => {
      const before = fleet.api().history.length;
      const again = await cli(upgradeArgs(dir, ['--to', '1.37.1']), tempDir('e2e-upgrade-again'));
      expect(again.code, failureText(again)).toBe(2);
      expect(again.stderr).toMatch(/already run 1\.37\.1/);
      expect(fleet.api().history.length).toBe(before);
    });

    it('refuses when a node is cordoned by someone else, naming it', async () => {
      kubectlOnCp1(fleet, 'cordon worker-2');
      try {
        const refused = await cli(upgradeArgs(dir, ['--to', '1.37.1']), tempDir('e2e-upgrade-cordoned'));
        expect(refused.code, failureText(refused)).toBe(1);
        expect(refused.stderr).toMatch(/worker-2 is cordoned/);
      } finally {
        kubectlOnCp1(fleet, 'uncordon worker-2');
      }
    });
  });

  it('the secret search finds a planted leak (the check can fail)', () => {
    const any = [...seen.values()].find((s) => s.what === 'bootstrap token')!;
    expect(leaks([any], [{ name: 'planted', run: { code: 0, stdout: `x ${any.value} y`, stderr: '' } }], dir)).toEqual(['bootstrap token in planted: stdout']);
  });

  it('destroy --reset-nodes stops and disables keepalived and haproxy, so the VIP is no longer held', async () => {
    const destroyed = await cli([...global(), 'destroy', '--reset-nodes'], cwd);
    expect(destroyed.code, failureText(destroyed)).toBe(0);
    expect(leaks([...seen.values()], [{ name: 'destroy', run: destroyed }], dir)).toEqual([]);
    for (const cp of ['cp-1', 'cp-2', 'cp-3']) {
      expect(await onNode(fleet, cp, 'systemctl is-active keepalived haproxy; systemctl is-enabled keepalived haproxy; test -e /etc/keepalived/keepalived.conf || echo gone'), cp).toBe('inactive\ninactive\ndisabled\ndisabled\ngone\n');
    }
  }, 300_000);
});
