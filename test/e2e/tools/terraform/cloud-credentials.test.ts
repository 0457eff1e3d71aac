/**
 * cloudCredentialsSource with real terraform on the fleet contract module: the CCM/CSI
 * credentials come from `terraform output -json` of the cluster folder, are registered for
 * redaction, and are read once.
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SecretSet } from '../../../../src/engine/redact.js';
import { cloudCredentialsSource } from '../../../../src/providers/cloud-credentials-source.js';
import { runTool } from '../../../../src/tools/subprocess.js';
import { hasCommand, missingRequirement } from '../../../helpers/require-tool.js';
import { spec, tempDir } from '../../../helpers/terraform.js';

const skip = missingRequirement(hasCommand('terraform'), 'terraform is not on PATH: cloud credentials from outputs not checked');

describe.skipIf(skip)('cloud credentials from the Terraform outputs of the cluster folder', () => {
  let clusterDir = '';

  beforeAll(async () => {
    clusterDir = await tempDir('cloud-creds');
    const dir = join(clusterDir, 'terraform');
    mkdirSync(dir);
    cpSync(resolve(import.meta.dirname, '../../../fixtures/terraform/fleet'), dir, { recursive: true });
    writeFileSync(join(dir, 'fleet.auto.tfvars.json'), JSON.stringify({ cluster_name: 'demo', ssh_user: 'ubuntu', control_plane_count: 1, worker_count: 0, fleet_control_planes: [{ name: 'demo-cp-1', address: '10.240.0.10' }], fleet_workers: [] }));
    const env = { TF_IN_AUTOMATION: '1', TF_INPUT: '0', CHECKPOINT_DISABLE: '1' };
    expect((await runTool('terraform', [`-chdir=${dir}`, 'init', '-input=false'], { env, allowFailure: true })).exitCode).toBe(0);
    expect((await runTool('terraform', [`-chdir=${dir}`, 'apply', '-auto-approve', '-input=false'], { env, allowFailure: true })).exitCode).toBe(0);
  }, 120_000);

  it('exoscale: reads the restricted key once and registers it for redaction', async () => {
    const secrets = new SecretSet();
    const source = cloudCredentialsSource({ spec: spec({ name: 'exoscale', zone: 'de-fra-1' }), clusterDir, env: process.env, secrets });
    const credentials = await source();
    expect(credentials.exoscale?.apiKey).toBe('EXO0fleet0fake0ccm0key00000');
    expect(credentials.exoscale?.apiSecret).toMatch(/^fleet-fake-ccm-secret-/);
    expect([...secrets.values()]).toEqual(expect.arrayContaining([credentials.exoscale!.apiKey, credentials.exoscale!.apiSecret]));
    expect(await source()).toBe(credentials);
  });

  it('openstack: the application credential and auth_url', async () => {
    const credentials = await cloudCredentialsSource({ spec: spec({ name: 'openstack', region: 'RegionOne' }), clusterDir, env: process.env, secrets: new SecretSet() })();
    expect(credentials.openstack).toMatchObject({ authUrl: 'https://keystone.fleet.invalid:5000/v3', region: 'RegionOne' });
    expect(credentials.openstack?.applicationCredentialSecret).toMatch(/^fleet-fake-application-credential-secret-/);
  });

  it('aws: nothing to read (instance profiles)', async () => {
    expect(await cloudCredentialsSource({ spec: spec({ name: 'aws' }), clusterDir: '/nonexistent', env: process.env, secrets: new SecretSet() })()).toEqual({});
  });
});
