/**
 * Secret hygiene, searched for rather than assumed: runs with known secret values (fake cloud
 * credentials, the fleet's private key, and what the run itself creates — bootstrap token,
 * certificate key, VRRP password, admin client key), then searches stdout, stderr, logs/,
 * state.json, cluster.yaml, inventory.json, terraform/ and packer/ — every file of the cluster
 * folder outside secrets/ — for each one. Also: secret files 0600 in a 0700 folder, and a private
 * key readable by others is refused before any SSH.
 *
 * Commands after init are a list (FOLLOW_UPS): adding one is one line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, copyFileSync, cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Fleet } from '../../fleet/fleet.js';
import { hasCommand, missingRequirement } from '../../helpers/require-tool.js';
import { runCli, type FakeRun } from '../../helpers/fake-io.js';
import { cli, failureText, fleetSkipReason, initArgs, preparedFleetOf, publicFiles, tempDir } from '../cluster/cluster-helpers.js';
import { DEFAULT_KUBERNETES_VERSION } from '../../../src/kube/versions.js';

const fleetSkip = fleetSkipReason();

interface Secret {
  what: string;
  value: string;
}

/** Lines of the private key's body: any of them in an output means the key leaked. */
function keySecrets(path: string): Secret[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.length >= 20 && !line.startsWith('-----'))
    .map((line, i) => ({ what: `private key line ${i + 1}`, value: line }));
}

/** What the runs created and keep in secrets/ (read after each command: tokens get renewed). */
function runSecrets(dir: string): Secret[] {
  const found: Secret[] = [];
  const read = (name: string) => (existsSync(join(dir, 'secrets', name)) ? readFileSync(join(dir, 'secrets', name), 'utf8') : undefined);
  const join_ = read('join.json');
  if (join_) {
    const material = JSON.parse(join_) as { token?: string; certificateKey?: string };
    if (material.token) {
      found.push({ what: 'bootstrap token', value: material.token });
      found.push({ what: 'bootstrap token secret part', value: material.token.split('.')[1]! });
    }
    if (material.certificateKey) found.push({ what: 'certificate key', value: material.certificateKey });
  }
  const vrrp = read('vrrp_pass')?.trim();
  if (vrrp) found.push({ what: 'VRRP password', value: vrrp });
  const kubeconfig = existsSync(join(dir, 'kubeconfig')) ? readFileSync(join(dir, 'kubeconfig'), 'utf8') : '';
  const clientKey = /client-key-data:\s*(\S+)/.exec(kubeconfig)?.[1];
  if (clientKey) found.push({ what: 'admin client key data', value: clientKey });
  return found;
}

/** Every place a secret must not be: the runs' stdout/stderr and the cluster folder outside secrets/. */
function leaks(secrets: Secret[], runs: Array<{ name: string; run: FakeRun }>, dir: string): string[] {
  const places = [
    ...runs.flatMap(({ name, run }) => [
      { path: `${name}: stdout`, text: run.stdout },
      { path: `${name}: stderr`, text: run.stderr },
    ]),
    ...publicFiles(dir),
  ];
  const found: string[] = [];
  for (const secret of secrets) {
    for (const place of places) if (place.text.includes(secret.value)) found.push(`${secret.what} in ${place.path}`);
  }
  return found;
}

function expectSecretModes(dir: string): void {
  expect(statSync(join(dir, 'secrets')).mode & 0o777).toBe(0o700);
  for (const name of readdirSync(join(dir, 'secrets'))) {
    const stat = statSync(join(dir, 'secrets', name));
    if (stat.isFile()) expect(stat.mode & 0o777, `secrets/${name}`).toBe(0o600);
  }
  if (existsSync(join(dir, 'kubeconfig'))) expect(statSync(join(dir, 'kubeconfig')).mode & 0o777).toBe(0o600);
}

