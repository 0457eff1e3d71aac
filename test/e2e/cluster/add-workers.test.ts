/**
 * add-workers on the simulated fleet: a 1+2 cluster built from the first three nodes of a 1+4
 * fleet grows to 4 workers, after the init token has expired, while the existing nodes see no
 * command (the first control plane only mints a token and lists nodes).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Fleet } from '../../fleet/fleet.js';
import { cli, failureText, fleetOf, fleetSkipReason, initArgs, nodesSeenBy, tempDir } from './cluster-helpers.js';
import { DEFAULT_KUBERNETES_VERSION } from '../../../src/kube/versions.js';

const skip = fleetSkipReason();

/** What add-workers may run on the first control plane: mint a token, list nodes, look at files. */
/**
 * What add-workers may run on the first control plane: mint a token, ask about nodes, read
 * admin.conf, check etcd and CoreDNS, and run (then delete) Verify's one DNS-check pod.
 */
const ALLOWED_ON_FIRST_CP =
  /(kubeadm token create --ttl \S+ --print-join-command|kubectl --kubeconfig \/etc\/kubernetes\/admin\.conf (get nodes -o json|-n kube-system (exec etcd-cp-1 -- etcdctl .* member list -w json|wait --for=condition=Available deployment\/coredns|(get|delete) pod k8sb-dns-check|logs k8sb-dns-check|get events))|kubectl --kubeconfig \/etc\/kubernetes\/admin\.conf create -f \/etc\/kubernetes\/k8sb\/dns-check\.yaml|^sudo -n test -e |^sudo -n cat |^sftp$|^bash -c mkdir -p -m 0700 \/tmp\/k8sb|^rm -f \/tmp\/k8sb\/[0-9a-f]+-dns-check\.yaml|^sudo -n install |^sudo -n mkdir |^sudo -n rm )/;

