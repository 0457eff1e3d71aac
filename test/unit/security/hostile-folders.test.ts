/**
 * What arrives in a cluster folder or a handed-over --config is data, and a refusal leaves every
 * file as it was (security review findings 3, 8-10, 21, 22 and issue item 6). Each case runs the
 * CLI in-process against a built-looking folder (test/helpers/cluster-fixture.ts) whose nodes'
 * SSH port refuses connections, and compares the folders byte for byte before and after.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { acquireLock } from '../../../src/state/lock.js';
import { StateStore } from '../../../src/state/state-store.js';
import { FACT_APPLIED_SPEC } from '../../../src/state/spec-record.js';
import { fakeIo, runCli } from '../../helpers/fake-io.js';
import { makeCluster, type ClusterFixture } from '../../helpers/cluster-fixture.js';

/** Every file under `root` with its content hash and mode: equal snapshots, nothing changed. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const info = lstatSync(path);
      if (info.isDirectory()) walk(path);
      else out[relative(root, path)] = `${(info.mode & 0o777).toString(8)} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
    }
  };
  if (existsSync(root)) walk(root);
  return out;
}

const run = (fixture: ClusterFixture, args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { cwd: fixture.cwd, env: { HOME: fixture.home, ...env } });

describe('a name is a name (finding 3)', () => {
  it('--config naming "../../victim" changes no folder outside ./clusters: destroy exits 2', async () => {
    const victim = await makeCluster('victim');
    const work = join(victim.cwd, 'w', 'x');
    mkdirSync(work, { recursive: true });
    // From <cwd>/w/x, clusters/../../victim is <cwd>/w/victim; put the victim's folder there.
    const evilTarget = join(victim.cwd, 'w', 'victim');
    mkdirSync(evilTarget, { recursive: true });
    for (const name of ['cluster.yaml', 'inventory.json', 'state.json']) writeFileSync(join(evilTarget, name), readFileSync(join(victim.dir.root, name)));
    const evil = join(work, 'evil.yaml');
    writeFileSync(evil, 'apiVersion: k8s-bootstrap.io/v1alpha1\nkind: Cluster\nname: ../../victim\nprovider: {name: static, hosts: [{address: 127.0.0.1, role: control-plane}]}\n');
    const before = snapshot(victim.cwd);

    for (const command of [['--yes', 'destroy'], ['status'], ['--yes', 'upgrade', '--to', '1.36.3'], ['kubeconfig', '--print']]) {
      const result = await runCli(['--config', evil, ...command], { cwd: work, env: { HOME: victim.home } });
      expect(result.code, `${command.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toContain(`name in ${evil}: must be a DNS-1123 label`);
      expect(result.stderr).toContain('(got "../../victim"): use "victim"');
    }
    expect(snapshot(victim.cwd)).toEqual(before);
  });

  it('refuses a folder whose cluster.yaml names another cluster than --config asks for', async () => {
    const fixture = await makeCluster('demo');
    const other = join(fixture.cwd, 'prod.yaml');
    writeFileSync(other, 'apiVersion: k8s-bootstrap.io/v1alpha1\nkind: Cluster\nname: prod\nprovider: {name: static, hosts: [{address: 127.0.0.1, role: control-plane}]}\n');
    const before = snapshot(fixture.cwd);
    const result = await run(fixture, ['--config', other, '--dir', fixture.dir.root, '--yes', 'destroy']);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(`${fixture.dir.specFile} describes cluster "demo", but name in ${other} names "prod"`);
    expect(snapshot(fixture.cwd)).toEqual(before);
  });

  it('refuses a state.json that names a cluster by a path', async () => {
    const fixture = await makeCluster('demo');
    const state = JSON.parse(readFileSync(fixture.dir.stateFile, 'utf8')) as Record<string, unknown>;
    writeFileSync(fixture.dir.stateFile, JSON.stringify({ ...state, cluster: '../../etc' }));
    const before = snapshot(fixture.cwd);
    const result = await run(fixture, ['--yes', 'destroy']);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(`${fixture.dir.stateFile} names cluster "../../etc", which is not a DNS-1123 label`);
    expect(snapshot(fixture.cwd)).toEqual(before);
  });
});

describe('inventory.json is validated on every load (finding 21)', () => {
  const tamper = async (change: (inventory: Record<string, any>) => void) => {
    const fixture = await makeCluster('demo');
    const inventory = JSON.parse(readFileSync(fixture.dir.inventoryFile, 'utf8')) as Record<string, any>;
    change(inventory);
    writeFileSync(fixture.dir.inventoryFile, JSON.stringify(inventory, null, 2));
    return fixture;
  };

  it.each([
    ['a public_ip with a command substitution and a bastion', (inv: Record<string, any>) => {
      inv.control_plane[0].public_ip = '$(touch /tmp/k8sb-pwned)';
      inv.bastion = { host: '127.0.0.9' };
    }, /field "control_plane\.0\.public_ip": must be an IPv4 address or a DNS name \(got "\$\(touch \/tmp\/k8sb-pwned\)"\)/],
    ['a node name with a slash', (inv: Record<string, any>) => { inv.workers[0].name = '../worker'; }, /field "workers\.0\.name": must be a DNS-1123 label/],
    ['an ssh_user that is an option', (inv: Record<string, any>) => { inv.ssh_user = '-oProxyCommand=id'; }, /field "ssh_user": must be a Linux user name/],
    ['two nodes with one private address', (inv: Record<string, any>) => { inv.workers[0].private_ip = inv.control_plane[0].private_ip; }, /is also used by "cp-1"/],
  ])('refuses %s with exit 2 before any SSH, for status and ssh alike', async (_name, change, message) => {
    const fixture = await tamper(change);
    const before = snapshot(fixture.cwd);
    for (const args of [['status'], ['ssh', 'cp-1', '--', 'id']]) {
      const result = await run(fixture, args);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(`${fixture.dir.inventoryFile} cannot be used`);
      expect(result.stderr).toMatch(message);
    }
    expect(existsSync('/tmp/k8sb-pwned')).toBe(false);
    expect(snapshot(fixture.cwd)).toEqual(before);
  });
});

describe('init changes a started cluster only with the spec it was built from (findings 8, 10)', () => {
  async function builtCluster(): Promise<ClusterFixture> {
    const fixture = await makeCluster('demo');
    const state = await StateStore.open(fixture.dir.stateFile, 'demo');
    await state.update((current) => {
      current.facts[FACT_APPLIED_SPEC] = JSON.stringify(fixture.spec);
    });
    return fixture;
  }

  it('refuses a cluster.yaml edited in place (the guard compares with state.json, not with the file)', async () => {
    const fixture = await builtCluster();
    const edited = readFileSync(fixture.dir.specFile, 'utf8').replace('version: 1.36.2', 'version: 1.36.3');
    expect(edited).not.toBe(readFileSync(fixture.dir.specFile, 'utf8'));
    writeFileSync(fixture.dir.specFile, edited);
    const before = snapshot(fixture.cwd);
    const result = await run(fixture, ['--dir', fixture.dir.root, '--config', fixture.dir.specFile, '--yes', 'init']);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(`The cluster in ${fixture.dir.root} was built from another spec than this one: kubernetes.version: "1.36.2" → "1.36.3"`);
    expect(snapshot(fixture.cwd)).toEqual(before);
  });

  it('takes the lock before it compares or writes cluster.yaml: a locked folder keeps its spec', async () => {
    const fixture = await makeCluster('demo');
    // An init that has just started elsewhere (no step finished yet) holds the lock.
    const state = await StateStore.open(fixture.dir.stateFile, 'demo');
    await state.update((current) => {
      current.steps = {};
    });
    const lock = await acquireLock(fixture.dir, 'init', { releaseOnExit: false });
    try {
      const before = snapshot(fixture.cwd);
      const result = await run(fixture, ['--dir', fixture.dir.root, '--yes', 'init', '--name', 'demo', '--provider', 'static', '--control-plane-host', '127.0.0.2', '--ssh-key', join(fixture.dir.secretsDir, 'ssh_ed25519')]);
      expect(result.code, result.stderr).not.toBe(0);
      expect(result.stderr).toContain('The cluster is locked by "init"');
      expect(existsSync(join(fixture.dir.root, 'cluster.yaml.previous'))).toBe(false);
      expect(snapshot(fixture.cwd)).toEqual(before);
    } finally {
      await lock.release();
    }
  });

  it('--dry-run on a live cluster writes to a scratch folder, never into the cluster folder', async () => {
    const fixture = await builtCluster();
    const before = snapshot(fixture.cwd);
    const result = await run(fixture, ['--dir', fixture.dir.root, '--config', fixture.dir.specFile, '--yes', 'init', '--dry-run']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(new RegExp(`${fixture.dir.root} holds a built cluster \\(inventory\\.json\\): the dry run writes to (\\S+) instead`));
    const scratch = /writes to (\S+) instead/.exec(result.stderr)![1]!;
    expect(existsSync(join(scratch, 'cluster.yaml'))).toBe(true);
    expect(result.stdout).toContain(`Written to ${scratch}:`);
    expect(snapshot(fixture.cwd)).toEqual(before);
  });
});

describe('nothing is created or changed without a yes (issue item 6)', () => {
  const COMMANDS: Array<[string, string[]]> = [
    ['init', ['init', '--name', 'fresh', '--provider', 'static', '--control-plane-host', '127.0.0.2']],
    ['add-workers', ['add-workers', '--host', '127.0.0.3,name=worker-2']],
    ['remove-workers', ['remove-workers', '--node', 'worker-1']],
    ['upgrade', ['upgrade', '--to', '1.36.3']],
    ['destroy', ['destroy']],
  ];
  it.each(COMMANDS)('%s without --yes and without a terminal refuses with one message, exit 2, nothing changed', async (command, args) => {
    const fixture = await makeCluster('demo');
    const before = snapshot(fixture.cwd);
    const result = await run(fixture, command === 'init' ? args : ['--dir', fixture.dir.root, ...args]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(`Error: ${command} changes things only after a yes, and there is no terminal to ask (stdin or stderr is not a terminal, or CI is set); nothing was changed`);
    expect(result.stderr).toContain('Hint: Run it in a terminal to answer the question, or pass --yes to go ahead without it.');
    expect(result.stderr).not.toContain('auto-confirmed');
    expect(snapshot(fixture.cwd)).toEqual(before);
  });

  it('`init | tee log` at a terminal asks on stderr (stdout is a pipe) and takes Enter for No', async () => {
    const fixture = await makeCluster('demo');
    const io = fakeIo({ cwd: fixture.cwd, env: { HOME: fixture.home, CI: '' } });
    io.stdin.isTTY = true;
    io.stderr.isTTY = true;
    io.stdout.isTTY = false;
    const answered = new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (!io.stderr.text.includes('Create cluster')) return;
        clearInterval(timer);
        (io.stdin as PassThrough).write('\r');
        resolve();
      }, 20);
    });
    const config = join(fixture.cwd, 'fresh.yaml');
    writeFileSync(config, readFileSync(fixture.dir.specFile, 'utf8').replace('name: demo', 'name: fresh'));
    const code = await main(['node', 'k8s-bootstrap', '--dir', join(fixture.cwd, 'fresh'), '--config', config, 'init'], io);
    await answered;
    // Inquirer's confirm with No pre-selected shows (y/N).
    expect(io.stderr.text).toMatch(/Create cluster fresh now\?[\s\S]*\(y\/N\)/);
    expect(io.stderr.text).not.toContain('auto-confirmed');
    // A "no" is an answer, not an interrupt: exit 1 (130 means Ctrl-C).
    expect(code, io.stderr.text).toBe(1);
    expect(io.stderr.text).toContain('Nothing was created');
    // The hosts were never asked: no inventory, no log of a run.
    expect(existsSync(join(fixture.cwd, 'fresh', 'inventory.json'))).toBe(false);
  });
});