describe.skipIf(fleetSkip)('static HA: init and the day-2 commands leak no secret', () => {
  let fleet: Fleet;
  let cwd: string;
  let dir: string;
  const runs: Array<{ name: string; run: FakeRun }> = [];
  const seen = new Map<string, Secret>();
  const remember = (secrets: Secret[]) => secrets.forEach((s) => seen.set(s.value, s));
  const global = () => ['--dir', dir, '--output', 'plain', '--yes'];

  /** The commands after init, in order. Each must succeed; its outputs join the search. */
  const FOLLOW_UPS: Array<{ name: string; args: () => string[] }> = [
    { name: 'add-workers', args: () => [...global(), 'add-workers', '--host', `${fleet.node('worker-2').address},name=worker-2`] },
    { name: 'upgrade', args: () => [...global(), 'upgrade', '--to', '1.37.1'] },
  ];

  beforeAll(async () => {
    // Secrets appear from init on; node preparation handles none, so the nodes boot prepared.
    fleet = await preparedFleetOf(3, 2, '1.36.2');
    cwd = tempDir('secrets-ha');
    dir = join(cwd, 'cluster');
    remember(keySecrets(fleet.privateKeyPath));
  }, 60_000);

  afterAll(() => fleet?.stop());

  it('refuses a private key readable by others, naming the file, before any SSH', async () => {
    const loose = join(cwd, 'id_loose');
    copyFileSync(fleet.privateKeyPath, loose);
    chmodSync(loose, 0o644);
    const args = initArgs(fleet, { name: 'loose', dir: join(cwd, 'loose'), names: ['cp-1', 'worker-1'] }).map((a) => (a === fleet.privateKeyPath ? loose : a));
    const run = await cli(args, cwd);
    expect(run.code, failureText(run)).not.toBe(0);
    expect(run.stderr).toContain(loose);
    expect(run.stderr).toMatch(/0?644|readable by others|permissions/i);
    expect(fleet.allCommands()).toEqual([]);
  });

  it('init (3 control planes behind keepalived, VRRP password) leaks nothing', async () => {
    const names = ['cp-1', 'cp-2', 'cp-3', 'worker-1'];
    const run = await cli(initArgs(fleet, { name: 'secrets', dir, names, extra: ['--virtual-ip', `127.0.${fleet.id}.200`, '--kubernetes-version', '1.36.2'] }), cwd);
    runs.push({ name: 'init', run });
    expect(run.code, failureText(run)).toBe(0);
    const created = runSecrets(dir);
    expect(created.map((s) => s.what)).toEqual(expect.arrayContaining(['bootstrap token', 'certificate key', 'VRRP password', 'admin client key data']));
    remember(created);
    expect(leaks([...seen.values()], runs, dir)).toEqual([]);
    expectSecretModes(dir);
  }, 300_000);

  for (const followUp of FOLLOW_UPS) {
    it(`${followUp.name} leaks nothing`, async () => {
      const run = await runCli(followUp.args(), { cwd, env: { HOME: cwd } });
      runs.push({ name: followUp.name, run });
      expect(run.code, failureText(run)).toBe(0);
      remember(runSecrets(dir));
      expect(leaks([...seen.values()], runs, dir)).toEqual([]);
      expectSecretModes(dir);
    }, 300_000);
  }

  it('the search finds a planted leak (the check can fail)', () => {
    const any = [...seen.values()].find((s) => s.what === 'bootstrap token')!;
    expect(leaks([any], [{ name: 'planted', run: { code: 0, stdout: `x ${any.value} y`, stderr: '' } }], dir)).toEqual(['bootstrap token in planted: stdout']);
  });
});

describe.skipIf(fleetSkip ?? missingRequirement(hasCommand('terraform'), 'terraform is not on PATH'))('cloud init: the credentials from env leak nowhere', () => {
  const FAKE_AWS = { AWS_ACCESS_KEY_ID: 'AKIAFAKESECRETSRCH01', AWS_SECRET_ACCESS_KEY: 'fake-secret-search-0123456789abcdefghijklmn', AWS_SESSION_TOKEN: 'FwoGZXIvYXdzEFAKESESSIONTOKEN0123456789' };
  let fleet: Fleet;
  let cwd: string;
  let dir: string;

  beforeAll(async () => {
    // Cloud nodes boot from the Packer image: prepared, as there.
    fleet = await preparedFleetOf(1, 1, DEFAULT_KUBERNETES_VERSION);
    cwd = tempDir('secrets-cloud');
    dir = join(cwd, 'cluster');
    const moduleDir = join(cwd, 'module');
    cpSync(resolve(import.meta.dirname, '../../fixtures/terraform/fleet'), moduleDir, { recursive: true });
    const pick = (role: string) => fleet.nodes.filter((n) => n.role === role).map((n) => ({ name: n.name, address: n.address }));
    writeFileSync(join(moduleDir, 'fleet.auto.tfvars.json'), JSON.stringify({ fleet_control_planes: pick('control-plane'), fleet_workers: pick('worker') }));
    process.env.K8SB_SECRET_SEARCH_MODULE = moduleDir;
  }, 60_000);

  afterAll(() => {
    delete process.env.K8SB_SECRET_SEARCH_MODULE;
    fleet?.stop();
  });

  it('stdout, stderr, logs, state, inventory and terraform/ hold none of them', async () => {
    const run = await runCli(
      [
        '--dir', dir, '--output', 'plain', '--yes', '--verbose', 'init', '--name', 'cloudsec', '--provider', 'aws', '--region', 'eu-west-1',
        '--admin-cidr', '203.0.113.0/24', '--node-cidr', `127.0.${fleet.id}.0/24`, '--workers', '1',
        '--image-id', 'ami-0fleet0000000000', '--ssh-user', fleet.sshUser, '--ssh-key', fleet.privateKeyPath, '--cni', 'flannel',
      ],
      { cwd, env: { ...FAKE_AWS, K8SB_TERRAFORM_MODULE_DIR: process.env.K8SB_SECRET_SEARCH_MODULE, PATH: process.env.PATH } },
    );
    expect(run.code, failureText(run)).toBe(0);
    expect(existsSync(join(dir, 'terraform', 'terraform.tfvars.json'))).toBe(true);
    expect(existsSync(join(dir, 'inventory.json'))).toBe(true);
    const secrets: Secret[] = [
      ...Object.entries(FAKE_AWS).map(([what, value]) => ({ what, value })),
      ...keySecrets(fleet.privateKeyPath),
      ...runSecrets(dir),
    ];
    expect(secrets.length).toBeGreaterThan(5);
    expect(leaks(secrets, [{ name: 'init', run }], dir)).toEqual([]);
    expectSecretModes(dir);
  }, 300_000);
});
