/** loadCluster's folder choice, status from a scripted node list, and the OpenSSH argv. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../../src/cli/main.js';
import { clusterRefOf } from '../../../src/cli/host.js';
import type { GlobalOptions } from '../../../src/cli/context.js';
import { UsageError } from '../../../src/errors.js';
import { prepareOpenSsh, type OpenSshTarget } from '../../../src/tools/ssh/interactive.js';
import { loadCluster, topologyOf } from '../../../src/workflows/run/load-cluster.js';
import type { NodeStatus } from '../../../src/nodes/node-ops.js';
import { collectStatus, formatAge, formatStatus } from '../../../src/workflows/status/index.js';
import { fakeIo } from '../../helpers/fake-io.js';
import { makeCluster } from '../../helpers/cluster-fixture.js';

function context(cwd: string, globals: Partial<GlobalOptions> = {}) {
  return createContext(fakeIo({ cwd }), { yes: false, output: 'plain', verbose: false, color: false, ...globals }, new AbortController().signal);
}

/** The cluster a command run with these globals works on. */
function located(cwd: string, globals: Partial<GlobalOptions> = {}) {
  return [context(cwd, globals), clusterRefOf(context(cwd, globals))] as const;
}

async function usageErrorOf(promise: Promise<unknown>): Promise<UsageError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(UsageError);
  return error as UsageError;
}

describe('loadCluster', () => {
  it('picks the only cluster under ./clusters', async () => {
    const fixture = await makeCluster('alpha');
    const loaded = await loadCluster(...located(fixture.cwd));
    expect(loaded.spec.name).toBe('alpha');
    expect(loaded.dir.root).toBe(fixture.dir.root);
    expect(loaded.inventory.control_plane.map((n) => n.name)).toEqual(['cp-1']);
    expect(Object.keys(loaded.state.steps)).toContain('init:cp-1');
  });

  it('with several clusters: a UsageError listing them and naming --dir; --dir or --config chooses', async () => {
    const first = await makeCluster('alpha');
    await makeCluster('beta', { cwd: first.cwd });
    const error = await usageErrorOf(loadCluster(...located(first.cwd)));
    expect(error.message).toContain('alpha, beta');
    expect(error.hint).toContain('--dir');
    expect((await loadCluster(...located(first.cwd, { dir: 'clusters/beta' }))).spec.name).toBe('beta');
    expect((await loadCluster(...located(first.cwd, { config: join(first.cwd, 'clusters', 'beta', 'cluster.yaml') }))).spec.name).toBe('beta');
  });

  it('no cluster folder, or one without inventory.json: run init first', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'k8sb-day2-empty-'));
    const none = await usageErrorOf(loadCluster(...located(empty)));
    expect(`${none.message} ${none.hint}`).toMatch(/init/);

    const fixture = await makeCluster();
    await rm(fixture.dir.inventoryFile);
    const unbuilt = await usageErrorOf(loadCluster(...located(fixture.cwd)));
    expect(unbuilt.message).toContain('inventory.json');
    expect(unbuilt.hint).toContain('k8s-bootstrap init');
    const partial = await loadCluster(...located(fixture.cwd), { requireInventory: false });
    expect(partial.inventory).toBeUndefined();
  });
});

