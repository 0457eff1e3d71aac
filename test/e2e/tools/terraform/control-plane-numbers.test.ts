/**
 * Control planes keyed by node number (templates/terraform/shared/control-plane-numbers.tf): every
 * module makes one object per N of <cluster>-cp-N with for_each, so remove-control-plane can take
 * any one away and add-control-plane can reuse a free number; moved blocks carry the count-era
 * state (index i) over to key "i+1" without a destroy.
 *
 * - AWS, with the real provider, offline: what numbers [1, 3] plan, every refusal of a bad list,
 *   and a hand-written count-era state that plans moves and in-place updates only.
 * - The fleet fixture (terraform_data, applied for real): a state from the count era plans moves
 *   only; dropping number 2 destroys cp-2 alone; the fake fixture's addresses follow the number.
 * - Every module as text: no per-control-plane resource is counted, each has moved blocks 0..4.
 * - Exoscale: the static address of cp-N evaluated by terraform console.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { copyFile, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { awsAdapter } from '../../../../src/providers/aws.js';
import { runTool } from '../../../../src/tools/subprocess.js';
import { parseHcl, type HclBlock } from '../../../helpers/hcl-reader.js';
import { hasCommand, missingRequirement } from '../../../helpers/require-tool.js';
import { awsPluginDir, MODULES, REPO, spec, tempDir } from '../../../helpers/terraform.js';

const env = { TF_IN_AUTOMATION: '1', TF_INPUT: '0', CHECKPOINT_DISABLE: '1' };
const FIXTURES = join(REPO, 'test', 'fixtures', 'terraform');
const MODULE_NAMES = ['aws', 'openstack', 'exoscale'] as const;

async function tf(dir: string, ...args: string[]) {
  return runTool('terraform', [`-chdir=${dir}`, ...args], { env, allowFailure: true });
}

interface ResourceChange {
  address: string;
  previous_address?: string;
  type: string;
  change: { actions: string[] };
}

interface PlannedResource {
  address: string;
  type: string;
  values: Record<string, unknown>;
}

interface PlanJson {
  planned_values: { root_module: { resources?: PlannedResource[] } };
  resource_changes?: ResourceChange[];
  output_changes?: Record<string, { after?: unknown }>;
}

async function showPlan(dir: string, file: string): Promise<PlanJson> {
  const show = await tf(dir, 'show', '-json', file);
  expect(show.exitCode, show.stderr).toBe(0);
  return JSON.parse(show.stdout) as PlanJson;
}

// ---------------------------------------------------------------------------------------------
// The modules as text.

interface ModuleResource {
  address: string;
  block: HclBlock;
  repetition: 'count' | 'for_each' | undefined;
  repetitionExpression: string;
  text: string;
}

interface ModuleShape {
  resources: ModuleResource[];
  moved: Array<{ from: string; to: string; file: string }>;
}

/** Resources (with their text) and moved blocks of the given files. */
function shapeOf(files: Array<[name: string, text: string]>): ModuleShape {
  const shape: ModuleShape = { resources: [], moved: [] };
  for (const [file, text] of files) {
    const lines = text.split('\n');
    const blocks = parseHcl(text, file).blocks;
    blocks.forEach((block, i) => {
      const attribute = (name: string) => block.attributes.find((a) => a.name === name);
      if (block.type === 'resource' && block.labels.length === 2) {
        const count = attribute('count');
        const forEach = attribute('for_each');
        const end = blocks[i + 1]?.line ?? lines.length + 1;
        shape.resources.push({
          address: `${block.labels[0]}.${block.labels[1]}`,
          block,
          repetition: count ? 'count' : forEach ? 'for_each' : undefined,
          repetitionExpression: (count ?? forEach)?.expression ?? '',
          text: lines.slice(block.line - 1, end - 1).join('\n'),
        });
      }
      if (block.type === 'moved') shape.moved.push({ from: (attribute('from')?.expression ?? '').trim(), to: (attribute('to')?.expression ?? '').trim(), file });
    });
  }
  return shape;
}

async function moduleShape(dirs: string[]): Promise<ModuleShape> {
  const files: Array<[string, string]> = [];
  for (const dir of dirs) {
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.tf')).sort()) files.push([file, await readFile(join(dir, file), 'utf8')]);
  }
  return shapeOf(files);
}

/**
 * A resource is per control plane when its repetition follows the control planes, or when it is
 * named after one (-cp-) or indexes another control-plane resource per instance.
 */
