/**
 * A test run leaves the machine as it found it: vitest's globalSetup gives the run one TMPDIR and
 * removes it at the end (kept with K8SB_KEEP_TMP=1), and removes the users and sudo rules a root
 * run added once nothing else uses them. Driven here through the same functions vitest calls.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import config from '../../../vitest.config.js';
import setup from '../../helpers/global-setup.js';
import { recordFootprint, removeFootprint, type FootprintPlaces } from '../../helpers/host-footprint.js';
import { isRoot, missingRequirement } from '../../helpers/require-tool.js';

const saved = { TMPDIR: process.env.TMPDIR, K8SB_TEST_RUN_TMP: process.env.K8SB_TEST_RUN_TMP, K8SB_KEEP_TMP: process.env.K8SB_KEEP_TMP };
const scratch: string[] = [];

function restoreEnv(): void {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
}

afterEach(() => {
  restoreEnv();
  for (const folder of scratch.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** A parent folder standing in for the machine's /tmp. */
function parentFolder(): string {
  const folder = mkdtempSync(join(saved.TMPDIR ?? tmpdir(), 'cleanup-parent-'));
  scratch.push(folder);
  return folder;
}

/** What a test file does: a k8sb-* folder with a private key in it. */
function leaveTempFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'k8sb-day2-'));
  mkdirSync(join(folder, 'secrets'));
  writeFileSync(join(folder, 'secrets', 'ssh_ed25519'), 'not a real key', { mode: 0o600 });
  return folder;
}

const k8sbEntries = (folder: string) => readdirSync(folder).filter((entry) => entry.startsWith('k8sb-'));

describe('test run temp folders', () => {
  it('vitest runs the cleanup: globalSetup names global-setup.ts', () => {
    expect(config.test?.globalSetup).toContain('test/helpers/global-setup.ts');
  });

  it('puts every temp folder of the run under one TMPDIR and removes it at the end', () => {
    const parent = parentFolder();
    process.env.TMPDIR = parent;
    delete process.env.K8SB_TEST_RUN_TMP;
    delete process.env.K8SB_KEEP_TMP;
    const teardown = setup();
    expect(tmpdir().startsWith(join(parent, 'k8sb-run-'))).toBe(true);
    const left = leaveTempFolder();
    expect(existsSync(left)).toBe(true);
    teardown();
    expect(existsSync(left)).toBe(false);
    expect(k8sbEntries(parent)).toEqual([]);
  });

  it('keeps the folder when K8SB_KEEP_TMP=1, and a later run does not reap it', () => {
    const parent = parentFolder();
    process.env.TMPDIR = parent;
    delete process.env.K8SB_TEST_RUN_TMP;
    process.env.K8SB_KEEP_TMP = '1';
    setup()();
    const kept = k8sbEntries(parent);
    expect(kept).toHaveLength(1);
    process.env.TMPDIR = parent;
    delete process.env.K8SB_TEST_RUN_TMP;
    delete process.env.K8SB_KEEP_TMP;
    setup()();
    expect(k8sbEntries(parent)).toEqual(kept);
  });

  it('reaps the folder of a run that was killed before its teardown', () => {
    const parent = parentFolder();
    const dead = join(parent, 'k8sb-run-dead01');
    mkdirSync(dead);
    // A pid that cannot be alive: above the kernel's pid_max.
    writeFileSync(join(dead, 'owner.pid'), '4194400');
    process.env.TMPDIR = parent;
    delete process.env.K8SB_TEST_RUN_TMP;
    delete process.env.K8SB_KEEP_TMP;
    setup()();
    expect(k8sbEntries(parent)).toEqual([]);
  });
});

const root = missingRequirement(isRoot(), 'removing test users needs root');
describe.skipIf(root)('users and sudo rules a root run adds', () => {
  const USER = 'k8sbfoot';

  function places(base: string): FootprintPlaces {
    return { users: [USER], files: [join(base, 'sudoers-k8sbfoot')], dirs: [join(base, 'mnt', 'etc-kubernetes')], trees: [join(base, 'staging')], registry: join(base, 'runs'), fleetBase: join(base, 'fleet') };
  }

  function addFootprint(p: FootprintPlaces): void {
    execFileSync('useradd', ['--create-home', '--user-group', USER], { stdio: 'ignore' });
    writeFileSync(p.files[0]!, `${USER} ALL=(ALL) NOPASSWD:ALL\n`, { mode: 0o440 });
    mkdirSync(p.dirs[0]!, { recursive: true });
    mkdirSync(join(p.trees[0]!, 'left'), { recursive: true });
  }

  const userExists = () => {
    try {
      execFileSync('id', ['-u', USER], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };

  afterEach(() => {
    if (userExists()) execFileSync('userdel', ['--remove', USER], { stdio: 'ignore' });
  });

  it('removes what was missing when the run began, and nothing that was already there', () => {
    const base = parentFolder();
    const p = places(base);
    const footprint = recordFootprint(p);
    addFootprint(p);
    const report = removeFootprint(footprint);
    expect(report.keptBecause).toBeUndefined();
    expect(report.removed).toEqual(expect.arrayContaining([`user ${USER}`, p.files[0], p.dirs[0], p.trees[0]]));
    expect(userExists()).toBe(false);
    expect(existsSync(p.files[0]!)).toBe(false);
    expect(existsSync(p.dirs[0]!)).toBe(false);
    expect(existsSync(p.trees[0]!)).toBe(false);
    expect(existsSync(`/home/${USER}`)).toBe(false);

    // Already there at the start (a developer's own account, an earlier run): left alone.
    addFootprint(p);
    expect(removeFootprint(recordFootprint(p)).removed).toEqual([]);
    expect(userExists()).toBe(true);
  });

  it('keeps them while another test run still uses them', () => {
    const base = parentFolder();
    const p = places(base);
    const footprint = recordFootprint(p);
    addFootprint(p);
    // Another live run registered (this worker's parent, vitest itself, stands in for it).
    writeFileSync(join(p.registry, String(process.ppid)), '');
    const report = removeFootprint(footprint);
    expect(report.keptBecause).toContain(String(process.ppid));
    expect(userExists()).toBe(true);
  });
});
