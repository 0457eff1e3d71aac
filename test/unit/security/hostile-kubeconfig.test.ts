/**
 * The kubeconfig is rebuilt from an allow-list, never copied (security review findings 1 and 6):
 * a control plane whose admin.conf carries a credential plugin gets nothing onto this machine,
 * and `kubeconfig --merge` / `destroy` touch only the entries the tool merged.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_OK, EXIT_USAGE } from '../../../src/cli/main.js';
import { SecretSet } from '../../../src/engine/redact.js';
import type { StepContext } from '../../../src/engine/step.js';
import { caCertHash } from '../../../src/kube/join-material.js';
import { kubeconfigNames, readUntrustedKubeconfig, rewriteAdminKubeconfig } from '../../../src/kube/kubeconfig.js';
import { inventoryFromSpec } from '../../../src/providers/index.js';
import { HostKeyStore } from '../../../src/tools/ssh/known-hosts.js';
import { SshPool } from '../../../src/tools/ssh/pool.js';
import { kubeconfigPhase } from '../../../src/workflows/init/phases.js';
import { mergeIntoUserKubeconfig } from '../../../src/state/user-kubeconfig.js';
import { SshNodeOps } from '../../../src/nodes/ssh-node-ops.js';
import { firstControlPlane, topologyFromInventory } from '../../../src/nodes/topology.js';
import { makeCluster, type ClusterFixture } from '../../helpers/cluster-fixture.js';
import { startHostileNode, type HostileNode } from '../../fixtures/hostile-node/hostile-node.js';
import { adminConf, b64, makeKubePki, sharedKubePki, signClient, type KubePki } from '../../fixtures/kube-pki.js';
import { runCli } from '../../helpers/fake-io.js';

const EXEC_PLUGIN = { apiVersion: 'client.authentication.k8s.io/v1', command: 'sh', args: ['-c', 'touch /tmp/PWNED-by-kubeconfig'], interactiveMode: 'Never' };

/** admin.conf as a compromised control plane serves it: kubeadm's fields plus a plugin, a proxy and no TLS check. */
function hostileAdminConf(pki: KubePki): string {
  return adminConf(pki, {
    cluster: { 'insecure-skip-tls-verify': true, 'proxy-url': 'http://127.0.0.1:3128' },
    user: { exec: EXEC_PLUGIN },
  });
}

function quietCtx(lines: string[] = []): StepContext {
  return { signal: new AbortController().signal, attempt: 1, output: (line) => lines.push(line), progress: () => undefined };
}

