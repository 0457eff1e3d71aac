/**
 * `terraform init` as the driver runs it (infra review W3, W4, W5, W11): -json when the binary has
 * it, local state moved into a newly added backend, one retry with -upgrade when the lock file no
 * longer fits the constraints, the OpenTofu view of the plugin mirror, and the backend's version
 * floor. Real terraform 1.11 where it can run offline; a recording stand-in binary for argv.
 */
import { existsSync } from 'node:fs';
import { chmod, cp, lstat, readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExternalToolError, ValidationError } from '../../../../src/errors.js';
import { assertBackendSupported, backendConfig, backendVersionIssue } from '../../../../src/providers/terraform-common.js';
import { runTool } from '../../../../src/tools/subprocess.js';
import { initSupportsJson, resolveTerraformBinary, TerraformCli, type TerraformEvent } from '../../../../src/tools/terraform.js';
import { linkProviderPackages, TOFU_MIRROR_VIEW_DIR } from '../../../../src/tools/terraform-plugin-mirror.js';
import { hasCommand, missingRequirement } from '../../../helpers/require-tool.js';
import { awsPluginDir, REPO, spec, tempDir } from '../../../helpers/terraform.js';

const noTerraform = missingRequirement(hasCommand('terraform'), 'terraform is not on PATH: init tests skipped');
const pluginDir = awsPluginDir();
const noAwsMirror = noTerraform ?? missingRequirement(pluginDir !== undefined, 'no hashicorp/aws in K8SB_TF_PLUGIN_DIR or /opt/tf-plugins: -upgrade and mirror tests skipped');
const FAKE = join(REPO, 'test', 'fixtures', 'terraform', 'fake');

/**
 * A stand-in for terraform/tofu that logs its argv (one line per call), answers `version -json`
 * with `version`, prints `init -help` with or without -json, and fails with `failWith` otherwise.
 */
async function standIn(name: 'terraform' | 'tofu', options: { version?: string; json?: boolean; failWith?: string } = {}): Promise<{ binary: string; calls: () => Promise<string[]> }> {
  const dir = await tempDir('stand-in');
  const log = join(dir, 'argv.log');
  const binary = join(dir, name);
  const help = `Usage: ${name} init [options]\n  -upgrade   Install the latest versions\n${options.json === false ? '' : '  -json      machine readable output\n'}`;
  await writeFile(
    binary,
    [
      '#!/bin/sh',
      `printf '%s\\n' "$*" >> '${log}'`,
      `if [ "$1" = version ]; then echo '{"terraform_version":"${options.version ?? '1.11.0'}","platform":"linux_amd64"}'; exit 0; fi`,
      `for arg in "$@"; do if [ "$arg" = -help ]; then cat <<'EOF'\n${help}EOF\nexit 0; fi; done`,
      options.failWith ? `echo '${options.failWith}' >&2; exit 1` : 'exit 0',
      '',
    ].join('\n'),
  );
  await chmod(binary, 0o755);
  return { binary, calls: async () => (existsSync(log) ? (await readFile(log, 'utf8')).trim().split('\n') : []) };
}

const initCalls = (calls: string[]) => calls.filter((c) => / init /.test(` ${c} `) && !c.includes('-help'));

describe.skipIf(noTerraform)('W11: init -json where the binary has it', () => {
  it('terraform 1.11 has it: init emits its machine-readable init_output messages', async () => {
    const binary = await resolveTerraformBinary('terraform');
    expect(await initSupportsJson(binary)).toBe(true);
    const dir = await tempDir('init-json');
    await cp(FAKE, dir, { recursive: true });
    const events: TerraformEvent[] = [];
    await new TerraformCli({ dir, binary, onEvent: (e) => events.push(e) }).init();
    expect(events.some((e) => e.type === 'version')).toBe(true);
    expect(events.filter((e) => e.type === 'message' && e.kind === 'init_output').map((e) => e.message)).toContain('Terraform has been successfully initialized!');
  });

  it('a binary whose init -help lists no -json gets the text init', async () => {
    const old = await standIn('tofu', { json: false });
    const dir = await tempDir('init-text');
    await new TerraformCli({ dir, binary: old.binary }).init();
    const [textInit] = initCalls(await old.calls());
    expect(textInit).toMatch(new RegExp(`^-chdir=${dir} init -input=false -no-color -lock-timeout=5m`));
    expect(textInit).not.toContain('-json');
    const recent = await standIn('tofu', { json: true });
    await new TerraformCli({ dir, binary: recent.binary }).init();
    expect(initCalls(await recent.calls())[0]).toMatch(/ -json$/);
  });
});

