/**
 * B5: Ctrl-C in a terminal. The terminal sends SIGINT to its whole foreground process group; the
 * test emulates that by starting the driver script (the CLI's interrupt policy around the real
 * driver and the real terraform) in a session of its own and signalling the group. Terraform must
 * get exactly one interrupt per Ctrl-C the person pressed, and write its state.
 */
import { spawn } from 'node:child_process';
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTool } from '../../../../src/tools/subprocess.js';
import { resolveTerraformBinary, TerraformCli } from '../../../../src/tools/terraform.js';
import { hasCommand, missingRequirement } from '../../../helpers/require-tool.js';
import { REPO, tempDir } from '../../../helpers/terraform.js';

const skip = missingRequirement(hasCommand('terraform'), 'terraform is not on PATH: Ctrl-C tests skipped');
const MODULE = join(REPO, 'test', 'fixtures', 'terraform', 'interrupt');
const DRIVER = join(REPO, 'test', 'e2e', 'tools', 'terraform', 'ctrl-c-driver.ts');

interface DriverRun {
  pid: number;
  messages: Array<Record<string, unknown>>;
  stderr: () => string;
  waitFor: (test: (m: Record<string, unknown>) => boolean) => Promise<void>;
  waitForStderr: (pattern: RegExp) => Promise<void>;
  exited: Promise<number | null>;
}

/** A working dir with the interrupt module initialised and its plan saved. */
async function planned(vars: Record<string, unknown> = {}): Promise<{ dir: string; binary: string }> {
  const dir = await tempDir('ctrl-c');
  await cp(MODULE, dir, { recursive: true });
  await writeFile(join(dir, 'terraform.tfvars.json'), JSON.stringify(vars));
  const binary = await resolveTerraformBinary('terraform');
  const terraform = new TerraformCli({ dir, binary, lockTimeout: '10s' });
  await terraform.init();
  await terraform.plan();
  return { dir, binary };
}

/** The driver in a new session: its pid is the process group id, like a shell's foreground job. */
function startDriver(...args: string[]): DriverRun {
  const child = spawn(process.execPath, ['--import', 'tsx', DRIVER, ...args], { cwd: REPO, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const messages: Array<Record<string, unknown>> = [];
  let stderr = '';
  let buffered = '';
  const waiters: Array<() => void> = [];
  const wake = () => waiters.splice(0).forEach((w) => w());
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') messages.push(JSON.parse(line) as Record<string, unknown>);
    wake();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    wake();
  });
  const until = (ok: () => boolean, what: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; stderr: ${stderr}`)), 30_000);
      const check = () => {
        if (ok()) {
          clearTimeout(timer);
          resolve();
        } else waiters.push(check);
      };
      check();
    });
  return {
    pid: child.pid!,
    messages,
    stderr: () => stderr,
    waitFor: (test) => until(() => messages.some(test), 'a driver message'),
    waitForStderr: (pattern) => until(() => pattern.test(stderr), String(pattern)),
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
  };
}

/** What a terminal does on Ctrl-C: SIGINT to every process of the foreground group. */
function pressCtrlC(run: DriverRun): void {
  process.kill(-run.pid, 'SIGINT');
}

const terraformLines = (run: DriverRun) => run.messages.filter((m) => typeof m.line === 'string').map((m) => m.line as string);
const count = (lines: string[], text: string) => lines.filter((line) => line.includes(text)).length;

async function stateAddresses(dir: string): Promise<string[]> {
  const state = JSON.parse(await readFile(join(dir, 'terraform.tfstate'), 'utf8')) as { resources?: Array<{ type: string; name: string }> };
  return (state.resources ?? []).map((r) => `${r.type}.${r.name}`);
}

/** Processes still running terraform in this working dir (none may outlive the CLI). */
async function terraformsIn(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(`-chdir=${dir}`)) pids.push(Number(entry));
  }
  return pids;
}

const slowStarted = (m: Record<string, unknown>) => m.started === 'terraform_data.slow';

describe.skipIf(skip)('Ctrl-C in a terminal during terraform apply (real terraform, process-group SIGINT)', () => {
  it('one Ctrl-C reaches terraform once: no "Two interrupts received", the finished resource is in the state, the lock is free', async () => {
    const { dir, binary } = await planned();
    const run = startDriver('terraform', dir, binary, 'tfplan');
    await run.waitFor(slowStarted);
    // Let local-exec start its sleep, so terraform is inside a running operation.
    await new Promise((resolve) => setTimeout(resolve, 700));
    pressCtrlC(run);
    const code = await run.exited;
    const lines = terraformLines(run);

    expect(code, run.stderr()).toBe(130);
    expect(run.stderr()).toMatch(/Received SIGINT: stopping cleanly/);
    expect(lines.join('\n')).not.toContain('Two interrupts received');
    expect(count(lines, 'Interrupt received')).toBe(1);
    expect(run.messages.find((m) => 'error' in m)).toMatchObject({ error: 'TerraformInterrupted' });
    // Terraform wrote its state before it exited: what finished is recorded, what never ran is not.
    const addresses = await stateAddresses(dir);
    expect(addresses).toContain('terraform_data.first');
    expect(addresses).not.toContain('terraform_data.last');
    const check = await runTool(binary, [`-chdir=${dir}`, 'plan', '-input=false', '-no-color', '-lock-timeout=0s'], { allowFailure: true });
    expect(check.stderr).not.toContain('Error acquiring the state lock');
    expect(await terraformsIn(dir)).toEqual([]);
  }, 90_000);

  it('a second Ctrl-C is passed on once, and the CLI exits only after the tool has', async () => {
    const run = startDriver('stand-in');
    await run.waitFor((m) => m.line === 'stand-in ready');
    pressCtrlC(run);
    await run.waitFor((m) => m.line === 'interrupt 1');
    pressCtrlC(run);
    const code = await run.exited;
    const lines = terraformLines(run);

    expect(code, run.stderr()).toBe(130);
    expect(run.stderr()).toMatch(/Forcing: running tools are told to stop now/);
    expect(run.stderr()).toMatch(/Forced exit\. Run the same command again to resume\./);
    // One SIGINT per press, and the tool's own exit came before the CLI's.
    expect(lines).toEqual(['stand-in ready', 'interrupt 1', 'interrupt 2', 'stand-in exits']);
  }, 60_000);
});
