/**
 * A real OpenSSH sshd on loopback addresses for the SSH layer tests: generated host and client
 * keys, a test user `k8sbssh` with passwordless sudo, logs at VERBOSE so tests can count
 * connections. Needs root (sshd and useradd) — callers skip otherwise.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCommand, isRoot } from './require-tool.js';

export const SSHD = '/usr/sbin/sshd';
export const TEST_USER = 'k8sbssh';
export const TEST_SUDOERS = `/etc/sudoers.d/${TEST_USER}`;

export function sshdAvailable(): boolean {
  return isRoot() && existsSync(SSHD) && hasCommand('ssh-keygen') && hasCommand('useradd');
}

/** Creates the test user once: login shell bash, not locked ('*' password), NOPASSWD sudo. */
export function ensureTestUser(): void {
  try {
    execFileSync('id', [TEST_USER], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['-m', '-s', '/bin/bash', TEST_USER], { stdio: 'ignore' });
  }
  // A '!' password means "locked", which sshd refuses even for key auth when PAM is off.
  execFileSync('usermod', ['-p', '*', TEST_USER], { stdio: 'ignore' });
  const sudoers = TEST_SUDOERS;
  if (!existsSync(sudoers)) {
    writeFileSync(sudoers, `${TEST_USER} ALL=(ALL) NOPASSWD:ALL\n`, { mode: 0o440 });
  }
}

function keygen(path: string, type = 'ed25519'): void {
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', 'k8sb-test', '-f', path], { stdio: 'ignore' });
}

async function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** `count` consecutive loopback addresses 127.0.0.a.. and one port free on all of them. */
export async function pickAddresses(count: number): Promise<{ hosts: string[]; port: number }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 50 + Math.floor(Math.random() * (200 - 50 - count));
    const port = 2222 + Math.floor(Math.random() * 20000);
    const hosts = Array.from({ length: count }, (_, i) => `127.0.0.${base + i}`);
    let free = true;
    for (const host of hosts) if (!(await portIsFree(host, port))) free = false;
    if (free) return { hosts, port };
  }
  throw new Error('no free loopback address/port found');
}

export class TestSshd {
  readonly dir: string;
  readonly clientKey: string;
  readonly logFile: string;
  private hostKey: string;
  private process?: ChildProcess;
  private rotation = 0;

  constructor(
    readonly hosts: string[],
    readonly port: number,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'k8sb-sshd-'));
    chmodSync(this.dir, 0o755);
    this.clientKey = join(this.dir, 'client_key');
    keygen(this.clientKey);
    chmodSync(this.clientKey, 0o600);
    writeFileSync(join(this.dir, 'authorized_keys'), readFileSync(`${this.clientKey}.pub`), { mode: 0o644 });
    this.hostKey = this.newHostKey();
    this.logFile = join(this.dir, 'sshd.log');
  }

  static async start(addressCount = 1): Promise<TestSshd> {
    ensureTestUser();
    const { hosts, port } = await pickAddresses(addressCount);
    const sshd = new TestSshd(hosts, port);
    await sshd.start();
    return sshd;
  }

  private newHostKey(): string {
    const path = join(this.dir, `host_key_${this.rotation++}`);
    keygen(path);
    return path;
  }

  private writeConfig(): string {
    const config = join(this.dir, 'sshd_config');
    writeFileSync(
      config,
      [
        `Port ${this.port}`,
        ...this.hosts.map((host) => `ListenAddress ${host}:${this.port}`),
        `HostKey ${this.hostKey}`,
        `PidFile ${join(this.dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(this.dir, 'authorized_keys')}`,
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        'PermitRootLogin no',
        `AllowUsers ${TEST_USER}`,
        'AllowTcpForwarding yes',
        'Subsystem sftp internal-sftp',
        'MaxStartups 200:30:400',
        'MaxSessions 20',
        'LogLevel VERBOSE',
        '',
      ].join('\n'),
    );
    return config;
  }

  async start(): Promise<void> {
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    const config = this.writeConfig();
    this.process = spawn(SSHD, ['-D', '-f', config, '-E', this.logFile], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      if (await this.accepting()) return;
      if (this.process.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`sshd did not start: ${existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : ''}`);
  }

  private accepting(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = tcpConnect(this.port, this.hosts[0]);
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  }

  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  /** Restarts with a freshly generated host key (a reinstalled machine, or an attacker). */
  async rotateHostKey(): Promise<void> {
    await this.stop();
    this.hostKey = this.newHostKey();
    await this.start();
  }

  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  /** Successful logins so far: one per TCP connection that got a session. */
  acceptedLogins(): number {
    return (this.log().match(/Accepted publickey for k8sbssh/g) ?? []).length;
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
