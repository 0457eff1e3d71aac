/**
 * Ctrl-C on the real binary: SIGINT to the CLI process (not its group, as a terminal would also
 * hit the children: here only the CLI can pass it on). The first one stops cleanly — Terraform is
 * interrupted and waited for, so its state lock is released — exit 130 with a resume hint; the
 * second one forces the exit. The same command then finishes the cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Fleet } from '../../fleet/fleet.js';
import { hasCommand, missingRequirement } from '../../helpers/require-tool.js';
import { ensureBuilt } from '../../helpers/built-cli.js';
import { fleetSkipReason, initArgs, nodesSeenBy, preparedFleetOf, tempDir } from './cluster-helpers.js';
import { DEFAULT_KUBERNETES_VERSION } from '../../../src/kube/versions.js';
import { childFailureText, delay, killLeftovers, outputMatching, runCliChild, spawnCli, stepStarted } from '../../helpers/child-cli.js';
import { apiBootstrapCounts, repeatedKubeadm } from '../../helpers/kubeadm-once.js';
import { parseState } from '../../../src/state/state-store.js';

const fleetSkip = fleetSkipReason();
const FAKE_AWS = { AWS_ACCESS_KEY_ID: 'AKIAFAKEINTERRUPT001', AWS_SECRET_ACCESS_KEY: 'fake-secret-for-the-interrupt-test-012345' };
const RESUME_HINT = /Run the same command again|run the command again to continue/;

function expectReadableState(dir: string): void {
  const path = join(dir, 'state.json');
  expect(() => parseState(readFileSync(path, 'utf8'), path)).not.toThrow();
}

async function expectAllReady(fleet: Fleet, names: string[]): Promise<void> {
  const nodes = await nodesSeenBy(fleet);
  expect(nodes.map((n) => n.name).sort()).toEqual([...names].sort());
  for (const node of nodes) expect(node.ready, node.name).toBe(true);
}

afterAll(() => killLeftovers());

describe.skipIf(fleetSkip ?? missingRequirement(hasCommand('terraform'), 'terraform is not on PATH'))('Ctrl-C during terraform apply (real terraform, fleet-backed module)', () => {
  let fleet: Fleet;
  let cwd: string;
  let dir: string;
  let moduleDir: string;

  const args = () => [
    '--dir', dir, '--output', 'json', '--yes', 'init', '--name', 'inttf', '--provider', 'aws', '--region', 'eu-west-1',
    '--admin-cidr', '203.0.113.0/24', '--node-cidr', `127.0.${fleet.id}.0/24`, '--workers', '1',
    '--image-id', 'ami-0fleet0000000000', '--ssh-user', fleet.sshUser, '--ssh-key', fleet.privateKeyPath, '--cni', 'flannel',
  ];
  const env = () => ({ ...FAKE_AWS, K8SB_TERRAFORM_MODULE_DIR: moduleDir });
  const slowFor = (seconds: number) => {
    const pick = (role: string) => fleet.nodes.filter((n) => n.role === role).map((n) => ({ name: n.name, address: n.address }));
    writeFileSync(join(moduleDir, 'fleet.auto.tfvars.json'), JSON.stringify({ fleet_control_planes: pick('control-plane'), fleet_workers: pick('worker'), sleep_seconds: seconds }));
  };
  /** A plain `terraform plan` with the default lock timeout (0 s): fails at once if the state is locked. */
  const planWithoutWaiting = () =>
    execFileSync('terraform', [`-chdir=${join(dir, 'terraform')}`, 'plan', '-input=false', '-no-color', '-lock-timeout=0s'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: cwd },
      stdio: 'pipe',
    });
  const startApplying = async () => {
    const child = spawnCli(args(), { cwd, env: env() });
    await child.waitForEvent(outputMatching('infrastructure', /terraform_data\.slow.*(Creating|local-exec)/));
    await delay(500);
    return child;
  };

  beforeAll(async () => {
    await ensureBuilt();
    fleet = await preparedFleetOf(1, 1, DEFAULT_KUBERNETES_VERSION);
    cwd = tempDir('int-tf');
    dir = join(cwd, 'cluster');
    moduleDir = join(cwd, 'module');
    cpSync(resolve(import.meta.dirname, '../../fixtures/terraform/fleet-slow'), moduleDir, { recursive: true });
    slowFor(60);
  }, 120_000);

  afterAll(() => fleet?.stop());

  it('the first Ctrl-C interrupts terraform, waits for it, exits 130 with a resume hint; the state lock is free', async () => {
    const child = await startApplying();
    child.process.kill('SIGINT');
    const result = await child.exited;
    expect(result.code, childFailureText(result)).toBe(130);
    expect(result.stderr).toMatch(/Received SIGINT: stopping cleanly/);
    expect(result.stderr).toMatch(RESUME_HINT);
    expect(result.stderr).not.toMatch(/Forced exit/);
    const finished = result.events.find((e) => e.type === 'run-finished');
    expect(finished).toMatchObject({ outcome: 'interrupted' });
    // Terraform saved its state and released its lock before the CLI exited.
    expect(() => planWithoutWaiting()).not.toThrow();
    expectReadableState(dir);
    expect(existsSync(join(dir, 'lock.json'))).toBe(false);
    expect(fleet.allCommands()).toEqual([]);
  }, 180_000);

  it('a second Ctrl-C forces the exit (130) without waiting for terraform', async () => {
    const child = await startApplying();
    child.process.kill('SIGINT');
    await child.waitForStderr(/Received SIGINT/);
    child.process.kill('SIGINT');
    const result = await child.exited;
    expect(result.code, childFailureText(result)).toBe(130);
    expect(result.stderr).toMatch(/Forced exit\. Run the same command again to resume\./);
    expect(existsSync(join(dir, 'lock.json'))).toBe(false);
  }, 180_000);

  it('the same init afterwards finishes the cluster', async () => {
    slowFor(1);
    const again = await runCliChild(args(), { cwd, env: env() });
    expect(again.code, childFailureText(again)).toBe(0);
    await expectAllReady(fleet, ['cp-1', 'worker-1']);
    expect(apiBootstrapCounts(fleet)).toEqual({ 'cp-1': 1, 'worker-1': 1 });
    expect(() => planWithoutWaiting()).not.toThrow();
  }, 300_000);
});

