/**
 * `init --dry-run` in CI mode, in-process: the plan in order, JSON output, the cluster folder it
 * writes, and the promise that bad input creates nothing and existing folders lose nothing.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { API_VERSION, KIND } from '../../../src/config/schema.js';
import { validateSpec } from '../../../src/config/validate/index.js';
import { describeInitPlan, formatPlan, type PlanStep } from '../../../src/workflows/init/plan.js';
import { defaultNodeName } from '../../../src/config/node-names.js';
import { runCli } from '../../helpers/fake-io.js';
import { resultOf } from '../../helpers/json-lines.js';

let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'k8sb-dry-'));
});
afterEach(() => {
  rmSync(cwd, { recursive: true, force: true });
});

const AWS = ['--provider', 'aws', '--admin-cidr', '203.0.113.0/24'];
const dryRun = (...args: string[]) => runCli(['init', '--dry-run', '--yes', ...args], { cwd });
const planJson = async (...args: string[]) => {
  const run = await dryRun('--output', 'json', ...args);
  expect(run.stderr).not.toMatch(/Error/);
  expect(run.code).toBe(0);
  return resultOf(run.stdout) as unknown as { cluster: string; provider: string; dir: string; files: string[]; steps: PlanStep[] };
};

describe('the plan', () => {
  it('single control plane on a cloud: image, infrastructure, then kubeadm in order', async () => {
    const plan = await planJson(...AWS, '--name', 'solo', '--control-planes', '1', '--workers', '2');
    expect(plan).toMatchObject({ cluster: 'solo', provider: 'aws' });
    expect(plan.steps.map((s) => s.id)).toEqual([
      'preflight',
      'image',
      'infrastructure',
      'preflight:ssh',
      // Named as the Terraform module names the machines.
      'prepare:solo-cp-1',
      'prepare:solo-worker-1',
      'prepare:solo-worker-2',
      'init:solo-cp-1',
      'cni:calico',
      // The CCM right after the CNI; the CSI and storage once the workers have joined.
      'cloud:ccm',
      'join:solo-worker-1',
      'join:solo-worker-2',
      'cloud:snapshots',
      'cloud:csi',
      'cloud:storage-class',
      'verify:cloud',
      'verify',
      'verify:etcd',
      'verify:network',
      'kubeconfig',
      // The default add-on set, after the kubeconfig (workflows/addons/phases.ts).
      'addon:helm',
      'addon:metrics-server',
      'addon:traefik',
      'addon:cert-manager',
    ]);
    const byId = Object.fromEntries(plan.steps.map((s) => [s.id, s]));
    expect(byId.image).toMatchObject({ tool: 'packer', nodes: [] });
    // Terraform runs on this machine; the step names the machines it creates.
    expect(byId.infrastructure).toMatchObject({ tool: 'terraform', nodes: [], detail: 'solo-cp-1, solo-worker-1, solo-worker-2' });
    expect(byId['init:solo-cp-1']).toMatchObject({ tool: 'kubeadm', nodes: ['solo-cp-1'], group: 'Control plane init' });
    expect(byId['cni:calico']).toMatchObject({ tool: 'kubectl', nodes: ['solo-cp-1'] });
    expect(byId.kubeconfig.detail).toBe(join(cwd, 'clusters', 'solo', 'kubeconfig'));
  });

  it('HA 3 joins the other control planes before the workers; an image id skips the build', async () => {
    const plan = await planJson(...AWS, '--name', 'ha', '--control-planes', '3', '--workers', '1', '--image-id', 'ami-0123456789abcdef0');
    const ids = plan.steps.map((s) => s.id);
    expect(ids).not.toContain('image');
    expect(ids.slice(ids.indexOf('init:ha-cp-1'))).toEqual(['init:ha-cp-1', 'cni:calico', 'cloud:ccm', 'join:ha-cp-2', 'join:ha-cp-3', 'join:ha-worker-1', 'cloud:snapshots', 'cloud:csi', 'cloud:storage-class', 'verify:cloud', 'verify', 'verify:etcd', 'verify:network', 'kubeconfig', 'addon:helm', 'addon:metrics-server', 'addon:traefik', 'addon:cert-manager']);
    expect(plan.steps.find((s) => s.id === 'join:ha-cp-2')).toMatchObject({ group: 'Control plane joins', title: 'kubeadm join --control-plane on ha-cp-2' });
  });

  it('static hosts: no image, no terraform, host names kept, keepalived + haproxy for HA without an endpoint', async () => {
    const plan = await planJson(
      '--provider', 'static', '--name', 'metal', '--ssh-user', 'ubuntu',
      '--control-plane-host', '192.0.2.10,name=alpha',
      '--control-plane-host', '192.0.2.11',
      '--control-plane-host', '192.0.2.12',
      '--worker-host', '192.0.2.20',
      '--virtual-ip', '192.0.2.100',
    );
    const tools = new Set(plan.steps.map((s) => s.tool));
    expect(tools.has('packer')).toBe(false);
    expect(tools.has('terraform')).toBe(false);
    expect(plan.steps.map((s) => s.id)).toEqual([
      'preflight:ssh',
      'prepare:alpha',
      'prepare:cp-2',
      'prepare:cp-3',
      'prepare:worker-1',
      'lb:alpha',
      'lb:cp-2',
      'lb:cp-3',
      'init:alpha',
      'cni:calico',
      'join:cp-2',
      'join:cp-3',
      'join:worker-1',
      'static:local-path',
      'verify:cloud',
      'verify',
      'verify:etcd',
      'verify:network',
      'kubeconfig',
      // The default add-on set, after the kubeconfig (workflows/addons/phases.ts).
      'addon:helm',
      'addon:metrics-server',
      'addon:traefik',
      'addon:cert-manager',
    ]);
  });

  it('static with an API endpoint installs no load balancer', () => {
    const spec = validateSpec({
      apiVersion: API_VERSION,
      kind: KIND,
      name: 'metal',
      provider: {
        name: 'static',
        apiEndpoint: 'api.example.com:6443',
        hosts: [
          { address: '192.0.2.10', role: 'control-plane' },
          { address: '192.0.2.11', role: 'control-plane' },
          { address: '192.0.2.12', role: 'control-plane' },
        ],
      },
    });
    expect(describeInitPlan(spec).filter((s) => s.group === 'Load balancer')).toEqual([]);
  });

  it('the human plan on stdout names every step, its tool and its nodes', async () => {
    const run = await dryRun(...AWS, '--name', 'table', '--workers', '1');
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines.find((l) => l.includes('kubeadm init on table-cp-1'))).toMatch(/kubeadm init on table-cp-1\s+kubeadm\s+table-cp-1$/);
    expect(lines.find((l) => l.startsWith('Infrastructure:'))).toBeDefined();
    expect(run.stdout).toContain(`dry run: nothing was created and no machine touched; it wrote only the files listed at the end, in ${join(cwd, 'clusters', 'table')}.`);
    // Same rendering as formatPlan on the same steps.
    const spec = validateSpec(parse(readFileSync(join(cwd, 'clusters', 'table', 'cluster.yaml'), 'utf8')));
    // Less the Image step's PROBLEM line when this machine's Packer is too old (test/e2e/cli/packer-version.test.ts).
    expect(run.stdout.replace(/^ {3}PROBLEM: .*\n/m, '')).toContain(formatPlan(describeInitPlan(spec, { dir: join(cwd, 'clusters', 'table') })));
  });

  it('default node names are shared with the workflows', () => {
    expect([defaultNodeName('control-plane', 1), defaultNodeName('worker', 2)]).toEqual(['cp-1', 'worker-2']);
  });
});

describe('the cluster folder', () => {
  it('writes cluster.yaml with the schema comment and an empty state, and needs no credentials', async () => {
    const run = await dryRun(...AWS, '--name', 'demo');
    expect(run.code).toBe(0);
    const folder = join(cwd, 'clusters', 'demo');
    const yaml = readFileSync(join(folder, 'cluster.yaml'), 'utf8');
    expect(yaml.startsWith('# yaml-language-server: $schema=')).toBe(true);
    expect(parse(yaml)).toMatchObject({ name: 'demo', provider: { name: 'aws' }, ssh: { adminCidrs: ['203.0.113.0/24'] } });
    expect(JSON.parse(readFileSync(join(folder, 'state.json'), 'utf8'))).toMatchObject({ version: 1, cluster: 'demo', steps: {} });
  });

  it('--dir chooses the folder; the JSON lists the files written', async () => {
    const plan = await planJson(...AWS, '--name', 'x');
    const folder = join(cwd, 'clusters', 'x');
    expect(plan.files.slice(0, 2)).toEqual([join(folder, 'cluster.yaml'), join(folder, 'state.json')]);
    expect(plan.files).toEqual(expect.arrayContaining([join(folder, 'terraform', 'terraform.tfvars.json'), join(folder, 'packer', 'variables.pkrvars.json')]));
    for (const file of plan.files) expect(file.startsWith(`${folder}/`)).toBe(true);
    const run = await runCli(['init', '--dry-run', '--yes', '--dir', 'elsewhere', ...AWS, '--name', 'y'], { cwd });
    expect(run.code).toBe(0);
    expect(existsSync(join(cwd, 'elsewhere', 'cluster.yaml'))).toBe(true);
  });

  it('reads --config, and a flag overrides the file', async () => {
    const file = join(cwd, 'in.yaml');
    writeFileSync(file, `apiVersion: ${API_VERSION}\nkind: Cluster\nname: fromfile\nprovider:\n  name: exoscale\n  zone: de-fra-1\nworkers:\n  count: 5\nssh:\n  adminCidrs: [198.51.100.0/24]\n`);
    const run = await runCli(['init', '--dry-run', '--yes', '--config', file, '--workers', '1'], { cwd });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const spec = parse(readFileSync(join(cwd, 'clusters', 'fromfile', 'cluster.yaml'), 'utf8'));
    expect(spec).toMatchObject({ provider: { name: 'exoscale', zone: 'de-fra-1' }, workers: { count: 1 } });
  });

  it('a re-run with the same spec keeps everything, including files it did not write', async () => {
    expect((await dryRun(...AWS, '--name', 'again')).code).toBe(0);
    const folder = join(cwd, 'clusters', 'again');
    writeFileSync(join(folder, 'notes.txt'), 'mine');
    const state = JSON.stringify({ version: 1, cluster: 'again', steps: { preflight: { finishedAt: '2026-01-01T00:00:00Z' } }, facts: {} });
    writeFileSync(join(folder, 'state.json'), state);
    const before = readFileSync(join(folder, 'cluster.yaml'), 'utf8');
    expect((await dryRun(...AWS, '--name', 'again')).code).toBe(0);
    expect(readFileSync(join(folder, 'notes.txt'), 'utf8')).toBe('mine');
    expect(readFileSync(join(folder, 'state.json'), 'utf8')).toBe(state);
    expect(readFileSync(join(folder, 'cluster.yaml'), 'utf8')).toBe(before);
  });

  it('refuses to change the spec of a cluster that init already started', async () => {
    expect((await dryRun(...AWS, '--name', 'started')).code).toBe(0);
    const folder = join(cwd, 'clusters', 'started');
    writeFileSync(join(folder, 'state.json'), JSON.stringify({ version: 1, cluster: 'started', steps: { infrastructure: { finishedAt: 'x' } }, facts: {} }));
    const before = readFileSync(join(folder, 'cluster.yaml'), 'utf8');
    const run = await dryRun(...AWS, '--name', 'started', '--workers', '7');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('describes a cluster that init already built');
    expect(readFileSync(join(folder, 'cluster.yaml'), 'utf8')).toBe(before);
  });

  it('a different spec replaces one nothing was built from only with --yes, keeping the old one', async () => {
    expect((await dryRun(...AWS, '--name', 'draft')).code).toBe(0);
    const folder = join(cwd, 'clusters', 'draft');
    const before = readFileSync(join(folder, 'cluster.yaml'), 'utf8');
    const refused = await runCli(['init', '--dry-run', ...AWS, '--name', 'draft', '--workers', '4'], { cwd });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('already exists with a different spec');
    expect(readFileSync(join(folder, 'cluster.yaml'), 'utf8')).toBe(before);

    const replaced = await dryRun(...AWS, '--name', 'draft', '--workers', '4');
    expect(replaced.code).toBe(0);
    expect(readFileSync(join(folder, 'cluster.yaml.previous'), 'utf8')).toBe(before);
    expect(parse(readFileSync(join(folder, 'cluster.yaml'), 'utf8'))).toMatchObject({ workers: { count: 4 } });
  });
});

describe('bad input creates nothing', () => {
  it('CI with missing values exits 2 and lists every missing field with its flag', async () => {
    const run = await runCli(['init', '--dry-run'], { cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/name: pass --name/);
    expect(run.stderr).toMatch(/provider: pass --provider/);
    const aws = await runCli(['init', '--dry-run', '--provider', 'aws'], { cwd });
    expect(aws.code).toBe(2);
    expect(aws.stderr).toMatch(/ssh\.adminCidrs: pass --admin-cidr/);
    expect(aws.stderr).toMatch(/name: pass --name/);
    const metal = await runCli(['init', '--dry-run', '--provider', 'static'], { cwd });
    expect(metal.code).toBe(2);
    expect(metal.stderr).toContain('--control-plane-host');
    expect(existsSync(join(cwd, 'clusters'))).toBe(false);
  });

  it.each([
    ['overlapping CIDRs', [...AWS, '--name', 'bad', '--pod-cidr', '10.240.0.0/16'], 'network.nodeCidr'],
    ['an even control-plane count', [...AWS, '--name', 'bad', '--control-planes', '2'], 'controlPlane.count'],
    ['a name that is not DNS-1123', [...AWS, '--name', 'Bad_Name'], 'name'],
    ['an unsupported version', [...AWS, '--name', 'bad', '--kubernetes-version', '1.20.0'], 'kubernetes.version'],
    ['a bad --timeout', [...AWS, '--name', 'bad', '--timeout', 'soon'], '--timeout'],
  ])('%s: exit 2 naming the field, no folder', async (_label, args, field) => {
    const run = await dryRun(...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(field);
    expect(existsSync(join(cwd, 'clusters'))).toBe(false);
  });

  it('without --dry-run, missing credentials stop init before anything is created', async () => {
    const run = await runCli(['init', '--yes', ...AWS, '--name', 'nocreds'], { cwd, env: { AWS_PROFILE: '', AWS_CONFIG_FILE: join(cwd, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(cwd, 'none') } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/AWS_ACCESS_KEY_ID|credentials/);
    expect(existsSync(join(cwd, 'clusters'))).toBe(false);
  });

  it('a --dir that already holds unrelated files keeps them when validation fails', async () => {
    const folder = join(cwd, 'existing');
    mkdirSync(folder);
    writeFileSync(join(folder, 'keep.txt'), 'keep');
    const run = await runCli(['init', '--dry-run', '--yes', '--dir', folder, ...AWS, '--name', 'bad', '--control-planes', '4'], { cwd });
    expect(run.code).toBe(2);
    expect(readFileSync(join(folder, 'keep.txt'), 'utf8')).toBe('keep');
    expect(existsSync(join(folder, 'cluster.yaml'))).toBe(false);
  });
});

describe('on a terminal, before anything runs', () => {
  it('shows the summary, saves cluster.yaml and stops when the person declines', async () => {
    const { FakeTerminal } = await import('../../helpers/fake-terminal.js');
    const { Capture } = await import('../../helpers/fake-io.js');
    const { main } = await import('../../../src/cli/main.js');
    const terminal = new FakeTerminal();
    const stdout = new Capture();
    stdout.isTTY = terminal.stderr.isTTY = terminal.stdin.isTTY = true;
    const file = join(cwd, 'in.yaml');
    writeFileSync(file, `apiVersion: ${API_VERSION}\nkind: Cluster\nname: asked\nprovider:\n  name: aws\nssh:\n  adminCidrs: [198.51.100.0/24]\n`);
    const io = {
      stdout,
      stderr: terminal.stderr,
      stdin: terminal.stdin,
      env: { PATH: process.env.PATH, HOME: cwd, AWS_ACCESS_KEY_ID: 'AKIAFAKE', AWS_SECRET_ACCESS_KEY: 'fake-secret' },
      cwd,
    };
    const exit = main(['node', 'k8s-bootstrap', 'init', '--config', file], io);
    await terminal.answer('Create cluster asked now?', 'n');
    expect(await exit).toBe(1);
    expect(terminal.screen).toContain('Name            asked');
    expect(terminal.screen).toContain('Credentials     environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)');
    expect(terminal.screen).toContain('Nothing was created');
    expect(terminal.screen).not.toContain('fake-secret');
    expect(stdout.text).toBe('');
    expect(existsSync(join(cwd, 'clusters', 'asked', 'cluster.yaml'))).toBe(true);
    expect(existsSync(join(cwd, 'clusters', 'asked', 'inventory.json'))).toBe(false);
  });
});
