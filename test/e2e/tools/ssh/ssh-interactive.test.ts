/**
 * The interactive shell's OpenSSH client reads exactly the pinned files, whatever the cluster
 * folder's path holds: OpenSSH's own parser (`ssh -G`) resolves the generated config to the same
 * known_hosts paths, and a real `ssh` connects with them to a node on 127.0.0.1, directly and
 * through a bastion hop.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareOpenSsh, type OpenSshTarget } from '../../../../src/tools/ssh/interactive.js';
import { startHostileNode } from '../../../fixtures/hostile-node/hostile-node.js';
import { hasCommand, missingRequirement } from '../../../helpers/require-tool.js';

const skip = missingRequirement(hasCommand('ssh') && hasCommand('ssh-keygen'), 'these tests need the OpenSSH client (ssh, ssh-keygen)');

/** Folder names OpenSSH would otherwise split, expand or choke on. */
const AWKWARD = ['with space', "it's", '${HOME}', '%d', 'back\\slash', 'dq"uote', '#hash', 'a=b'];

describe.skipIf(skip)('the OpenSSH client config of the interactive shell', () => {
  const root = mkdtempSync(join(tmpdir(), 'k8sb-ssh-paths-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function awkwardFile(name: string): string {
    const folder = join(root, ...AWKWARD);
    mkdirSync(folder, { recursive: true });
    return join(folder, name);
  }

  /** Runs ssh without blocking: the node answering it lives in this process. */
  function runSsh(argv: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn('ssh', argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('error', reject);
      child.on('close', (status) => {
        clearTimeout(timer);
        resolve({ status, stdout, stderr });
      });
    });
  }

  function sshG(argv: string[], env: Record<string, string>): Map<string, string> {
    const output = execFileSync('ssh', ['-G', ...argv], { encoding: 'utf8', env: { ...process.env, ...env } });
    return new Map(output.split('\n').map((line) => [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)]));
  }

  it('ssh -G resolves UserKnownHostsFile to the pinned files, for paths with spaces, quotes, ${HOME}, %d, \\ and #', async () => {
    const pinned = [awkwardFile('known_hosts'), join(root, "user's %u ${USER} hosts")];
    for (const single of AWKWARD) {
      mkdirSync(join(root, single), { recursive: true });
      pinned.push(join(root, single, 'known_hosts'));
    }
    const target: OpenSshTarget = { host: '127.0.0.1', port: 2299, user: 'root', knownHostsFiles: pinned, bastion: { host: '127.0.0.1', port: 2298, user: 'root' } };
    const invocation = await prepareOpenSsh(target, 'ssh', [], root);
    try {
      expect(statSync(dirname(invocation.configFile)).mode & 0o777).toBe(0o700);
      const node = sshG(invocation.argv.filter((word) => word !== '--'), invocation.env);
      expect(node.get('userknownhostsfile')).toBe(pinned.join(' '));
      expect(node.get('globalknownhostsfile')).toBe('/dev/null');
      expect(node.get('stricthostkeychecking')).toBe('true');
      const bastion = sshG(['-F', join(dirname(invocation.configFile), 'bastion.conf'), '127.0.0.1'], invocation.env);
      expect(bastion.get('userknownhostsfile')).toBe(pinned.join(' '));
    } finally {
      await invocation.dispose();
    }
  });

  it('a real ssh connects with a pinned key and an identity file under such paths, directly and through a bastion', async () => {
    const node = await startHostileNode({ reply: (command) => (command === 'echo reached' ? { stdout: 'reached\n' } : { code: 127 }) });
    const bastion = await startHostileNode({ forwardLoopback: true });
    try {
      const knownHosts = awkwardFile('pinned_known_hosts');
      writeFileSync(knownHosts, `[127.0.0.1]:${node.port} ${node.publicKey}\n[127.0.0.1]:${bastion.port} ${bastion.publicKey}\n`, { mode: 0o600 });
      const identity = awkwardFile('id_ed25519');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', identity]);
      const target: OpenSshTarget = { host: '127.0.0.1', port: node.port, user: 'root', privateKeyPath: identity, knownHostsFiles: [knownHosts] };

      for (const via of [undefined, { host: '127.0.0.1', port: bastion.port, user: 'root' }]) {
        const invocation = await prepareOpenSsh({ ...target, bastion: via }, 'ssh', ['echo', 'reached'], awkwardFile(''));
        try {
          const run = await runSsh(['-v', ...invocation.argv], invocation.env);
          expect(run.stderr).not.toMatch(/verification failed|Host key verification/);
          expect(run.stdout).toBe('reached\n');
          expect(run.status).toBe(0);
          // "type 3": loaded as an ed25519 key. ssh's log shows a backslash doubled.
          expect(run.stderr).toContain(`identity file ${identity.replace(/\\/g, '\\\\')} type 3`);
        } finally {
          await invocation.dispose();
        }
      }
      expect(node.commands).toEqual(['echo reached', 'echo reached']);
    } finally {
      await node.close();
      await bastion.close();
    }
  });
});
