import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { ENV_VARS } from '../../../src/config/env-vars.js';
import { API_VERSION, KIND } from '../../../src/config/schema.js';
import { MissingValuesError, findMissingValues, mergeSpecSources, parseHostFlag } from '../../../src/config/resolve.js';
import { validateSpec } from '../../../src/config/validate/index.js';

/** The message of the UsageError `run` throws. */
function usageError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('expected a UsageError');
}

const fileDoc = () => ({
  apiVersion: API_VERSION,
  kind: KIND,
  name: 'from-file',
  provider: { name: 'exoscale', zone: 'de-fra-1' },
  kubernetes: { version: '1.36.2', cni: 'cilium' },
  ssh: { adminCidrs: ['198.51.100.0/24'], user: 'debian' },
});

describe('mergeSpecSources precedence: flag > file > env', () => {
  it('fills apiVersion and kind', () => {
    expect(mergeSpecSources({ flags: {}, env: {} })).toEqual({ apiVersion: API_VERSION, kind: KIND });
  });

  it('flags override the file', () => {
    const raw = mergeSpecSources({
      file: fileDoc(),
      flags: { name: 'from-flag', zone: 'ch-gva-2', kubernetesVersion: '1.37.1', adminCidr: ['203.0.113.0/24'], workers: 5, podCidr: '10.32.0.0/16' },
      env: {},
    });
    expect(raw).toMatchObject({
      name: 'from-flag',
      provider: { name: 'exoscale', zone: 'ch-gva-2' },
      kubernetes: { version: '1.37.1', cni: 'cilium' },
      ssh: { adminCidrs: ['203.0.113.0/24'], user: 'debian' },
      workers: { count: 5 },
      network: { podCidr: '10.32.0.0/16' },
    });
  });

  it('the file overrides the environment', () => {
    const raw = mergeSpecSources({
      file: fileDoc(),
      flags: {},
      env: { K8SB_NAME: 'from-env', K8SB_ZONE: 'at-vie-1', K8SB_KUBERNETES_VERSION: '1.35.0', K8SB_ADMIN_CIDRS: '192.0.2.0/24' },
    });
    expect(raw).toMatchObject({ name: 'from-file', provider: { zone: 'de-fra-1' }, kubernetes: { version: '1.36.2' }, ssh: { adminCidrs: ['198.51.100.0/24'] } });
  });

  it('the environment fills what neither gives', () => {
    const raw = mergeSpecSources({
      flags: {},
      env: {
        K8SB_NAME: 'env-cluster',
        K8SB_PROVIDER: 'aws',
        K8SB_REGION: 'eu-west-1',
        K8SB_ZONE: 'ignored-for-aws',
        K8SB_KUBERNETES_VERSION: '1.36.0',
        K8SB_SSH_KEY: '/keys/id',
        K8SB_ADMIN_CIDRS: ' 203.0.113.0/24, 198.51.100.7/32 ,',
      },
    });
    expect(raw).toEqual({
      apiVersion: API_VERSION,
      kind: KIND,
      name: 'env-cluster',
      provider: { name: 'aws', region: 'eu-west-1' },
      kubernetes: { version: '1.36.0' },
      ssh: { adminCidrs: ['203.0.113.0/24', '198.51.100.7/32'], privateKey: '/keys/id' },
    });
    expect(validateSpec(raw).provider).toEqual({ name: 'aws', region: 'eu-west-1' });
  });

  it('empty environment variables count as unset', () => {
    expect(mergeSpecSources({ flags: {}, env: { K8SB_NAME: '', K8SB_PROVIDER: '  ' } })).toEqual({ apiVersion: API_VERSION, kind: KIND });
  });

  it('switching provider by flag drops the file\'s provider settings', () => {
    const raw = mergeSpecSources({ file: fileDoc(), flags: { provider: 'aws', region: 'us-east-1' }, env: { K8SB_ZONE: 'x' } });
    expect(raw.provider).toEqual({ name: 'aws', region: 'us-east-1' });
    expect(validateSpec(raw).provider.name).toBe('aws');
  });

  it('host flags replace the file\'s hosts of that role only', () => {
    const file = {
      ...fileDoc(),
      provider: { name: 'static', hosts: [{ address: '192.0.2.1', role: 'control-plane' }, { address: '192.0.2.2', role: 'worker' }] },
    };
    const raw = mergeSpecSources({ file, flags: { controlPlaneHost: ['192.0.2.9,name=main'] }, env: {} });
    expect(raw.provider).toEqual({
      name: 'static',
      hosts: [
        { address: '192.0.2.9', role: 'control-plane', name: 'main' },
        { address: '192.0.2.2', role: 'worker' },
      ],
    });
  });

  it('refuses flags that do not apply to the provider', () => {
    expect(usageError(() => mergeSpecSources({ flags: { provider: 'aws', zone: 'ch-gva-2' }, env: {} }))).toBe(
      '--zone applies to the exoscale provider only (provider is aws)',
    );
    expect(() => mergeSpecSources({ flags: { provider: 'exoscale', region: 'eu' }, env: {} })).toThrow(
      '--region applies to the aws and openstack providers only (provider is exoscale)',
    );
    expect(() => mergeSpecSources({ flags: { provider: 'aws', workerHost: ['192.0.2.1'] }, env: {} })).toThrow(
      '--worker-host applies to the static provider only (provider is aws)',
    );
  });

  it('refuses sizes and machine types for static hosts, whose host list decides them', () => {
    expect(usageError(() => mergeSpecSources({ flags: { provider: 'static', workers: 2 }, env: {} }))).toBe(
      '--workers applies to the exoscale, openstack and aws providers only (provider is static)',
    );
    expect(() => mergeSpecSources({ flags: { provider: 'static', controlPlanes: 3 }, env: {} })).toThrow('--control-planes applies to');
    expect(() => mergeSpecSources({ flags: { provider: 'static', workerType: 't3.large' }, env: {} })).toThrow('--worker-type applies to');
  });

  it('names --virtual-ip itself when it is given for a cloud provider', () => {
    expect(usageError(() => mergeSpecSources({ flags: { provider: 'aws', virtualIp: '10.0.0.99' }, env: {} }))).toBe(
      '--virtual-ip applies to the static provider only (provider is aws)',
    );
  });

  it('a section the file leaves empty (YAML "network:" is null) counts as an empty mapping', () => {
    const file = { ...fileDoc(), network: null, workers: null, image: null };
    const raw = mergeSpecSources({ file, flags: { podCidr: '10.32.0.0/16' }, env: {} });
    expect(raw).toMatchObject({ network: { podCidr: '10.32.0.0/16' }, workers: {}, image: {} });
    expect(validateSpec(raw).network.podCidr).toBe('10.32.0.0/16');
  });

  it('refuses a file that is not a mapping', () => {
    expect(() => mergeSpecSources({ file: ['a'], flags: {}, env: {} })).toThrow(UsageError);
  });

  it('does not modify the file document', () => {
    const file = fileDoc();
    mergeSpecSources({ file, flags: { name: 'other', adminCidr: ['192.0.2.0/24'] }, env: {} });
    expect(file).toEqual(fileDoc());
  });
});

