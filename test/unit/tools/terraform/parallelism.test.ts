/**
 * -parallelism follows the number of machines (bounded), or what cluster.yaml / the environment
 * says, and reaches plan, apply and destroy. The argv is read from a stand-in `terraform` that
 * records its arguments (the real binary's e2e driver tests are in test/e2e/tools/terraform).
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../../src/errors.js';
import { clusterSpecSchema } from '../../../../src/config/schema.js';
import { cloudSpec } from '../../../helpers/cloud-spec.js';
import { MAX_AUTO_PARALLELISM, PARALLELISM_ENV, TerraformCli, terraformParallelism } from '../../../../src/tools/terraform.js';

describe('terraformParallelism', () => {
  it('is one per machine, at least 10 and at most 50, when nothing is configured', () => {
    expect(terraformParallelism(3, undefined, {})).toBe(10);
    expect(terraformParallelism(30, undefined, {})).toBe(30);
    expect(terraformParallelism(130, undefined, {})).toBe(MAX_AUTO_PARALLELISM);
    expect(MAX_AUTO_PARALLELISM).toBe(50);
  });

  it('takes spec.terraform.parallelism first, then K8SB_TERRAFORM_PARALLELISM', () => {
    expect(terraformParallelism(130, 7, { [PARALLELISM_ENV]: '90' })).toBe(7);
    expect(terraformParallelism(130, undefined, { [PARALLELISM_ENV]: '90' })).toBe(90);
    expect(terraformParallelism(3, undefined, { [PARALLELISM_ENV]: '  ' })).toBe(10);
  });

  it('refuses a malformed variable with a UsageError naming it (exit 2)', () => {
    for (const bad of ['abc', '0', '-3', '2.5', '1000']) {
      let error: unknown;
      try {
        terraformParallelism(3, undefined, { [PARALLELISM_ENV]: bad });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(UsageError);
      expect((error as UsageError).exitCode).toBe(2);
      expect((error as UsageError).message).toContain(`${PARALLELISM_ENV}=${JSON.stringify(bad)}`);
    }
  });

  it('the spec field is an integer from 1 to 256, unset by default', () => {
    expect(cloudSpec('aws').terraform.parallelism).toBeUndefined();
    expect(cloudSpec('aws', { terraform: { parallelism: 25 } }).terraform.parallelism).toBe(25);
    const base = { ...cloudSpec('aws') } as Record<string, unknown>;
    expect(clusterSpecSchema.safeParse({ ...base, terraform: { parallelism: 256 } }).success).toBe(true);
    for (const bad of [0, 257, 2.5, '10']) expect(clusterSpecSchema.safeParse({ ...base, terraform: { parallelism: bad } }).success).toBe(false);
  });
});

describe('TerraformCli passes -parallelism to plan, apply and destroy', () => {
  let dir = '';
  let binary = '';
  let argvLog = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'k8sb-tf-par-'));
    binary = join(dir, 'terraform');
    argvLog = join(dir, 'argv.log');
    // Records its argv (one line per call) and succeeds: plan says "no changes" (exit 0).
    await writeFile(binary, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${argvLog}'\nexit 0\n`);
    await chmod(binary, 0o755);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function argvOf(parallelism: number | undefined, env: Record<string, string> = {}): Promise<string[]> {
    await writeFile(argvLog, '');
    const cli = new TerraformCli({ dir, binary, env, ...(parallelism === undefined ? {} : { parallelism }) });
    await cli.plan();
    await cli.apply();
    await cli.destroy();
    return (await readFile(argvLog, 'utf8')).trim().split('\n');
  }

  for (const [machines, expected] of [[3, 10], [30, 30], [130, 50]] as const) {
    it(`${machines} machines: -parallelism=${expected}`, async () => {
      const calls = await argvOf(terraformParallelism(machines, undefined, {}));
      expect(calls.map((call) => call.split(' ')[1])).toEqual(['plan', 'apply', 'destroy']);
      for (const call of calls) expect(call.split(' ').filter((arg) => arg.startsWith('-parallelism'))).toEqual([`-parallelism=${expected}`]);
    });
  }

  it('the configured value, and none at all when unset', async () => {
    for (const call of await argvOf(terraformParallelism(130, 4, {}))) expect(call.split(' ')).toContain('-parallelism=4');
    for (const call of await argvOf(undefined)) expect(call).not.toContain('-parallelism');
  });

  it('leaves it to TF_CLI_ARGS / TF_CLI_ARGS_<command> when the person set it there', async () => {
    const calls = await argvOf(30, { TF_CLI_ARGS_apply: '-parallelism=2' });
    expect(calls[0]).toContain('-parallelism=30');
    expect(calls[1]).not.toContain('-parallelism');
    expect(calls[2]).toContain('-parallelism=30');
    for (const call of await argvOf(30, { TF_CLI_ARGS: '-lock=true -parallelism 3' })) expect(call).not.toContain('-parallelism');
  });
});