describe('collectStatus with a scripted node list', () => {
  const now = Date.parse('2026-01-10T12:00:00Z');
  const nodes: NodeStatus[] = [
    { name: 'cp-1', roles: ['control-plane'], ready: true, unschedulable: false, kubeletVersion: 'v1.36.2', internalIp: '127.0.0.1', createdAt: '2026-01-07T12:00:00Z' },
    { name: 'worker-1', roles: [], ready: false, unschedulable: true, kubeletVersion: 'v1.36.1', internalIp: '127.0.0.2', createdAt: '2026-01-10T09:00:00Z', readyMessage: 'network plugin is not ready' },
  ];

  it('reports Ready, cordoned, versions and ages; a NotReady node makes it unhealthy', async () => {
    const fixture = await makeCluster();
    const cluster = await loadCluster(...located(fixture.cwd));
    const topology = topologyOf(cluster);
    const asked: string[] = [];
    const report = await collectStatus(cluster, {
      topology,
      lister: { getNodes: async (first) => (asked.push(first.name), nodes) },
      signal: new AbortController().signal,
      deadline: now + 60_000,
      now: () => now,
    });
    expect(asked).toEqual(['cp-1']);
    expect(report.api).toEqual({ reachable: true, via: 'cp-1' });
    expect(report.healthy).toBe(false);
    expect(report.version.observed).toEqual(['v1.36.1', 'v1.36.2']);
    expect(report.nodes).toEqual([
      expect.objectContaining({ name: 'cp-1', role: 'control-plane', ready: true, status: 'Ready', cordoned: false, age: '3d', address: '127.0.0.1' }),
      expect.objectContaining({ name: 'worker-1', role: 'worker', ready: false, status: 'NotReady,SchedulingDisabled', cordoned: true, age: '3h', message: 'network plugin is not ready' }),
    ]);
    const text = formatStatus(report);
    expect(text).toMatch(/worker-1\s+worker\s+NotReady,SchedulingDisabled\s+v1\.36\.1/);
    expect(text).toContain('worker-1: network plugin is not ready');
  });

  it('all Ready is healthy; an inventory node the API does not know is NotRegistered', async () => {
    const fixture = await makeCluster();
    const cluster = await loadCluster(...located(fixture.cwd));
    const topology = topologyOf(cluster);
    const readyCp = { ...nodes[0]! };
    const healthy = await collectStatus(cluster, {
      topology,
      lister: { getNodes: async () => [readyCp, { ...nodes[1]!, ready: true, unschedulable: false }] },
      signal: new AbortController().signal,
      deadline: now + 60_000,
      now: () => now,
    });
    expect(healthy.healthy).toBe(true);
    const missing = await collectStatus(cluster, { topology, lister: { getNodes: async () => [readyCp] }, signal: new AbortController().signal, deadline: now + 60_000, now: () => now });
    expect(missing.healthy).toBe(false);
    expect(missing.nodes[1]).toMatchObject({ name: 'worker-1', status: 'NotRegistered', ready: false });
  });

  it('formats ages like kubectl', () => {
    expect([formatAge(45_000), formatAge(10 * 60_000), formatAge(5 * 3600_000), formatAge(4 * 86400_000)]).toEqual(['45s', '10m', '5h', '4d']);
  });
});

describe('prepareOpenSsh', () => {
  async function prepared(target: OpenSshTarget, sshPath = 'ssh') {
    const invocation = await prepareOpenSsh(target, sshPath);
    try {
      const config = await readFile(invocation.configFile, 'utf8');
      const bastion = target.bastion ? await readFile(join(dirname(invocation.configFile), 'bastion.conf'), 'utf8') : undefined;
      return { invocation, config, bastion };
    } finally {
      await invocation.dispose();
    }
  }

  it('pins host keys to the cluster files only and never prompts', async () => {
    const { invocation, config } = await prepared({ host: '10.0.0.5', port: 2222, user: 'ubuntu', privateKeyPath: '/c/secrets/key', knownHostsFiles: ['/c/secrets/known_hosts', '/my hosts'] });
    expect(config.split('\n')).toEqual(
      expect.arrayContaining([
        'StrictHostKeyChecking yes',
        'UserKnownHostsFile "/c/secrets/known_hosts" "/my hosts"',
        'GlobalKnownHostsFile /dev/null',
        'UpdateHostKeys no',
        'BatchMode yes',
        'IdentityFile "/c/secrets/key"',
        'IdentitiesOnly yes',
      ]),
    );
    expect(invocation.argv.slice(0, 2)).toEqual(['-F', invocation.configFile]);
    expect(invocation.argv.slice(-6)).toEqual(['-p', '2222', '-l', 'ubuntu', '--', '10.0.0.5']);
  });

  it('reaches the node through the bastion with the same pinning (ProxyCommand, quoted)', async () => {
    const { invocation, config, bastion } = await prepared(
      { host: '10.0.1.7', user: 'ubuntu', knownHostsFiles: ['/c/known_hosts'], bastion: { host: 'bastion.example', port: 22, user: 'jump' } },
      '/usr/bin/ssh',
    );
    const proxy = config.split('\n').find((line) => line.startsWith('ProxyCommand '))!;
    const bastionConfig = join(dirname(invocation.configFile), 'bastion.conf');
    expect(proxy).toBe(`ProxyCommand '/usr/bin/ssh' '-F' '${bastionConfig}' '-p' '22' '-l' 'jump' -W %h:%p -- 'bastion.example'`);
    expect(bastion).toContain('StrictHostKeyChecking yes');
    expect(bastion).toContain('UserKnownHostsFile "/c/known_hosts"');
    expect(bastion).not.toContain('ProxyCommand');
    expect(config).not.toContain('ProxyJump');
  });

  it('refuses paths an ssh_config file cannot hold (control characters)', async () => {
    await expect(prepareOpenSsh({ host: 'h', user: 'u', knownHostsFiles: ['/tmp/a\nb/known_hosts'] })).rejects.toThrow(UsageError);
  });
});
