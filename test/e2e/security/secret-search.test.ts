/**
 * Secret hygiene, searched for rather than assumed: runs with known secret values (fake cloud
 * credentials, the fleet's private key, and what the run itself creates — bootstrap token,
 * certificate key, VRRP password, admin client key), then searches stdout, stderr, logs/,
 * state.json, cluster.yaml, inventory.json, terraform/ and packer/ — every file of the cluster
 * folder outside secrets/ — for each one. Also: secret files 0600 in a 0700 folder. This file
 * searches a cloud init (credentials from the environment); the static HA cluster's init,
 * add-workers and upgrade are searched in ha-lifecycle.test.ts (the search: secret-leaks.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Fleet } from '../../fleet/fleet.js';
import { hasCommand, missingRequirement } from '../../helpers/require-tool.js';
import { runCli } from '../../helpers/fake-io.js';
import { failureText, fleetSkipReason, preparedFleetOf, tempDir } from '../cluster/cluster-helpers.js';
import { expectSecretModes, keySecrets, leaks, runSecrets, type Secret } from './secret-leaks.js';
import { DEFAULT_KUBERNETES_VERSION } from '../../../src/kube/versions.js';

const fleetSkip = fleetSkipReason();

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