describe.skipIf(noTerraform)('W3: a backend added to a cluster with local state (real terraform, local backend)', () => {
  /** An applied fake module with local state, then a backend file naming `statePath`. */
  async function liveClusterGettingABackend(): Promise<{ dir: string; binary: string; statePath: string; before: string[] }> {
    const binary = await resolveTerraformBinary('terraform');
    const dir = await tempDir('migrate');
    await cp(FAKE, dir, { recursive: true });
    const cli = new TerraformCli({ dir, binary });
    await cli.init();
    await cli.apply((await cli.plan()).planFile);
    const before = await cli.stateList();
    const statePath = join(await tempDir('migrate-remote'), 'cluster.tfstate');
    // The s3 backend cannot be reached offline; `local` with a path takes the same init path.
    await writeFile(join(dir, 'backend.tf.json'), JSON.stringify({ terraform: { backend: { local: { path: statePath } } } }));
    return { dir, binary, statePath, before };
  }

  it('init moves the local state into the backend (-force-copy) and the resources stay managed', async () => {
    const { dir, binary, statePath, before } = await liveClusterGettingABackend();
    const cli = new TerraformCli({ dir, binary });
    expect(before.length).toBeGreaterThan(0);
    await cli.init();
    const moved = JSON.parse(await readFile(statePath, 'utf8')) as { resources: Array<{ type: string; name: string }> };
    expect(moved.resources.map((r) => `${r.type}.${r.name}`).sort()).toEqual(['terraform_data.control_plane', 'terraform_data.worker']);
    expect((await readFile(join(dir, 'terraform.tfstate'), 'utf8')).trim()).toBe('');
    expect(await cli.stateList()).toEqual(before);
    // Nothing to create again: the plan sees the moved resources.
    expect((await cli.plan()).hasChanges).toBe(false);
    // Later inits find the backend initialised and do not force anything.
    await cli.init();
  });

  it('refuses, copying nothing, when the backend already holds a state at that key', async () => {
    const { dir, binary, statePath } = await liveClusterGettingABackend();
    await cp(join(dir, 'terraform.tfstate'), statePath);
    const local = await readFile(join(dir, 'terraform.tfstate'), 'utf8');
    const error = await new TerraformCli({ dir, binary }).init().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExternalToolError);
    expect((error as ExternalToolError).code).toBe('TerraformStateInBoth');
    expect((error as ExternalToolError).hint).toMatch(/terraform\.backend/);
    expect(await readFile(join(dir, 'terraform.tfstate'), 'utf8')).toBe(local);
  });
});

describe.skipIf(noAwsMirror)('W5: a raised provider constraint on an existing working dir (real terraform, real aws provider)', () => {
  it('init retries once with -upgrade when the lock file pins a version the constraint excludes', async () => {
    const binary = await resolveTerraformBinary('terraform');
    const dir = await tempDir('upgrade');
    // What a release raising the floor leaves behind: a lock from the old constraint.
    await writeFile(join(dir, 'versions.tf'), 'terraform {\n  required_providers {\n    aws = {\n      source  = "hashicorp/aws"\n      version = ">= 5.100.0"\n    }\n  }\n}\n');
    await writeFile(
      join(dir, '.terraform.lock.hcl'),
      'provider "registry.terraform.io/hashicorp/aws" {\n  version     = "5.90.0"\n  constraints = ">= 5.0.0"\n  hashes = [\n    "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",\n  ]\n}\n',
    );
    const events: TerraformEvent[] = [];
    await new TerraformCli({ dir, binary, onEvent: (e) => events.push(e) }).init({ pluginDir });
    expect(events.some((e) => e.type === 'message' && /init -upgrade/.test(e.message))).toBe(true);
    expect(await readFile(join(dir, '.terraform.lock.hcl'), 'utf8')).toMatch(/version\s+=\s+"5\.100\.0"/);
  });

  it('other init failures are not retried', async () => {
    const broken = await standIn('terraform', { failWith: 'Error: Failed to query available provider packages' });
    const dir = await tempDir('no-retry');
    const error = await new TerraformCli({ dir, binary: broken.binary }).init().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExternalToolError);
    expect(initCalls(await broken.calls())).toHaveLength(1);
  });
});