function perControlPlane(resource: ModuleResource): boolean {
  if (/control_plane_(count|numbers|keys)/.test(resource.repetitionExpression)) return true;
  const body = resource.text.replace(/^\s*#.*$/gm, '');
  return resource.repetition !== undefined && (/-cp-/.test(body) || /\.control_plane\[(count\.index|each\.key)\]/.test(body));
}

/** What is wrong with the module's control planes: counted ones, or ones without all five moves. */
function controlPlaneProblems(shape: ModuleShape): string[] {
  const problems: string[] = [];
  for (const resource of shape.resources.filter(perControlPlane)) {
    if (resource.repetition !== 'for_each') problems.push(`${resource.address} is not for_each`);
    else if (!/\blocal\.control_plane_keys\b/.test(resource.repetitionExpression)) problems.push(`${resource.address} is not keyed by local.control_plane_keys`);
    for (let i = 0; i < 5; i++) {
      const move = shape.moved.find((m) => m.from === `${resource.address}[${i}]`);
      if (!move) problems.push(`${resource.address}[${i}] has no moved block`);
      else if (move.to !== `${resource.address}["${i + 1}"]`) problems.push(`${resource.address}[${i}] moves to ${move.to}`);
    }
    if (/count\.index/.test(resource.text.replace(/^\s*#.*$/gm, ''))) problems.push(`${resource.address} still uses count.index`);
  }
  // A move must land on a per-control-plane resource of the module.
  for (const move of shape.moved) {
    const target = /^([a-z0-9_]+\.[a-z0-9_]+)\["([1-5])"\]$/.exec(move.to);
    if (!target || !shape.resources.some((r) => r.address === target[1] && perControlPlane(r))) problems.push(`moved block to ${move.to} has no control-plane resource`);
  }
  return problems;
}

const EXPECTED_PER_CONTROL_PLANE: Record<(typeof MODULE_NAMES)[number], string[]> = {
  aws: ['aws_instance.control_plane', 'aws_lb_target_group_attachment.api', 'aws_vpc_security_group_ingress_rule.lb_control_plane'],
  openstack: [
    'openstack_compute_instance_v2.control_plane',
    'openstack_lb_member_v2.api',
    'openstack_networking_floatingip_v2.control_plane',
    'openstack_networking_port_v2.control_plane',
    'openstack_networking_secgroup_rule_v2.api_fip_control_plane',
  ],
  exoscale: ['exoscale_compute_instance.control_plane'],
};

describe.each(MODULE_NAMES)('module %s: control planes keyed by number', (name) => {
  const dirs = [join(MODULES, name), join(MODULES, 'shared')];

  it('has exactly the expected per-control-plane resources, every one for_each over local.control_plane_keys with moved blocks from [0]..[4] to ["1"]..["5"]', async () => {
    const shape = await moduleShape(dirs);
    expect(shape.resources.filter(perControlPlane).map((r) => r.address).sort()).toEqual(EXPECTED_PER_CONTROL_PLANE[name]);
    expect(controlPlaneProblems(shape)).toEqual([]);
    // Every move is in moved-control-planes.tf, once.
    expect(new Set(shape.moved.map((m) => m.file))).toEqual(new Set(['moved-control-planes.tf']));
    expect(shape.moved).toHaveLength(5 * EXPECTED_PER_CONTROL_PLANE[name].length);
    expect(new Set(shape.moved.map((m) => m.from)).size).toBe(shape.moved.length);
  });

  it('names control planes <cluster>-cp-<key> and no longer reads control_plane_count outside the shared locals', async () => {
    const shape = await moduleShape([join(MODULES, name)]);
    const texts = shape.resources.map((r) => r.text.replace(/^\s*#.*$/gm, '')).join('\n');
    expect(texts).not.toMatch(/-cp-\$\{count\.index/);
    expect(texts).toMatch(/"\$\{var\.cluster_name\}-cp-\$\{each\.key\}"/);
    const files = (await readdir(join(MODULES, name))).filter((f) => f.endsWith('.tf'));
    for (const file of files) {
      const code = (await readFile(join(MODULES, name, file), 'utf8')).replace(/^\s*#.*$/gm, '');
      expect({ file, uses: /var\.control_plane_count/.test(code) }).toEqual({ file, uses: false });
    }
  });

  it('outputs control_plane in ascending order of the numbers and checks that the list fits the count', async () => {
    const outputs = readFileSync(join(MODULES, name, 'outputs.tf'), 'utf8');
    const block = outputs.slice(outputs.indexOf('output "control_plane"'), outputs.indexOf('output "workers"'));
    expect(block).toMatch(/for n in local\.control_plane_numbers/);
    expect(block).toMatch(/precondition \{\s+condition\s+= local\.control_plane_numbers_fit\s+error_message = local\.control_plane_numbers_error/);
  });
});

describe('the control-plane check itself', () => {
  const check = (text: string) => controlPlaneProblems(shapeOf([['main.tf', text]]));

  it('finds a counted control plane, a missing move and a move to the wrong key', () => {
    const counted = check('resource "x_instance" "control_plane" {\n  count = var.control_plane_count\n  name  = "${var.cluster_name}-cp-${count.index + 1}"\n}\n');
    expect(counted).toEqual(expect.arrayContaining(['x_instance.control_plane is not for_each', 'x_instance.control_plane[0] has no moved block', 'x_instance.control_plane still uses count.index']));
    const moves = [0, 1, 2, 3, 4].map((i) => `moved {\n  from = x_instance.control_plane[${i}]\n  to   = x_instance.control_plane["${i === 3 ? 3 : i + 1}"]\n}\n`).join('');
    const keyed = check(`resource "x_instance" "control_plane" {\n  for_each = local.control_plane_keys\n  name     = "\${var.cluster_name}-cp-\${each.key}"\n}\n${moves}`);
    expect(keyed).toEqual(['x_instance.control_plane[3] moves to x_instance.control_plane["3"]']);
    // A rule per control plane found through its reference, not its name.
    const rule = check('resource "x_rule" "lb" {\n  count = 3\n  cidr  = x_instance.control_plane[count.index].ip\n}\n');
    expect(rule).toContain('x_rule.lb is not for_each');
  });
});

// ---------------------------------------------------------------------------------------------
// Terraform: fmt, validate, the fixtures, the Exoscale address plan.

const noTerraform = missingRequirement(hasCommand('terraform'), 'terraform is not on PATH: control-plane numbers are not planned');

describe.skipIf(noTerraform)('fmt and validate', () => {
  it('finds the modules and the fixtures fmt-clean', async () => {
    for (const dir of [MODULES, join(FIXTURES, 'fleet'), join(FIXTURES, 'fleet-slow'), join(FIXTURES, 'fake')]) {
      const result = await runTool('terraform', ['fmt', '-check', '-recursive', '-diff', dir], { allowFailure: true });
      expect(result.stdout, dir).toBe('');
      expect(result.exitCode, dir).toBe(0);
    }
  });

  it.each(['fleet', 'fleet-slow', 'fake'])('the %s fixture validates', async (fixture) => {
    const dir = await tempDir(`cpn-validate-${fixture}`);
    await copyFile(join(FIXTURES, fixture, 'main.tf'), join(dir, 'main.tf'));
    const init = await tf(dir, 'init', '-input=false', '-no-color', '-backend=false');
    expect(init.exitCode, init.stderr).toBe(0);
    const result = await tf(dir, 'validate', '-no-color');
    expect(result.exitCode, result.stderr).toBe(0);
  }, 60_000);
});

/** Evaluates an expression with terraform console in a folder holding the given files. */
function consoleEval(files: Record<string, string>, vars: Record<string, unknown>, expression: string): unknown {
  const dir = mkdtempSync(join(tmpdir(), 'k8sb-cpn-console-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  writeFileSync(join(dir, 'terraform.tfvars.json'), JSON.stringify(vars));
  const out = execFileSync('terraform', ['console'], { cwd: dir, input: `base64encode(jsonencode(${expression}))\n`, encoding: 'utf8', env: { ...process.env, ...env } });
  return JSON.parse(Buffer.from(JSON.parse(out.trim()) as string, 'base64').toString('utf8'));
}

const COMMON_VARS = { cluster_name: 'demo', admin_cidrs: ['192.0.2.0/24'], image_id: 'tmpl', ssh_public_key: 'ssh-ed25519 AAAA', control_plane_type: 'standard.medium', worker_type: 'standard.large', node_cidr: '10.240.0.0/16', worker_count: 2 };

describe.skipIf(noTerraform)('the shared locals and the Exoscale address plan, evaluated by terraform', () => {
  const files = () => ({
    'addresses.tf': readFileSync(join(MODULES, 'exoscale', 'addresses.tf'), 'utf8'),
    'common-variables.tf': readFileSync(join(MODULES, 'shared', 'common-variables.tf'), 'utf8'),
    'control-plane-numbers.tf': readFileSync(join(MODULES, 'shared', 'control-plane-numbers.tf'), 'utf8'),
  });
  type Evaluated = { numbers: number[]; keys: string[]; ips: Record<string, string>; fit: boolean };
  const evaluate = (vars: Record<string, unknown>) =>
    consoleEval(files(), { ...COMMON_VARS, ...vars }, '{ numbers = local.control_plane_numbers, keys = local.control_plane_keys, ips = local.control_plane_private_ips, fit = local.control_plane_numbers_fit }') as Evaluated;

  it('null numbers mean 1..control_plane_count', () => {
    expect(evaluate({ control_plane_count: 3 })).toEqual({ numbers: [1, 2, 3], keys: ['1', '2', '3'], ips: { 1: '10.240.0.10', 2: '10.240.0.11', 3: '10.240.0.12' }, fit: true });
  });

  it('cp-N gets host first_control_plane_host + N - 1, whatever other numbers exist', () => {
    const plan = evaluate({ control_plane_count: 3, control_plane_numbers: [5, 1, 3] });
    // Ascending by value, the order of the control_plane output.
    expect(plan.numbers).toEqual([1, 3, 5]);
    expect(plan.ips).toEqual({ 1: '10.240.0.10', 3: '10.240.0.12', 5: '10.240.0.14' });
    const first = consoleEval(files(), { ...COMMON_VARS, control_plane_count: 1 }, 'local.first_control_plane_host') as number;
    for (const n of [1, 2, 3, 4, 5]) {
      const one = evaluate({ control_plane_count: 1, control_plane_numbers: [n] });
      expect(one.ips).toEqual({ [String(n)]: `10.240.0.${first + n - 1}` });
    }
  });

  it('reports a list that does not fit the count (the output precondition reads it)', () => {
    expect(evaluate({ control_plane_count: 3, control_plane_numbers: [1, 2] }).fit).toBe(false);
  });

  it('network.tf refuses numbers past 5 from the numbers, not the count', async () => {
    const network = readFileSync(join(MODULES, 'exoscale', 'network.tf'), 'utf8');
    expect(network).toMatch(/alltrue\(\[for n in local\.control_plane_numbers : n <= 5\]\)/);
    expect(network).not.toMatch(/var\.control_plane_count/);
  });
});

// ---------------------------------------------------------------------------------------------
// The fleet fixture, applied: a count-era state plans moves only, and one number can go.

/** The control planes of the fleet fixture as they were before they were keyed by number. */
const COUNT_ERA_CONTROL_PLANE = `resource "terraform_data" "control_plane" {
  count            = var.control_plane_count
  triggers_replace = var.machine_generation
  input = {
    name              = var.fleet_control_planes[count.index].name
    public_ip         = var.fleet_control_planes[count.index].address
    private_ip        = var.fleet_control_planes[count.index].address
    instance_id       = "i-\${substr(sha1(var.fleet_control_planes[count.index].name), 0, 17)}"
    availability_zone = "\${var.fleet_region}\${["a", "b", "c"][count.index % 3]}"
  }
}`;

function countEraFleet(current: string): string {
  const start = current.indexOf('resource "terraform_data" "control_plane" {');
  const end = current.indexOf('\n}\n', start) + 2;
  expect(start).toBeGreaterThan(0);
  return (current.slice(0, start) + COUNT_ERA_CONTROL_PLANE + current.slice(end))
    .replace(/\nmoved \{[^}]*\}\n/g, '\n')
    .replace(/value = \[for n in local\.control_plane_numbers : terraform_data\.control_plane\[tostring\(n\)\]\.output\]/, 'value = terraform_data.control_plane[*].output');
}

const fleetMachines = (names: string[]) => names.map((name, i) => ({ name, address: `192.0.2.${10 + i}` }));

describe.skipIf(noTerraform)('the fleet fixture keyed by number', () => {
  const vars = (extra: Record<string, unknown>) => ({ cluster_name: 'demo', ssh_user: 'ubuntu', worker_count: 1, fleet_workers: fleetMachines(['w1']), ...extra });

  async function fleetDir(text: string, tfvars: Record<string, unknown>): Promise<string> {
    const dir = await tempDir('cpn-fleet');
    await writeFile(join(dir, 'main.tf'), text);
    await writeFile(join(dir, 'fleet.auto.tfvars.json'), JSON.stringify(tfvars));
    const init = await tf(dir, 'init', '-input=false', '-no-color', '-backend=false');
    expect(init.exitCode, init.stderr).toBe(0);
    return dir;
  }

  async function planIn(dir: string, tfvars?: Record<string, unknown>): Promise<PlanJson> {
    if (tfvars) await writeFile(join(dir, 'fleet.auto.tfvars.json'), JSON.stringify(tfvars));
    const plan = await tf(dir, 'plan', '-input=false', '-no-color', '-out=next.tfplan');
    expect(plan.exitCode, plan.stderr).toBe(0);
    return showPlan(dir, 'next.tfplan');
  }

  it('a state made by the count-era fixture plans moves to ["1"]..["3"] and nothing else', async () => {
    const current = readFileSync(join(FIXTURES, 'fleet', 'main.tf'), 'utf8');
    const before = countEraFleet(current);
    expect(before).toMatch(/count\s+= var\.control_plane_count/);
    expect(before).not.toMatch(/moved \{/);
    const tfvars = vars({ control_plane_count: 3, fleet_control_planes: fleetMachines(['cp1', 'cp2', 'cp3']) });
    const dir = await fleetDir(before, tfvars);
    const apply = await tf(dir, 'apply', '-auto-approve', '-input=false', '-no-color');
    expect(apply.exitCode, apply.stderr).toBe(0);
    await writeFile(join(dir, 'main.tf'), current);
    const plan = await planIn(dir);
    const changes = plan.resource_changes ?? [];
    expect(changes.filter((c) => c.change.actions.join() !== 'no-op')).toEqual([]);
    const moved = changes.filter((c) => c.previous_address).map((c) => [c.previous_address, c.address]);
    expect(moved).toEqual([0, 1, 2].map((i) => [`terraform_data.control_plane[${i}]`, `terraform_data.control_plane["${i + 1}"]`]));

    // The same state without the moved blocks would be destroyed and created again (the check can fail).
    const unmoved = await fleetDir(before, tfvars);
    await copyFile(join(dir, 'terraform.tfstate'), join(unmoved, 'terraform.tfstate'));
    await writeFile(join(unmoved, 'main.tf'), current.replace(/\nmoved \{[^}]*\}\n/g, '\n'));
    const replaced = (await planIn(unmoved)).resource_changes ?? [];
    expect(replaced.filter((c) => c.change.actions.includes('delete')).map((c) => c.address).sort()).toEqual([0, 1, 2].map((i) => `terraform_data.control_plane[${i}]`));
  }, 120_000);

  it('dropping number 2 destroys cp-2 alone, and number 2 comes back on the spare machine at fleet_control_planes[1]', async () => {
    const machines = fleetMachines(['cp1', 'cp2', 'cp3']);
    const dir = await fleetDir(readFileSync(join(FIXTURES, 'fleet', 'main.tf'), 'utf8'), vars({ control_plane_count: 3, fleet_control_planes: machines }));
    expect((await tf(dir, 'apply', '-auto-approve', '-input=false', '-no-color')).exitCode).toBe(0);

    const without = await planIn(dir, vars({ control_plane_count: 2, control_plane_numbers: [1, 3], fleet_control_planes: machines }));
    const changed = (without.resource_changes ?? []).filter((c) => c.change.actions.join() !== 'no-op');
    expect(changed.map((c) => [c.address, c.change.actions.join()])).toEqual([['terraform_data.control_plane["2"]', 'delete']]);
    expect((await tf(dir, 'apply', '-auto-approve', '-input=false', '-no-color', 'next.tfplan')).exitCode).toBe(0);
    const after = JSON.parse((await tf(dir, 'output', '-json', 'control_plane')).stdout) as Array<{ name: string }>;
    expect(after.map((n) => n.name)).toEqual(['cp1', 'cp3']);

    const spare = [machines[0]!, { name: 'spare', address: '192.0.2.99' }, machines[2]!];
    const back = await planIn(dir, vars({ control_plane_count: 3, control_plane_numbers: [1, 2, 3], fleet_control_planes: spare }));
    const added = (back.resource_changes ?? []).filter((c) => c.change.actions.join() !== 'no-op');
    expect(added.map((c) => [c.address, c.change.actions.join()])).toEqual([['terraform_data.control_plane["2"]', 'create']]);
    expect((await tf(dir, 'apply', '-auto-approve', '-input=false', '-no-color', 'next.tfplan')).exitCode).toBe(0);
    const output = JSON.parse((await tf(dir, 'output', '-json', 'control_plane')).stdout) as Array<{ name: string; private_ip: string }>;
    expect(output.map((n) => [n.name, n.private_ip])).toEqual([['cp1', '192.0.2.10'], ['spare', '192.0.2.99'], ['cp3', '192.0.2.12']]);
  }, 120_000);

  it('the fake fixture derives the addresses of cp-N from N', async () => {
    const dir = await tempDir('cpn-fake');
    await copyFile(join(FIXTURES, 'fake', 'main.tf'), join(dir, 'main.tf'));
    await writeFile(join(dir, 'terraform.tfvars.json'), JSON.stringify({ control_plane_count: 2, control_plane_numbers: [4, 2], worker_count: 0 }));
    expect((await tf(dir, 'init', '-input=false', '-backend=false')).exitCode).toBe(0);
    const apply = await tf(dir, 'apply', '-auto-approve', '-input=false', '-no-color');
    expect(apply.exitCode, apply.stderr).toBe(0);
    const output = JSON.parse((await tf(dir, 'output', '-json', 'control_plane')).stdout) as unknown;
    expect(output).toEqual([
      { name: 'fake-cp-2', public_ip: '198.51.100.11', private_ip: '10.240.0.11' },
      { name: 'fake-cp-4', public_ip: '198.51.100.13', private_ip: '10.240.0.13' },
    ]);
  }, 60_000);
});

// ---------------------------------------------------------------------------------------------
// AWS with the real provider, offline.

const pluginDir = awsPluginDir();
const noAws = noTerraform ?? missingRequirement(pluginDir !== undefined, 'no AWS provider in K8SB_TF_PLUGIN_DIR or /opt/tf-plugins: AWS control-plane numbers not planned');

const SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOfflineTestKeyOnlyForPlanning000000000000 test';
const ZONES = ['eu-central-1a', 'eu-central-1b', 'eu-central-1c'];
const CONVERTED = ['aws_instance.control_plane', 'aws_lb_target_group_attachment.api', 'aws_vpc_security_group_ingress_rule.lb_control_plane'];

/** The AWS adapter's tfvars, with the count and numbers of the case (numbers undefined: unset). */
function awsVars(controlPlanes: number, numbers: unknown): Record<string, unknown> {
  const cluster = spec({ name: 'aws', region: 'eu-central-1', availabilityZones: ZONES }, { ssh: { adminCidrs: ['203.0.113.0/24'] }, controlPlane: { count: 3 }, workers: { count: 1 } });
  const vars: Record<string, unknown> = { ...awsAdapter.tfvars(cluster, { sshPublicKey: SSH_KEY, imageId: 'ami-0123456789abcdef0' }) };
  vars.control_plane_count = controlPlanes;
  if (numbers === undefined) delete vars.control_plane_numbers;
  else vars.control_plane_numbers = numbers;
  return vars;
}

async function awsModuleDir(prefix: string, withMoves = true): Promise<string> {
  const dir = await tempDir(prefix);
  for (const module of ['shared', 'aws']) {
    for (const file of await readdir(join(MODULES, module))) {
      if (!withMoves && file === 'moved-control-planes.tf') continue;
      await copyFile(join(MODULES, module, file), join(dir, file));
    }
  }
  await copyFile(join(FIXTURES, 'aws-offline-override.tf'), join(dir, 'offline_override.tf'));
  const init = await tf(dir, 'init', '-input=false', '-no-color', '-backend=false', `-plugin-dir=${pluginDir}`);
  expect(init.exitCode, init.stderr).toBe(0);
  return dir;
}

async function awsPlan(dir: string, name: string, vars: Record<string, unknown>, ...extra: string[]) {
  await writeFile(join(dir, `${name}.tfvars.json`), JSON.stringify(vars));
  return tf(dir, 'plan', '-input=false', '-no-color', '-lock=false', `-var-file=${name}.tfvars.json`, `-out=${name}.tfplan`, ...extra);
}

/**
 * A state as a cluster made before this change has it: the control planes, their target-group
 * attachments and load-balancer rules at index 0..2, with what they depend on, so that the plan
 * sees known ids and addresses. Attributes are the ones the plan compares; the rest stay null.
 */
function countEraAwsState(names: { instanceProfile: string; targetGroup: string }): unknown {
  const provider = 'provider["registry.terraform.io/hashicorp/aws"]';
  const tag = { 'kubernetes.io/cluster/demo': 'owned' };
  const targetGroupArn = 'arn:aws:elasticloadbalancing:eu-central-1:000000000000:targetgroup/api/0123456789abcdef';
  const one = (type: string, name: string, attributes: Record<string, unknown>, schema = 0) => ({ mode: 'managed', type, name, provider, instances: [{ schema_version: schema, attributes }] });
  const three = (type: string, name: string, attributes: (i: number) => Record<string, unknown>, schema = 0) => ({
    mode: 'managed',
    type,
    name,
    provider,
    instances: [0, 1, 2].map((i) => ({ index_key: i, schema_version: schema, attributes: attributes(i) })),
  });
  const resources = [
    one('aws_vpc', 'cluster', { id: 'vpc-0offline', cidr_block: '10.240.0.0/16', enable_dns_support: true, enable_dns_hostnames: true, instance_tenancy: 'default', tags: { ...tag, Name: 'demo' } }, 1),
    three('aws_subnet', 'nodes', (i) => ({ id: `subnet-0offline${i}`, vpc_id: 'vpc-0offline', availability_zone: ZONES[i], cidr_block: `10.240.${16 * i}.0/20`, map_public_ip_on_launch: true, ipv6_native: false, tags: { ...tag, Name: `demo-${ZONES[i]}`, 'kubernetes.io/role/elb': '1' } }), 1),
    one('aws_key_pair', 'cluster', { id: 'demo', key_name: 'demo', public_key: SSH_KEY }, 1),
    one('aws_placement_group', 'control_plane', { id: 'demo-control-plane', name: 'demo-control-plane', strategy: 'spread', spread_level: 'rack' }),
    one('aws_security_group', 'nodes', { id: 'sg-0nodes', name: 'demo-nodes', description: 'Every node of demo', vpc_id: 'vpc-0offline', tags: tag, revoke_rules_on_delete: false }, 1),
    one('aws_security_group', 'control_plane', { id: 'sg-0controlplane', name: 'demo-control-plane', description: 'Control planes of demo', vpc_id: 'vpc-0offline', revoke_rules_on_delete: false }, 1),
    one('aws_security_group', 'api_lb', { id: 'sg-0apilb', name: 'demo-api-lb', description: 'API load balancer of demo', vpc_id: 'vpc-0offline', revoke_rules_on_delete: false }, 1),
    one('aws_iam_role', 'control_plane', { id: names.instanceProfile, name: names.instanceProfile, path: '/' }),
    one('aws_iam_instance_profile', 'control_plane', { id: names.instanceProfile, name: names.instanceProfile, role: names.instanceProfile, path: '/' }),
    one('aws_lb_target_group', 'api', { id: targetGroupArn, arn: targetGroupArn, name: names.targetGroup, port: 6443, protocol: 'TCP', vpc_id: 'vpc-0offline', target_type: 'instance' }),
    three('aws_instance', 'control_plane', (i) => ({
      id: `i-0offline00000000${i}`,
      ami: 'ami-0123456789abcdef0',
      instance_type: 't3.medium',
      subnet_id: `subnet-0offline${i}`,
      availability_zone: ZONES[i],
      key_name: 'demo',
      placement_group: 'demo-control-plane',
      iam_instance_profile: names.instanceProfile,
      vpc_security_group_ids: ['sg-0nodes', 'sg-0controlplane'],
      security_groups: [],
      ipv6_addresses: [],
      associate_public_ip_address: true,
      source_dest_check: false,
      root_block_device: [{ encrypted: true, volume_size: 50, volume_type: 'gp3', delete_on_termination: true }],
      metadata_options: [{ http_tokens: 'required', http_put_response_hop_limit: 2, http_endpoint: 'enabled' }],
      public_ip: `198.51.100.${10 + i}`,
      private_ip: `10.240.${16 * i}.10`,
      tags: { ...tag, Name: `demo-cp-${i + 1}`, Role: 'control-plane' },
    }), 1),
    three('aws_lb_target_group_attachment', 'api', (i) => ({ id: `attachment-${i}`, target_group_arn: targetGroupArn, target_id: `i-0offline00000000${i}`, port: 6443 })),
    three('aws_vpc_security_group_ingress_rule', 'lb_control_plane', (i) => ({ id: `sgr-0offline${i}`, security_group_id: 'sg-0apilb', description: `Kubernetes API from demo-cp-${i + 1}`, ip_protocol: 'tcp', from_port: 6443, to_port: 6443, cidr_ipv4: `198.51.100.${10 + i}/32` })),
  ];
  return { version: 4, terraform_version: '1.5.0', serial: 1, lineage: '5f0c8a52-0b1e-4b8e-9d0e-0c0ffee00001', outputs: {}, resources };
}

describe.skipIf(noAws)('AWS module with control_plane_numbers, offline', () => {
  let dir = '';

  beforeAll(async () => {
    dir = await awsModuleDir('cpn-aws');
  }, 120_000);

  it('numbers [1, 3] with count 2 plan exactly cp-1 and cp-3: instances, target-group attachments and LB rules', async () => {
    const plan = await awsPlan(dir, 'one-three', awsVars(2, [1, 3]));
    expect(plan.exitCode, plan.stderr).toBe(0);
    const resources = (await showPlan(dir, 'one-three.tfplan')).planned_values.root_module.resources ?? [];
    const of = (address: string) => resources.filter((r) => r.address.startsWith(`${address}[`)).map((r) => r.address).sort();
    expect(of('aws_instance.control_plane')).toEqual(['aws_instance.control_plane["1"]', 'aws_instance.control_plane["3"]']);
    expect(of('aws_lb_target_group_attachment.api')).toEqual(['aws_lb_target_group_attachment.api["1"]', 'aws_lb_target_group_attachment.api["3"]']);
    expect(of('aws_vpc_security_group_ingress_rule.lb_control_plane')).toEqual(['aws_vpc_security_group_ingress_rule.lb_control_plane["1"]', 'aws_vpc_security_group_ingress_rule.lb_control_plane["3"]']);
    const names = resources.filter((r) => r.type === 'aws_instance' && r.address.startsWith('aws_instance.control_plane')).map((r) => (r.values.tags as Record<string, string>).Name);
    expect(names).toEqual(['demo-cp-1', 'demo-cp-3']);
    expect(resources.filter((r) => r.address.startsWith('aws_instance.worker'))).toHaveLength(1);
  }, 120_000);

  it('without numbers, count 2 plans cp-1 and cp-2 (so the check above can fail)', async () => {
    const plan = await awsPlan(dir, 'default', awsVars(2, undefined));
    expect(plan.exitCode, plan.stderr).toBe(0);
    const resources = (await showPlan(dir, 'default.tfplan')).planned_values.root_module.resources ?? [];
    expect(resources.filter((r) => r.address.startsWith('aws_instance.control_plane')).map((r) => r.address)).toEqual(['aws_instance.control_plane["1"]', 'aws_instance.control_plane["2"]']);
  }, 120_000);

  const refusals: Array<[string, number, unknown, RegExp]> = [
    ['a list shorter than the count', 3, [1, 2], /one number per control plane: it lists 2 but control_plane_count is 3/],
    ['a number twice', 2, [1, 1], /must not name a number twice/],
    ['6', 2, [1, 6], /whole numbers from 1 to 5/],
    ['0', 2, [0, 1], /whole numbers from 1 to 5/],
    ['1.5', 2, [1, 1.5], /whole numbers from 1 to 5/],
  ];

  it.each(refusals)('refuses %s, naming control_plane_numbers', async (label, controlPlanes, numbers, message) => {
    const plan = await awsPlan(dir, `refuse-${label.replace(/\W+/g, '-')}`, awsVars(controlPlanes, numbers));
    expect(plan.exitCode).not.toBe(0);
    const text = plan.stderr.replace(/\s*│\s*/g, ' ').replace(/\s+/g, ' ');
    expect(text).toMatch(/control_plane_numbers/);
    expect(text).toMatch(message);
  }, 120_000);

  it('accepts [5, 2, 4] in any order and outputs the control planes by number', async () => {
    const plan = await awsPlan(dir, 'five-two-four', awsVars(3, [5, 2, 4]));
    expect(plan.exitCode, plan.stderr).toBe(0);
    const json = await showPlan(dir, 'five-two-four.tfplan');
    const resources = json.planned_values.root_module.resources ?? [];
    expect(resources.filter((r) => r.type === 'aws_instance' && r.address.startsWith('aws_instance.control_plane')).map((r) => r.address)).toEqual(['aws_instance.control_plane["2"]', 'aws_instance.control_plane["4"]', 'aws_instance.control_plane["5"]']);
    // Names are known at plan time (addresses are not): the output lists them by number, not as given.
    const output = json.output_changes?.control_plane?.after as Array<{ name: string }>;
    expect(output.map((node) => node.name)).toEqual(['demo-cp-2', 'demo-cp-4', 'demo-cp-5']);
  }, 120_000);

  describe('a cluster made before (count-era state)', () => {
    let names = { instanceProfile: '', targetGroup: '' };

    beforeAll(async () => {
      const plan = await awsPlan(dir, 'names', awsVars(3, undefined));
      expect(plan.exitCode, plan.stderr).toBe(0);
      const resources = (await showPlan(dir, 'names.tfplan')).planned_values.root_module.resources ?? [];
      const value = (address: string) => resources.find((r) => r.address === address)!.values.name as string;
      names = { instanceProfile: value('aws_iam_instance_profile.control_plane'), targetGroup: value('aws_lb_target_group.api') };
    }, 120_000);

    async function planOnCountEraState(withMoves: boolean): Promise<ResourceChange[]> {
      const stateDir = await awsModuleDir(withMoves ? 'cpn-aws-moved' : 'cpn-aws-unmoved', withMoves);
      await writeFile(join(stateDir, 'terraform.tfstate'), JSON.stringify(countEraAwsState(names)));
      const plan = await awsPlan(stateDir, 'upgrade', awsVars(3, undefined), '-refresh=false');
      expect(plan.exitCode, plan.stderr).toBe(0);
      return (await showPlan(stateDir, 'upgrade.tfplan')).resource_changes ?? [];
    }

    it('plans a move of every control plane, attachment and rule from [i] to ["i+1"], and destroys or creates none of them', async () => {
      const changes = await planOnCountEraState(true);
      const converted = changes.filter((c) => CONVERTED.some((address) => c.address.startsWith(`${address}[`)));
      expect(converted.map((c) => [c.previous_address, c.address]).sort()).toEqual(
        CONVERTED.flatMap((address) => [0, 1, 2].map((i) => [`${address}[${i}]`, `${address}["${i + 1}"]`])).sort(),
      );
      for (const change of converted) expect({ address: change.address, actions: change.change.actions }).toEqual({ address: change.address, actions: expect.not.arrayContaining(['delete']) });
      for (const change of converted) expect(change.change.actions).not.toContain('create');
      // Nothing at all is destroyed: the rest of the module is only created or updated in place.
      expect(changes.filter((c) => c.change.actions.includes('delete')).map((c) => c.address)).toEqual([]);
    }, 180_000);

    it('without the moved blocks the same state would destroy every control plane (so the check can fail)', async () => {
      const changes = await planOnCountEraState(false);
      const deleted = changes.filter((c) => c.change.actions.includes('delete')).map((c) => c.address);
      expect(deleted).toEqual(expect.arrayContaining([0, 1, 2].map((i) => `aws_instance.control_plane[${i}]`)));
    }, 180_000);
  });
});
