import { describe, expect, it } from 'vitest';
import { awsProfiles, credentialIssue, discoverCredentials, secretValues } from '../../../src/providers/credentials.js';

const noFiles = () => false;
const filesAt = (...paths: string[]) => (path: string) => paths.includes(path);

describe('discoverCredentials', () => {
  it('static needs none', () => {
    expect(discoverCredentials('static', {}, noFiles)).toMatchObject({ ok: true, missing: [] });
    expect(credentialIssue('static', {})).toBeUndefined();
  });

  it('exoscale: key and secret from the environment', () => {
    const found = discoverCredentials('exoscale', { EXOSCALE_API_KEY: 'EXOkey', EXOSCALE_API_SECRET: 'shh', OTHER: 'x' }, noFiles);
    expect(found).toEqual({ ok: true, source: 'environment (EXOSCALE_API_KEY, EXOSCALE_API_SECRET)', missing: [], values: { EXOSCALE_API_KEY: 'EXOkey', EXOSCALE_API_SECRET: 'shh' } });
    expect(discoverCredentials('exoscale', { EXOSCALE_API_KEY: 'EXOkey' }, noFiles)).toMatchObject({ ok: false, missing: ['EXOSCALE_API_SECRET'], values: {} });
  });

  it('openstack: OS_CLOUD needs a clouds.yaml', () => {
    const env = { OS_CLOUD: 'prod', HOME: '/home/u' };
    expect(discoverCredentials('openstack', env, noFiles)).toMatchObject({ ok: false, missing: ['clouds.yaml (./, ~/.config/openstack/ or /etc/openstack/)'] });
    const found = discoverCredentials('openstack', env, filesAt('/home/u/.config/openstack/clouds.yaml'));
    expect(found).toMatchObject({ ok: true, source: 'clouds.yaml entry OS_CLOUD=prod (/home/u/.config/openstack/clouds.yaml)' });
    expect(discoverCredentials('openstack', env, filesAt('/etc/openstack/clouds.yaml')).ok).toBe(true);
  });

  it.each([
    [{ OS_AUTH_URL: 'https://keystone', OS_USERNAME: 'u', OS_PASSWORD: 'p' }, true, []],
    [{ OS_AUTH_URL: 'https://keystone', OS_USER_ID: 'id', OS_PASSWORD: 'p' }, true, []],
    [{ OS_AUTH_URL: 'https://keystone', OS_APPLICATION_CREDENTIAL_ID: 'i', OS_APPLICATION_CREDENTIAL_SECRET: 's' }, true, []],
    [{ OS_AUTH_URL: 'https://keystone', OS_TOKEN: 't' }, true, []],
    [{ OS_AUTH_URL: 'https://keystone', OS_USERNAME: 'u' }, false, ['OS_PASSWORD']],
    [{ OS_AUTH_URL: 'https://keystone', OS_APPLICATION_CREDENTIAL_ID: 'i' }, false, ['OS_APPLICATION_CREDENTIAL_SECRET']],
    [{ OS_AUTH_URL: 'https://keystone' }, false, ['OS_USERNAME', 'OS_PASSWORD']],
    [{ OS_USERNAME: 'u', OS_PASSWORD: 'p' }, false, ['OS_CLOUD', 'OS_AUTH_URL']],
  ])('openstack %j', (env, ok, missing) => {
    expect(discoverCredentials('openstack', env, noFiles)).toMatchObject({ ok, missing });
  });

  it.each([
    [{ AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 's' }, noFiles, 'environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)'],
    [{ AWS_WEB_IDENTITY_TOKEN_FILE: '/t', AWS_ROLE_ARN: 'arn:aws:iam::1:role/x' }, noFiles, 'web identity (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN)'],
    [{ AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/creds' }, noFiles, 'container credentials (AWS_CONTAINER_CREDENTIALS_*)'],
    [{ AWS_PROFILE: 'team', HOME: '/h' }, filesAt('/h/.aws/config'), 'profile team (/h/.aws/config)'],
    [{ HOME: '/h' }, filesAt('/h/.aws/credentials'), 'profile default (/h/.aws/credentials)'],
    [{ AWS_SHARED_CREDENTIALS_FILE: '/elsewhere/creds', HOME: '/h' }, filesAt('/elsewhere/creds'), 'profile default (/elsewhere/creds)'],
  ] as const)('aws finds %j', (env, fsCheck, source) => {
    expect(discoverCredentials('aws', env, fsCheck)).toMatchObject({ ok: true, source });
  });

  it('aws without anything names the variables and says IMDS is not checked', () => {
    expect(discoverCredentials('aws', { HOME: '/h' }, noFiles)).toMatchObject({ ok: false, missing: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] });
    const issue = credentialIssue('aws', { HOME: '/h' }, noFiles);
    expect(issue?.message).toBe('no aws credentials found (missing: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)');
    expect(issue?.fix).toContain('AWS_PROFILE');
    expect(issue?.fix).toContain('instance metadata (IMDS) is not checked');
  });
});

describe('credentialIssue', () => {
  it('names the Exoscale variables and never a value', () => {
    const issue = credentialIssue('exoscale', { EXOSCALE_API_KEY: 'EXOverysecretkey' }, noFiles);
    expect(issue).toEqual({
      path: 'credentials',
      message: 'no exoscale credentials found (missing: EXOSCALE_API_SECRET)',
      fix: 'export EXOSCALE_API_KEY and EXOSCALE_API_SECRET (an API key of your Exoscale organisation)',
    });
    expect(JSON.stringify(issue)).not.toContain('EXOverysecretkey');
  });

  it('names OS_CLOUD and OS_AUTH_URL for OpenStack', () => {
    const issue = credentialIssue('openstack', {}, noFiles);
    expect(issue?.message).toBe('no openstack credentials found (missing: OS_CLOUD, OS_AUTH_URL)');
    expect(issue?.fix).toContain('OS_APPLICATION_CREDENTIAL_ID');
  });

  it('is undefined when credentials are there', () => {
    expect(credentialIssue('exoscale', { EXOSCALE_API_KEY: 'k', EXOSCALE_API_SECRET: 's' }, noFiles)).toBeUndefined();
  });
});

describe('secretValues', () => {
  it('returns the secrets present, for redaction', () => {
    expect(secretValues('aws', { AWS_ACCESS_KEY_ID: 'AKIA1', AWS_SECRET_ACCESS_KEY: 'sek', AWS_REGION: 'eu-west-1', AWS_SESSION_TOKEN: '' })).toEqual(['AKIA1', 'sek']);
    expect(secretValues('openstack', { OS_PASSWORD: 'pw', OS_USERNAME: 'me' })).toEqual(['pw']);
    expect(secretValues('exoscale', { EXOSCALE_API_KEY: 'k', EXOSCALE_API_SECRET: 's' })).toEqual(['k', 's']);
    expect(secretValues('static', { EXOSCALE_API_SECRET: 's' })).toEqual([]);
  });
});

describe('awsProfiles', () => {
  const files = (texts: Record<string, string>) => (path: string) => texts[path];

  it('lists [name] of the credentials file and [profile name] of the config file, once each, not sso-session', () => {
    const read = files({
      '/h/.aws/credentials': '[default]\naws_access_key_id = A\n[ci]\n',
      '/h/.aws/config': '[default]\nregion = eu-west-3\n[profile dev]\nsso_session = corp\n[sso-session corp]\n[services s3]\n[profile ci]\n',
    });
    expect(awsProfiles({ HOME: '/h' }, read)).toEqual([
      { name: 'default', file: '/h/.aws/credentials' },
      { name: 'ci', file: '/h/.aws/credentials' },
      { name: 'dev', file: '/h/.aws/config' },
    ]);
  });

  it('honours AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE', () => {
    const read = files({ '/e/creds': '[team]\n', '/e/conf': '[profile ops]\n' });
    expect(awsProfiles({ HOME: '/h', AWS_SHARED_CREDENTIALS_FILE: '/e/creds', AWS_CONFIG_FILE: '/e/conf' }, read).map((p) => p.name)).toEqual(['team', 'ops']);
    expect(awsProfiles({ HOME: '/h' }, files({}))).toEqual([]);
  });

  it('discovery says which profile the shared files give', () => {
    expect(discoverCredentials('aws', { HOME: '/h', AWS_PROFILE: 'dev' }, filesAt('/h/.aws/config'))).toMatchObject({ ok: true, profile: 'dev' });
    expect(discoverCredentials('aws', { AWS_ACCESS_KEY_ID: 'A', AWS_SECRET_ACCESS_KEY: 's' }, noFiles).profile).toBeUndefined();
  });
});
