/**
 * The whole init wizard, answered keystroke by keystroke through the real prompts (see
 * fake-terminal.ts). Each test checks the document the answers produce and that it validates.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_KUBERNETES_VERSION } from '../../../src/kube/versions.js';
import { validateSpec } from '../../../src/config/validate/index.js';
import { validators } from '../../../src/wizard/validators.js';
import { runInitWizard, type InitWizardResult } from '../../../src/wizard/init-wizard.js';
import { FakeTerminal, KEYS } from '../../helpers/fake-terminal.js';

let home: string;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'k8sb-wizard-'));
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

function start(env: NodeJS.ProcessEnv, seed: Record<string, unknown> = {}, options = {}) {
  const terminal = new FakeTerminal();
  const ctx = { canPrompt: true, stdin: terminal.stdin, stderr: terminal.stderr, env: { HOME: home, ...env } };
  const done: Promise<InitWizardResult> = runInitWizard(ctx, seed, options);
  // Surface a wizard failure at once instead of as a waitFor timeout.
  done.catch(() => undefined);
  return { terminal, done };
}

describe('init wizard', () => {
  it('static hosts: asks the hosts and roles, checks CIDRs as typed', async () => {
    const { terminal: t, done } = start({});
    await t.choose('Where should the nodes come from?', 3); // exoscale, openstack, aws, static
    await t.answer('Cluster name', 'lab');
    await t.answer('Host 1 address', '192.0.2.10');
    await t.choose('Role of 192.0.2.10'); // control plane is the default for the first host
    await t.answer('Add another host?', 'y');
    await t.answer('Host 2 address', '192.0.2.10'); // duplicate: refused while typing
    await t.waitFor('192.0.2.10 is already in the list');
    t.press(KEYS.clearLine, '192.0.2.11', KEYS.enter);
    await t.choose('Role of 192.0.2.11'); // worker is the default once a control plane exists
    await t.answer('Add another host?'); // default: no
    await t.answer('API endpoint'); // empty: the control plane itself
    await t.choose('Kubernetes version'); // recommended
    await t.choose('Container runtime');
    await t.choose('Pod network (CNI)', 1); // flannel
    await t.answer('Pod network CIDR', '10.244.0.0/33');
    await t.waitFor(String(validators.cidr('10.244.0.0/33')).slice(0, 40));
    t.press(KEYS.clearLine, '10.200.0.0/16', KEYS.enter);
    await t.answer('Service network CIDR', '10.200.128.0/20');
    await t.waitFor('overlaps the pod network 10.200.0.0/16');
    t.press(KEYS.clearLine, KEYS.enter); // the default
    await t.answer('SSH user on the nodes', 'debian');
    await t.choose('SSH key'); // no ~/.ssh/id_ed25519 here: generate one
    const { doc, credentials } = await done;

    expect(doc).toEqual({
      apiVersion: 'k8s-bootstrap.io/v1alpha1',
      kind: 'Cluster',
      name: 'lab',
      provider: {
        name: 'static',
        hosts: [
          { address: '192.0.2.10', role: 'control-plane' },
          { address: '192.0.2.11', role: 'worker' },
        ],
      },
      controlPlane: { count: 1 },
      workers: { count: 1 },
      kubernetes: { version: DEFAULT_KUBERNETES_VERSION, runtime: 'containerd', cni: 'flannel' },
      network: { podCidr: '10.200.0.0/16', serviceCidr: '10.96.0.0/12' },
      ssh: { user: 'debian' },
    });
    expect(credentials).toEqual({});
    expect(() => validateSpec(doc)).not.toThrow();
    expect(t.screen).not.toContain('Credentials');
  });

  it('static: insists on a control-plane host before the list can end', async () => {
    const { terminal: t, done } = start({}, { name: 'w', provider: { name: 'static' } });
    await t.answer('Host 1 address', '192.0.2.20');
    await t.choose('Role of 192.0.2.20', 1); // worker
    await t.waitFor('A cluster needs at least one control-plane host');
    await t.answer('Host 2 address', '192.0.2.10');
    await t.choose('Role of 192.0.2.10'); // control plane is still the default
    await t.answer('Add another host?');
    await t.answer('API endpoint', 'not an endpoint');
    await t.waitFor('must be HOST:PORT');
    t.press(KEYS.clearLine, 'api.example.com:6443', KEYS.enter);
    await t.choose('Kubernetes version');
    await t.choose('Container runtime');
    await t.choose('Pod network (CNI)');
    await t.answer('Pod network CIDR');
    await t.answer('Service network CIDR');
    await t.answer('SSH user on the nodes');
    await t.choose('SSH key');
    const { doc } = await done;
    expect(doc.provider).toEqual({
      name: 'static',
      apiEndpoint: 'api.example.com:6443',
      hosts: [
        { address: '192.0.2.20', role: 'worker' },
        { address: '192.0.2.10', role: 'control-plane' },
      ],
    });
    expect(() => validateSpec(doc)).not.toThrow();
  });

  it('aws with credentials in the environment: says where they were found and does not ask', async () => {
    const env = { AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKE', AWS_SECRET_ACCESS_KEY: 'fake-secret-value' };
    mkdirSync(join(home, '.ssh'));
    writeFileSync(join(home, '.ssh', 'id_ed25519'), 'not a real key');
    const { terminal: t, done } = start(env, { provider: { name: 'aws' } });
    await t.waitFor('Credentials: found in');
    await t.answer('AWS region', 'eu-west-3');
    await t.answer('Cluster name', 'prod');
    await t.choose('Control plane', 1); // HA 3
    await t.answer('Workers', '4');
    await t.answer('Control-plane instance type'); // default t3.medium
    await t.answer('Worker instance type', 'm6i.large');
    await t.choose('Kubernetes version', 1); // the minor before the newest
    await t.choose('Container runtime', 1); // cri-o
    await t.choose('Pod network (CNI)', 2); // cilium
    await t.answer('Node network CIDR'); // default
    await t.answer('Pod network CIDR', '10.240.8.0/21');
    await t.waitFor('overlaps the node network 10.240.0.0/16');
    t.press(KEYS.clearLine, KEYS.enter);
    await t.answer('Service network CIDR');
    await t.answer('Admin CIDRs', '203.0.113.0/24, 198.51.100.7/32');
    await t.answer('SSH user on the nodes');
    await t.choose('SSH key'); // the existing ~/.ssh/id_ed25519 is offered first
    const { doc, credentials } = await done;

    expect(doc).toMatchObject({
      name: 'prod',
      provider: { name: 'aws', region: 'eu-west-3' },
      controlPlane: { count: 3, type: 't3.medium' },
      workers: { count: 4, type: 'm6i.large' },
      kubernetes: { runtime: 'cri-o', cni: 'cilium' },
      network: { nodeCidr: '10.240.0.0/16', podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' },
      ssh: { user: 'ubuntu', adminCidrs: ['203.0.113.0/24', '198.51.100.7/32'], privateKey: join(home, '.ssh', 'id_ed25519') },
    });
    expect((doc.kubernetes as { version: string }).version).not.toBe(DEFAULT_KUBERNETES_VERSION);
    expect(credentials).toEqual({});
    expect(JSON.stringify(doc)).not.toContain('fake-secret-value');
    expect(() => validateSpec(doc)).not.toThrow();
  });

  it('exoscale without credentials: masked prompts, kept out of the document', async () => {
    const seed = { name: 'edge', provider: { name: 'exoscale', zone: 'de-fra-1' }, controlPlane: { count: 1 }, workers: { count: 0 } };
    const { terminal: t, done } = start({}, seed);
    await t.answer('Exoscale API key', 'EXOfakekey123');
    await t.answer('Exoscale API secret', 'very-secret-exo');
    await t.answer('Control-plane instance type');
    await t.choose('Kubernetes version');
    await t.choose('Container runtime');
    await t.choose('Pod network (CNI)');
    await t.answer('Node network CIDR');
    await t.answer('Pod network CIDR');
    await t.answer('Service network CIDR');
    await t.answer('Admin CIDRs', 'not-a-cidr');
    await t.waitFor(String(validators.adminCidr('not-a-cidr')).slice(0, 40));
    t.press(KEYS.clearLine, '203.0.113.7/32', KEYS.enter);
    await t.answer('SSH user on the nodes');
    await t.choose('SSH key');
    const result = await done;

    expect(result.credentials).toEqual({ EXOSCALE_API_KEY: 'EXOfakekey123', EXOSCALE_API_SECRET: 'very-secret-exo' });
    expect(JSON.stringify(result.doc)).not.toContain('very-secret-exo');
    expect(t.screen).not.toContain('very-secret-exo');
    // Seeded values were not asked again; no worker type without workers.
    expect(t.screen).not.toContain('Cluster name');
    expect(t.screen).not.toContain('Exoscale zone');
    expect(t.screen).not.toContain('Worker instance type');
    expect(result.doc).toMatchObject({ name: 'edge', provider: { name: 'exoscale', zone: 'de-fra-1' } });
    expect(() => validateSpec(result.doc)).not.toThrow();
  });

  it('for --dry-run it does not ask for credentials', async () => {
    const seed = {
      name: 'try',
      provider: { name: 'openstack', region: 'RegionOne' },
      controlPlane: { count: 1, type: 'm1.medium' },
      workers: { count: 1, type: 'm1.large' },
      kubernetes: { version: DEFAULT_KUBERNETES_VERSION, runtime: 'containerd', cni: 'calico' },
      network: { nodeCidr: '10.240.0.0/16', podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' },
      ssh: { user: 'ubuntu', adminCidrs: ['203.0.113.0/24'], privateKey: '/keys/id' },
    };
    const { terminal: t, done } = start({}, seed, { askCredentials: false });
    const result = await done;
    expect(t.screen).toContain('Credentials: not needed for --dry-run.');
    expect(t.screen).not.toContain('?');
    expect(result.credentials).toEqual({});
    expect(result.doc).toMatchObject(seed);
  });
});
