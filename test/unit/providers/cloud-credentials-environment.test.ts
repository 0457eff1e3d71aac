/**
 * cloudIntegration.credentials: environment (issue 14, the user-created key): the CCM/CSI key
 * comes from K8SB_EXOSCALE_CCM_* / K8SB_OS_CCM_* (never the operator's EXOSCALE_API_KEY or OS_*
 * login), a missing variable stops the run before anything runs (exit 2, naming it), the values
 * are redacted and reach no tool's environment, the module gets cloud_credentials_from_terraform
 * = false, aws refuses it, and doctor says which source is used without printing values.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError, type ValidationIssue } from '../../../src/errors.js';
import { SecretSet } from '../../../src/engine/redact.js';
import { validateSpec } from '../../../src/config/validate/index.js';
import {
  CLOUD_CREDENTIAL_VARIABLES,
  cloudCredentialSource,
  cloudCredentialsIssue,
  readCloudCredentials,
} from '../../../src/providers/cloud-credentials.js';
import { cloudCredentialsSource } from '../../../src/providers/cloud-credentials-source.js';
import { runSecrets } from '../../../src/providers/credentials.js';
import { providerAdapter } from '../../../src/providers/index.js';
import { childEnvironment } from '../../../src/tools/subprocess.js';
import { assertCloudControllerCredentials, assertCredentials } from '../../../src/workflows/run/credentials-check.js';
import type { ClusterSpecInput } from '../../../src/config/schema.js';
import { runCli } from '../../helpers/fake-io.js';
import { resultOf } from '../../helpers/json-lines.js';
import { spec } from '../../helpers/terraform.js';

const OWN = { EXOSCALE_API_KEY: 'EXOoperatorownkey00000001', EXOSCALE_API_SECRET: 'operator-own-exoscale-secret-0123456789' };
const USER_KEY = 'EXOusermadeccmkey000000001';
const USER_SECRET = 'user-made-ccm-secret-0123456789abcdefghij';
const AC_ID = 'f0e1d2c3b4a5968778695a4b3c2d1e0f';
const AC_SECRET = 'user-made-application-credential-secret-01';
const EXO_ENV = { K8SB_EXOSCALE_CCM_API_KEY: USER_KEY, K8SB_EXOSCALE_CCM_API_SECRET: USER_SECRET };
const OS_ENV = { K8SB_OS_CCM_APPLICATION_CREDENTIAL_ID: AC_ID, K8SB_OS_CCM_APPLICATION_CREDENTIAL_SECRET: AC_SECRET };
const FROM_ENV: Partial<ClusterSpecInput> = { cloudIntegration: { credentials: 'environment' } };

const exoscale = (extra: Partial<ClusterSpecInput> = FROM_ENV) => spec({ name: 'exoscale', zone: 'de-fra-1' }, extra);
const openstack = (extra: Partial<ClusterSpecInput> = FROM_ENV) => spec({ name: 'openstack', region: 'RegionTwo' }, extra);

function issuesOf(run: () => unknown): ValidationIssue[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error.issues;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('the spec field', () => {
  it('defaults to terraform; environment is kept on exoscale and openstack', () => {
    expect(spec({ name: 'exoscale', zone: 'de-fra-1' }).cloudIntegration.credentials).toBe('terraform');
    expect(cloudCredentialSource(exoscale())).toBe('environment');
    expect(cloudCredentialSource(openstack())).toBe('environment');
    // Nothing to hand over with both parts off, on aws or static.
    expect(cloudCredentialSource(exoscale({ cloudIntegration: { credentials: 'environment', ccm: false, csi: false } }))).toBeUndefined();
  });

  it('aws refuses environment, naming the field, value and fix (the instance profiles are the credentials)', () => {
    const doc = { apiVersion: 'k8s-bootstrap.io/v1alpha1', kind: 'Cluster', name: 'demo', provider: { name: 'aws', region: 'eu-central-1' }, ssh: { adminCidrs: ['203.0.113.0/24'] }, cloudIntegration: { credentials: 'environment' } };
    const issues = issuesOf(() => validateSpec(doc));
    expect(issues).toEqual([
      expect.objectContaining({ path: 'cloudIntegration.credentials', value: 'environment', message: expect.stringMatching(/instance profiles/), fix: expect.stringMatching(/cloudIntegration\.credentials: terraform/) }),
    ]);
    expect(() => validateSpec({ ...doc, provider: { name: 'exoscale', zone: 'de-fra-1' } })).not.toThrow();
  });

  it('an unknown source is refused by the schema', () => {
    expect(() => exoscale({ cloudIntegration: { credentials: 'vault' as never } })).toThrow();
  });
});

describe('readCloudCredentials with credentials: environment', () => {
  it('exoscale: the K8SB_EXOSCALE_CCM_* key, never the operator\'s EXOSCALE_API_KEY, and no Terraform output needed', () => {
    expect(readCloudCredentials(exoscale(), {}, { ...OWN, ...EXO_ENV })).toEqual({ exoscale: { apiKey: USER_KEY, apiSecret: USER_SECRET } });
    // Outputs of a key Terraform made earlier are not used once the user brings one.
    expect(readCloudCredentials(exoscale(), { ccm_api_key: 'EXOfromterraform0000000', ccm_api_secret: 'from-terraform-secret-000000' }, EXO_ENV).exoscale?.apiKey).toBe(USER_KEY);
  });

  it('openstack: the K8SB_OS_CCM_* application credential, auth_url from the module, the region of cluster.yaml', () => {
    expect(readCloudCredentials(openstack(), { auth_url: 'https://keystone.example:5000/v3' }, { OS_APPLICATION_CREDENTIAL_ID: 'operator-id', ...OS_ENV })).toEqual({
      openstack: { authUrl: 'https://keystone.example:5000/v3', region: 'RegionTwo', applicationCredentialId: AC_ID, applicationCredentialSecret: AC_SECRET },
    });
  });

  it('a missing or empty variable is a ValidationError (exit 2) naming it; the operator\'s own key does not stand in', () => {
    let error: unknown;
    try {
      readCloudCredentials(exoscale(), {}, { ...OWN, K8SB_EXOSCALE_CCM_API_KEY: USER_KEY, K8SB_EXOSCALE_CCM_API_SECRET: ' ' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).exitCode).toBe(2);
    expect((error as ValidationError).message).toMatch(/cloudIntegration\.credentials: is environment, but K8SB_EXOSCALE_CCM_API_SECRET is not set/);
    expect((error as ValidationError).message).not.toContain(USER_KEY);
    expect(cloudCredentialsIssue(openstack(), {})?.message).toMatch(/K8SB_OS_CCM_APPLICATION_CREDENTIAL_ID, K8SB_OS_CCM_APPLICATION_CREDENTIAL_SECRET are not set/);
    expect(cloudCredentialsIssue(openstack(), {})?.fix).toMatch(/export K8SB_OS_CCM_APPLICATION_CREDENTIAL_ID and K8SB_OS_CCM_APPLICATION_CREDENTIAL_SECRET .*cloudIntegration\.credentials: terraform/);
    expect(cloudCredentialsIssue(exoscale({}), {})).toBeUndefined();
  });

  it('the variable names are the ones documented', () => {
    expect(CLOUD_CREDENTIAL_VARIABLES).toEqual({
      exoscale: { apiKey: 'K8SB_EXOSCALE_CCM_API_KEY', apiSecret: 'K8SB_EXOSCALE_CCM_API_SECRET' },
      openstack: { applicationCredentialId: 'K8SB_OS_CCM_APPLICATION_CREDENTIAL_ID', applicationCredentialSecret: 'K8SB_OS_CCM_APPLICATION_CREDENTIAL_SECRET' },
    });
  });
});

describe('the run\'s source, redaction and child environments', () => {
  it('exoscale: the source reads the variables without running terraform and registers them for redaction', async () => {
    const secrets = new SecretSet();
    // A folder without terraform/ and no terraform binary: reading outputs would fail.
    const source = cloudCredentialsSource({ spec: exoscale(), clusterDir: join(tmpdir(), 'k8sb-no-such-cluster'), env: { PATH: '/nonexistent', ...OWN, ...EXO_ENV }, secrets });
    expect(await source()).toEqual({ exoscale: { apiKey: USER_KEY, apiSecret: USER_SECRET } });
    expect([...secrets.values()].sort()).toEqual([USER_KEY, USER_SECRET].sort());
  });

  it('runSecrets redacts them from the run\'s start (only when the spec uses them)', () => {
    expect(runSecrets(exoscale(), { ...OWN, ...EXO_ENV }, () => undefined)).toEqual(expect.arrayContaining([USER_KEY, USER_SECRET]));
    expect(runSecrets(openstack(), OS_ENV, () => undefined)).toEqual(expect.arrayContaining([AC_ID, AC_SECRET]));
    expect(runSecrets(exoscale({}), { ...OWN, ...EXO_ENV }, () => undefined)).not.toContain(USER_SECRET);
  });

  it('no tool (terraform, packer, ssh) gets them in its environment; other K8SB_ variables still pass', () => {
    const env = childEnvironment({ PATH: '/usr/bin', K8SB_TERRAFORM_MODULE_DIR: '/m', ...EXO_ENV, ...OS_ENV });
    expect(env).toEqual({ PATH: '/usr/bin', K8SB_TERRAFORM_MODULE_DIR: '/m' });
  });

  it('init\'s check names the missing variables together with the provider\'s own', () => {
    const issues = issuesOf(() => assertCredentials(exoscale(), { EXOSCALE_API_KEY: OWN.EXOSCALE_API_KEY }, 'Cannot create the cluster', { cloudControllers: true }));
    expect(issues.map((issue) => issue.path)).toEqual(['credentials', 'cloudIntegration.credentials']);
    expect(() => assertCredentials(exoscale(), { ...OWN, ...EXO_ENV }, 'Cannot create the cluster', { cloudControllers: true })).not.toThrow();
    // destroy, add-workers and remove-workers apply no Secret: they do not ask for the key.
    expect(() => assertCredentials(exoscale(), OWN, 'Cannot destroy the cluster')).not.toThrow();
  });

  it('upgrade\'s check (it re-applies the Secrets) asks only for the key, not the provider login', () => {
    expect(issuesOf(() => assertCloudControllerCredentials(openstack(), {}, 'Cannot upgrade the cluster')).map((issue) => issue.path)).toEqual(['cloudIntegration.credentials']);
    expect(() => assertCloudControllerCredentials(openstack(), OS_ENV, 'Cannot upgrade the cluster')).not.toThrow();
    expect(() => assertCloudControllerCredentials(openstack({}), {}, 'Cannot upgrade the cluster')).not.toThrow();
  });
});

describe('the Terraform module is told not to create the key', () => {
  const extras = { sshPublicKey: 'ssh-ed25519 AAAA k', imageId: 'img-1' };
  it('cloud_credentials_from_terraform = false with environment, true by default', () => {
    expect(providerAdapter('exoscale').tfvars(exoscale(), extras)).toMatchObject({ cloud_credentials_from_terraform: false, cloud_ccm: true, cloud_csi: true });
    expect(providerAdapter('openstack').tfvars(openstack(), extras)).toMatchObject({ cloud_credentials_from_terraform: false });
    expect(providerAdapter('exoscale').tfvars(exoscale({}), extras)).toMatchObject({ cloud_credentials_from_terraform: true });
  });
});

describe('init and doctor from the command line', () => {
  const yaml = (provider: string) =>
    `apiVersion: k8s-bootstrap.io/v1alpha1\nkind: Cluster\nname: own\nprovider:\n  name: ${provider}\n${provider === 'exoscale' ? '  zone: de-fra-1\n' : '  region: RegionOne\n'}ssh:\n  adminCidrs: ["203.0.113.0/24"]\ncloudIntegration:\n  credentials: environment\n`;

  it('init exits 2 before anything runs when the K8SB_ variables are missing, naming them', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'k8sb-own-key-'));
    writeFileSync(join(cwd, 'cluster.yaml'), yaml('exoscale'));
    const run = await runCli(['--yes', '--dir', join(cwd, 'clusters'), '--config', join(cwd, 'cluster.yaml'), 'init', '--image-id', 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6'], { cwd, env: { ...OWN, PATH: '/nonexistent' } });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/cloudIntegration\.credentials: is environment, but K8SB_EXOSCALE_CCM_API_KEY, K8SB_EXOSCALE_CCM_API_SECRET are not set/);
    expect(existsSync(join(cwd, 'clusters', 'own', 'terraform'))).toBe(false);
    expect(run.stdout + run.stderr).not.toContain(OWN.EXOSCALE_API_SECRET);
  });

  describe('doctor', () => {
    const stubs: Record<string, string> = {
      terraform: `#!/bin/sh\necho '{"terraform_version":"1.11.0"}'\n`,
      packer: `#!/bin/sh\necho '1795430969,,version,1.11.2'\n`,
      ssh: `#!/bin/sh\necho 'OpenSSH_9.6p1' >&2\n`,
    };
    async function home(provider: string): Promise<{ cwd: string; bin: string }> {
      const cwd = mkdtempSync(join(tmpdir(), 'k8sb-own-key-doctor-'));
      const bin = join(cwd, 'bin');
      await mkdir(bin);
      for (const [name, text] of Object.entries(stubs)) {
        await writeFile(join(bin, name), text);
        await chmod(join(bin, name), 0o755);
      }
      await writeFile(join(cwd, 'cluster.yaml'), yaml(provider));
      return { cwd, bin };
    }

    it('says the user\'s key comes from the environment, never printing it', async () => {
      const { cwd, bin } = await home('exoscale');
      const run = await runCli(['--config', 'cluster.yaml', 'doctor'], { cwd, env: { PATH: bin, ...OWN, ...EXO_ENV } });
      expect(run.stdout).toContain('CCM/CSI credentials: your own key from the environment (K8SB_EXOSCALE_CCM_API_KEY, K8SB_EXOSCALE_CCM_API_SECRET)');
      expect(run.code).toBe(0);
      const json = await runCli(['--output', 'json', '--config', 'cluster.yaml', 'doctor'], { cwd, env: { PATH: bin, ...OWN, ...EXO_ENV } });
      expect((resultOf(json.stdout) as unknown as { cloudControllers: unknown }).cloudControllers).toMatchObject({ source: 'environment', ok: true, missing: [] });
      for (const value of [USER_KEY, USER_SECRET, OWN.EXOSCALE_API_SECRET]) expect(run.stdout + run.stderr + json.stdout + json.stderr).not.toContain(value);
    });

    it('names the missing variables and exits 1', async () => {
      const { cwd, bin } = await home('openstack');
      const run = await runCli(['--config', 'cluster.yaml', 'doctor'], { cwd, env: { PATH: bin, OS_CLOUD: 'x', OS_CLIENT_CONFIG_FILE: join(cwd, 'cluster.yaml'), K8SB_OS_CCM_APPLICATION_CREDENTIAL_ID: AC_ID } });
      expect(run.stdout).toContain('CCM/CSI credentials: MISSING (K8SB_OS_CCM_APPLICATION_CREDENTIAL_SECRET)');
      expect(run.stdout).not.toContain(AC_ID);
      expect(run.code).toBe(1);
    });

    it('without --config: the Terraform-made key, the default', async () => {
      const { cwd, bin } = await home('exoscale');
      const run = await runCli(['doctor', '--provider', 'exoscale'], { cwd, env: { PATH: bin, ...OWN } });
      expect(run.stdout).toMatch(/CCM\/CSI credentials: a restricted IAM role and API key created by Terraform \(the default/);
      const aws = await runCli(['doctor', '--provider', 'aws'], { cwd, env: { PATH: bin, AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKE1234', AWS_SECRET_ACCESS_KEY: 'fake-secret-0123456789' } });
      expect(aws.stdout).toContain('CCM/CSI credentials: the nodes\' IAM instance profiles, created by Terraform');
    });
  });
});