describe('parseHostFlag', () => {
  it('reads every option', () => {
    expect(parseHostFlag('192.0.2.5,private=10.0.0.5,name=cp-a,port=2222,user=admin', 'control-plane')).toEqual({
      address: '192.0.2.5',
      role: 'control-plane',
      privateAddress: '10.0.0.5',
      name: 'cp-a',
      port: 2222,
      user: 'admin',
    });
    expect(parseHostFlag('node.example.com', 'worker')).toEqual({ address: 'node.example.com', role: 'worker' });
  });

  it.each([
    ['192.0.2.5,color=red', 'control-plane', '--control-plane-host "192.0.2.5,color=red": unknown option "color=red"; allowed: private, name, port, user'],
    ['192.0.2.5,port=0', 'worker', '--worker-host "192.0.2.5,port=0": port must be a number from 1 to 65535, got "0"'],
    ['192.0.2.5,port=ssh', 'worker', '--worker-host "192.0.2.5,port=ssh": port must be a number from 1 to 65535, got "ssh"'],
    ['name=x', 'worker', '--worker-host "name=x": the address comes first'],
    ['192.0.2.5,name=a,name=b', 'worker', '--worker-host "192.0.2.5,name=a,name=b": name= is given twice'],
    ['192.0.2.5,user=', 'worker', '--worker-host "192.0.2.5,user=": user= needs a value'],
  ] as const)('refuses %j', (text, role, message) => {
    expect(usageError(() => parseHostFlag(text, role))).toBe(message);
  });
});

describe('findMissingValues', () => {
  it('lists every missing field with its flag and variable', () => {
    const missing = findMissingValues(mergeSpecSources({ flags: {}, env: {} }));
    expect(missing).toEqual([
      { field: 'name', flag: '--name', env: 'K8SB_NAME' },
      { field: 'provider', flag: '--provider', env: 'K8SB_PROVIDER' },
    ]);
    expect(new MissingValuesError(missing).message).toBe(
      'Missing values (running without prompts):\n  - name: pass --name or set K8SB_NAME\n  - provider: pass --provider or set K8SB_PROVIDER',
    );
    expect(new MissingValuesError(missing).exitCode).toBe(2);
  });

  it('cloud providers need admin CIDRs', () => {
    expect(findMissingValues(mergeSpecSources({ flags: { name: 'a', provider: 'openstack' }, env: {} }))).toEqual([
      { field: 'ssh.adminCidrs', flag: '--admin-cidr', env: 'K8SB_ADMIN_CIDRS' },
    ]);
  });

  it('static needs a control-plane host', () => {
    const missing = findMissingValues(mergeSpecSources({ flags: { provider: 'static', workerHost: ['192.0.2.3'] }, env: {} }));
    expect(missing).toEqual([
      { field: 'name', flag: '--name', env: 'K8SB_NAME' },
      { field: 'provider.hosts (a control-plane host)', flag: '--control-plane-host' },
    ]);
  });

  it('nothing is missing when flags give it all', () => {
    expect(findMissingValues(mergeSpecSources({ flags: { name: 'a', provider: 'static', controlPlaneHost: ['192.0.2.3'] }, env: {} }))).toEqual([]);
  });
});

describe('env var registry', () => {
  it('documents every variable the merge reads', () => {
    for (const name of ['K8SB_NAME', 'K8SB_PROVIDER', 'K8SB_ZONE', 'K8SB_REGION', 'K8SB_KUBERNETES_VERSION', 'K8SB_SSH_KEY', 'K8SB_ADMIN_CIDRS']) {
      expect(ENV_VARS).toHaveProperty(name);
    }
  });
});
