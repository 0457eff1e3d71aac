/**
 * A dead control plane of three on a cloud: init --provider aws --control-planes 3 runs the real
 * terraform on the fleet-backed module (control planes keyed by their number N, as every built-in
 * module has them), then cp-2's machine dies (Fleet.kill). remove-control-plane cp-2 removes its
 * etcd member from a healthy one, deletes the Node and has Terraform destroy that one machine
 * (plan reviewed: only control_plane["2"] may go), cluster.yaml keeps controlPlane.numbers [1, 3].
 * add-control-plane then has Terraform make machine 2 again (the lowest free number; the fixture
 * maps it to the spare fleet node cp-4) and joins it: 3 etcd members, every node Ready. Last, the
 * first control plane (number 1, the kubeadm init node) goes while alive, and add-control-plane
 * makes number 1 again under the same name cp-1 on a new machine (the spare cp-5), as a cloud
 * reuses the name: it is joined (nothing of the old cp-1's checkpoints counts), through a member
 * that is already joined.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Fleet } from '../../fleet/fleet.js';
import { hasCommand, missingRequirement } from '../../helpers/require-tool.js';
import { runCli } from '../../helpers/fake-io.js';
import { DEFAULT_KUBERNETES_VERSION } from '../../../src/kube/versions.js';
import { failureText, fleetSkipReason, nodesSeenBy, preparedFleetOf, tempDir } from './cluster-helpers.js';

const skip = fleetSkipReason() ?? missingRequirement(hasCommand('terraform'), 'terraform is not on PATH');
const FAKE_AWS = { AWS_ACCESS_KEY_ID: 'AKIAFAKEFLEETKEY0002', AWS_SECRET_ACCESS_KEY: 'fake-secret-for-the-fleet-test-9876543210' };

describe.skipIf(skip)('remove-control-plane and add-control-plane on a cloud (Terraform machines by number)', () => {
  let fleet: Fleet;
  let cwd: string;
  let dir: string;
  let moduleDir: string;
  const env = () => ({ ...FAKE_AWS, K8SB_TERRAFORM_MODULE_DIR: moduleDir, PATH: process.env.PATH, HOME: cwd });
  const run = (args: string[]) => runCli(['--dir', dir, '--output', 'plain', '--yes', ...args], { cwd, env: env() });
  const members = () => (fleet.api().etcd?.members ?? []).map((m) => m.name).sort();
  // A machine of the fleet; `as` gives it another Node name (a cloud's <name>-cp-N on a new machine).
  const machines = (spec: string) => {
    const [machine, as] = spec.split(' as ');
    return fleet.nodes.filter((n) => n.name === machine).map((n) => ({ name: as ?? n.name, address: n.address }))[0]!;
  };
  const writeMachines = (controlPlanes: string[], extra: Record<string, string> = {}) =>
    // The API endpoint stays where it was, as a cloud's load balancer does.
    writeFileSync(join(moduleDir, 'fleet.auto.tfvars.json'), JSON.stringify({ fleet_control_planes: controlPlanes.map(machines), fleet_workers: [machines('worker-1')], fleet_api_address: fleet.node('cp-1').address, ...extra }));
  const stateList = () => execFileSync('terraform', [`-chdir=${join(dir, 'terraform')}`, 'state', 'list'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes('control_plane'));
  const spec = () => parse(readFileSync(join(dir, 'cluster.yaml'), 'utf8')) as { controlPlane: { count: number; numbers?: number[] } };
  const inventoryNames = () => (JSON.parse(readFileSync(join(dir, 'inventory.json'), 'utf8')) as { control_plane: Array<{ name: string }> }).control_plane.map((n) => n.name);
  const lastLog = (command: string) => {
    const log = readdirSync(join(dir, 'logs')).sort().filter((f) => f.endsWith(`-${command}.log`)).pop()!;
    return readFileSync(join(dir, 'logs', log), 'utf8');
  };

  beforeAll(async () => {
    // Cloud machines boot from the Packer-built image: prepared, as there. cp-4 and cp-5 are spares.
    fleet = await preparedFleetOf(5, 1, DEFAULT_KUBERNETES_VERSION);
    cwd = tempDir('e2e-cloud-cp');
    dir = join(cwd, 'cluster');
    moduleDir = join(cwd, 'module');
    cpSync(resolve(import.meta.dirname, '../../fixtures/terraform/fleet'), moduleDir, { recursive: true });
    writeMachines(['cp-1', 'cp-2', 'cp-3']);
    const init = await runCli(
      [
        '--dir', dir, '--output', 'plain', '--yes', 'init', '--name', 'cloud', '--provider', 'aws', '--region', 'eu-west-1',
        '--admin-cidr', '203.0.113.0/24', '--node-cidr', `127.0.${fleet.id}.0/24`, '--control-planes', '3', '--workers', '1',
        '--image-id', 'ami-0fleet0000000000', '--ssh-user', fleet.sshUser, '--ssh-key', fleet.privateKeyPath, '--cni', 'flannel',
      ],
      { cwd, env: env() },
    );
    expect(init.code, failureText(init)).toBe(0);
    expect(members()).toEqual(['cp-1', 'cp-2', 'cp-3']);
    expect(stateList()).toEqual(['terraform_data.control_plane["1"]', 'terraform_data.control_plane["2"]', 'terraform_data.control_plane["3"]']);
    fleet.kill('cp-2');
  }, 420_000);

  afterAll(() => fleet?.stop());

  it('refuses before anything changes when Terraform would do more than destroy that machine', async () => {
    // A module change that replaces every machine: the plan is reviewed before the etcd member goes.
    writeMachines(['cp-1', 'cp-2', 'cp-3'], { machine_generation: 'v2' });
    const yaml = readFileSync(join(dir, 'cluster.yaml'), 'utf8');
    const refused = await run(['remove-control-plane', 'cp-2', '--ssh-timeout', '3s']);
    writeMachines(['cp-1', 'cp-2', 'cp-3']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('The Terraform plan would do more than remove-control-plane may');
    expect(refused.stderr).toContain('The control plane is untouched');
    expect(members()).toEqual(['cp-1', 'cp-2', 'cp-3']);
    expect(fleet.api().history.filter((h) => h.op === 'etcd-member-remove')).toEqual([]);
    expect(readFileSync(join(dir, 'cluster.yaml'), 'utf8')).toBe(yaml);
    expect(stateList()).toHaveLength(3);
  }, 240_000);

  describe('remove-control-plane cp-2 (dead)', () => {
    let removal: Awaited<ReturnType<typeof runCli>>;
    beforeAll(async () => {
      removal = await run(['remove-control-plane', 'cp-2', '--ssh-timeout', '3s']);
    }, 240_000);

    it('succeeds and keeps etcd at two healthy members, removed from a healthy one', () => {
      expect(removal.code, failureText(removal)).toBe(0);
      expect(members()).toEqual(['cp-1', 'cp-3']);
      const removed = fleet.api().history.filter((h) => h.op === 'etcd-member-remove');
      expect(removed.map((h) => (h.detail as { name: string }).name)).toEqual(['cp-2']);
    });

    it('has Terraform destroy only that machine, after a plan that destroys nothing else', () => {
      expect(lastLog('remove-control-plane')).toMatch(/\[Infrastructure\].*plan: 0 to add, 0 to change, 1 to destroy/);
      expect(stateList()).toEqual(['terraform_data.control_plane["1"]', 'terraform_data.control_plane["3"]']);
    });

    it('records the machines left in cluster.yaml (numbers) and inventory.json; the nodes left are Ready', async () => {
      expect(spec().controlPlane).toMatchObject({ count: 2, numbers: [1, 3] });
      expect(inventoryNames()).toEqual(['cp-1', 'cp-3']);
      const nodes = await nodesSeenBy(fleet);
      expect(nodes.map((n) => n.name).sort()).toEqual(['cp-1', 'cp-3', 'worker-1']);
      expect(nodes.every((n) => n.ready)).toBe(true);
    });

    it('a second run has nothing to do', async () => {
      const again = await run(['remove-control-plane', 'cp-2']);
      expect(again.code, failureText(again)).toBe(0);
      expect(again.stdout).toMatch(/not a control plane of cluster cloud \(already removed\?\): nothing to do/);
    });
  });

  describe('add-control-plane (machine 2 again, on the spare node)', () => {
    let addition: Awaited<ReturnType<typeof runCli>>;
    beforeAll(async () => {
      // The fixture's machine N is fleet_control_planes[N-1]: number 2 now comes up as cp-4.
      writeMachines(['cp-1', 'cp-4', 'cp-3']);
      addition = await run(['add-control-plane']);
    }, 300_000);

    it('has Terraform make one machine (only an addition), then joins it as a control plane', async () => {
      expect(addition.code, failureText(addition)).toBe(0);
      expect(lastLog('add-control-plane')).toMatch(/\[Infrastructure\].*plan: 1 to add, 0 to change, 0 to destroy/);
      expect(stateList()).toEqual(['terraform_data.control_plane["1"]', 'terraform_data.control_plane["2"]', 'terraform_data.control_plane["3"]']);
      expect(fleet.toolCallsOn('cp-4').filter((c) => c.startsWith('kubeadm join'))).toHaveLength(1);
      expect(members()).toEqual(['cp-1', 'cp-3', 'cp-4']);
    });

    it('ends with three control planes in cluster.yaml and every node Ready', async () => {
      expect(spec().controlPlane).toMatchObject({ count: 3, numbers: [1, 2, 3] });
      expect(inventoryNames()).toEqual(['cp-1', 'cp-4', 'cp-3']);
      const nodes = await nodesSeenBy(fleet);
      expect(nodes.map((n) => n.name).sort()).toEqual(['cp-1', 'cp-3', 'cp-4', 'worker-1']);
      expect(nodes.every((n) => n.ready)).toBe(true);
    });
  });

  describe('the first control plane goes, and its number comes back on a new machine', () => {
    it('remove-control-plane cp-1 (alive): reset, its machine destroyed, cp-4 (number 2) first', async () => {
      const removal = await run(['remove-control-plane', 'cp-1']);
      expect(removal.code, failureText(removal)).toBe(0);
      expect(fleet.toolCallsOn('cp-1').filter((c) => c.startsWith('kubeadm reset'))).toHaveLength(1);
      expect(stateList()).toEqual(['terraform_data.control_plane["2"]', 'terraform_data.control_plane["3"]']);
      expect(spec().controlPlane).toMatchObject({ count: 2, numbers: [2, 3] });
      expect(inventoryNames()).toEqual(['cp-4', 'cp-3']);
      expect(members()).toEqual(['cp-3', 'cp-4']);
    }, 240_000);

    it('add-control-plane makes number 1 again, named cp-1 on the spare machine, and joins it', async () => {
      writeMachines(['cp-5 as cp-1', 'cp-4', 'cp-3']);
      const addition = await run(['add-control-plane']);
      expect(addition.code, failureText(addition)).toBe(0);
      // The new machine joined as a control plane (kubeadm init never ran there); the join material came from a member.
      expect(fleet.toolCallsOn('cp-5').filter((c) => c.startsWith('kubeadm join'))).toHaveLength(1);
      expect(fleet.toolCallsOn('cp-5').some((c) => c.startsWith('kubeadm init') || c.startsWith('kubeadm token'))).toBe(false);
      expect(members()).toEqual(['cp-1', 'cp-3', 'cp-4']);
      expect(inventoryNames()).toEqual(['cp-1', 'cp-4', 'cp-3']);
      // Seen from the new cp-1's machine (the old one was reset).
      const nodes = await nodesSeenBy(fleet, 'cp-5');
      expect(nodes.map((n) => n.name).sort()).toEqual(['cp-1', 'cp-3', 'cp-4', 'worker-1']);
      expect(nodes.every((n) => n.ready)).toBe(true);
    }, 300_000);
  });
});
