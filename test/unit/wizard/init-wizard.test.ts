/**
 * The whole init wizard, answered keystroke by keystroke through the real prompts (see
 * fake-terminal.ts). Each test checks the document the answers produce and that it validates.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_KUBERNETES_VERSION, SUPPORTED_MINORS } from '../../../src/kube/versions.js';
import { KUBERNETES_PATCHES } from '../../../src/kube/pins.js';
import { sshKeyFileProblem } from '../../../src/config/ssh-key-file.js';
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

/** A file in ~/.ssh that looks like an OpenSSH private key (only its first line is read), with its .pub. */
function writeKey(name: string, mode = 0o600, pub = true): string {
  mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
  const path = join(home, '.ssh', name);
  writeFileSync(path, '-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----\n');
  chmodSync(path, mode);
  if (pub) writeFileSync(`${path}.pub`, `ssh-ed25519 AAAAnotreal ${name}\n`);
  return path;
}

/** readline reports a lone Esc only after its escape-code wait (500 ms). */
const ESC = '\x1b';

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
    const key = writeKey('id_ed25519');
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
    await t.answer('SSH user on the hosts', 'debian');
    await t.choose('SSH key'); // the key found in ~/.ssh
    await t.choose('Default StorageClass'); // local-path
    await t.answer('MetalLB addresses'); // empty: no MetalLB
    await t.answer('Add-ons'); // the default set
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
      ssh: { user: 'debian', privateKey: key },
      storage: { defaultClass: 'local-path' },
    });
    expect(credentials).toEqual({});
    expect(() => validateSpec(doc)).not.toThrow();
    expect(t.screen).not.toContain('Credentials');
  });

  it('static: insists on a control-plane host before the list can end', async () => {
    writeKey('id_rsa');
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
    await t.answer('SSH user on the hosts');
    await t.choose('SSH key');
    await t.choose('Default StorageClass');
    await t.answer('MetalLB addresses');
    await t.answer('Add-ons');
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
    writeKey('id_ed25519');
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
    await t.choose('SSH key'); // the existing ~/.ssh/id_ed25519 (with its .pub) is offered first
    await t.answer("LoadBalancer Services and volumes through the cloud's CCM and CSI?"); // default: yes
    await t.answer('Add-ons');
    const { doc, credentials } = await done;

    expect(doc).toMatchObject({
      name: 'prod',
      provider: { name: 'aws', region: 'eu-west-3' },
      controlPlane: { count: 3, type: 't3.medium' },
      workers: { count: 4, type: 'm6i.large' },
      kubernetes: { runtime: 'cri-o', cni: 'cilium' },
      network: { nodeCidr: '10.240.0.0/16', podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' },
      ssh: { adminCidrs: ['203.0.113.0/24', '198.51.100.7/32'], privateKey: join(home, '.ssh', 'id_ed25519') },
      cloudIntegration: { ccm: true, csi: true },
    });
    // The minor before the newest, at its newest patch (kube/pins.ts), not at .0.
    expect((doc.kubernetes as { version: string }).version).toBe(KUBERNETES_PATCHES[SUPPORTED_MINORS[1]]);
    // The image is the tool's own Ubuntu build: its user is known, so it is not asked.
    expect(t.screen).not.toContain('SSH user');
    expect(validateSpec(doc).ssh.user).toBe('ubuntu');
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
    await t.choose('SSH key');
    await t.answer("LoadBalancer Services and volumes through the cloud's CCM and CSI?");
    await t.answer('Add-ons');
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
      cloudIntegration: { ccm: true, csi: true },
      addons: {},
    };
    const { terminal: t, done } = start({}, seed, { askCredentials: false });
    const result = await done;
    expect(t.screen).toContain('Credentials: not needed for --dry-run.');
    expect(t.screen).not.toContain('?');
    expect(result.credentials).toEqual({});
    expect(result.doc).toMatchObject(seed);
  });
});

