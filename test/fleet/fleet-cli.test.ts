/**
 * `npm run fleet -- up` as a contributor runs it: the fleet comes up, prints where it is, answers
 * plain ssh with the printed key and known_hosts, and a SIGTERM to npm stops it leaving no sshd
 * and no fleet folder behind.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers/built-cli.js';
import { missingRequirement } from '../helpers/require-tool.js';
import { fleetAvailability } from './fleet.js';

const availability = fleetAvailability();
let child: ChildProcess | undefined;

afterAll(() => {
  // Only if the test failed half-way: the whole group (npm, sh, tsx, node).
  if (child?.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
});

/** Lines of stdout until `done` matches one; rejects on exit or after the timeout. */
function readUntil(proc: ChildProcess, done: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no ${done} within ${timeoutMs} ms:\n${out}\n${err}`)), timeoutMs);
    proc.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    proc.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (done.test(out)) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    proc.once('exit', (code) => reject(new Error(`exited ${code} before ${done}:\n${out}\n${err}`)));
  });
}

function sshdsOf(fleetDir: string): string[] {
  return readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid))
    .map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      } catch {
        return '';
      }
    })
    .filter((cmdline) => cmdline.includes(fleetDir));
}

describe.skipIf(missingRequirement(availability.ok, `simulated fleet: ${availability.reason}`))('npm run fleet -- up', () => {
  it('starts 2 nodes, prints address, user and key, answers ssh, and SIGTERM cleans up', async () => {
    child = spawn('npm', ['run', 'fleet', '--', 'up', '--nodes', '2'], { cwd: PROJECT_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = await readUntil(child, /Press Ctrl-C/, 30_000);
    const addresses = [...out.matchAll(/^\s+(cp-1|worker-1)\s+(127\.\d+\.\d+\.\d+):22\s/gm)].map((match) => match[2]!);
    expect(addresses).toHaveLength(2);
    const user = /^ssh user:\s+(\S+)$/m.exec(out)?.[1];
    const key = /^ssh key:\s+(\S+)$/m.exec(out)?.[1];
    const knownHosts = /^known_hosts:\s+(\S+)$/m.exec(out)?.[1];
    expect(user).toBe('k8sb');
    expect(existsSync(key!)).toBe(true);
    const fleetDir = key!.replace(/\/auth\/id_ed25519$/, '');
    expect(sshdsOf(fleetDir).length).toBeGreaterThanOrEqual(2);

    // The plain OpenSSH client, host key checked against the printed known_hosts (as plain-ssh.ts does).
    const hostname = await new Promise<string>((resolve, reject) =>
      execFile(
        'ssh',
        ['-i', key!, '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', `${user}@${addresses[1]}`, 'hostname'],
        (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout.trim())),
      ),
    );
    expect(hostname).toBe('worker-1');

    // SIGTERM to npm alone, as a supervisor or `kill PID` sends it.
    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    process.kill(child.pid!, 'SIGTERM');
    await exited;
    const deadline = Date.now() + 10_000;
    while ((existsSync(fleetDir) || sshdsOf(fleetDir).length > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(sshdsOf(fleetDir)).toEqual([]);
    expect(existsSync(fleetDir)).toBe(false);
  }, 60_000);
});
