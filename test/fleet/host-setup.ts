/**
 * One-time, idempotent host preparation for the simulated fleet: the login user, its sudo rule,
 * sshd's privilege-separation directory. Also the availability probe that lets e2e tests skip
 * with a reason on machines that cannot host the fleet.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

export const FLEET_USER = 'k8sb';
export const SUDOERS_FILE = '/etc/sudoers.d/k8sb-fleet';
const SUDOERS_RULE = `# Written by k8s-bootstrap's test fleet (test/fleet): the fleet's SSH user may sudo without a password.\n${FLEET_USER} ALL=(ALL:ALL) NOPASSWD: ALL\n`;

const REQUIRED_PROGRAMS = [
  '/usr/sbin/sshd',
  '/usr/lib/openssh/sftp-server',
  'unshare',
  'sudo',
  'ssh-keygen',
  'ssh',
  'openssl',
  'flock',
  'useradd',
  'tar',
];

let cachedAvailability: { ok: boolean; reason?: string } | undefined;

function onPath(program: string): boolean {
  if (program.startsWith('/')) return existsSync(program);
  try {
    execFileSync('sh', ['-c', 'command -v "$1"', 'sh', program], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Can this machine host a fleet? (Linux, root, OpenSSH server, sudo, mount+UTS+PID namespaces.) */
export function fleetAvailability(): { ok: boolean; reason?: string } {
  if (cachedAvailability) return cachedAvailability;
  cachedAvailability = probe();
  return cachedAvailability;
}

function probe(): { ok: boolean; reason?: string } {
  if (process.platform !== 'linux') return { ok: false, reason: 'the simulated fleet needs Linux namespaces' };
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    return { ok: false, reason: 'the simulated fleet needs root (sshd, mount namespaces, useradd)' };
  }
  const missing = REQUIRED_PROGRAMS.filter((program) => !onPath(program));
  if (missing.length > 0) {
    return { ok: false, reason: `the simulated fleet needs: ${missing.join(', ')} (apt-get install openssh-server sudo)` };
  }
  try {
    execFileSync('unshare', ['--mount', '--uts', '--pid', '--fork', '--mount-proc', '--propagation', 'private', 'sh', '-c', 'hostname fleet-probe && mount -t tmpfs none /mnt'], {
      stdio: 'ignore',
    });
  } catch {
    return { ok: false, reason: 'cannot create mount+UTS+PID namespaces here (unshare --mount --uts --pid failed)' };
  }
  return { ok: true };
}

/** Creates the fleet user (key-only logins) and its NOPASSWD sudo rule if missing. */
export function ensureFleetUser(): void {
  try {
    execFileSync('id', ['-u', FLEET_USER], { stdio: 'ignore' });
  } catch {
    try {
      execFileSync('useradd', ['--create-home', '--shell', '/bin/bash', '--user-group', FLEET_USER], { stdio: 'pipe' });
    } catch (error) {
      // Exit 9: a parallel test file created it first.
      if ((error as { status?: number }).status !== 9) throw error;
    }
  }
  // useradd leaves the password "!" (locked); with UsePAM no, sshd refuses locked accounts even
  // for key auth. "*" means "no password can match" without being "locked".
  const shadow = readFileSync('/etc/shadow', 'utf8')
    .split('\n')
    .find((line) => line.startsWith(`${FLEET_USER}:`));
  if (shadow && shadow.split(':')[1]?.startsWith('!')) {
    execFileSync('usermod', ['-p', '*', FLEET_USER], { stdio: 'pipe' });
  }
  const current = existsSync(SUDOERS_FILE) ? readFileSync(SUDOERS_FILE, 'utf8') : '';
  if (current !== SUDOERS_RULE) {
    const temp = `${SUDOERS_FILE}.${process.pid}.tmp`;
    writeFileSync(temp, SUDOERS_RULE, { mode: 0o440 });
    execFileSync('visudo', ['-cqf', temp], { stdio: 'pipe' });
    renameSync(temp, SUDOERS_FILE);
  }
  // sshd refuses to start without its privilege-separation directory.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
}

export function userIds(user = FLEET_USER): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
  return { uid, gid };
}