describe.skipIf(fleetSkip)('Ctrl-C during worker joins on the fleet', () => {
  let fleet: Fleet;
  let cwd: string;
  let dir: string;
  let args: string[];

  beforeAll(async () => {
    await ensureBuilt();
    fleet = await preparedFleetOf(1, 2, DEFAULT_KUBERNETES_VERSION);
    for (const node of ['worker-1', 'worker-2']) fleet.setFault(node, { latencyMs: { 'kubeadm join': 4000 } });
    cwd = tempDir('int-fleet');
    dir = join(cwd, 'cluster');
    args = initArgs(fleet, { name: 'intfleet', dir }).map((a) => (a === 'plain' ? 'json' : a));
  }, 120_000);

  afterAll(() => fleet?.stop());

  it('exits 130 with a resume hint, the state saved and the lock released', async () => {
    const child = spawnCli(args, { cwd });
    await child.waitForEvent(stepStarted('join:worker-1'));
    await delay(1000);
    child.process.kill('SIGINT');
    const result = await child.exited;
    expect(result.code, childFailureText(result)).toBe(130);
    expect(result.stderr).toMatch(RESUME_HINT);
    expect(result.events.find((e) => e.type === 'run-finished')).toMatchObject({ outcome: 'interrupted' });
    expectReadableState(dir);
    const state = parseState(readFileSync(join(dir, 'state.json'), 'utf8'), 'state.json');
    expect(Object.keys(state.steps)).toEqual(expect.arrayContaining(['init:cp-1', 'cni:flannel']));
    // Review P7: the count is every step this run finished (preflight, preparations, init, CNI…), not 0.
    const finished = Number(/Interrupted: (\d+) steps finished/.exec(result.stderr)?.[1]);
    expect(finished).toBeGreaterThanOrEqual(Object.keys(state.steps).length);
    expect(existsSync(join(dir, 'lock.json'))).toBe(false);
  }, 180_000);

  it('the same command then finishes: all-Ready, no node bootstrapped twice', async () => {
    const again = await runCliChild(args, { cwd });
    expect(again.code, childFailureText(again)).toBe(0);
    expect(again.stderr).not.toMatch(/stale lock/);
    await expectAllReady(fleet, ['cp-1', 'worker-1', 'worker-2']);
    expect(apiBootstrapCounts(fleet)).toEqual({ 'cp-1': 1, 'worker-1': 1, 'worker-2': 1 });
    expect(repeatedKubeadm(fleet)).toEqual([]);
  }, 300_000);
});