describe('a control plane whose admin.conf carries an exec plugin, proxy-url and insecure-skip-tls-verify', () => {
  const pki = sharedKubePki();
  let node: HostileNode;
  let fixture: ClusterFixture;
  let pool: SshPool;
  let ops: SshNodeOps;

  beforeAll(async () => {
    node = await startHostileNode({
      reply: (command) => (command.includes('/etc/kubernetes/admin.conf') ? { stdout: hostileAdminConf(pki) } : { stderr: 'unexpected command', code: 1 }),
    });
    fixture = await makeCluster('demo', { port: node.port, hostKey: node.publicKey });
    pool = new SshPool({
      user: 'ubuntu',
      privateKeyPath: fixture.dir.secretFile('ssh_ed25519'),
      knownHosts: new HostKeyStore({ file: fixture.dir.knownHostsFile }),
      connectTimeoutMs: 5000,
      readyWaitMs: 5000,
    });
    ops = new SshNodeOps({ spec: fixture.spec, dir: fixture.dir, pool, secrets: new SecretSet() });
  });

  afterAll(async () => {
    await pool?.closeAll();
    await node?.close();
  });

  const topology = () => topologyFromInventory(inventoryFromSpec(fixture.spec));

  it('writeKubeconfig refuses it naming the node and each field, writes nothing, and only read the file', async () => {
    const before = await readFile(fixture.dir.kubeconfigFile, 'utf8');
    node.commands.length = 0;
    const error = await ops.writeKubeconfig(firstControlPlane(topology()), topology(), quietCtx()).then(
      () => undefined,
      (e: unknown) => e as { code?: string; message: string; hint?: string },
    );
    expect(error?.code).toBe('UnsafeKubeconfig');
    expect(error?.message).toContain('admin.conf on cp-1 carries');
    expect(error?.message).toContain('users[0].user.exec ("sh"): a credential plugin would run on this machine');
    expect(error?.message).toContain('clusters[0].cluster.proxy-url ("http://127.0.0.1:3128")');
    expect(error?.message).toContain('clusters[0].cluster.insecure-skip-tls-verify (true)');
    expect(error?.message).toMatch(/refusing it$/);
    expect(error?.hint).toContain('Nothing was written');
    // No credential in the message.
    expect(`${error?.message} ${error?.hint}`).not.toContain(b64(pki.adminKey).slice(0, 40));
    expect(await readFile(fixture.dir.kubeconfigFile, 'utf8')).toBe(before);
    expect(node.commands).toHaveLength(1);
    expect(node.commands[0]).toMatch(/\bcat\b.*\/etc\/kubernetes\/admin\.conf/);
    for (const file of await readdir(fixture.dir.root)) {
      const path = join(fixture.dir.root, file);
      if ((await stat(path)).isFile()) expect(await readFile(path, 'utf8')).not.toContain('PWNED');
    }
  });

  it('the refresh check (init re-run, upgrade) refuses it too instead of calling the kubeconfig current', async () => {
    const before = await readFile(fixture.dir.kubeconfigFile, 'utf8');
    node.commands.length = 0;
    await expect(ops.kubeconfigCurrent(firstControlPlane(topology()), topology(), quietCtx())).rejects.toMatchObject({ code: 'UnsafeKubeconfig' });
    expect(await readFile(fixture.dir.kubeconfigFile, 'utf8')).toBe(before);
    expect(node.commands).toHaveLength(1);
  });

  it('the kubeconfig step does not retry a refusal', async () => {
    const step = kubeconfigPhase({ topology: topology(), ops: () => ops }).steps[0]!;
    const error = await ops.writeKubeconfig(firstControlPlane(topology()), topology(), quietCtx()).catch((e: unknown) => e);
    expect(step.retryable?.(error)).toBe(false);
  });
});

