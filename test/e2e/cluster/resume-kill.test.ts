/**
 * Kill-and-resume matrix: the real binary is SIGKILLed at a chosen moment of init (during
 * Terraform's apply, during a control-plane join, during worker joins) and the same command is
 * run again. The re-run takes over the stale lock with a notice, finishes with exit 0, the cluster
 * is all-Ready, and no node ran a successful kubeadm init/join twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Fleet } from '../../fleet/fleet.js';
import { ssh, writeKnownHosts } from '../../fleet/plain-ssh.js';
import { hasCommand, missingRequirement } from '../../helpers/require-tool.js';
import { ensureBuilt } from '../../helpers/built-cli.js';
import { fleetSkipReason, initArgs, nodesSeenBy, preparedFleetOf, tempDir } from './cluster-helpers.js';
import { DEFAULT_KUBERNETES_VERSION } from '../../../src/kube/versions.js';
import { childFailureText, delay, killLeftovers, outputMatching, runCliChild, spawnCli, stepStarted } from '../../helpers/child-cli.js';
import { apiBootstrapCounts, repeatedKubeadm, successfulKubeadm } from '../../helpers/kubeadm-once.js';
import { parseState } from '../../../src/state/state-store.js';

const fleetSkip = fleetSkipReason();
const FAKE_AWS = { AWS_ACCESS_KEY_ID: 'AKIAFAKERESUMEKEY001', AWS_SECRET_ACCESS_KEY: 'fake-secret-for-the-resume-test-0123456789' };

/** state.json is whole and readable after a SIGKILL (atomic writes). */
function expectReadableState(dir: string): void {
  const path = join(dir, 'state.json');
  if (!existsSync(path)) return;
  expect(() => parseState(readFileSync(path, 'utf8'), path)).not.toThrow();
}

async function expectAllReady(fleet: Fleet, names: string[]): Promise<void> {
  const nodes = await nodesSeenBy(fleet);
  expect(nodes.map((n) => n.name).sort()).toEqual([...names].sort());
  for (const node of nodes) expect(node.ready, node.name).toBe(true);
}

afterAll(() => killLeftovers());

describe.skipIf(fleetSkip ?? missingRequirement(hasCommand('terraform'), 'terraform is not on PATH'))('SIGKILL during terraform apply, then the same init again', () => {
  let fleet: Fleet;
  let cwd: string;
  let dir: string;
  let moduleDir: string;

  const args = () => [
    '--dir', dir, '--output', 'json', '--yes', 'init', '--name', 'killtf', '--provider', 'aws', '--region', 'eu-west-1',
    '--admin-cidr', '203.0.113.0/24', '--node-cidr', `127.0.${fleet.id}.0/24`, '--workers', '1',
    '--image-id', 'ami-0fleet0000000000', '--ssh-user', fleet.sshUser, '--ssh-key', fleet.privateKeyPath, '--cni', 'flannel',
  ];
  const env = () => ({ ...FAKE_AWS, K8SB_TERRAFORM_MODULE_DIR: moduleDir });

  beforeAll(async () => {
    await ensureBuilt();
    fleet = await preparedFleetOf(1, 1, DEFAULT_KUBERNETES_VERSION);
    cwd = tempDir('kill-tf');
    dir = join(cwd, 'cluster');
    moduleDir = join(cwd, 'module');
    cpSync(resolve(import.meta.dirname, '../../fixtures/terraform/fleet-slow'), moduleDir, { recursive: true });
    const pick = (role: string) => fleet.nodes.filter((n) => n.role === role).map((n) => ({ name: n.name, address: n.address }));
    writeFileSync(join(moduleDir, 'fleet.auto.tfvars.json'), JSON.stringify({ fleet_control_planes: pick('control-plane'), fleet_workers: pick('worker'), sleep_seconds: 5 }));
  }, 120_000);

  afterAll(() => fleet?.stop());

  it('resumes after the CLI was killed while terraform was applying', async () => {
    const first = spawnCli(args(), { cwd, env: env() });
    await first.waitForEvent(outputMatching('infrastructure', /terraform_data\.slow.*(Creating|local-exec)/));
    await delay(1000);
    first.process.kill('SIGKILL');
    const killed = await first.exited;
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(join(dir, 'lock.json'))).toBe(true);
    expectReadableState(dir);
    expect(fleet.allCommands()).toEqual([]);
    // SIGKILL cannot pass anything on: terraform lives on as an orphan holding its state lock
    // until it ends (its stdout pipe is gone, so its next write kills it). The re-run's
    // -lock-timeout waits for that instead of failing on the lock.
    const orphans = spawnSync('pgrep', ['-af', '--', `terraform -chdir=${join(dir, 'terraform')}`], { encoding: 'utf8' }).stdout.trim();
    console.log(`[kill-tf] terraform left running after SIGKILL: ${orphans === '' ? 'none' : orphans}`);

    const again = await runCliChild(args(), { cwd, env: env() });
    expect(again.code, childFailureText(again)).toBe(0);
    expect(again.stderr).toMatch(/Took over a stale lock .*"init" \(pid \d+/);
    await expectAllReady(fleet, ['cp-1', 'worker-1']);
    expect(apiBootstrapCounts(fleet)).toEqual({ 'cp-1': 1, 'worker-1': 1 });
    expect(successfulKubeadm(fleet)).toEqual(['cp-1:init', 'worker-1:join']);
    expect(repeatedKubeadm(fleet)).toEqual([]);
    expect(existsSync(join(dir, 'lock.json'))).toBe(false);
  }, 300_000);
});

