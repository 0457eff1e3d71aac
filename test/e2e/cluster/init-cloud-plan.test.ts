/**
 * init applies no Terraform plan that deletes or replaces what exists, unless --allow-destroy
 * (security review finding 8). Real terraform on the fleet-backed module: a first init whose apply
 * fails after the machines exist (a provisioner gate, as a quota error would leave it); then the
 * module changes under the same cluster.yaml (a release that forces new instances). The next
 * init's plan replaces every machine: shown, refused, nothing applied; with --allow-destroy it goes
 * ahead. Replacing the tainted half-created object alone is not a destroy: that run resumes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Fleet } from '../../fleet/fleet.js';
import { hasCommand, missingRequirement } from '../../helpers/require-tool.js';
import { runCli } from '../../helpers/fake-io.js';
import { failureText, fleetSkipReason, preparedFleetOf, tempDir } from './cluster-helpers.js';

const skip = fleetSkipReason() ?? missingRequirement(hasCommand('terraform'), 'terraform is not on PATH');
const FAKE_AWS = { AWS_ACCESS_KEY_ID: 'AKIAFAKEPLANREVIEW01', AWS_SECRET_ACCESS_KEY: 'fake-secret-for-the-plan-review-0123456789' };
const VERSION = '1.36.2';

describe.skipIf(skip)('init refuses a Terraform plan that destroys, unless --allow-destroy', () => {
  let fleet: Fleet;
  let cwd: string;
  let dir: string;
  let moduleDir: string;
  let gate: string;

  const init = (workers: number, extra: string[] = []) =>
    runCli(
      [
        '--dir', dir, '--output', 'plain', '--yes', 'init', '--name', 'planned', '--provider', 'aws', '--region', 'eu-west-1',
        '--admin-cidr', '203.0.113.0/24', '--node-cidr', `127.0.${fleet.id}.0/24`, '--workers', String(workers), '--kubernetes-version', VERSION,
        '--image-id', 'ami-0fleet0000000000', '--ssh-user', fleet.sshUser, '--ssh-key', fleet.privateKeyPath, '--cni', 'flannel', ...extra,
      ],
      { cwd, env: { ...FAKE_AWS, K8SB_TERRAFORM_MODULE_DIR: moduleDir, PATH: process.env.PATH } },
    );
  const tfstate = () => readFileSync(join(dir, 'terraform', 'terraform.tfstate'), 'utf8');

  beforeAll(async () => {
    fleet = await preparedFleetOf(1, 2, VERSION);
    cwd = tempDir('e2e-plan-review');
    dir = join(cwd, 'cluster');
    moduleDir = join(cwd, 'module');
    gate = join(cwd, 'apply-may-finish');
    cpSync(resolve(import.meta.dirname, '../../fixtures/terraform/fleet'), moduleDir, { recursive: true });
    writeVars('');
  }, 60_000);

  function writeVars(generation: string): void {
    const pick = (role: string) => fleet.nodes.filter((n) => n.role === role).map((n) => ({ name: n.name, address: n.address }));
    writeFileSync(join(moduleDir, 'fleet.auto.tfvars.json'), JSON.stringify({ fleet_control_planes: pick('control-plane'), fleet_workers: pick('worker'), apply_gate: gate, machine_generation: generation }));
  }

  afterAll(() => fleet?.stop());

  it('a first apply that fails after creating the machines leaves them in the state', async () => {
    const first = await init(2);
    expect(first.code, failureText(first)).toBe(1);
    expect(first.stderr).toContain('terraform apply failed');
    expect(tfstate()).toContain('"index_key": 1');
    expect(fleet.allCommands()).toEqual([]);
  }, 120_000);

  it('a module that now replaces the machines: the plan is shown and refused, nothing applied', async () => {
    writeFileSync(gate, '');
    writeVars('2');
    const before = tfstate();
    const refused = await init(2);
    expect(refused.code, failureText(refused)).toBe(1);
    expect(refused.stderr).toContain('The Terraform plan would replace terraform_data.control_plane["1"], replace terraform_data.worker[0], replace terraform_data.worker[1]. Nothing was applied.');
    // The tainted gate's replace (finishing the failed create) is listed in the plan, not refused.
    expect(refused.stderr).toMatch(/replace\s+terraform_data\.apply_gate\[0\] \(tainted\)/);
    expect(refused.stderr).toContain('run init again with --allow-destroy');
    expect(tfstate()).toBe(before);
    expect(fleet.allCommands()).toEqual([]);
  }, 120_000);

  it('with --allow-destroy the same plan is applied and the cluster is built', async () => {
    const allowed = await init(2, ['--allow-destroy']);
    expect(allowed.code, failureText(allowed)).toBe(0);
    const inventory = JSON.parse(readFileSync(join(dir, 'inventory.json'), 'utf8')) as { workers: Array<{ name: string }> };
    expect(inventory.workers.map((w) => w.name)).toEqual(['worker-1', 'worker-2']);
  }, 300_000);
});
