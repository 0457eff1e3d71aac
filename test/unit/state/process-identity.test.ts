import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isK8sBootstrapCommandLine, localSystem, parseStartTime } from '../../../src/state/process-identity.js';

describe('parseStartTime', () => {
  const fields = (comm: string, startTime: string) =>
    `4711 (${comm}) S 1 4711 4711 0 -1 4194304 2273 0 0 0 13 2 0 0 20 0 7 0 ${startTime} 745975808 10457 18446744073709551615 0 0 0`;

  it('reads field 22, counting from the last ")" since the command name may hold spaces and ")"', () => {
    expect(parseStartTime(fields('node', '993422'))).toBe(993422);
    expect(parseStartTime(fields('a) b (c', '42'))).toBe(42);
    // A name built to shift the fields: "x) S 1 2 3 …" must not be taken for the real fields.
    expect(parseStartTime(fields('x) R 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 777', '31337'))).toBe(31337);
  });

  it('gives nothing for text that is not a stat line', () => {
    expect(parseStartTime('')).toBeUndefined();
    expect(parseStartTime('4711 (node) S 1 2')).toBeUndefined();
    expect(parseStartTime(fields('node', 'abc'))).toBeUndefined();
  });
});

describe('isK8sBootstrapCommandLine', () => {
  it('recognises node running the bin script, and nothing else', () => {
    expect(isK8sBootstrapCommandLine(['node', '/usr/local/bin/k8s-bootstrap', 'init', '--yes'])).toBe(true);
    expect(isK8sBootstrapCommandLine(['/usr/bin/node', '/opt/app/node_modules/k8s-bootstrap/bin/k8s-bootstrap.js', 'upgrade'])).toBe(true);
    expect(isK8sBootstrapCommandLine(['/sbin/init', 'splash'])).toBe(false);
    expect(isK8sBootstrapCommandLine(['node', '/srv/api/server.js'])).toBe(false);
    expect(isK8sBootstrapCommandLine(['bash', '/usr/local/bin/k8s-bootstrap'])).toBe(false);
    expect(isK8sBootstrapCommandLine(['node', '/srv/k8s-bootstrapper/main.js'])).toBe(false);
    expect(isK8sBootstrapCommandLine(['node', '/home/me/k8s-bootstrap/node_modules/vitest/vitest.mjs', 'run'])).toBe(false);
    expect(isK8sBootstrapCommandLine([])).toBe(false);
  });
});

describe.runIf(process.platform === 'linux')('localSystem against the real /proc', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) child.kill();
  });

  /** A node child that renames itself (comm and cmdline) and says when it has. */
  async function startNamed(args: string[]): Promise<ChildProcess> {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    return child;
  }

  it('reads the start time of a process whose name holds ") (" and spaces, agreeing with ps', async () => {
    const child = await startNamed(['-e', "process.title = 'x) S 1 2 (y'; console.log('ready'); setInterval(() => {}, 1000)"]);
    expect(readFileSync(`/proc/${child.pid}/stat`, 'utf8')).toContain('(x) S 1 2 (y)');
    const startTime = localSystem.processStartTime(child.pid!);
    expect(startTime).toBeGreaterThan(0);
    // ps computes the elapsed time on its own; uptime minus our start time must agree with it.
    const ticksPerSecond = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout);
    const elapsedByPs = Number(spawnSync('ps', ['-o', 'etimes=', '-p', String(child.pid)], { encoding: 'utf8' }).stdout);
    const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    expect(Math.abs(uptime - startTime! / ticksPerSecond - elapsedByPs)).toBeLessThan(2.5);
  });

  it('a process started later has a later start time; an exited one has none', async () => {
    const own = localSystem.processStartTime(process.pid)!;
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    expect(localSystem.processStartTime(Number(child.stdout))).toBeUndefined();
    expect(localSystem.processExists(Number(child.stdout))).toBe(false);
    const running = await startNamed(['-e', "console.log('ready'); setInterval(() => {}, 1000)"]);
    expect(localSystem.processStartTime(running.pid!)).toBeGreaterThanOrEqual(own);
  });

  it('reads the command line and recognises a node process running a k8s-bootstrap script', async () => {
    const folder = join(await mkdtemp(join(tmpdir(), 'k8sb-cmdline-')), 'k8s-bootstrap', 'bin');
    await mkdir(folder, { recursive: true });
    const script = join(folder, 'k8s-bootstrap.js');
    await writeFile(script, "console.log('ready'); setInterval(() => {}, 1000);\n");
    const tool = await startNamed([script, 'init']);
    expect(localSystem.processCommandLine(tool.pid!)).toEqual([process.execPath, script, 'init']);
    expect(isK8sBootstrapCommandLine(localSystem.processCommandLine(tool.pid!)!)).toBe(true);
    // The vitest worker running this test is node, but not k8s-bootstrap.
    expect(isK8sBootstrapCommandLine(localSystem.processCommandLine(process.pid)!)).toBe(false);
  });

  it('reads the boot id, the machine id and the pid namespace as the files say', () => {
    expect(localSystem.bootId()).toBe(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
    const machineIdFile = ['/etc/machine-id'].find((file) => existsSync(file) && readFileSync(file, 'utf8').trim());
    expect(localSystem.machineId()).toBe(machineIdFile ? readFileSync(machineIdFile, 'utf8').trim() : undefined);
    expect(localSystem.pidNamespace()).toMatch(/^pid:\[\d+\]$/);
  });

  it('never asks about process groups: pid 0 and negative pids do not exist', () => {
    expect(localSystem.processExists(process.pid)).toBe(true);
    expect(localSystem.processExists(0)).toBe(false);
    expect(localSystem.processExists(-1)).toBe(false);
    expect(localSystem.processStartTime(0)).toBeUndefined();
  });
});
