/**
 * remove-workers on an Exoscale cluster removes exactly the machine it drained (infra review B2).
 * init --provider exoscale runs the real terraform on the fleet module (test/fixtures/terraform/
 * fleet), whose workers are terraform_data.worker[i] as the Exoscale module's are
 * exoscale_compute_instance.worker[i]; no Exoscale API is contacted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Fleet } from '../../fleet/fleet.js';
import { hasCommand, missingRequirement } from '../../helpers/require-tool.js';
import { runCli } from '../../helpers/fake-io.js';
import { failureText, preparedFleetOf, fleetSkipReason, nodesSeenBy, tempDir } from './cluster-helpers.js';
import { DEFAULT_KUBERNETES_VERSION } from '../../../src/kube/versions.js';

const skip = fleetSkipReason() ?? missingRequirement(hasCommand('terraform'), 'terraform is not on PATH');
const FAKE_EXOSCALE = { EXOSCALE_API_KEY: 'EXOfakefleetkey000000000', EXOSCALE_API_SECRET: 'fake-exoscale-secret-for-the-fleet-0123' };

describe.skipIf(skip)('remove-workers on an Exoscale cluster (fleet-backed Terraform module)', () => {
  let fleet: Fleet;
  let cwd: string;
  let dir: string;
  let moduleDir: string;
  const env = () => ({ ...FAKE_EXOSCALE, K8SB_TERRAFORM_MODULE_DIR: moduleDir, PATH: process.env.PATH });
  const workersInState = () =>
    execFileSync('terraform', [`-chdir=${join(dir, 'terraform')}`, 'state', 'list'], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.startsWith('terraform_data.worker'));
  const inventoryWorkers = () => (JSON.parse(readFileSync(join(dir, 'inventory.json'), 'utf8')) as { workers: Array<{ name: string }> }).workers.map((w) => w.name);

  beforeAll(async () => {
    // Cloud machines boot from the Packer-built image: prepared, as there.
    fleet = await preparedFleetOf(1, 2, DEFAULT_KUBERNETES_VERSION);
    cwd = tempDir('e2e-exoscale-remove');
    dir = join(cwd, 'cluster');
    moduleDir = join(cwd, 'module');
    cpSync(resolve(import.meta.dirname, '../../fixtures/terraform/fleet'), moduleDir, { recursive: true });
    const pick = (role: string) => fleet.nodes.filter((n) => n.role === role).map((n) => ({ name: n.name, address: n.address }));
    writeFileSync(join(moduleDir, 'fleet.auto.tfvars.json'), JSON.stringify({ fleet_control_planes: pick('control-plane'), fleet_workers: pick('worker') }));
    const init = await runCli(
      [
        '--dir', dir, '--output', 'plain', '--yes', 'init', '--name', 'exo', '--provider', 'exoscale', '--zone', 'de-fra-1',
        '--admin-cidr', '203.0.113.0/24', '--node-cidr', `127.0.${fleet.id}.0/24`, '--workers', '2',
        '--image-id', 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6', '--ssh-user', fleet.sshUser, '--ssh-key', fleet.privateKeyPath, '--cni', 'calico',
      ],
      { cwd, env: env() },
    );
    if (init.code !== 0) throw new Error(`init failed: ${failureText(init)}`);
  }, 300_000);

  afterAll(() => fleet?.stop());

  it('refuses to remove a worker that is not the newest (Terraform shrinks from the highest index): exit 2, nothing drained or destroyed', async () => {
    const before = fleet.allCommands().length;
    const run = await runCli(['--dir', dir, '--output', 'plain', '--yes', 'remove-workers', '--node', 'worker-1'], { cwd, env: env() });
    expect(run.code, failureText(run)).toBe(2);
    expect(run.stderr).toMatch(/can only remove the newest workers \(worker-2\); worker-1 is not among them/);
    expect(fleet.allCommands().length).toBe(before);
    expect(workersInState()).toEqual(['terraform_data.worker[0]', 'terraform_data.worker[1]']);
  });

  it('--node worker-2 drains and resets worker-2 and destroys exactly its machine; worker-1 is untouched', async () => {
    const worker1Before = fleet.commandsOn('worker-1').length;
    const run = await runCli(['--dir', dir, '--output', 'plain', '--yes', 'remove-workers', '--node', 'worker-2'], { cwd, env: env() });
    expect(run.code, failureText(run)).toBe(0);
    expect(fleet.toolCallsOn('worker-2').filter((c) => c.startsWith('kubeadm reset'))).toHaveLength(1);
    expect(fleet.commandsOn('worker-1').length).toBe(worker1Before);
    expect(workersInState()).toEqual(['terraform_data.worker[0]']);
    expect(inventoryWorkers()).toEqual(['worker-1']);
    const nodes = await nodesSeenBy(fleet);
    expect(nodes.map((n) => n.name).sort()).toEqual(['cp-1', 'worker-1']);
    expect(nodes.every((n) => n.ready)).toBe(true);
  });
});