describe('admin.conf allow-list', () => {
  const pki = sharedKubePki();
  const options = { clusterName: 'demo', endpoint: '203.0.113.10:6443', node: 'cp-1', allowedServers: ['127.0.0.1:6443'], caCertHash: pki.caHash };
  const rebuild = (text: string) => rewriteAdminKubeconfig(text, options);
  const refusal = (text: string) => {
    try {
      rebuild(text);
    } catch (error) {
      return error as { code: string; message: string; hint?: string };
    }
    throw new Error('accepted');
  };

  it.each([
    ['users[0].user.exec', { user: { exec: EXEC_PLUGIN } }, 'a credential plugin would run on this machine'],
    ['users[0].user.auth-provider', { user: { 'auth-provider': { name: 'oidc', config: { 'id-token': 'x' } } } }, 'auth-provider plugin'],
    ['users[0].user.token', { user: { token: 'abcdef.0123456789abcdef' } }, 'bearer token'],
    ['users[0].user.tokenFile', { user: { tokenFile: '/etc/shadow' } }, 'read a token from a file on this machine'],
    ['users[0].user.username', { user: { username: 'admin' } }, 'basic-auth'],
    ['users[0].user.password', { user: { password: 'hunter2-hunter2' } }, 'basic-auth'],
    ['users[0].user.client-certificate', { user: { 'client-certificate': '/home/me/.ssh/id_ed25519' } }, 'read a certificate from a file'],
    ['users[0].user.client-key', { user: { 'client-key': '/home/me/.ssh/id_ed25519' } }, 'read a private key from a file'],
    ['users[0].user.as', { user: { as: 'system:admin' } }, 'impersonate'],
    ['users[0].user.extensions', { user: { extensions: [{ name: 'x', extension: {} }] } }, 'extension data'],
    ['clusters[0].cluster.certificate-authority', { cluster: { 'certificate-authority': '/tmp/evil-ca.crt' } }, 'trust a CA file on this machine'],
    ['clusters[0].cluster.insecure-skip-tls-verify', { cluster: { 'insecure-skip-tls-verify': true } }, "not check the API server's certificate"],
    ['clusters[0].cluster.proxy-url', { cluster: { 'proxy-url': 'socks5://127.0.0.1:1080' } }, 'proxy'],
    ['clusters[0].cluster.tls-server-name', { cluster: { 'tls-server-name': 'evil.example' } }, 'another name'],
    ['clusters[0].cluster.extensions', { cluster: { extensions: [{ name: 'x', extension: {} }] } }, 'extension data'],
    ['clusters[0].cluster.disable-compression', { cluster: { 'disable-compression': true } }, 'not part of what kubeadm writes'],
    ['extensions', { top: { extensions: [{ name: 'x', extension: {} }] } }, 'extension data'],
    ['preferences.colors', { top: { preferences: { colors: true } } }, 'not part of what kubeadm writes'],
    ['clusters[1]', { top: { clusters: [parse(adminConf(pki)).clusters[0], { name: 'second', cluster: { server: 'https://127.0.0.1:6443' } }] } }, 'a second cluster entry'],
    ['users[1]', { top: { users: [parse(adminConf(pki)).users[0], { name: 'second', user: { token: 'abcdef.0123456789abcdef' } }] } }, 'a second user entry'],
  ])('refuses %s', (path, shape, meaning) => {
    const error = refusal(adminConf(pki, shape));
    expect(error.code).toBe('UnsafeKubeconfig');
    expect(error.message).toContain(`admin.conf on cp-1 carries ${path}`);
    expect(error.message).toContain(meaning);
    // Secret values are never repeated.
    expect(error.message).not.toContain('hunter2');
    expect(error.message).not.toContain('abcdef.0123456789abcdef');
  });

  it('accepts a kubeadm admin.conf and keeps only the CA, the client certificate and key, with the planned server', () => {
    const result = parse(rebuild(adminConf(pki))) as Record<string, unknown>;
    expect(result).toEqual({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'demo', cluster: { 'certificate-authority-data': b64(pki.caCert), server: 'https://203.0.113.10:6443' } }],
      users: [{ name: 'demo-admin', user: { 'client-certificate-data': b64(pki.adminCert), 'client-key-data': b64(pki.adminKey) } }],
      contexts: [{ name: 'demo-admin@demo', context: { cluster: 'demo', user: 'demo-admin' } }],
      'current-context': 'demo-admin@demo',
      preferences: {},
    });
  });

  it("accepts the first control plane's advertise address as admin.conf's server, and an unknown CA hash", () => {
    const text = adminConf(pki, { server: '10.0.0.5:6443' });
    expect(() => rewriteAdminKubeconfig(text, { ...options, allowedServers: ['10.0.0.10:6443', '10.0.0.5:6443'], caCertHash: undefined })).not.toThrow();
  });

  it('computes the CA hash as kubeadm does: sha256 over the DER SubjectPublicKeyInfo', async () => {
    const { X509Certificate, createHash } = await import('node:crypto');
    const spki = new X509Certificate(pki.caCert).publicKey.export({ type: 'spki', format: 'der' });
    expect(pki.caHash).toBe(`sha256:${createHash('sha256').update(spki).digest('hex')}`);
    expect(caCertHash(pki.caCert)).toBe(pki.caHash);
  });

  it("refuses a CA that is not this cluster's (hash from join.json)", () => {
    const other = makeKubePki('someone-else');
    const error = refusal(adminConf(other));
    expect(error.code).toBe('KubeconfigCaMismatch');
    expect(error.message).toContain(other.caHash);
    expect(error.message).toContain(pki.caHash);
  });

  it('refuses a server that is not the planned endpoint or the advertise address, and a non-https one', () => {
    expect(refusal(adminConf(pki, { server: 'evil.example:6443' }))).toMatchObject({ code: 'KubeconfigServerMismatch', message: expect.stringContaining('"https://evil.example:6443"') });
    const plain = adminConf(pki).replace('https://127.0.0.1:6443', 'http://127.0.0.1:6443');
    expect(refusal(plain)).toMatchObject({ code: 'KubeconfigServerMismatch', message: expect.stringContaining('not an https://HOST:PORT URL') });
    const withPath = adminConf(pki).replace('https://127.0.0.1:6443', 'https://127.0.0.1:6443/proxy?x=1');
    expect(refusal(withPath).code).toBe('KubeconfigServerMismatch');
  });

  it('refuses CA data that is not one CA certificate', () => {
    const notCa = adminConf(pki).replace(b64(pki.caCert), b64(pki.adminCert));
    expect(refusal(notCa)).toMatchObject({ code: 'InvalidKubeconfig', message: expect.stringContaining('not a CA certificate') });
    const bundle = adminConf(pki).replace(b64(pki.caCert), b64(pki.caCert + makeKubePki('extra').caCert));
    expect(refusal(bundle)).toMatchObject({ code: 'InvalidKubeconfig', message: expect.stringContaining('not exactly one PEM certificate') });
    const garbage = adminConf(pki).replace(b64(pki.caCert), 'Q0EtREFUQQ==');
    expect(refusal(garbage).code).toBe('InvalidKubeconfig');
  });

  it('refuses a client certificate the CA did not issue, and a key that is not its PEM key', () => {
    const other = makeKubePki('other');
    expect(refusal(adminConf(pki).replace(b64(pki.adminCert), b64(other.adminCert))).message).toContain('did not issue');
    const notPem = adminConf(pki).replace(b64(pki.adminKey), b64('just some bytes'));
    const error = refusal(notPem);
    expect(error.message).toContain('users[0].user.client-key-data that is not one unencrypted PEM private key');
    const otherKey = signClient(pki, 'kubernetes-admin', 'kubeadm:cluster-admins').key;
    const wrongKey = refusal(adminConf(pki).replace(b64(pki.adminKey), b64(otherKey)));
    expect(wrongKey.message).toContain('not the key of the client certificate');
    expect(wrongKey.message).not.toContain(b64(otherKey).slice(0, 40));
  });

  it('escapes control characters of node data in the message', () => {
    const error = refusal(adminConf(pki, { cluster: { 'proxy-url': 'http://x\u001b]0;PWNED\u0007' } }));
    expect(error.message).not.toContain('\u001b');
    expect(error.message).toContain('\\u001b');
  });
});