describe('init wizard: only what can work', () => {
  /** A static seed down to the SSH questions, so each test answers only those. */
  const staticSeed = (hosts = [{ address: '192.0.2.10', role: 'control-plane' }]) => ({
    name: 'lab',
    provider: { name: 'static', hosts, apiEndpoint: '192.0.2.10:6443' },
    kubernetes: { version: DEFAULT_KUBERNETES_VERSION, runtime: 'containerd', cni: 'calico' },
    network: { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' },
    ssh: { user: 'admin' },
    storage: { defaultClass: 'local-path' },
    loadBalancer: {},
    addons: {},
  });

  it('static: offers the ssh-agent and every private key in ~/.ssh, never "Generate"', async () => {
    const ed = writeKey('id_ed25519');
    const rsa = writeKey('id_rsa', 0o600, false);
    const work = writeKey('work-laptop', 0o600, false);
    writeFileSync(join(home, '.ssh', 'known_hosts'), 'example.com ssh-ed25519 AAAA\n');
    writeFileSync(join(home, '.ssh', 'config'), 'Host *\n');
    const { terminal: t, done } = start({ SSH_AUTH_SOCK: '/run/user/1000/agent.sock' }, staticSeed());
    await t.choose('SSH key'); // the agent is the default
    const { doc } = await done;

    const shown = t.screen.slice(t.screen.lastIndexOf('? SSH key'));
    expect(shown).toContain('The ssh-agent (SSH_AUTH_SOCK=/run/user/1000/agent.sock)');
    // id_ed25519, id_ecdsa, id_rsa first, then the other private keys; never known_hosts or .pub files.
    expect(shown.indexOf(ed)).toBeLessThan(shown.indexOf(rsa));
    expect(shown.indexOf(rsa)).toBeLessThan(shown.indexOf(work));
    expect(shown).toContain('Another private key file…');
    expect(shown).not.toContain('known_hosts');
    expect(shown).not.toContain('.pub');
    expect(t.screen).not.toContain('Generate');
    // The agent: no key file in the spec, which is how the run picks SSH_AUTH_SOCK.
    expect((doc.ssh as Record<string, unknown>).privateKey).toBeUndefined();
    expect(() => validateSpec(doc)).not.toThrow();
  });

  it('static without an agent: says so, and a key others can read is refused when chosen', async () => {
    const open = writeKey('id_ed25519', 0o644);
    const rsa = writeKey('id_rsa');
    const { terminal: t, done } = start({}, staticSeed());
    await t.waitFor('no ssh-agent (SSH_AUTH_SOCK is not set)');
    await t.choose('SSH key'); // id_ed25519, mode 0644
    await t.waitFor(sshKeyFileProblem(open)!); // a note, not wrapped by inquirer
    await t.choose('SSH key', 1); // asked again: id_rsa
    const { doc } = await done;
    expect(t.screen).not.toContain('ssh-agent (SSH_AUTH_SOCK=');
    expect(t.screen).not.toContain('Generate');
    expect(doc.ssh).toEqual({ user: 'admin', privateKey: rsa });
  });

  it('static: "Another private key file…" checks the file as it is typed', async () => {
    const elsewhere = join(home, 'keys');
    mkdirSync(elsewhere);
    const good = join(elsewhere, 'lab');
    writeFileSync(good, '-----BEGIN OPENSSH PRIVATE KEY-----\n');
    chmodSync(good, 0o600);
    const { terminal: t, done } = start({}, staticSeed());
    await t.choose('SSH key'); // no key in ~/.ssh: "Another private key file…" is the only choice
    await t.answer('Private key file', '~/keys/missing');
    await t.waitFor('> There is no SSH private key at'); // sshKeyFileProblem's words, wrapped at 80 columns
    t.press(KEYS.clearLine, '~/keys/lab', KEYS.enter);
    const { doc } = await done;
    expect((doc.ssh as Record<string, unknown>).privateKey).toBe(good);
  });

  it('static HA without a load balancer: asks the virtual IP', async () => {
    writeKey('id_ed25519');
    const hosts = ['192.0.2.10', '192.0.2.11', '192.0.2.12'].map((address) => ({ address, role: 'control-plane' }));
    const seed = { ...staticSeed(hosts), provider: { name: 'static', hosts } };
    const { terminal: t, done } = start({}, seed);
    await t.answer('API endpoint of an external load balancer'); // empty: keepalived + haproxy
    await t.answer('Virtual IP for the API', '192.0.2.11');
    await t.waitFor('192.0.2.11 is the address of a host');
    t.press(KEYS.clearLine, '192.0.2.100', KEYS.enter);
    await t.choose('SSH key');
    const { doc } = await done;
    expect(doc.provider).toEqual({ name: 'static', hosts, virtualIp: '192.0.2.100' });
    expect(() => validateSpec(doc)).not.toThrow();
  });

  /** An AWS seed down to the credentials, so each test answers only those. */
  const awsSeed = {
    name: 'cloud',
    provider: { name: 'aws', region: 'eu-west-3' },
    controlPlane: { count: 1, type: 't3.medium' },
    workers: { count: 0 },
    kubernetes: { version: DEFAULT_KUBERNETES_VERSION, runtime: 'containerd', cni: 'calico' },
    network: { nodeCidr: '10.240.0.0/16', podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' },
    ssh: { adminCidrs: ['203.0.113.7/32'], privateKey: '/keys/id' },
    cloudIntegration: { ccm: true, csi: true },
    addons: {},
  };

  it('aws without credentials: the key id is shown as typed, the secret and session token are masked', async () => {
    const { terminal: t, done } = start({}, awsSeed);
    await t.choose('AWS credentials'); // the first selectable: typed here
    // No shared files: the profile choice is there but says why it cannot be picked.
    expect(t.screen).toContain('none in ~/.aws/credentials or ~/.aws/config');
    await t.answer('AWS access key id', 'AKIAIOSFODNN7EXAMPLE');
    await t.answer('AWS secret access key', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
    await t.answer('AWS session token', 'IQoJb3JpZ2luX2VjEXAMPLETOKEN');
    const result = await done;
    expect(result.credentials).toEqual({
      AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      AWS_SESSION_TOKEN: 'IQoJb3JpZ2luX2VjEXAMPLETOKEN',
    });
    expect(t.screen).toContain('AKIAIOSFODNN7EXAMPLE');
    expect(t.screen).not.toContain('wJalrXUtnFEMI');
    expect(t.screen).not.toContain('IQoJb3JpZ2luX2Vj');
    expect(JSON.stringify(result.doc)).not.toContain('EXAMPLE');
    expect(result.credentialsSource).toBe('typed in the wizard (not saved)');
  });

  it('aws: the session token may be left empty (long-term keys)', async () => {
    const { terminal: t, done } = start({}, awsSeed);
    await t.choose('AWS credentials');
    await t.answer('AWS access key id', 'AKIAIOSFODNN7EXAMPLE');
    await t.answer('AWS secret access key', 'secret');
    await t.answer('AWS session token');
    expect((await done).credentials).toEqual({ AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' });
  });

  it('aws: offers the named profiles of ~/.aws/config and ~/.aws/credentials as AWS_PROFILE', async () => {
    mkdirSync(join(home, '.aws'));
    writeFileSync(join(home, '.aws', 'credentials'), '[default]\naws_access_key_id = AKIA1\naws_secret_access_key = s1\n');
    writeFileSync(join(home, '.aws', 'config'), '[default]\nregion = eu-west-3\n[profile dev]\nsso_session = corp\n[sso-session corp]\nsso_region = eu-west-1\n');
    const { terminal: t, done } = start({}, awsSeed);
    await t.choose('AWS credentials', 1); // default, dev, typed here
    const result = await done;
    expect(t.screen).toContain('Named profile default (AWS_PROFILE=default');
    expect(t.screen).not.toContain('Named profile corp');
    expect(result.credentials).toEqual({ AWS_PROFILE: 'dev' });
    expect(result.credentialsSource).toBe(`profile dev (${join(home, '.aws', 'credentials')})`);
  });

  it('workers out of range: the bounds validation allows, not "between 0 and Infinity"', async () => {
    const seed = { ...awsSeed, workers: {}, controlPlane: { count: 1, type: 't3.medium' } };
    const { terminal: t, done } = start({ AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 's' }, seed);
    await t.answer('Workers', '-3', KEYS.clearLine);
    await t.waitFor('must be a whole number from 0 to 1000');
    t.press(KEYS.clearLine, '1001', KEYS.enter);
    await t.waitFor('must be a whole number from 0 to 1000');
    t.press(KEYS.clearLine, '3', KEYS.enter);
    await t.answer('Worker instance type');
    const { doc } = await done;
    expect(t.screen).not.toContain('Infinity');
    expect(doc.workers).toEqual({ count: 3, type: 't3.large' });
  });

  it('offers the newest patch of every supported minor', async () => {
    const seed = { ...awsSeed, kubernetes: { runtime: 'containerd', cni: 'calico' } };
    const { terminal: t, done } = start({ AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 's' }, seed);
    await t.choose('Kubernetes version', 2); // newest minor first
    const { doc } = await done;
    for (const minor of SUPPORTED_MINORS) expect(t.screen).toContain(KUBERNETES_PATCHES[minor]);
    expect(t.screen).not.toMatch(/1\.\d+\.0\b/);
    expect(doc.kubernetes).toMatchObject({ version: KUBERNETES_PATCHES[SUPPORTED_MINORS[0]] });
  });

  it('Esc goes back to the previous question, which is asked again', async () => {
    const { terminal: t, done } = start({ AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 's' }, { ...awsSeed, name: undefined, provider: { name: 'aws' } });
    await t.waitFor('Esc goes back to the previous question');
    await t.answer('AWS region', 'eu-west-3');
    await t.waitForPrompt('Cluster name');
    t.press(ESC);
    await t.answer('AWS region', 'us-east-1', KEYS.clearLine);
    await t.answer('Cluster name', 'back');
    const { doc } = await done;
    expect(doc).toMatchObject({ name: 'back', provider: { name: 'aws', region: 'us-east-1' } });
  });

  it('Esc from the first typed AWS value: the profile-or-key choice again', async () => {
    const { terminal: t, done } = start({}, awsSeed);
    await t.choose('AWS credentials');
    await t.answer('AWS access key id', 'AKIAFIRST');
    await t.waitForPrompt('AWS secret access key');
    t.press(ESC); // back: the key id again
    await t.waitForPrompt('AWS access key id');
    t.press(ESC); // back again: the choice
    await t.choose('AWS credentials');
    await t.answer('AWS access key id', 'AKIASECOND');
    await t.answer('AWS secret access key', 'secret');
    await t.answer('AWS session token');
    expect((await done).credentials).toEqual({ AWS_ACCESS_KEY_ID: 'AKIASECOND', AWS_SECRET_ACCESS_KEY: 'secret' });
  });

  it('Esc steps back through the static host list, host by host', async () => {
    writeKey('id_ed25519');
    const seed = { ...staticSeed(), provider: { name: 'static' } };
    const { terminal: t, done } = start({}, seed);
    await t.answer('Host 1 address', '192.0.2.10');
    await t.choose('Role of 192.0.2.10');
    await t.waitForPrompt('Add another host?');
    t.press(ESC); // back: host 1 again
    await t.answer('Host 1 address', '192.0.2.20', KEYS.clearLine);
    await t.choose('Role of 192.0.2.20');
    await t.answer('Add another host?');
    await t.answer('API endpoint');
    await t.choose('SSH key');
    const { doc } = await done;
    expect((doc.provider as Record<string, unknown>).hosts).toEqual([{ address: '192.0.2.20', role: 'control-plane' }]);
  });

  it('Esc from the question after the hosts keeps the earlier hosts and asks the last one again', async () => {
    writeKey('id_ed25519');
    const seed = { ...staticSeed(), provider: { name: 'static' } };
    const { terminal: t, done } = start({}, seed);
    await t.answer('Host 1 address', '192.0.2.10');
    await t.choose('Role of 192.0.2.10');
    await t.answer('Add another host?', 'y');
    await t.answer('Host 2 address', '192.0.2.11');
    await t.choose('Role of 192.0.2.11');
    await t.answer('Add another host?');
    await t.waitForPrompt('API endpoint');
    t.press(ESC); // back: host 2 again, host 1 kept
    await t.answer('Host 2 address', '192.0.2.12');
    await t.choose('Role of 192.0.2.12');
    await t.answer('Add another host?');
    await t.answer('API endpoint');
    await t.choose('SSH key');
    const { doc } = await done;
    expect((doc.provider as Record<string, unknown>).hosts).toEqual([
      { address: '192.0.2.10', role: 'control-plane' },
      { address: '192.0.2.12', role: 'worker' },
    ]);
  });
});

describe('init wizard: cloud integration and storage', () => {
  const CLOUD_QUESTION = "LoadBalancer Services and volumes through the cloud's CCM and CSI?";
  const exoscaleSeed = {
    name: 'edge',
    provider: { name: 'exoscale', zone: 'de-fra-1' },
    controlPlane: { count: 1, type: 'standard.medium' },
    workers: { count: 1, type: 'standard.large' },
    kubernetes: { version: DEFAULT_KUBERNETES_VERSION, runtime: 'containerd', cni: 'calico' },
    network: { nodeCidr: '10.240.0.0/16', podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' },
    ssh: { adminCidrs: ['203.0.113.7/32'], privateKey: '/keys/id' },
    addons: {},
  };
  const exoscaleEnv = { EXOSCALE_API_KEY: 'EXOfake', EXOSCALE_API_SECRET: 'fake' };

  it('exoscale: says LoadBalancer Services need instance pools, and "no" turns the CCM and the CSI off', async () => {
    const { terminal: t, done } = start(exoscaleEnv, exoscaleSeed);
    await t.answer(CLOUD_QUESTION, 'n');
    const { doc } = await done;
    expect(t.screen).toContain('only for nodes in instance pools');
    expect(doc.cloudIntegration).toEqual({ ccm: false, csi: false });
    const spec = validateSpec(doc);
    expect(spec.cloudIntegration).toEqual({ ccm: false, csi: false, credentials: 'terraform' });
    expect(spec.storage.defaultClass).toBe('auto');
  });

  it('a cloud with cloudIntegration in the seed is not asked', async () => {
    const { terminal: t, done } = start(exoscaleEnv, { ...exoscaleSeed, cloudIntegration: { csi: false } });
    const { doc } = await done;
    expect(t.screen).not.toContain(CLOUD_QUESTION);
    expect(doc.cloudIntegration).toEqual({ csi: false });
  });

  const staticSeed = {
    name: 'lab',
    provider: {
      name: 'static',
      apiEndpoint: '192.0.2.10:6443',
      hosts: [
        { address: '192.0.2.10', role: 'control-plane' },
        { address: '192.0.2.21', role: 'worker' },
      ],
    },
    kubernetes: { version: DEFAULT_KUBERNETES_VERSION, runtime: 'containerd', cni: 'calico' },
    network: { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' },
    ssh: { user: 'admin', privateKey: '/keys/id' },
    addons: {},
  };

  it('static: rook-ceph asks for the disk, refuses a malformed name, and writes the bare name under /dev', async () => {
    writeKey('id_ed25519');
    const { terminal: t, done } = start({}, { ...staticSeed, ssh: { user: 'admin' } });
    await t.choose('SSH key');
    await t.choose('Default StorageClass', 1); // rook-ceph
    expect(t.screen.replace(/\s+/g, ' ')).toContain('rook-ceph: Ceph on a spare disk of every worker (replicated; the disk is erased)');
    await t.answer('Disk for Ceph on every worker', 'sdb; rm');
    await t.waitFor('must be a disk name under /dev');
    t.press(KEYS.clearLine, '/dev/sdb', KEYS.enter);
    await t.answer('MetalLB addresses');
    const { doc } = await done;
    expect(doc.storage).toEqual({ defaultClass: 'rook-ceph', rookCeph: { device: 'sdb' } });
    expect(validateSpec(doc).storage).toEqual({ defaultClass: 'rook-ceph', rookCeph: { device: 'sdb' } });
  });

  it('static MetalLB: refuses a range holding a host\'s address, keeps the ranges given', async () => {
    const { terminal: t, done } = start({}, staticSeed);
    await t.choose('Default StorageClass', 2); // none
    await t.answer('MetalLB addresses', '192.0.2.20-192.0.2.30');
    await t.waitFor('overlaps provider.hosts[1].address (192.0.2.21)');
    t.press(KEYS.clearLine, '192.0.2.200-192.0.2.220, 192.0.2.240/28', KEYS.enter);
    const { doc } = await done;
    expect(doc.storage).toEqual({ defaultClass: 'none' });
    expect(doc.loadBalancer).toEqual({ metallb: { addresses: ['192.0.2.200-192.0.2.220', '192.0.2.240/28'] } });
    expect(validateSpec(doc).loadBalancer.metallb?.addresses).toHaveLength(2);
  });
});

describe('init wizard: add-ons', () => {
  const SPACE = ' ';
  const exoscaleSeed = {
    name: 'edge',
    provider: { name: 'exoscale', zone: 'de-fra-1' },
    controlPlane: { count: 1, type: 'standard.medium' },
    workers: { count: 1, type: 'standard.large' },
    kubernetes: { version: DEFAULT_KUBERNETES_VERSION, runtime: 'containerd', cni: 'calico' },
    network: { nodeCidr: '10.240.0.0/16', podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' },
    ssh: { adminCidrs: ['203.0.113.7/32'], privateKey: '/keys/id' },
    cloudIntegration: { ccm: true, csi: true },
  };
  const exoscaleEnv = { EXOSCALE_API_KEY: 'EXOfake', EXOSCALE_API_SECRET: 'fake' };

  it('the default set is ticked; leaving it writes nothing', async () => {
    const { terminal: t, done } = start(exoscaleEnv, exoscaleSeed);
    await t.waitForPrompt('Add-ons');
    await t.waitFor('velero: backups to an S3 bucket');
    t.press(KEYS.enter);
    const { doc } = await done;
    expect(doc.addons).toBeUndefined();
    expect(t.screen).toMatch(/◉ metrics-server/);
    expect(t.screen).toMatch(/◯ kube-prometheus-stack/);
    expect(validateSpec(doc).addons.traefik.enabled).toBe(true);
  });

  it('optional ones ask only what they need: the monitoring domain, the bucket (SOS on exoscale), the log output', async () => {
    const { terminal: t, done } = start(exoscaleEnv, exoscaleSeed);
    await t.waitForPrompt('Add-ons');
    // Untick metrics-server; tick kube-prometheus-stack, fluent-bit and velero.
    t.press(SPACE, KEYS.down, KEYS.down, KEYS.down, SPACE, KEYS.down, SPACE, KEYS.down, SPACE, KEYS.enter);
    await t.answer('Monitoring domain', 'Mon.Example.com');
    await t.waitFor('write "mon.example.com"');
    t.press(KEYS.clearLine, 'mon.example.com', KEYS.enter);
    await t.answer('Velero bucket', 'Edge_Backups');
    await t.waitFor('is not an S3 bucket name');
    t.press(KEYS.clearLine, 'edge-backups', KEYS.enter);
    await t.answer('Region of the bucket'); // the zone
    await t.answer('S3 endpoint of the bucket'); // SOS of the zone
    await t.choose('Where should Fluent Bit ship the logs?'); // loki
    await t.answer('loki host', 'loki.example.com');
    const { doc } = await done;
    expect(doc.addons).toEqual({
      'metrics-server': { enabled: false },
      'kube-prometheus-stack': { enabled: true, domain: 'mon.example.com' },
      'fluent-bit': { enabled: true, output: { name: 'loki', options: { host: 'loki.example.com' } } },
      velero: { enabled: true, bucket: 'edge-backups', region: 'de-fra-1', s3Url: 'https://sos-de-fra-1.exo.io' },
    });
    expect(t.screen).toContain('Velero: set K8SB_VELERO_S3_ACCESS_KEY_ID and K8SB_VELERO_S3_SECRET_ACCESS_KEY before the run');
    expect(validateSpec(doc).addons['kube-prometheus-stack'].domain).toBe('mon.example.com');
  });

  it('refuses kube-prometheus-stack without Traefik in the list itself', async () => {
    const { terminal: t, done } = start(exoscaleEnv, exoscaleSeed);
    await t.waitForPrompt('Add-ons');
    t.press(KEYS.down, SPACE, KEYS.down, KEYS.down, SPACE, KEYS.enter); // untick traefik, tick kube-prometheus-stack
    await t.waitFor('kube-prometheus-stack needs traefik for its Ingresses');
    t.press(KEYS.up, KEYS.up, SPACE, KEYS.enter); // traefik again
    await t.answer('Monitoring domain', 'mon.example.com');
    const { doc } = await done;
    expect(doc.addons).toEqual({ 'kube-prometheus-stack': { enabled: true, domain: 'mon.example.com' } });
  });

  it('velero on aws: the region of the cluster, AWS S3 by default, and keys found in the environment', async () => {
    const seed = { ...exoscaleSeed, provider: { name: 'aws', region: 'eu-west-3' }, controlPlane: { count: 1, type: 't3.medium' }, workers: { count: 0 } };
    const env = { AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 's', K8SB_VELERO_S3_ACCESS_KEY_ID: 'velero-key-id', K8SB_VELERO_S3_SECRET_ACCESS_KEY: 'velero-secret-value' };
    const { terminal: t, done } = start(env, seed);
    await t.waitForPrompt('Add-ons');
    t.press(KEYS.up, SPACE, KEYS.enter); // the list wraps: velero is last
    await t.answer('Velero bucket', 'cloud-backups');
    await t.answer('Region of the bucket');
    await t.answer('S3 endpoint of the bucket', 'http://minio.lan:9000');
    await t.waitFor('must be an https:// URL');
    t.press(KEYS.clearLine, KEYS.enter); // empty: AWS S3
    const { doc } = await done;
    expect(doc.addons).toEqual({ velero: { enabled: true, bucket: 'cloud-backups', region: 'eu-west-3' } });
    expect(t.screen).toContain('Velero: S3 keys found in K8SB_VELERO_S3_ACCESS_KEY_ID/K8SB_VELERO_S3_SECRET_ACCESS_KEY');
    expect(t.screen).not.toContain('velero-secret-value');
    expect(JSON.stringify(doc)).not.toContain('velero-key-id');
  });

  it('Esc at the first field goes back to the list, which starts from the answer before', async () => {
    const { terminal: t, done } = start(exoscaleEnv, exoscaleSeed);
    await t.waitForPrompt('Add-ons');
    t.press(KEYS.down, KEYS.down, KEYS.down, SPACE, KEYS.enter); // kube-prometheus-stack
    await t.waitForPrompt('Monitoring domain');
    t.press(ESC);
    await t.waitForPrompt('Add-ons');
    t.press(KEYS.enter); // the default set again
    const { doc } = await done;
    expect(doc.addons).toBeUndefined();
  });

  it('a seed with an addons section is not asked', async () => {
    const { terminal: t, done } = start(exoscaleEnv, { ...exoscaleSeed, addons: { velero: { enabled: false } } });
    const { doc } = await done;
    expect(t.screen).not.toContain('Add-ons');
    expect(doc.addons).toEqual({ velero: { enabled: false } });
  });
});
