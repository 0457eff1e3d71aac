/**
 * The cloud path end to end: init --provider aws runs the real terraform (init, plan, apply,
 * output) on a module with the built-in module's inputs and the Inventory outputs whose machines
 * are simulated fleet nodes, then bootstraps them over SSH. No cloud API is contacted: the module
 * is made of terraform_data resources, and the node image is given (no Packer build).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Fleet } from '../../fleet/fleet.js';
import { hasCommand, missingRequirement } from '../../helpers/require-tool.js';
import { failureText, preparedFleetOf, fleetSkipReason, nodesSeenBy, tempDir } from './cluster-helpers.js';
import { DEFAULT_KUBERNETES_VERSION } from '../../../src/kube/versions.js';
import { runCli } from '../../helpers/fake-io.js';

const skip = fleetSkipReason() ?? missingRequirement(hasCommand('terraform'), 'terraform is not on PATH');
const FAKE_AWS = { AWS_ACCESS_KEY_ID: 'AKIAFAKEFLEETKEY0001', AWS_SECRET_ACCESS_KEY: 'fake-secret-for-the-fleet-test-0123456789' };

/** The n-th run's log file of the cluster folder (logs/ names sort by time). */
function logOf(dir: string, index: number): string {
  const logs = readdirSync(join(dir, 'logs')).sort();
  return readFileSync(join(dir, 'logs', logs[index]!), 'utf8');
}