// ---- kubeconfig --merge and destroy --------------------------------------------------------

const FOREIGN = `# my clusters, hand-written
apiVersion: v1
kind: Config
clusters:
- name: demo
  cluster:
    server: https://prod.example.com:6443
contexts:
- name: prod
  context:
    cluster: demo
    user: prod-user
current-context: prod
users:
- name: prod-user
  user:
    token: prod-secret-token-value
`;

const OTHER = `apiVersion: v1
kind: Config
# keep: the staging cluster
clusters:
- name: staging
  cluster:
    server: https://staging.example.com:6443 # via the VPN
contexts:
- name: staging
  context:
    cluster: staging
    user: staging-user
current-context: staging
users:
- name: staging-user
  user:
    token: staging-token-value
`;

function run(fixture: ClusterFixture, args: string[], env: NodeJS.ProcessEnv = {}) {
  return runCli(args, { cwd: fixture.cwd, env: { HOME: fixture.home, ...env } });
}

async function userConfig(fixture: ClusterFixture, text: string): Promise<string> {
  const path = join(fixture.home, '.kube', 'config');
  await mkdir(join(fixture.home, '.kube'), { recursive: true, mode: 0o700 });
  await writeFile(path, text, { mode: 0o600 });
  return path;
}

interface Shape {
  clusters: Array<{ name: string; cluster: { server: string } }>;
  users: Array<{ name: string; user: Record<string, unknown> }>;
  contexts: Array<{ name: string; context: { cluster: string; user: string } }>;
  'current-context'?: string;
}

