/**
 * One writer per cluster, with real processes: two `add-workers` on the same cluster folder at
 * once. The first (slowed by a slow `kubeadm join` on its new node) holds lock.json; the second
 * exits 1 naming the holder's pid and command, and changes nothing; the first finishes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Fleet } from '../../fleet/fleet.js';
import { BIN, ensureBuilt } from '../../helpers/built-cli.js';
import { cli, failureText, fleetSkipReason, initArgs, nodesSeenBy, preparedFleetOf, tempDir } from './cluster-helpers.js';
import { DEFAULT_KUBERNETES_VERSION } from '../../../src/kube/versions.js';

const skip = fleetSkipReason();

interface ChildRun {
  pid: number;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

function runChild(args: string[], cwd: string): ChildRun {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { PATH: process.env.PATH, HOME: cwd, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += String(chunk)));
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { pid: child.pid!, done };
}

/** Polls until `condition` holds; a condition never met fails the test with `what`. */
async function until(condition: () => boolean, what: string, limitMs = 60_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(skip)('the cluster lock: two concurrent add-workers', () => {
  let fleet: Fleet;
  let cwd: string;
  let dir: string;

  beforeAll(async () => {
    await ensureBuilt();
    // The subject is the lock: the nodes boot prepared (as from the Packer image).
    fleet = await preparedFleetOf(1, 3, DEFAULT_KUBERNETES_VERSION);
    cwd = tempDir('e2e-lock');
    dir = join(cwd, 'cluster');
    const init = await cli(initArgs(fleet, { name: 'locked', dir, names: ['cp-1', 'worker-1'] }), cwd);
    if (init.code !== 0) throw new Error(`init failed: ${failureText(init)}`);
  }, 300_000);

  afterAll(() => fleet?.stop());

  it('the second exits 1 naming the holder (pid, add-workers) and the first finishes', async () => {
    fleet.setFault('worker-2', { latencyMs: { 'kubeadm join': 8000 } });
    const host = (name: string) => ['--host', `${fleet.node(name).address},name=${name}`];
    const lockFile = join(dir, 'lock.json');

    const first = runChild(['--dir', dir, '--output', 'plain', '--yes', 'add-workers', ...host('worker-2')], cwd);
    // The first run holds the lock once lock.json names its pid.
    await until(() => existsSync(lockFile) && readFileSync(lockFile, 'utf8').includes(`"pid": ${first.pid}`), 'the first add-workers to take the lock');
    const before = fleet.commandsOn('worker-3').length;
    const specBefore = readFileSync(join(dir, 'cluster.yaml'), 'utf8');

    const second = await runChild(['--dir', dir, '--output', 'plain', '--yes', 'add-workers', ...host('worker-3')], cwd).done;
    expect(second.code, second.stderr).toBe(1);
    expect(second.stderr).toContain(`pid ${first.pid}`);
    expect(second.stderr).toContain('"add-workers"');
    expect(second.stderr).toMatch(/locked by/);
    expect(fleet.commandsOn('worker-3').length).toBe(before);

    const firstResult = await first.done;
    expect(firstResult.code, `${firstResult.stdout}\n${firstResult.stderr}`).toBe(0);
    expect(existsSync(lockFile)).toBe(false);
    // The second run wrote nothing: only the first's worker joined.
    expect(specBefore).not.toContain('worker-3');
    expect(readFileSync(join(dir, 'cluster.yaml'), 'utf8')).not.toContain('worker-3');
    const nodes = await nodesSeenBy(fleet);
    expect(nodes.map((n) => n.name).sort()).toEqual(['cp-1', 'worker-1', 'worker-2']);
    expect(nodes.every((n) => n.ready)).toBe(true);
  }, 180_000);
});