describe.skipIf(noAwsMirror)('W4: the plugin mirror for OpenTofu', () => {
  it('tofu init gets the mirror and a registry.opentofu.org view of it, package by package', async () => {
    const tofu = await standIn('tofu');
    const dir = await tempDir('tofu-view');
    await new TerraformCli({ dir, binary: tofu.binary }).init({ pluginDir });
    const view = join(dir, TOFU_MIRROR_VIEW_DIR);
    expect(initCalls(await tofu.calls())[0]).toContain(`-plugin-dir=${pluginDir} -plugin-dir=${view}`);
    const linked = join(view, 'registry.opentofu.org', 'hashicorp', 'aws', '5.100.0', 'linux_amd64');
    expect((await lstat(linked)).isSymbolicLink()).toBe(true);
    expect(await readlink(linked)).toBe(join(pluginDir!, 'registry.terraform.io', 'hashicorp', 'aws', '5.100.0', 'linux_amd64'));
    // Real directories above the package: the mirror search ignores symlinks there.
    expect((await lstat(join(view, 'registry.opentofu.org', 'hashicorp', 'aws'))).isDirectory()).toBe(true);
  });

  it('terraform keeps using the mirror as it is', async () => {
    const terraform = await standIn('terraform');
    const dir = await tempDir('tf-mirror');
    await new TerraformCli({ dir, binary: terraform.binary }).init({ pluginDir });
    const call = initCalls(await terraform.calls())[0] ?? '';
    expect(call.match(/-plugin-dir=\S+/g)).toEqual([`-plugin-dir=${pluginDir}`]);
    expect(existsSync(join(dir, TOFU_MIRROR_VIEW_DIR))).toBe(false);
  });

  it('a view made of linked packages installs and runs the provider (real terraform, the same mirror search as tofu)', async () => {
    const binary = await resolveTerraformBinary('terraform');
    const dir = await tempDir('view-real');
    const view = join(dir, 'view');
    expect(await linkProviderPackages(join(pluginDir!, 'registry.terraform.io'), join(view, 'registry.terraform.io'))).toBeGreaterThan(0);
    await writeFile(join(dir, 'main.tf'), 'terraform {\n  required_providers {\n    aws = {\n      source = "hashicorp/aws"\n    }\n  }\n}\n');
    await new TerraformCli({ dir, binary }).init({ pluginDir: view });
    const validate = await runTool(binary, [`-chdir=${dir}`, 'providers', 'schema', '-json'], { allowFailure: true });
    expect(validate.exitCode, validate.stderr).toBe(0);
    expect(validate.stdout).toContain('"aws_instance"');
  }, 120_000);
});

describe('W3: the S3 backend needs Terraform / OpenTofu >= 1.10', () => {
  const withBackend = spec({ name: 'aws' }, { terraform: { backend: { bucket: 'tfstate', region: 'eu-west-1' } } });
  const without = spec({ name: 'aws' });

  it('names the field, the version found and the fix', () => {
    const issue = backendVersionIssue(withBackend, { tool: 'terraform', version: '1.9.8' });
    expect(issue).toMatchObject({ path: 'terraform.backend', value: 'terraform 1.9.8' });
    expect(issue?.fix).toMatch(/>= 1\.10.*remove terraform\.backend/);
    expect(backendVersionIssue(withBackend, { tool: 'tofu', version: '1.9.1' })?.fix).toMatch(/opentofu\.org/);
    expect(backendVersionIssue(withBackend, { tool: 'terraform', version: '1.10.0' })).toBeUndefined();
    expect(backendVersionIssue(withBackend, { tool: 'tofu', version: '1.10.3' })).toBeUndefined();
    expect(backendVersionIssue(without, { tool: 'terraform', version: '1.5.0' })).toBeUndefined();
  });

  it('reads the version from the binary and stops with exit code 2', async () => {
    const old = await standIn('terraform', { version: '1.9.8' });
    const error = await assertBackendSupported(withBackend, old.binary).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).exitCode).toBe(2);
    expect((error as ValidationError).message).toMatch(/terraform\.backend: .*terraform is 1\.9\.8/);
    await expect(assertBackendSupported(withBackend, (await standIn('terraform', { version: '1.10.0' })).binary)).resolves.toBeUndefined();
    // Without a backend the binary is not even asked.
    const untouched = await standIn('terraform', { version: '1.5.0' });
    await assertBackendSupported(without, untouched.binary);
    expect(await untouched.calls()).toEqual([]);
  });

  it('an S3-compatible store skips the EC2 metadata probe; AWS S3 keeps it (instance roles)', () => {
    const sos = spec({ name: 'exoscale' }, { terraform: { backend: { bucket: 'tfstate', region: 'ch-gva-2', endpoint: 'https://sos-ch-gva-2.exo.io' } } });
    const s3Of = (config: Record<string, unknown> | undefined) => (config as { terraform: { backend: { s3: Record<string, unknown> } } }).terraform.backend.s3;
    expect(s3Of(backendConfig(sos))).toMatchObject({ skip_metadata_api_check: true, use_lockfile: true });
    expect(s3Of(backendConfig(withBackend))).not.toHaveProperty('skip_metadata_api_check');
  });

  it.skipIf(noTerraform)('terraform 1.11 accepts that backend block: init gets as far as calling the endpoint', async () => {
    const binary = await resolveTerraformBinary('terraform');
    const dir = await tempDir('s3-schema');
    const sos = spec({ name: 'exoscale' }, { terraform: { backend: { bucket: 'tfstate', region: 'ch-gva-2', endpoint: 'http://127.0.0.1:9' } } });
    await writeFile(join(dir, 'backend.tf.json'), JSON.stringify(backendConfig(sos)));
    const error = await new TerraformCli({ dir, binary, env: { AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKE0001', AWS_SECRET_ACCESS_KEY: 'fake', AWS_MAX_ATTEMPTS: '1' } }).init().catch((e: unknown) => e);
    const text = [(error as ExternalToolError).message, ...(error as ExternalToolError).details].join('\n');
    expect(text).not.toMatch(/Unsupported argument|Extraneous|Invalid backend configuration/);
    expect(text).toMatch(/127\.0\.0\.1:9/);
  }, 120_000);
});
