/**
 * `k8s-bootstrap doctor`, run in-process. Tool discovery follows the PATH given to the CLI, so a
 * temp folder of stand-in binaries decides what is "installed". The real tools are checked in
 * test/e2e/cli/doctor-tools.test.ts.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseTerraformVersion } from '../../../src/cli/handlers/doctor.js';
import { runCli } from '../../helpers/fake-io.js';
import { resultOf } from '../../helpers/json-lines.js';

const FAKE_SECRET = 'wJalrFAKEsecretVALUE/K7MDENG+bPxRfiCYzz';
const FAKE_KEY_ID = 'AKIAFAKEFAKEFAKE1234';

const STUBS: Record<string, string> = {
  terraform: `#!/bin/sh\necho '{"terraform_version":"1.11.0","platform":"linux_amd64","provider_selections":{},"terraform_outdated":false}'\n`,
  packer: `#!/bin/sh\necho '1795430969,,version,1.11.2'\necho '1795430969,,ui,say,Packer v1.11.2'\n`,
  ssh: `#!/bin/sh\necho 'OpenSSH_9.6p1 Ubuntu-3ubuntu13.5, OpenSSL 3.0.13 30 Jan 2024' >&2\n`,
};

let home: string;
let bin: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'k8sb-doctor-'));
  bin = join(home, 'bin');
  await (await import('node:fs/promises')).mkdir(bin);
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

async function install(...names: string[]): Promise<void> {
  for (const name of names) {
    await writeFile(join(bin, name), STUBS[name]!);
    await chmod(join(bin, name), 0o755);
  }
}

describe('doctor', () => {
  it('reports a missing terraform with how to install it, and exits 1', async () => {
    await install('packer', 'ssh');
    const run = await runCli(['doctor', '--provider', 'aws'], {
      cwd: home,
      env: { PATH: bin, AWS_ACCESS_KEY_ID: FAKE_KEY_ID, AWS_SECRET_ACCESS_KEY: FAKE_SECRET },
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/terraform\s+MISSING/);
    expect(run.stdout).toContain('developer.hashicorp.com/terraform/install');
    expect(run.stdout).toContain('brew install');
    expect(run.stdout).toMatch(/packer\s+1\.11\.2/);
    expect(run.stdout).toMatch(/not ready: neither terraform nor tofu is usable/);
  });

  it('finds the tools and the aws credentials without printing them, and exits 0', async () => {
    await install('terraform', 'packer', 'ssh');
    const env = { PATH: bin, AWS_ACCESS_KEY_ID: FAKE_KEY_ID, AWS_SECRET_ACCESS_KEY: FAKE_SECRET };
    const run = await runCli(['doctor', '--provider', 'aws'], { cwd: home, env });
    expect(run.stdout).toMatch(/terraform\s+1\.11\.0/);
    expect(run.stdout).toMatch(/ssh\s+OpenSSH_9\.6p1/);
    expect(run.stdout).toContain('credentials: found (environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY))');
    expect(run.stdout).toContain('Result: ready');
    expect(run.code).toBe(0);
    expect(run.stdout + run.stderr).not.toContain(FAKE_SECRET);
    expect(run.stdout + run.stderr).not.toContain(FAKE_KEY_ID);

    const json = await runCli(['--output', 'json', 'doctor', '--provider', 'aws'], { cwd: home, env });
    expect(json.code).toBe(0);
    expect(json.stdout + json.stderr).not.toContain(FAKE_SECRET);
    const report = resultOf(json.stdout) as unknown as { ok: boolean; credentials: { ok: boolean; source: string }; tools: Array<{ name: string; version?: string }> };
    expect(report.ok).toBe(true);
    expect(report.credentials.ok).toBe(true);
    expect(report.tools.find((tool) => tool.name === 'packer')?.version).toBe('1.11.2');
  });

  it('names the missing exoscale variables and how to set them', async () => {
    await install('terraform', 'packer', 'ssh');
    const run = await runCli(['doctor', '--provider', 'exoscale'], { cwd: home, env: { PATH: bin, EXOSCALE_API_KEY: 'EXOfakekey' } });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('credentials: MISSING (EXOSCALE_API_SECRET)');
    expect(run.stdout).toMatch(/how: export EXOSCALE_API_KEY and EXOSCALE_API_SECRET/);
    expect(run.stdout).not.toContain('EXOfakekey');
  });

  it('takes the provider from --config', async () => {
    await install('terraform', 'packer', 'ssh');
    await writeFile(join(home, 'cluster.yaml'), 'apiVersion: k8s-bootstrap.io/v1alpha1\nkind: Cluster\nname: demo\nprovider:\n  name: openstack\n');
    const run = await runCli(['--config', 'cluster.yaml', 'doctor'], { cwd: home, env: { PATH: bin } });
    expect(run.stdout).toContain('Provider: openstack');
    expect(run.stdout).toMatch(/credentials: MISSING \(OS_CLOUD, OS_AUTH_URL\)/);
    expect(run.code).toBe(1);
  });

  it('flags a packer too old for required_plugins', async () => {
    await install('terraform', 'ssh');
    await writeFile(join(bin, 'packer'), `#!/bin/sh\necho '1795430969,,version,1.6.6'\n`);
    await chmod(join(bin, 'packer'), 0o755);
    const run = await runCli(['doctor', '--provider', 'static'], { cwd: home, env: { PATH: bin } });
    expect(run.stdout).toMatch(/packer\s+1\.6\.6/);
    expect(run.stdout).toMatch(/warning: packer 1\.6\.6 is older than 1\.7\.0/);
    // static needs neither terraform nor packer.
    expect(run.code).toBe(0);
  });

  it('reads terraform and tofu version output', () => {
    expect(parseTerraformVersion('{"terraform_version":"1.11.0"}')).toBe('1.11.0');
    expect(parseTerraformVersion('OpenTofu v1.10.6\non linux_amd64')).toBe('1.10.6');
  });
});