describe.skipIf(skip)('init --provider aws on a fleet-backed Terraform module', () => {
  let fleet: Fleet;
  let cwd: string;
  let dir: string;
  let moduleDir: string;
  let first: Awaited<ReturnType<typeof runCli>>;

  const init = (workers: number) =>
    runCli(
      [
        '--dir', dir, '--output', 'plain', '--yes', 'init', '--name', 'cloud', '--provider', 'aws', '--region', 'eu-west-1',
        '--admin-cidr', '203.0.113.0/24', '--node-cidr', `127.0.${fleet.id}.0/24`, '--workers', String(workers),
        '--image-id', 'ami-0fleet0000000000', '--ssh-user', fleet.sshUser, '--ssh-key', fleet.privateKeyPath, '--cni', 'calico',
      ],
      { cwd, env: { ...FAKE_AWS, K8SB_TERRAFORM_MODULE_DIR: moduleDir, PATH: process.env.PATH } },
    );

  beforeAll(async () => {
    // Cloud machines boot from the Packer-built image: prepared, as there.
    fleet = await preparedFleetOf(1, 2, DEFAULT_KUBERNETES_VERSION);
    cwd = tempDir('e2e-cloud');
    dir = join(cwd, 'cluster');
    moduleDir = join(cwd, 'module');
    cpSync(resolve(import.meta.dirname, '../../fixtures/terraform/fleet'), moduleDir, { recursive: true });
    const pick = (role: string) => fleet.nodes.filter((n) => n.role === role).map((n) => ({ name: n.name, address: n.address }));
    writeFileSync(join(moduleDir, 'fleet.auto.tfvars.json'), JSON.stringify({ fleet_control_planes: pick('control-plane'), fleet_workers: pick('worker') }));
    first = await init(1);
  }, 300_000);

  afterAll(() => fleet?.stop());

  it('provisions with terraform, writes the inventory and bootstraps the machines it returned', async () => {
    expect(first.code, failureText(first)).toBe(0);
    expect(logOf(dir, 0)).toMatch(/\[Infrastructure\].*plan: 2 to add, 0 to change, 0 to destroy/);
    const inventory = JSON.parse(readFileSync(join(dir, 'inventory.json'), 'utf8')) as { control_plane: unknown[]; workers: Array<{ name: string }> };
    expect(inventory.control_plane).toHaveLength(1);
    expect(inventory.workers.map((w) => w.name)).toEqual(['worker-1']);
    const nodes = await nodesSeenBy(fleet);
    expect(nodes.map((n) => n.name).sort()).toEqual(['cp-1', 'worker-1']);
    expect(nodes.every((n) => n.ready)).toBe(true);
    expect(fleet.api().cni).toMatchObject({ kind: 'calico', pool: '10.244.0.0/16' });
  });

  it('keeps the cloud credentials out of outputs, logs and the rendered files', () => {
    const tfvars = readFileSync(join(dir, 'terraform', 'terraform.tfvars.json'), 'utf8');
    const everything = [first.stdout, first.stderr, tfvars, readFileSync(join(dir, 'cluster.yaml'), 'utf8')].join('\n');
    for (const value of Object.values(FAKE_AWS)) expect(everything.includes(value)).toBe(false);
  });

  it('a second init skips the infrastructure and touches no node', async () => {
    const before = fleet.allCommands().length;
    const again = await init(1);
    expect(again.code, failureText(again)).toBe(0);
    expect(logOf(dir, 1)).toMatch(/\[Infrastructure\].*skipped/);
    const later = fleet.allCommands().slice(before).map((e) => e.command);
    expect(later.filter((c) => /kubeadm|apt-get|prepare-node/.test(c))).toEqual([]);
  });

  it('add-workers --count 1 plans only an addition, joins only the new machine', async () => {
    const before = { cp: fleet.commandsOn('cp-1').length, worker: fleet.commandsOn('worker-1').length };
    const run = await runCli(['--dir', dir, '--output', 'plain', '--yes', 'add-workers', '--count', '1'], {
      cwd,
      env: { ...FAKE_AWS, K8SB_TERRAFORM_MODULE_DIR: moduleDir, PATH: process.env.PATH },
    });
    expect(run.code, failureText(run)).toBe(0);
    const log = readdirSync(join(dir, 'logs')).sort().filter((f) => f.includes('add-workers')).pop()!;
    expect(readFileSync(join(dir, 'logs', log), 'utf8')).toMatch(/plan: 1 to add, 0 to change, 0 to destroy/);
    expect(fleet.commandsOn('worker-1').length).toBe(before.worker);
    const nodes = await nodesSeenBy(fleet);
    expect(nodes.map((n) => n.name).sort()).toEqual(['cp-1', 'worker-1', 'worker-2']);
    expect(nodes.every((n) => n.ready)).toBe(true);
    const inventory = JSON.parse(readFileSync(join(dir, 'inventory.json'), 'utf8')) as { workers: Array<{ name: string }> };
    expect(inventory.workers.map((w) => w.name)).toEqual(['worker-1', 'worker-2']);
  });

  it('remove-workers --count 1 drains, deletes and resets the newest worker, then destroys its machine', async () => {
    const run = await runCli(['--dir', dir, '--output', 'plain', '--yes', 'remove-workers', '--count', '1'], {
      cwd,
      env: { ...FAKE_AWS, K8SB_TERRAFORM_MODULE_DIR: moduleDir, PATH: process.env.PATH },
    });
    expect(run.code, failureText(run)).toBe(0);
    expect(fleet.toolCallsOn('worker-2').filter((c) => c.startsWith('kubeadm reset'))).toHaveLength(1);
    const nodes = await nodesSeenBy(fleet);
    expect(nodes.map((n) => n.name).sort()).toEqual(['cp-1', 'worker-1']);
    expect(nodes.every((n) => n.ready)).toBe(true);
    const inventory = JSON.parse(readFileSync(join(dir, 'inventory.json'), 'utf8')) as { workers: Array<{ name: string }> };
    expect(inventory.workers.map((w) => w.name)).toEqual(['worker-1']);
    // The destroyed machine's host key is forgotten: its address may come back with a new machine.
    const knownHosts = readFileSync(join(dir, 'secrets', 'known_hosts'), 'utf8');
    expect(knownHosts).not.toContain(`${fleet.node('worker-2').address} `);
    expect(knownHosts).toContain(`${fleet.node('worker-1').address} `);
    const { execFileSync } = await import('node:child_process');
    const state = execFileSync('terraform', [`-chdir=${join(dir, 'terraform')}`, 'state', 'list'], { encoding: 'utf8' });
    expect(state.split('\n').filter((l) => l.includes('terraform_data.worker'))).toEqual(['terraform_data.worker[0]']);
  });
});
