/**
 * End to end on the simulated fleet: `upgrade` follows the official kubeadm order (apply on the
 * first control plane, `upgrade node` on the others one at a time, then kubelets), never has two
 * workers cordoned at once with the default --max-unavailable, ends with every node Ready at the
 * target, and a two-minor --to goes through the minor in between.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { ApiHistoryEntry, Fleet } from '../../fleet/fleet.js';
import { main } from '../../../src/cli/main.js';
import { fakeIo } from '../../helpers/fake-io.js';
import { cli, failureText, fleetSkipReason, initArgs, nodesSeenBy, onNode, preparedFleetOf, tempDir } from './cluster-helpers.js';
import { CNI_VERSIONS } from '../../../src/kube/cni.js';
import { NEWEST_KNOWN_PATCH } from '../../../src/workflows/upgrade/plan.js';

const skip = fleetSkipReason();

function upgradeArgs(dir: string, extra: string[]): string[] {
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
function kubectlOnCp1(fleet: Fleet, args: string): string {
  const cp = fleet.node('cp-1');
  return execFileSync(
    'ssh',
    ['-i', fleet.privateKeyPath, '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', `${fleet.sshUser}@${cp.address}`, `sudo -n kubectl --kubeconfig /etc/kubernetes/admin.conf ${args}`],
    { encoding: 'utf8', timeout: 30_000 },
  );
}

const clientCertOf = (kubeconfig: string) => /client-certificate-data: (\S+)/.exec(kubeconfig)?.[1] ?? '';

const UPGRADE_OPS = new Set(['upgrade-apply', 'upgrade-node', 'kubelet-restart']);

describe.skipIf(skip)('upgrade a 3 control planes + 2 workers cluster one minor up', () => {
  let fleet: Fleet;
  let dir: string;
  let init: Awaited<ReturnType<typeof cli>>;
  let upgrade: Awaited<ReturnType<typeof cli>>;
  let historyBefore = 0;
  let certBefore = '';

  beforeAll(async () => {
    // Nodes boot prepared at the old version (the subject is the upgrade, not preparation); the upgrade moves their packages.
    fleet = await preparedFleetOf(3, 2, '1.36.1');
    const cwd = tempDir('e2e-upgrade');
    dir = join(cwd, 'cluster');
    const vip = `127.0.${fleet.id}.200`;
    init = await cli(initArgs(fleet, { name: 'up', dir, extra: ['--virtual-ip', vip, '--kubernetes-version', '1.36.1'] }), cwd);
    historyBefore = fleet.api().history.length;
    if (init.code !== 0) return;
    // The cluster runs an older Flannel than this release pins (as an earlier k8s-bootstrap installed it).
    await onNode(fleet, 'cp-1', `sudo -n sed 's/flannel:${CNI_VERSIONS.flannel}/flannel:v0.27.4/' /etc/kubernetes/k8sb/cni/flannel.yaml | sudo -n kubectl --kubeconfig /etc/kubernetes/admin.conf apply -f -`);
    certBefore = clientCertOf(readFileSync(join(dir, 'kubeconfig'), 'utf8'));
    upgrade = await cli(upgradeArgs(dir, ['--to', 'v1.37.1']), cwd);
  }, 400_000);

  afterAll(() => fleet?.stop());

  it('initialises at 1.36.1 and upgrades with exit 0', () => {
    expect(init.code, failureText(init)).toBe(0);
    expect(upgrade.code, failureText(upgrade)).toBe(0);
    expect(upgrade.stderr).toContain('Upgrade plan for cluster up: v1.36.1 → v1.37.1');
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

  beforeAll(async () => {
    fleet = await preparedFleetOf(1, 1, '1.35.2');
    const cwd = tempDir('e2e-upgrade-hops');
    const dir = join(cwd, 'cluster');
    init = await cli(initArgs(fleet, { name: 'hops', dir, extra: ['--kubernetes-version', '1.35.2'] }), cwd);
    if (init.code !== 0) return;
    prompted = await promptedRun(dir, cwd);
    run = await cli(upgradeArgs(dir, ['--to', '1.37.1']), cwd);
  }, 400_000);

  it('on a terminal without --to, offers the newest patch of this minor and the next, and a "no" changes nothing', () => {
    expect(prompted.code, prompted.stderr.slice(-3000)).toBe(130);
    expect(prompted.stderr).toContain('Cluster hops runs v1.35.2. Upgrade to:');
    expect(prompted.stderr).toContain(`v${NEWEST_KNOWN_PATCH['1.35']}`);
    expect(prompted.stderr).toContain(`v${NEWEST_KNOWN_PATCH['1.36']}`);
    expect(prompted.stderr).toContain(`Upgrade plan for cluster hops: v1.35.2 → v${NEWEST_KNOWN_PATCH['1.35']}`);
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
    stuck = await cli(upgradeArgs(dir, ['--to', '1.37.1', '--drain-timeout', '2s']), cwd);
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
