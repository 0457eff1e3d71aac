/**
 * What a root test run adds to the machine outside its temp folder: the fleet's login user `k8sb`
 * and the SSH harness's `k8sbssh` (each with passwordless sudo in /etc/sudoers.d), and the empty
 * host folders the fleet's nodes mount over. A run records which of them were missing when it
 * started and removes those at the end, once no other test run, fleet or test sshd still uses
 * them (a run started by hand, or another clone's run, may share the same users).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FLEET_BASE, HOST_MOUNTPOINTS } from '../fleet/fleet.js';
import { FLEET_USER, SUDOERS_FILE } from '../fleet/host-setup.js';
import { TEST_SUDOERS, TEST_USER } from './sshd-harness.js';
import { pidAlive } from './temp-root.js';

export interface FootprintPlaces {
  users: readonly string[];
  files: readonly string[];
  /** Removed only while empty, deepest first. */
  dirs: readonly string[];
  /** Removed with their contents: folders only tests fill (the SSH harness is the host itself). */
  trees: readonly string[];
  /** One file per live run, named by its pid. */
  registry: string;
  fleetBase: string;
}

export const DEFAULT_PLACES: FootprintPlaces = {
  users: [FLEET_USER, TEST_USER],
  files: [SUDOERS_FILE, TEST_SUDOERS],
  dirs: [...HOST_MOUNTPOINTS, FLEET_BASE],
  // The tool's upload folder on a node; the SSH harness's node is this machine (ssh-pool.test.ts).
  trees: ['/tmp/k8sb'],
  registry: '/run/k8sb-test-runs',
  fleetBase: FLEET_BASE,
};

export interface Footprint {
  places: FootprintPlaces;
  pid: number;
  /** What was missing when the run began: only these are ever removed. */
  missing: { users: string[]; files: string[]; dirs: string[]; trees: string[] };
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function userExists(user: string): boolean {
  try {
    execFileSync('id', ['-u', user], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Registers this run and notes what is missing. Not root: nothing to record (nothing gets created). */
export function recordFootprint(places: FootprintPlaces = DEFAULT_PLACES, pid = process.pid): Footprint | undefined {
  if (!isRoot()) return undefined;
  mkdirSync(places.registry, { recursive: true, mode: 0o755 });
  // Entries of runs that died before their teardown.
  for (const entry of readdirSync(places.registry)) if (!pidAlive(Number(entry))) rmSync(join(places.registry, entry), { force: true });
  writeFileSync(join(places.registry, String(pid)), '');
  return {
    places,
    pid,
    missing: {
      users: places.users.filter((user) => !userExists(user)),
      files: places.files.filter((file) => !existsSync(file)),
      dirs: places.dirs.filter((dir) => !existsSync(dir)),
      trees: places.trees.filter((tree) => !existsSync(tree)),
    },
  };
}

/** Why the shared users must stay for now, or undefined when nothing else uses them. */
export function stillInUse(places: FootprintPlaces, pid: number): string | undefined {
  const others = existsSync(places.registry) ? readdirSync(places.registry).map(Number).filter((other) => other !== pid && pidAlive(other)) : [];
  if (others.length > 0) return `test run ${others.join(', ')} is still running`;
  if (existsSync(places.fleetBase)) {
    for (const entry of readdirSync(places.fleetBase)) {
      if (!entry.startsWith('fleet-')) continue;
      const owner = Number(readFileSafe(join(places.fleetBase, entry, 'owner.pid')));
      if (owner !== pid && (!Number.isInteger(owner) || owner <= 0 || pidAlive(owner))) return `fleet ${entry} is running`;
    }
  }
  // Test sshds (sshd-harness.ts) run from a k8sb-sshd-* folder; a run of older code does not register.
  for (const proc of readdirSync('/proc')) {
    if (!/^\d+$/.test(proc)) continue;
    const cmdline = readFileSafe(join('/proc', proc, 'cmdline'));
    if (cmdline.includes('sshd') && cmdline.includes('k8sb-sshd-')) return `test sshd ${proc} is running`;
  }
  return undefined;
}

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function emptyDir(dir: string): boolean {
  try {
    return statSync(dir).isDirectory() && readdirSync(dir).length === 0;
  } catch {
    return false;
  }
}

export interface FootprintReport {
  removed: string[];
  /** Set when the run left things in place because something else still uses them. */
  keptBecause?: string;
}

/** Unregisters the run; removes what it added when nothing else needs it. */
export function removeFootprint(footprint: Footprint | undefined): FootprintReport {
  if (!footprint) return { removed: [] };
  const { places, pid, missing } = footprint;
  rmSync(join(places.registry, String(pid)), { force: true });
  if (Object.values(missing).every((list) => list.length === 0)) return { removed: [] };
  const busy = stillInUse(places, pid);
  if (busy) return { removed: [], keptBecause: busy };
  const removed: string[] = [];
  for (const file of missing.files) {
    if (!existsSync(file)) continue;
    rmSync(file, { force: true });
    removed.push(file);
  }
  for (const tree of missing.trees) {
    if (!existsSync(tree)) continue;
    rmSync(tree, { recursive: true, force: true });
    removed.push(tree);
  }
  for (const user of missing.users) {
    if (!userExists(user)) continue;
    // --remove: also the home folder useradd --create-home made; the user's own group goes with it.
    try {
      execFileSync('userdel', ['--remove', user], { stdio: 'ignore' });
    } catch {
      // Exit 12 ("cannot remove home") still removes the account; checked below.
    }
    if (!userExists(user)) removed.push(`user ${user}`);
  }
  // Deepest first, so /etc/apt/keyrings goes before /etc/apt if both were new.
  for (const dir of [...missing.dirs].sort((a, b) => b.length - a.length)) {
    if (!emptyDir(dir)) continue;
    rmdirSync(dir);
    removed.push(dir);
  }
  return { removed };
}
