/** init with no key file: the SSH key comes from ssh-agent (SSH_AUTH_SOCK), as many people run it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Fleet } from '../../fleet/fleet.js';
import { hasCommand, missingRequirement } from '../../helpers/require-tool.js';
import { failureText, fleetOf, fleetSkipReason, initArgs, nodesSeenBy, tempDir } from './cluster-helpers.js';
import { runCli } from '../../helpers/fake-io.js';

const skip = fleetSkipReason() ?? missingRequirement(hasCommand('ssh-agent') && hasCommand('ssh-add'), 'ssh-agent/ssh-add are not installed');

describe.skipIf(skip)('init authenticating through ssh-agent', () => {
  let fleet: Fleet;
  let agent: ChildProcess;
  let socket: string;
  let cwd: string;

  beforeAll(async () => {
    fleet = await fleetOf(1, 1);
    cwd = tempDir('e2e-agent');
    socket = join(cwd, 'agent.sock');
    agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    for (let i = 0; i < 50 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 100));
    execFileSync('ssh-add', [fleet.privateKeyPath], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
  }, 120_000);

  afterAll(() => {
    agent?.kill();
    fleet?.stop();
  });

  it('without a key file or an agent, stops before any SSH session and says what to pass', async () => {
    const dir = join(cwd, 'cluster');
    const args = initArgs(fleet, { name: 'agent', dir });
    args.splice(args.indexOf('--ssh-key'), 2);
    const run = await runCli(args, { cwd, env: { HOME: cwd, SSH_AUTH_SOCK: undefined } });
    // A configuration error (exit 2), found before the summary (review P4/P7).
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--ssh-key/);
    expect(run.stderr).toMatch(/SSH_AUTH_SOCK/);
    expect(fleet.allCommands()).toEqual([]);
  });

  it('builds the cluster with the agent\'s key and writes no key file of its own', async () => {
    const dir = join(cwd, 'cluster');
    const args = initArgs(fleet, { name: 'agent', dir });
    args.splice(args.indexOf('--ssh-key'), 2);
    const run = await runCli(args, { cwd, env: { HOME: cwd, SSH_AUTH_SOCK: socket } });
    expect(run.code, failureText(run)).toBe(0);
    const nodes = await nodesSeenBy(fleet);
    expect(nodes.map((n) => n.name).sort()).toEqual(['cp-1', 'worker-1']);
    expect(nodes.every((n) => n.ready)).toBe(true);
    expect(existsSync(join(dir, 'secrets', 'ssh_ed25519'))).toBe(false);
  });
});
