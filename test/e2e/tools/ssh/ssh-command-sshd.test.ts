/**
 * `ssh NODE -- COMMAND` and the OpenSSH argv of the interactive shell against a real sshd on
 * loopback: output and exit code come through, pinned host keys are enforced, the bastion path
 * works. Needs root and openssh-server (skips otherwise, fails under K8SB_REQUIRE_TOOLS=1).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_FAILURE } from '../../../../src/cli/main.js';
import { prepareOpenSsh, type OpenSshTarget } from '../../../../src/tools/ssh/interactive.js';
import { hasCommand, missingRequirement } from '../../../helpers/require-tool.js';
import { runCli } from '../../../helpers/fake-io.js';
import { sshdAvailable, TestSshd, TEST_USER } from '../../../helpers/sshd-harness.js';
import { makeCluster, type ClusterFixture } from '../../../helpers/cluster-fixture.js';

const skip = missingRequirement(sshdAvailable() && hasCommand('ssh'), 'ssh day-2 tests need root, /usr/sbin/sshd, ssh-keygen and the ssh client');

describe.skipIf(skip)('ssh against a real sshd', () => {
  let sshd: TestSshd;
  let fixture: ClusterFixture;

  beforeAll(async () => {
    sshd = await TestSshd.start(2);
    fixture = await makeCluster('real', {
      addresses: [sshd.hosts[0]!, sshd.hosts[1]!],
      port: sshd.port,
      ssh: { user: TEST_USER, privateKey: sshd.clientKey },
      hostKey: readFileSync(join(sshd.dir, 'host_key_0.pub'), 'utf8'),
    });
  }, 60_000);
  afterAll(async () => {
    await sshd?.dispose();
  });

  it('ssh NODE -- COMMAND prints the output and exits with the remote exit code', async () => {
    const result = await runCli(['ssh', 'worker-1', '--', 'echo', 'out-$((6*7));', 'echo err >&2;', 'exit 3'], { cwd: fixture.cwd, env: { HOME: fixture.home } });
    expect(result.stdout).toBe('out-42\n');
    expect(result.stderr).toContain('err\n');
    expect(result.code).toBe(3);
  });

  it('refuses a node whose host key differs from the pinned one', async () => {
    const other = await makeCluster('wrongkey', {
      addresses: [sshd.hosts[0]!, sshd.hosts[1]!],
      port: sshd.port,
      ssh: { user: TEST_USER, privateKey: sshd.clientKey },
    });
    const before = sshd.acceptedLogins();
    const result = await runCli(['ssh', 'cp-1', '--', 'true'], { cwd: other.cwd, env: { HOME: other.home } });
    expect(result.code).toBe(EXIT_FAILURE);
    expect(result.stderr).toMatch(/host key/i);
    expect(sshd.acceptedLogins()).toBe(before);
  });

  const knownHosts = () => [fixture.dir.knownHostsFile];

  /** Runs the system ssh the way the interactive shell does (generated config), without a terminal. */
  async function runOpenSsh(target: OpenSshTarget, command: string[]) {
    const invocation = await prepareOpenSsh(target, 'ssh', command);
    try {
      return spawnSync('ssh', invocation.argv, { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...invocation.env } });
    } finally {
      await invocation.dispose();
    }
  }

  it('the OpenSSH argv connects with the pinned key, directly and through the bastion', async () => {
    const run1 = await runOpenSsh({ host: sshd.hosts[1]!, port: sshd.port, user: TEST_USER, privateKeyPath: sshd.clientKey, knownHostsFiles: knownHosts() }, ['echo', 'direct-ok']);
    expect(run1.stderr).not.toMatch(/verification failed/);
    expect(run1.stdout.trim()).toBe('direct-ok');

    const run2 = await runOpenSsh(
      {
        host: sshd.hosts[1]!,
        port: sshd.port,
        user: TEST_USER,
        privateKeyPath: sshd.clientKey,
        knownHostsFiles: knownHosts(),
        bastion: { host: sshd.hosts[0]!, port: sshd.port, user: TEST_USER },
      },
      ['echo', 'bastion-ok'],
    );
    expect(run2.stdout.trim()).toBe('bastion-ok');
  });

  it('the OpenSSH argv refuses an unpinned host (StrictHostKeyChecking=yes)', async () => {
    const unpinned = await makeCluster('unpinned', { addresses: [sshd.hosts[0]!, sshd.hosts[1]!], port: sshd.port, ssh: { user: TEST_USER, privateKey: sshd.clientKey } });
    const result = await runOpenSsh({ host: sshd.hosts[1]!, port: sshd.port, user: TEST_USER, privateKeyPath: sshd.clientKey, knownHostsFiles: [unpinned.dir.knownHostsFile] }, ['echo', 'should-not-run']);
    expect(result.status).toBe(255);
    expect(result.stdout).not.toContain('should-not-run');
    expect(result.stderr).toMatch(/verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/);
  });
});