describe.skipIf(fleetSkip)('SIGKILL during a control-plane join, then during worker joins (HA, 3 CP + 2 workers)', () => {
  let fleet: Fleet;
  let cwd: string;
  let dir: string;
  let args: string[];
  let knownHosts: string;
  const all = ['cp-1', 'cp-2', 'cp-3', 'worker-1', 'worker-2'];

  beforeAll(async () => {
    await ensureBuilt();
    fleet = await preparedFleetOf(3, 2, DEFAULT_KUBERNETES_VERSION);
    // A window to kill in: the workers' joins take 4 s each; cp-2's 12 s, so that the killed
    // run's join is still running on cp-2 when the next run gets there.
    fleet.setFault('cp-2', { latencyMs: { 'kubeadm join': 12_000 } });
    for (const node of ['worker-1', 'worker-2']) fleet.setFault(node, { latencyMs: { 'kubeadm join': 4000 } });
    knownHosts = writeKnownHosts(fleet);
    cwd = tempDir('kill-ha');
    dir = join(cwd, 'cluster');
    args = initArgs(fleet, { name: 'killha', dir, extra: ['--virtual-ip', `127.0.${fleet.id}.200`] }).map((a) => (a === 'plain' ? 'json' : a));
  }, 120_000);

  afterAll(() => fleet?.stop());

  async function waitForKubeadmOn(node: string): Promise<void> {
    for (let tries = 0; tries < 300; tries++) {
      if ((await ssh(fleet, knownHosts, node, 'pgrep -x kubeadm')).code === 0) return;
      await delay(100);
    }
    throw new Error(`kubeadm never ran on ${node}`);
  }

  it('a run killed while cp-2 joins leaves a readable state and a stale lock', async () => {
    const first = spawnCli(args, { cwd });
    await first.waitForEvent(stepStarted('join:cp-2'));
    // Killed once kubeadm join runs on cp-2 (the step's checks come first, and take their time on a busy machine).
    await waitForKubeadmOn('cp-2');
    first.process.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    expectReadableState(dir);
    expect(existsSync(join(dir, 'lock.json'))).toBe(true);
    const state = parseState(readFileSync(join(dir, 'state.json'), 'utf8'), 'state.json');
    expect(Object.keys(state.steps)).toContain('init:cp-1');
    expect(Object.keys(state.steps)).not.toContain('join:cp-2');
    // SIGKILL reaches the CLI only: the join it started lives on, on cp-2 alone.
    expect((await ssh(fleet, knownHosts, 'cp-2', 'pgrep -x kubeadm')).code).toBe(0);
    expect((await ssh(fleet, knownHosts, 'cp-3', 'pgrep -x kubeadm')).code).toBe(1);
  }, 300_000);

  it('the re-run is killed in turn while the workers join', async () => {
    const second = spawnCli(args, { cwd });
    await second.waitForEvent(stepStarted('join:worker-1'));
    await delay(1500);
    second.process.kill('SIGKILL');
    const killed = await second.exited;
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.stderr).toMatch(/Took over a stale lock/);
    // The re-run judged cp-2 only once the earlier join had ended, and did not join it again.
    expect(repeatedKubeadm(fleet)).toEqual([]);
    expect(killed.stdout).toMatch(/kubeadm from an interrupted run still runs on cp-2 \(pid \d+\): waiting for it to end/);
    expectReadableState(dir);
    const state = parseState(readFileSync(join(dir, 'state.json'), 'utf8'), 'state.json');
    expect(Object.keys(state.steps)).toEqual(expect.arrayContaining(['init:cp-1', 'join:cp-2', 'join:cp-3']));
  }, 300_000);

  it('the third run finishes: all-Ready, and no node bootstrapped twice', async () => {
    const third = await runCliChild(args, { cwd });
    expect(third.code, childFailureText(third)).toBe(0);
    expect(third.stderr).toMatch(/Took over a stale lock/);
    // Finished steps were skipped, not redone.
    const skipped = third.events.filter((e) => e.type === 'skipped').map((e) => ('stepId' in e ? e.stepId : ''));
    expect(skipped).toEqual(expect.arrayContaining(['init:cp-1', 'join:cp-2', 'join:cp-3']));
    await expectAllReady(fleet, all);
    expect(apiBootstrapCounts(fleet)).toEqual(Object.fromEntries(all.map((n) => [n, 1])));
    expect(successfulKubeadm(fleet)).toEqual(['cp-1:init', 'cp-2:join', 'cp-3:join', 'worker-1:join', 'worker-2:join']);
    expect(repeatedKubeadm(fleet)).toEqual([]);
    expect(existsSync(join(dir, 'lock.json'))).toBe(false);
  }, 300_000);
});
