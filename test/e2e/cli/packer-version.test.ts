/**
 * The Packer version the templates need (review P11): every template starts with
 * `packer { required_plugins { … } }`, which needs `packer init` (Packer >= 1.7). `doctor` said so;
 * init's preflight and its dry run now apply the same rule, only when the plan builds an image.
 * The old Packer is the real one on this machine (Debian's 1.6.6 package); the passing case puts
 * a stand-in newer `packer` first on PATH.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/fake-io.js';
import { jsonLines, resultOf } from '../../helpers/json-lines.js';
import { hasCommand, missingRequirement } from '../../helpers/require-tool.js';

/** The first packer on PATH older than 1.7 (Debian/Ubuntu's package), if there is one. */
function oldPacker(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const path = join(dir, 'packer');
    try {
      const out = execFileSync(path, ['version'], { encoding: 'utf8', env: { CHECKPOINT_DISABLE: '1' } });
      const [major, minor] = (/Packer v(\d+)\.(\d+)/.exec(out) ?? []).slice(1).map(Number);
      if (major === 1 && minor! < 7) return path;
    } catch {
      // not there, or not a packer
    }
  }
  return undefined;
}

const debianPacker = oldPacker();
const terraformDir = hasCommand('terraform') ? dirname(execFileSync('sh', ['-c', 'command -v terraform'], { encoding: 'utf8' }).trim()) : undefined;
const skip =
  missingRequirement(debianPacker !== undefined, 'no packer older than 1.7 on PATH (apt install packer on Debian 12 gives 1.6.6)') ??
  missingRequirement(terraformDir !== undefined, 'terraform is not on PATH');

const FAKE_AWS = { AWS_ACCESS_KEY_ID: 'AKIAFAKEPACKERCHECK01', AWS_SECRET_ACCESS_KEY: 'fake-secret-for-the-packer-check-0123456' };
const work = mkdtempSync(join(tmpdir(), 'k8sb-packer-version-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A folder with a stand-in `packer` 1.11.2: answers version, init, and fails build on purpose. */
function newerPackerDir(): string {
  const bin = join(work, 'newer-bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(
    join(bin, 'packer'),
    [
      '#!/bin/sh',
      'case "$1" in',
      "  version) echo '1795430969,,version,1.11.2'; echo '1795430969,,ui,say,Packer v1.11.2' ;;",
      '  init) exit 0 ;;',
      "  build) echo '1795430976,,ui,error,stand-in packer: no builder here'; exit 1 ;;",
      'esac',
      '',
    ].join('\n'),
  );
  chmodSync(join(bin, 'packer'), 0o755);
  return bin;
}

const AWS = ['--name', 'pk', '--provider', 'aws', '--region', 'eu-west-1', '--admin-cidr', '203.0.113.0/24'];

describe.skipIf(skip)('the Packer version the templates need', () => {
  const oldPath = () => `${dirname(debianPacker!)}:${terraformDir}:/usr/bin:/bin`;
  const newerPath = () => `${newerPackerDir()}:${oldPath()}`;
  const init = (cwd: string, path: string, ...args: string[]) =>
    runCli(['--yes', '--output', 'json', 'init', ...AWS, ...args], { cwd, env: { ...FAKE_AWS, PATH: path } });

  it('preflight refuses Packer 1.6.6 with exit 1, naming the version found, the one needed and how to get it', async () => {
    const cwd = mkdtempSync(join(work, 'old-'));
    const run = await init(cwd, oldPath());
    expect(run.code, run.stderr).toBe(1);
    const failed = jsonLines(run.stdout).find((line) => line.type === 'failed') as unknown as { stepId: string; error: { code: string; message: string; hint: string } };
    expect(failed.stepId).toBe('preflight');
    expect(failed.error.code).toBe('PackerTooOld');
    expect(failed.error.message).toMatch(/packer 1\.6\.6 is older than 1\.7\.0: it cannot read required_plugins or run packer init/);
    expect(failed.error.hint).toMatch(/HashiCorp apt repository/);
    expect(failed.error.hint).toMatch(/https:\/\/releases\.hashicorp\.com\/packer\//);
    expect(failed.error.hint).toMatch(/image\.id/);
    // Stopped before the Image step: no packer build, no terraform.
    expect(jsonLines(run.stdout).some((line) => line.type === 'started' && line.stepId === 'image')).toBe(false);
    expect(run.stderr).toMatch(/packer 1\.6\.6 is older than 1\.7\.0/);
  }, 60_000);

  it('a Packer >= 1.7 passes preflight, and the Image step runs that very binary', async () => {
    const cwd = mkdtempSync(join(work, 'new-'));
    const run = await init(cwd, newerPath());
    const events = jsonLines(run.stdout);
    expect(events.find((line) => line.type === 'succeeded' && line.stepId === 'preflight'), run.stderr).toBeDefined();
    expect(events.some((line) => line.type === 'output' && line.stepId === 'preflight' && String(line.line).includes('(1.11.2)'))).toBe(true);
    // The stand-in fails its build on purpose: the failure is the Image step's, not preflight's.
    const failed = events.find((line) => line.type === 'failed') as unknown as { stepId: string; error: { details?: string[] } };
    expect(failed.stepId).toBe('image');
    expect(failed.error.details?.join('\n')).toContain('stand-in packer: no builder here');
    expect(run.code).toBe(1);
  }, 60_000);

  it('the dry run marks the Image step with the problem; with a newer Packer, or no image to build, there is none', async () => {
    const old = await init(mkdtempSync(join(work, 'dry-old-')), oldPath(), '--dry-run');
    expect(old.code, old.stderr).toBe(0);
    const steps = (resultOf(old.stdout) as unknown as { steps: Array<{ id: string; problem?: string }> }).steps;
    expect(steps.find((step) => step.id === 'image')?.problem).toMatch(/packer 1\.6\.6 is older than 1\.7\.0.*HashiCorp apt repository/s);
    expect(steps.filter((step) => step.problem).map((step) => step.id)).toEqual(['image']);

    const text = await runCli(['--yes', 'init', '--dry-run', ...AWS], { cwd: mkdtempSync(join(work, 'dry-text-')), env: { PATH: oldPath() } });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/Build the node image with Packer.*\n\s+PROBLEM: packer 1\.6\.6 is older than 1\.7\.0/);

    const newer = await init(mkdtempSync(join(work, 'dry-new-')), newerPath(), '--dry-run');
    expect((resultOf(newer.stdout) as unknown as { steps: Array<{ problem?: string }> }).steps.some((step) => step.problem)).toBe(false);

    const given = await init(mkdtempSync(join(work, 'dry-id-')), oldPath(), '--dry-run', '--image-id', 'ami-0123456789abcdef0');
    expect(given.code, given.stderr).toBe(0);
    expect((resultOf(given.stdout) as unknown as { steps: Array<{ problem?: string }> }).steps.some((step) => step.problem)).toBe(false);
  }, 60_000);
});
