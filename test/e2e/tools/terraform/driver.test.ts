/**
 * The real driver against the real terraform binary, on a test module of terraform_data
 * resources with the inventory contract's outputs.
 */
import { existsSync } from 'node:fs';
import { cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AbortError, ExternalToolError } from '../../../../src/errors.js';
import { checkInventory } from '../../../../src/providers/inventory-check.js';
import { runTool } from '../../../../src/tools/subprocess.js';
import { planOnlyAdditions, redactOutputs, resolveTerraformBinary, TerraformCli, type TerraformEvent } from '../../../../src/tools/terraform.js';
import { hasCommand, missingRequirement } from '../../../helpers/require-tool.js';
import { REPO, spec, tempDir } from '../../../helpers/terraform.js';

const skip = missingRequirement(hasCommand('terraform'), 'terraform is not on PATH: driver tests skipped');
const FAKE = join(REPO, 'test', 'fixtures', 'terraform', 'fake');
const cluster = spec({ name: 'static', hosts: [] }, { network: { nodeCidr: '10.240.0.0/16' } });

async function setVars(dir: string, vars: Record<string, unknown>) {
  await writeFile(join(dir, 'terraform.tfvars.json'), JSON.stringify(vars));
}

describe.skipIf(skip)('TerraformCli on the fake module', () => {
  let dir = '';
  let binary = '';
  const events: TerraformEvent[] = [];
  const lines: string[] = [];
  const cli = (extra: Partial<ConstructorParameters<typeof TerraformCli>[0]> = {}) =>
    new TerraformCli({ dir, binary, lockTimeout: '10s', onEvent: (e) => events.push(e), onLine: (l) => lines.push(l), ...extra });

  beforeAll(async () => {
    dir = await tempDir('fake');
    await cp(FAKE, dir, { recursive: true });
    binary = await resolveTerraformBinary('terraform');
    await cli().init();
  });

  it('init/plan/apply/output produce an Inventory, with a change summary and progress before it', async () => {
    await setVars(dir, { control_plane_count: 3, worker_count: 2 });
    events.length = 0;
    const plan = await cli().plan();
    expect(plan.hasChanges).toBe(true);
    expect(plan.summary).toMatchObject({ add: 5, change: 0, remove: 0 });
    expect(planOnlyAdditions(plan)).toBe(true);
    expect(events.some((e) => e.type === 'change_summary')).toBe(true);
    await cli().apply(plan.planFile);
    const kinds = events.map((e) => e.type);
    expect(kinds).toContain('apply_start');
    expect(kinds).toContain('apply_complete');
    expect(kinds.indexOf('change_summary')).toBeLessThan(kinds.indexOf('apply_start'));
    const complete = events.find((e) => e.type === 'apply_complete');
    // Workers are counted ([0]), control planes keyed by number (["1"]).
    expect(complete?.message).toMatch(/^terraform_data\.\w+\[(\d|"\d")\]: Created after \d+s$/);

    const outputs = await cli().output();
    const inventory = checkInventory(outputs, cluster);
    expect(inventory.control_plane.map((n) => n.name)).toEqual(['fake-cp-1', 'fake-cp-2', 'fake-cp-3']);
    expect(inventory.workers).toEqual([
      { name: 'fake-worker-1', public_ip: '198.51.100.100', private_ip: '10.240.1.10' },
      { name: 'fake-worker-2', public_ip: '198.51.100.101', private_ip: '10.240.1.11' },
    ]);
    expect(inventory.api_endpoint).toBe('10.240.0.10:6443');
  });

  it('W12: apply deletes the spent saved plan; a plan without changes can be discarded', async () => {
    await setVars(dir, { control_plane_count: 3, worker_count: 3 });
    const plan = await cli().plan();
    expect(existsSync(join(dir, plan.planFile))).toBe(true);
    await cli().apply(plan.planFile);
    expect(existsSync(join(dir, plan.planFile))).toBe(false);
    await setVars(dir, { control_plane_count: 3, worker_count: 2 });
    await cli().apply((await cli().plan()).planFile);
    const unchanged = await cli().plan();
    expect(unchanged.hasChanges).toBe(false);
    await cli().discardPlan(unchanged.planFile);
    expect(existsSync(join(dir, unchanged.planFile))).toBe(false);
  });

  it('never lets a sensitive output value reach events, lines or redacted outputs', async () => {
    const secret = 'fake-sensitive-value-0123';
    expect(JSON.stringify(events)).not.toContain(secret);
    expect(lines.join('\n')).not.toContain(secret);
    expect(lines.some((line) => line.includes('"outputs"'))).toBe(true);
    const outputs = await cli().output();
    expect(outputs.join_token?.value).toBe(secret);
    expect(JSON.stringify(redactOutputs(outputs))).not.toContain(secret);
  });

  it('a second apply with more workers only adds the new nodes', async () => {
    const before = await cli().stateList();
    await setVars(dir, { control_plane_count: 3, worker_count: 4 });
    const plan = await cli().plan();
    expect(plan.changes.map((c) => `${c.action} ${c.address}`).sort()).toEqual(['create terraform_data.worker[2]', 'create terraform_data.worker[3]']);
    expect(planOnlyAdditions(plan)).toBe(true);
    await cli().apply(plan.planFile);
    const after = await cli().stateList();
    expect(after).toEqual(expect.arrayContaining(before));
    expect(after).toHaveLength(before.length + 2);
    expect(checkInventory(await cli().output(), cluster).workers).toHaveLength(4);
  });

  it('planOnlyAdditions lists the destroys of a shrinking plan', async () => {
    await setVars(dir, { control_plane_count: 3, worker_count: 3 });
    const plan = await cli().plan();
    expect(planOnlyAdditions(plan)).toEqual([{ address: 'terraform_data.worker[3]', action: 'delete', reason: 'delete_because_count_index' }]);
  });

  it('a failing apply surfaces the diagnostic with its summary and address', async () => {
    await setVars(dir, { control_plane_count: 3, worker_count: 5, fail: true });
    const plan = await cli().plan();
    const error = await cli().apply(plan.planFile).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExternalToolError);
    const failure = error as ExternalToolError;
    expect(failure.code).toBe('TerraformFailed');
    expect(failure.message).toContain('local-exec provisioner error');
    expect(failure.message).toMatch(/terraform_data\.worker\[\d\]/);
    expect(failure.details.join('\n')).toContain('exit status 3');
    expect(events.some((e) => e.type === 'apply_errored')).toBe(true);
  });

  it('SIGINT during a slow apply stops terraform, throws aborted and releases the lock', async () => {
    await setVars(dir, { control_plane_count: 3, worker_count: 6, sleep_seconds: 30 });
    const plan = await cli().plan();
    const controller = new AbortController();
    let markStarted!: () => void;
    const started = new Promise<void>((resolve) => (markStarted = resolve));
    const run = cli({ signal: controller.signal, onEvent: (e) => e.type === 'apply_start' && markStarted() }).apply(plan.planFile);
    await started;
    controller.abort();
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect((error as AbortError).code).toBe('TerraformInterrupted');
    // The lock is free: a plan with the default locking succeeds at once.
    const check = await runTool(binary, [`-chdir=${dir}`, 'plan', '-input=false', '-no-color', '-lock-timeout=0s'], { allowFailure: true });
    expect(check.stderr).not.toContain('Error acquiring the state lock');
    expect(check.exitCode).toBe(0);
  });

  it('destroy empties the state', async () => {
    await setVars(dir, { control_plane_count: 1, worker_count: 1 });
    await cli().destroy();
    expect(await cli().stateList()).toEqual([]);
  });
});

describe('resolveTerraformBinary', () => {
  it('names the missing binary and how to install it', async () => {
    const error = await resolveTerraformBinary('tofu', { PATH: '/nonexistent' }).catch((e: unknown) => e);
    expect((error as Error).message).toContain('"tofu" was not found');
    expect((error as { hint?: string }).hint).toMatch(/opentofu\.org/);
  });

  it('takes the binary from K8SB_TERRAFORM_BINARY', async () => {
    const error = await resolveTerraformBinary(undefined, { PATH: '/nonexistent', K8SB_TERRAFORM_BINARY: 'tofu' }).catch((e: unknown) => e);
    expect((error as Error).message).toContain('"tofu"');
  });
});
