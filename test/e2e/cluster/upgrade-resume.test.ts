/**
 * End to end, the built CLI as a child process: an upgrade killed with SIGKILL mid-rollout (while
 * the second worker is drained and its kubelet package is being installed) is finished by running
 * the same command again. The first control plane's `kubeadm upgrade apply` runs exactly once,
 * every node ends uncordoned and Ready at the target, and the stale lock is taken over with a notice.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fleet } from '../../fleet/fleet.js';
import { BIN, ensureBuilt } from '../../helpers/built-cli.js';
import { cli, failureText, fleetSkipReason, initArgs, nodesSeenBy, preparedFleetOf, tempDir } from './cluster-helpers.js';

const skip = fleetSkipReason();
const TARGET = '1.37.1';
const KILL_AT = `upgrade:${TARGET}:kubelet:worker-2`;

interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  events: Array<{ type: string; stepId?: string; reason?: string }>;
  stderr: string;
}

/** Runs the built CLI; `killOn` SIGKILLs it as soon as a matching event appears on its JSON stdout. */
function runChild(args: string[], cwd: string, killOn?: (event: { type: string; stepId?: string }) => boolean): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { PATH: process.env.PATH, HOME: cwd, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const run: ChildRun = { code: null, signal: null, events: [], stderr: '' };
    child.stderr.on('data', (chunk: Buffer) => (run.stderr += chunk.toString()));
    createInterface({ input: child.stdout }).on('line', (line) => {
      let event: ChildRun['events'][number];
      try {
        event = JSON.parse(line) as ChildRun['events'][number];
      } catch {
        return;
      }
      run.events.push(event);
      if (killOn?.(event)) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ ...run, code, signal }));
  });
}

describe.skipIf(skip)('an upgrade killed mid-rollout resumes where it stopped', () => {
  let fleet: Fleet;
  let cwd: string;
  let dir: string;
  let killed: ChildRun;
  let resumed: ChildRun;
  let cordonedAfterKill: boolean | undefined;
  let init: Awaited<ReturnType<typeof cli>>;

  beforeAll(async () => {
    await ensureBuilt();
    // Nodes boot prepared at the old version; the upgrade really moves their packages.
    fleet = await preparedFleetOf(1, 3, '1.36.2');
    cwd = tempDir('e2e-upgrade-resume');
    dir = join(cwd, 'cluster');
    init = await cli(initArgs(fleet, { name: 'resume', dir, extra: ['--kubernetes-version', '1.36.2'] }), cwd);
    if (init.code !== 0) return;
    // Slow package installs on worker-2: the kill lands while its kubelet is being upgraded.
    fleet.setFault('worker-2', { latencyMs: { 'apt-get install': 3_000 } });
    const args = ['--dir', dir, '--output', 'json', '--yes', 'upgrade', '--to', TARGET, '--timeout', '10m'];
    killed = await runChild(args, cwd, (event) => event.type === 'started' && event.stepId === KILL_AT);
    cordonedAfterKill = (await nodesSeenBy(fleet)).find((n) => n.name === 'worker-2')?.unschedulable;
    fleet.setFault('worker-2', {});
    resumed = await runChild(args, cwd);
  }, 400_000);

  afterAll(() => fleet?.stop());

  it('was killed with worker-2 drained by the first run', () => {
    expect(init.code, failureText(init)).toBe(0);
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.events.some((e) => e.type === 'started' && e.stepId === KILL_AT)).toBe(true);
    expect(killed.events.some((e) => e.type === 'run-finished')).toBe(false);
    expect(cordonedAfterKill).toBe(true);
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { steps: Record<string, unknown> };
    expect(Object.keys(state.steps)).toContain(`upgrade:${TARGET}:apply:cp-1`);
  });

  it('the second run finishes, takes over the stale lock with a notice, and skips the finished apply', () => {
    expect(resumed.code, resumed.stderr.slice(-4000)).toBe(0);
    expect(resumed.stderr).toMatch(/Took over a stale lock .*no longer exists/);
    expect(resumed.events).toContainEqual(expect.objectContaining({ type: 'skipped', stepId: `upgrade:${TARGET}:apply:cp-1`, reason: 'already done' }));
    expect(resumed.events).toContainEqual(expect.objectContaining({ type: 'skipped', stepId: `upgrade:${TARGET}:drain:worker-1` }));
    expect(resumed.events).toContainEqual(expect.objectContaining({ type: 'succeeded', stepId: `upgrade:${TARGET}:uncordon:worker-2` }));
  });

  it('ran kubeadm upgrade apply exactly once, on cp-1', () => {
    const applies = fleet.api().history.filter((e) => e.op === 'upgrade-apply');
    expect(applies.map((e) => e.node)).toEqual(['cp-1']);
    expect(fleet.toolCallsOn('cp-1').filter((c) => c.startsWith('kubeadm upgrade apply'))).toHaveLength(1);
  });

  it('leaves every node uncordoned and Ready at the target, and forgets the drained marks', async () => {
    const nodes = await nodesSeenBy(fleet);
    expect(nodes).toHaveLength(4);
    for (const node of nodes) {
      expect(node.ready, node.name).toBe(true);
      expect(node.unschedulable, node.name).toBe(false);
      expect(node.kubeletVersion, node.name).toBe(`v${TARGET}`);
    }
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { kubernetesVersion: string; facts: Record<string, unknown> };
    expect(state.kubernetesVersion).toBe(TARGET);
    expect(Object.keys(state.facts).filter((key) => key.startsWith('upgrade.'))).toEqual([]);
  });
});