describe('kubeconfig --merge', () => {
  it('refuses a same-named cluster it did not create (used by context "prod" with a token), leaving the file byte-identical', async () => {
    const fixture = await makeCluster();
    const path = await userConfig(fixture, FOREIGN);
    const result = await run(fixture, ['kubeconfig', '--merge']);
    expect(result.code).toBe(EXIT_USAGE);
    expect(result.stderr).toContain(`Refusing to merge into ${path}`);
    expect(result.stderr).toContain('cluster "demo" (server "https://prod.example.com:6443"; used by context "prod"), which k8s-bootstrap did not create');
    expect(result.stderr).toContain('kubectl config rename-context');
    expect(result.stderr).toContain(`export KUBECONFIG=${fixture.dir.kubeconfigFile}`);
    expect(result.stderr).not.toContain('prod-secret-token-value');
    expect(await readFile(path, 'utf8')).toBe(FOREIGN);
    expect(existsSync(`${path}.k8sb-backup`)).toBe(false);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('refuses to add a cluster name that a context of the person already refers to', async () => {
    const fixture = await makeCluster();
    const dangling = FOREIGN.replace(/clusters:\n- name: demo\n {2}cluster:\n {4}server: https:\/\/prod.example.com:6443\n/, 'clusters: []\n');
    const path = await userConfig(fixture, dangling);
    const result = await run(fixture, ['kubeconfig', '--merge']);
    expect(result.code).toBe(EXIT_USAGE);
    expect(result.stderr).toContain('context "prod" refers to cluster "demo", which the file does not have');
    expect(await readFile(path, 'utf8')).toBe(dangling);
  });

  it('keeps a 0600 backup of the file it changes, keeps comments, and records what it merged', async () => {
    const fixture = await makeCluster();
    const path = await userConfig(fixture, OTHER);
    const result = await run(fixture, ['kubeconfig', '--merge']);
    expect(result.stderr).toContain(`The previous content is in ${path}.k8sb-backup`);
    expect(result.code).toBe(EXIT_OK);
    expect(await readFile(`${path}.k8sb-backup`, 'utf8')).toBe(OTHER);
    expect((await stat(`${path}.k8sb-backup`)).mode & 0o777).toBe(0o600);
    const text = await readFile(path, 'utf8');
    expect(text).toContain('# keep: the staging cluster');
    expect(text).toContain('# via the VPN');
    const merged = parse(text) as Shape;
    expect(merged.contexts.map((c) => c.name)).toEqual(['staging', 'demo-admin@demo']);
    expect(merged['current-context']).toBe('staging');
    expect(existsSync(`${path}.lock`)).toBe(false);

    const record = JSON.parse(await readFile(join(fixture.dir.root, 'kubeconfig-merged.json'), 'utf8')) as { version: number; files: Record<string, unknown[]> };
    expect(record.version).toBe(1);
    expect(record.files[path]).toEqual([
      {
        cluster: { name: 'demo', server: 'https://127.0.0.1:6443', caSha256: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) },
        user: { name: 'demo-admin', clientCertificateSha256: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) },
        context: { name: 'demo-admin@demo', cluster: 'demo', user: 'demo-admin' },
        mergedAt: expect.any(String),
      },
    ]);
    // Fingerprints only: the record holds no key material.
    expect(JSON.stringify(record)).not.toContain(b64(sharedKubePki().adminKey).slice(0, 40));
    expect((await stat(join(fixture.dir.root, 'kubeconfig-merged.json'))).mode & 0o777).toBe(0o600);
  });

  it('replaces the entries it recorded after the client certificate was renewed', async () => {
    const fixture = await makeCluster();
    const path = await userConfig(fixture, OTHER);
    expect((await run(fixture, ['kubeconfig', '--merge'])).code).toBe(EXIT_OK);
    const pki = sharedKubePki();
    const renewed = signClient(pki, 'kubernetes-admin', 'kubeadm:cluster-admins');
    const admin = adminConf({ ...pki, adminCert: renewed.cert, adminKey: renewed.key });
    await writeFile(fixture.dir.kubeconfigFile, rewriteAdminKubeconfig(admin, { clusterName: 'demo', endpoint: '127.0.0.1:6443', node: 'cp-1', allowedServers: ['127.0.0.1:6443'] }), { mode: 0o600 });
    const again = await run(fixture, ['kubeconfig', '--merge']);
    expect(again.stderr).not.toContain('Refusing');
    expect(again.code).toBe(EXIT_OK);
    const merged = parse(await readFile(path, 'utf8')) as Shape;
    expect(merged.users.find((u) => u.name === 'demo-admin')?.user['client-certificate-data']).toBe(b64(renewed.cert));
    expect(merged.users).toHaveLength(2);
  });

  it('refuses a tampered cluster kubeconfig (exec added) before anything reaches ~/.kube/config', async () => {
    const fixture = await makeCluster();
    const original = await readFile(fixture.dir.kubeconfigFile, 'utf8');
    const tampered = original.replace(/( +)client-key-data: (\S+)\n/, `$1client-key-data: $2\n$1exec:\n$1  apiVersion: client.authentication.k8s.io/v1\n$1  command: sh\n`);
    expect(tampered).not.toBe(original);
    await writeFile(fixture.dir.kubeconfigFile, tampered, { mode: 0o600 });
    const result = await run(fixture, ['kubeconfig', '--merge']);
    expect(result.code).not.toBe(EXIT_OK);
    expect(result.stderr).toContain(`${fixture.dir.kubeconfigFile} carries users[0].user.exec ("sh")`);
    expect(existsSync(join(fixture.home, '.kube', 'config'))).toBe(false);

    const printed = await run(fixture, ['kubeconfig', '--print']);
    expect(printed.code).not.toBe(EXIT_OK);
    expect(printed.stdout).toBe('');
  });

  it('refuses a cluster kubeconfig whose server is not the inventory\'s api_endpoint (print and merge)', async () => {
    const fixture = await makeCluster();
    const original = await readFile(fixture.dir.kubeconfigFile, 'utf8');
    const moved = original.replace(/server: https:\/\/[^\s]+/, 'server: https://127.0.0.9:6443');
    expect(moved).not.toBe(original);
    await writeFile(fixture.dir.kubeconfigFile, moved, { mode: 0o600 });
    for (const flag of ['--print', '--merge']) {
      const result = await run(fixture, ['kubeconfig', flag]);
      expect(result.code).not.toBe(EXIT_OK);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain("has clusters[0].cluster.server \"https://127.0.0.9:6443\", not this cluster's API endpoint (127.0.0.1:6443)");
    }
    expect(existsSync(join(fixture.home, '.kube', 'config'))).toBe(false);
  });

  it('refuses to print or merge a cluster kubeconfig when the CA hash recorded at init is gone', async () => {
    const fixture = await makeCluster();
    await rm(fixture.dir.secretFile('join.json'));
    for (const flag of ['--print', '--merge']) {
      const result = await run(fixture, ['kubeconfig', flag]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('cannot be checked');
      expect(result.stderr).toContain('join.json (which records the cluster\'s CA hash) is missing or unreadable');
    }
    expect(existsSync(join(fixture.home, '.kube', 'config'))).toBe(false);
  });

  it("waits for kubectl's <file>.lock, refuses when it stays, and never removes a lock it did not take", async () => {
    const fixture = await makeCluster();
    const path = await userConfig(fixture, OTHER);
    await writeFile(`${path}.lock`, '');
    const env = { HOME: fixture.home };
    await expect(mergeIntoUserKubeconfig(fixture.dir, 'demo', env, { waitMs: 300 })).rejects.toMatchObject({ code: 'KubeconfigLocked', message: expect.stringContaining(`${path}.lock exists`) });
    expect(await readFile(path, 'utf8')).toBe(OTHER);
    expect(existsSync(`${path}.lock`)).toBe(true);

    setTimeout(() => void rm(`${path}.lock`), 200);
    const result = await mergeIntoUserKubeconfig(fixture.dir, 'demo', env, { waitMs: 5000 });
    expect(result.changed).toBe(true);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });
});

describe('destroy and the merged entries', () => {
  it('removes only the entries it merged and leaves a same-named entry it did not create', async () => {
    const fixture = await makeCluster();
    const path = await userConfig(fixture, OTHER);
    expect((await run(fixture, ['kubeconfig', '--merge'])).code).toBe(EXIT_OK);
    // Someone points the "demo" cluster entry at another server: it is no longer the tool's.
    const edited = (await readFile(path, 'utf8')).replace('server: https://127.0.0.1:6443', 'server: https://mine.example.com:6443');
    await writeFile(path, edited, { mode: 0o600 });

    const result = await run(fixture, ['destroy', '--yes']);
    expect(result.code).toBe(EXIT_OK);
    expect(result.stderr).toContain(`Removed the kubeconfig context of demo from ${path}`);
    expect(result.stderr).toContain(`Left cluster "demo" in ${path} as it is: k8s-bootstrap did not create it`);
    const after = parse(await readFile(path, 'utf8')) as Shape;
    expect(after.clusters.map((c) => [c.name, c.cluster.server])).toEqual([
      ['staging', 'https://staging.example.com:6443'],
      ['demo', 'https://mine.example.com:6443'],
    ]);
    expect(after.users.map((u) => u.name)).toEqual(['staging-user']);
    expect(after.contexts.map((c) => c.name)).toEqual(['staging']);
    expect(after['current-context']).toBe('staging');
    expect(await readFile(`${path}.k8sb-backup`, 'utf8')).toBe(edited);
    expect(existsSync(join(fixture.dir.root, 'kubeconfig-merged.json'))).toBe(false);
  });

  it('leaves a file with foreign entries of the same names byte-identical', async () => {
    const fixture = await makeCluster();
    const names = kubeconfigNames('demo');
    const foreign = `${FOREIGN}# and a context with our name, pointing elsewhere\n`.replace(
      'current-context: prod',
      `- name: ${names.context}\n  context:\n    cluster: demo\n    user: prod-user\ncurrent-context: prod`,
    );
    const path = await userConfig(fixture, foreign);
    const result = await run(fixture, ['destroy', '--yes']);
    expect(result.code).toBe(EXIT_OK);
    expect(result.stderr).not.toContain('Removed the kubeconfig context');
    expect(await readFile(path, 'utf8')).toBe(foreign);
  });
});

describe('the allow-list on kubeconfigs read back from the cluster folder', () => {
  it('passes what rewriteAdminKubeconfig writes', async () => {
    const fixture = await makeCluster();
    const parts = readUntrustedKubeconfig(await readFile(fixture.dir.kubeconfigFile, 'utf8'), { source: 'kubeconfig', fix: '' });
    expect(parts.server).toBe('https://127.0.0.1:6443');
  });
});
