/** init --dry-run for each cloud provider renders the Packer and Terraform inputs into the cluster folder, without credentials. */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../helpers/fake-io.js';
import { resultOf } from '../../helpers/json-lines.js';

const FAKE_CREDENTIALS: Record<string, Record<string, string>> = {
  aws: { AWS_ACCESS_KEY_ID: 'AKIAFAKEKEYID0000001', AWS_SECRET_ACCESS_KEY: 'fake-secret-access-key-aws-0123456789' },
  exoscale: { EXOSCALE_API_KEY: 'EXOfakeapikey0123456789', EXOSCALE_API_SECRET: 'fake-exoscale-secret-0123456789' },
  openstack: { OS_AUTH_URL: 'https://keystone.invalid:5000/v3', OS_USERNAME: 'demo', OS_PASSWORD: 'fake-openstack-password-0123' },
};

describe.each(['aws', 'exoscale', 'openstack'])('init --dry-run --provider %s', (provider) => {
  it('writes terraform.tfvars.json, the module and the Packer variables, and no credential', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'k8sb-dry-cloud-'));
    const run = await runCli(['--yes', '--output', 'json', 'init', '--dry-run', '--name', `demo-${provider}`, '--provider', provider, '--admin-cidr', '203.0.113.0/24', '--workers', '4'], {
      cwd,
      env: FAKE_CREDENTIALS[provider],
    });
    expect(run.code, run.stderr).toBe(0);
    const report = resultOf(run.stdout) as unknown as { files: string[]; dir: string };
    const tfvarsPath = join(report.dir, 'terraform', 'terraform.tfvars.json');
    const packerVarsPath = join(report.dir, 'packer', 'variables.pkrvars.json');
    expect(report.files).toEqual(expect.arrayContaining([tfvarsPath, packerVarsPath, join(report.dir, 'terraform', 'outputs.tf'), join(report.dir, 'packer', `${provider}.pkr.hcl`)]));
    for (const file of report.files) expect(existsSync(file), file).toBe(true);

    const tfvars = JSON.parse(readFileSync(tfvarsPath, 'utf8')) as Record<string, unknown>;
    expect(tfvars).toMatchObject({ cluster_name: `demo-${provider}`, admin_cidrs: ['203.0.113.0/24'], worker_count: 4, control_plane_count: 1, node_cidr: '10.240.0.0/16' });
    const packerVars = JSON.parse(readFileSync(packerVarsPath, 'utf8')) as Record<string, unknown>;
    expect(packerVars).toMatchObject({ kubernetes_version: expect.stringMatching(/^1\.\d+\.\d+$/), runtime: 'containerd' });

    const written = report.files.map((file) => readFileSync(file, 'utf8')).join('\n') + run.stdout + run.stderr;
    for (const value of Object.values(FAKE_CREDENTIALS[provider]!)) {
      if (value.startsWith('https://') || value === 'demo') continue;
      expect(written.includes(value), `credential ${value.slice(0, 6)}… leaked`).toBe(false);
    }
  });
});

it('init --dry-run --provider static renders no Terraform or Packer files', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'k8sb-dry-static-'));
  const run = await runCli(['--yes', '--output', 'json', 'init', '--dry-run', '--name', 'lab', '--provider', 'static', '--control-plane-host', '192.0.2.10'], { cwd });
  expect(run.code, run.stderr).toBe(0);
  const report = resultOf(run.stdout) as unknown as { files: string[] };
  expect(report.files.filter((f) => /terraform|packer/.test(f))).toEqual([]);
});

// Review P17: the Exoscale plan said "API load balancer"; the module creates a managed Elastic IP
// (templates/terraform/exoscale/api-endpoint.tf), because an Exoscale NLB can only target an instance pool.
describe('the Infrastructure step names what fronts the API on each cloud', () => {
  it.each([
    ['exoscale', 'Network, firewall, API Elastic IP (managed, health-checked on /readyz) and machines on exoscale'],
    ['aws', 'Network, firewall, API load balancer (NLB) and machines on aws'],
    ['openstack', 'Network, firewall, API load balancer (Octavia) and machines on openstack'],
  ])('%s', async (provider, title) => {
    const cwd = mkdtempSync(join(tmpdir(), 'k8sb-dry-cloud-'));
    const run = await runCli(['--yes', '--output', 'json', 'init', '--dry-run', '--name', 'api', '--provider', provider, '--admin-cidr', '203.0.113.0/24'], { cwd });
    expect(run.code, run.stderr).toBe(0);
    const steps = (resultOf(run.stdout) as unknown as { steps: Array<{ id: string; title: string }> }).steps;
    expect(steps.find((step) => step.id === 'infrastructure')?.title).toBe(title);
  });
});