describe.skipIf(skip)('add-workers on a static 1+2 cluster', () => {
  let fleet: Fleet;
  let cwd: string;
  let dir: string;
  const global = () => ['--dir', dir, '--output', 'plain'];
  const hostFlag = (name: string) => ['--host', `${fleet.node(name).address},name=${name}`];

  beforeAll(async () => {
    fleet = await fleetOf(1, 4);
    cwd = tempDir('e2e-add');
    dir = join(cwd, 'cluster');
    const init = await cli(initArgs(fleet, { name: 'grow', dir, names: ['cp-1', 'worker-1', 'worker-2'] }), cwd);
    if (init.code !== 0) throw new Error(`init failed: ${failureText(init)}`);
  }, 300_000);

  afterAll(() => fleet?.stop());

  it('refuses --count without --host on a static cluster, explaining --host (exit 2, nothing touched)', async () => {
    const before = fleet.allCommands().length;
    const run = await cli([...global(), 'add-workers', '--count', '2', '--yes'], cwd);
    expect(run.code, failureText(run)).toBe(2);
    expect(run.stderr).toMatch(/--host ADDRESS/);
    expect(fleet.allCommands().length).toBe(before);
  });

  it('--dry-run prints the plan and changes nothing', async () => {
    const before = fleet.allCommands().length;
    const specBefore = readFileSync(join(dir, 'cluster.yaml'), 'utf8');
    const run = await cli([...global(), 'add-workers', ...hostFlag('worker-3'), '--dry-run'], cwd);
    expect(run.code, failureText(run)).toBe(0);
    expect(run.stdout).toContain('worker-3');
    expect(run.stdout).toMatch(/kubeadm join/);
    expect(run.stdout).toMatch(/untouched \(worker-1, worker-2\)/);
    expect(fleet.allCommands().length).toBe(before);
    expect(readFileSync(join(dir, 'cluster.yaml'), 'utf8')).toBe(specBefore);
  });

  it('after the init token expired, --count 2 with two hosts gives 4 Ready workers and touches no existing node', async () => {
    fleet.advanceClock(25);
    const worker1 = fleet.commandsOn('worker-1');
    const worker2 = fleet.commandsOn('worker-2');
    const cpBefore = fleet.commandsOn('cp-1').length;
    const cpToolsBefore = fleet.toolCallsOn('cp-1').length;

    const run = await cli([...global(), 'add-workers', '--count', '2', ...hostFlag('worker-3'), ...hostFlag('worker-4'), '--yes'], cwd);
    expect(run.code, failureText(run)).toBe(0);
    expect(run.stdout).toContain('Added 2 worker(s)');

    const nodes = await nodesSeenBy(fleet);
    expect(nodes.map((n) => n.name).sort()).toEqual(['cp-1', 'worker-1', 'worker-2', 'worker-3', 'worker-4']);
    for (const node of nodes) {
      expect(node.ready, node.name).toBe(true);
      expect(node.kubeletVersion, node.name).toBe(`v${DEFAULT_KUBERNETES_VERSION}`);
    }
    // The existing workers saw not a single SSH session.
    expect(fleet.commandsOn('worker-1')).toEqual(worker1);
    expect(fleet.commandsOn('worker-2')).toEqual(worker2);
    // The first control plane only minted a token and answered node queries.
    const cpNew = fleet.commandsOn('cp-1').slice(cpBefore);
    expect(cpNew.length).toBeGreaterThan(0);
    // Arguments come single-quoted over SSH; the pattern reads them unquoted.
    for (const command of cpNew) expect(command.replaceAll("'", '')).toMatch(ALLOWED_ON_FIRST_CP);
    const cpTools = fleet.toolCallsOn('cp-1').slice(cpToolsBefore);
    expect(cpTools.some((c) => /^kubeadm token create/.test(c))).toBe(true);
    expect(cpTools.filter((c) => !/^(kubeadm token create|kubectl .*(get nodes|get pod k8sb-dns-check|delete pod k8sb-dns-check|create -f \/etc\/kubernetes\/k8sb\/dns-check\.yaml|wait --for=condition=Available deployment\/coredns|exec etcd-cp-1|logs|get events))/.test(c))).toEqual([]);
    // The new nodes were joined (once each) by kubeadm.
    for (const name of ['worker-3', 'worker-4']) expect(fleet.toolCallsOn(name).filter((c) => /^kubeadm join/.test(c))).toHaveLength(1);

    const spec = readFileSync(join(dir, 'cluster.yaml'), 'utf8');
    expect(spec).toContain('name: worker-3');
    expect(spec).toContain('name: worker-4');
    const inventory = JSON.parse(readFileSync(join(dir, 'inventory.json'), 'utf8')) as { workers: { name: string }[] };
    expect(inventory.workers.map((w) => w.name)).toEqual(['worker-1', 'worker-2', 'worker-3', 'worker-4']);
  });

  it('--total 3 afterwards is refused with a pointer to remove-workers (exit 2), and nothing runs', async () => {
    const before = fleet.allCommands().length;
    const run = await cli([...global(), 'add-workers', '--total', '3', '--yes'], cwd);
    expect(run.code, failureText(run)).toBe(2);
    expect(run.stderr).toMatch(/--total 3 is below the 4 workers/);
    expect(run.stderr).toMatch(/remove-workers --count 1/);
    expect(fleet.allCommands().length).toBe(before);
  });

  it('--total equal to the current count, or a run without flags, has nothing to do (exit 0)', async () => {
    const before = fleet.allCommands().length;
    for (const args of [['--total', '4'], []]) {
      const run = await cli([...global(), 'add-workers', ...args, '--yes'], cwd);
      expect(run.code, failureText(run)).toBe(0);
      // Nothing to add is the command's result: stdout.
      expect(run.stdout).toMatch(/nothing to add/i);
    }
    expect(fleet.allCommands().length).toBe(before);
  });

  it('refuses a host that is already a node of the cluster', async () => {
    const run = await cli([...global(), 'add-workers', ...hostFlag('worker-1'), '--yes'], cwd);
    expect(run.code, failureText(run)).toBe(2);
    expect(run.stderr).toMatch(/already node worker-1/);
  });
});
