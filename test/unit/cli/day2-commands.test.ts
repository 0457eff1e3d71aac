/** status, kubeconfig, ssh and destroy run in-process (CI=true) against a prepared cluster folder. */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../../../src/cli/main.js';
import { runCli } from '../../helpers/fake-io.js';
import { makeCluster, type ClusterFixture } from '../../helpers/cluster-fixture.js';
import { resultOf } from '../../helpers/json-lines.js';

const OTHER_KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- name: other
  cluster:
    server: https://other.example:6443
users:
- name: other-user
  user:
    token: other-token
contexts:
- name: other
  context:
    cluster: other
    user: other-user
current-context: other
`;

function run(fixture: ClusterFixture, args: string[], env: NodeJS.ProcessEnv = {}) {
  return runCli(args, { cwd: fixture.cwd, env: { HOME: fixture.home, ...env } });
}

async function writeOtherKubeconfig(fixture: ClusterFixture): Promise<string> {
  const path = join(fixture.home, '.kube', 'config');
  await mkdir(join(fixture.home, '.kube'), { recursive: true });
  await writeFile(path, OTHER_KUBECONFIG, { mode: 0o644 });
  return path;
}

interface KubeconfigShape {
  contexts: Array<{ name: string; context: { cluster: string; user: string } }>;
  clusters: Array<{ name: string; cluster: { server: string } }>;
  users: Array<{ name: string }>;
  'current-context'?: string;
}

describe('kubeconfig', () => {
  it('prints the path of the cluster kubeconfig', async () => {
    const fixture = await makeCluster();
    const result = await run(fixture, ['kubeconfig']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(EXIT_OK);
    expect(result.stdout).toBe(`${fixture.dir.kubeconfigFile}\n`);
  });

  it('--print prints the content', async () => {
    const fixture = await makeCluster();
    const result = await run(fixture, ['kubeconfig', '--print']);
    expect(result.code).toBe(EXIT_OK);
    expect(result.stdout).toBe(await readFile(fixture.dir.kubeconfigFile, 'utf8'));
    expect(result.stdout).toContain('server: https://127.0.0.1:6443');
  });

  it('--merge keeps the other contexts, writes 0600 and is idempotent', async () => {
    const fixture = await makeCluster();
    const path = await writeOtherKubeconfig(fixture);
    const first = await run(fixture, ['kubeconfig', '--merge']);
    expect(first.stderr).toContain('kubectl config use-context demo-admin@demo');
    expect(first.code).toBe(EXIT_OK);
    expect(first.stdout).toContain(`Merged context demo-admin@demo into ${path}`);
    const merged = parse(await readFile(path, 'utf8')) as KubeconfigShape;
    expect(merged.contexts.map((c) => c.name).sort()).toEqual(['demo-admin@demo', 'other']);
    expect(merged.clusters.find((c) => c.name === 'other')?.cluster.server).toBe('https://other.example:6443');
    expect(merged.clusters.find((c) => c.name === 'demo')?.cluster.server).toBe('https://127.0.0.1:6443');
    expect(merged['current-context']).toBe('other');
    expect((await stat(path)).mode & 0o777).toBe(0o600);

    const before = await readFile(path, 'utf8');
    const second = await run(fixture, ['kubeconfig', '--merge']);
    expect(second.code).toBe(EXIT_OK);
    expect(second.stdout).toContain('already up to date');
    expect(await readFile(path, 'utf8')).toBe(before);
  });

  it('--merge creates ~/.kube and the file when there is none, and uses the first $KUBECONFIG path', async () => {
    const fixture = await makeCluster();
    const result = await run(fixture, ['kubeconfig', '--merge']);
    expect(result.code).toBe(EXIT_OK);
    const path = join(fixture.home, '.kube', 'config');
    expect((await stat(join(fixture.home, '.kube'))).mode & 0o777).toBe(0o700);
    expect((parse(await readFile(path, 'utf8')) as KubeconfigShape)['current-context']).toBe('demo-admin@demo');

    const elsewhere = join(fixture.cwd, 'kc', 'first');
    const viaEnv = await run(fixture, ['kubeconfig', '--merge'], { KUBECONFIG: `${elsewhere}:${path}` });
    expect(viaEnv.code).toBe(EXIT_OK);
    expect(existsSync(elsewhere)).toBe(true);
  });

  it('without a kubeconfig tells to run init', async () => {
    const fixture = await makeCluster();
    await import('node:fs/promises').then((fs) => fs.rm(fixture.dir.kubeconfigFile));
    const result = await run(fixture, ['kubeconfig']);
    expect(result.code).toBe(EXIT_USAGE);
    expect(result.stderr).toContain('has no kubeconfig yet');
    expect(result.stderr).toContain('k8s-bootstrap init');
    expect(result.stdout).toBe('');
  });
});

describe('status', () => {
  it('--output json with an unreachable API: exit 1, the state-folder view, the node named', async () => {
    const fixture = await makeCluster();
    const result = await run(fixture, ['--output', 'json', 'status', '--timeout', '5s']);
    expect(result.code).toBe(EXIT_FAILURE);
    const report = resultOf(result.stdout) as unknown as {
      cluster: string;
      apiEndpoint: string;
      healthy: boolean;
      api: { reachable: boolean; error: string };
      nodes: Array<{ name: string; role: string; ready: boolean | null; status: string }>;
      state: { finishedSteps: number; pendingSteps: string[]; lastRun?: { command: string } };
      version: { recorded: string };
    };
    expect(report.cluster).toBe('demo');
    expect(report.healthy).toBe(false);
    expect(report.api.reachable).toBe(false);
    expect(report.api.error).toContain('cp-1');
    expect(report.apiEndpoint).toBe('127.0.0.1:6443');
    expect(report.version.recorded).toBe('1.36.2');
    expect(report.nodes.map((n) => [n.name, n.role, n.ready, n.status])).toEqual([
      ['cp-1', 'control-plane', null, 'Unknown'],
      ['worker-1', 'worker', null, 'Unknown'],
    ]);
    expect(report.state.finishedSteps).toBe(3);
    expect(report.state.pendingSteps).toEqual(expect.arrayContaining(['cni:calico', 'join:worker-1', 'verify', 'kubeconfig']));
    expect(report.state.pendingSteps).not.toContain('init:cp-1');
    expect(report.state.lastRun?.command).toBe('init');
    expect(result.stderr).toContain('cp-1');
  });

  it('prints the state-folder view as text too, and takes no lock', async () => {
    const fixture = await makeCluster();
    const result = await run(fixture, ['status', '--timeout', '3s']);
    expect(result.code).toBe(EXIT_FAILURE);
    expect(result.stdout).toContain('Cluster demo (static), Kubernetes 1.36.2');
    expect(result.stdout).toMatch(/cp-1\s+control-plane\s+Unknown/);
    expect(result.stdout).toContain('3 steps finished');
    expect(existsSync(fixture.dir.lockFile)).toBe(false);
  });

  it('refuses a bad --timeout with exit 2', async () => {
    const fixture = await makeCluster();
    const result = await run(fixture, ['status', '--timeout', '30']);
    expect(result.code).toBe(EXIT_USAGE);
    expect(result.stderr).toContain('--timeout');
  });
});

describe('ssh', () => {
  it('an unknown node shaped like the cluster\'s names: exit 2 listing the nodes', async () => {
    const fixture = await makeCluster();
    const result = await run(fixture, ['ssh', 'worker-7', '--', 'hostname']);
    expect(result.code).toBe(EXIT_USAGE);
    expect(result.stderr).toContain('no node named "worker-7"');
    expect(result.stderr).toContain('cp-1, worker-1');
  });

  // Review P16: `ssh -- sudo kubectl …` answered "There is no node named "sudo"".
  describe('which node the words choose (empty known_hosts: the chosen node is named at once)', () => {
    async function unpinned() {
      const fixture = await makeCluster();
      await writeFile(fixture.dir.knownHostsFile, '', { mode: 0o600 });
      return fixture;
    }

    it('no node name: the command runs on the first control plane', async () => {
      const result = await run(await unpinned(), ['ssh', '--', 'sudo', 'kubectl', 'get', 'nodes']);
      expect(result.stderr).not.toContain('no node named');
      expect(result.stderr).toContain('No pinned host key for node cp-1');
      expect(result.code).toBe(EXIT_FAILURE);
    });

    it('a first word that is a node name selects that node', async () => {
      const result = await run(await unpinned(), ['ssh', 'worker-1', '--', 'hostname']);
      expect(result.stderr).toContain('No pinned host key for node worker-1');
    });

    it('a near-miss of a node name is refused with "did you mean" and the command for the other reading', async () => {
      const fixture = await unpinned();
      const result = await run(fixture, ['ssh', 'wroker-1', '--', 'hostname']);
      expect(result.code).toBe(EXIT_USAGE);
      expect(result.stderr).toContain('no node named "wroker-1" in this cluster (did you mean "worker-1"?)');
      const hint = /k8s-bootstrap (ssh cp-1 -- wroker-1 hostname)/.exec(result.stderr);
      expect(hint).not.toBeNull();
      // The hint works as written: it reaches cp-1 (refused here only for its unpinned key).
      const again = await run(fixture, hint![1]!.split(' '));
      expect(again.stderr).toContain('No pinned host key for node cp-1');
    });

    it('--help says how the first word is read', async () => {
      const result = await run(await unpinned(), ['ssh', '--help']);
      expect(result.stdout).toContain('ssh -- sudo kubectl get nodes');
      expect(result.stdout).toMatch(/first word is no node's name: runs on the first control plane/);
      expect(result.stdout).toMatch(/first word names a node: runs there/);
    });
  });

  it('a shell without a terminal: exit 2 pointing at the one-command form', async () => {
    const fixture = await makeCluster();
    const result = await run(fixture, ['ssh', 'worker-1']);
    expect(result.code).toBe(EXIT_USAGE);
    expect(result.stderr).toContain('k8s-bootstrap ssh worker-1 -- COMMAND');
  });

  it('one command on an unreachable node fails (exit 1) naming the node', async () => {
    const fixture = await makeCluster();
    const result = await run(fixture, ['ssh', 'worker-1', '--timeout', '5s', '--', 'hostname']);
    expect(result.code).not.toBe(EXIT_OK);
    expect(result.stderr).toContain('worker-1');
  }, 60_000);

  it('refuses a node whose host key is not pinned', async () => {
    const fixture = await makeCluster();
    await writeFile(fixture.dir.knownHostsFile, '', { mode: 0o600 });
    const result = await run(fixture, ['ssh', 'cp-1', '--', 'hostname']);
    expect(result.code).toBe(EXIT_FAILURE);
    expect(result.stderr).toContain('No pinned host key for node cp-1');
  });
});

describe('destroy', () => {
  it('in CI without --yes: exit 2 naming --yes, nothing removed', async () => {
    const fixture = await makeCluster();
    const result = await run(fixture, ['destroy']);
    expect(result.code).toBe(EXIT_USAGE);
    expect(result.stderr).toContain('--yes');
    expect(existsSync(fixture.dir.inventoryFile)).toBe(true);
    expect(existsSync(fixture.dir.kubeconfigFile)).toBe(true);
  });

  it('--yes on a static cluster without --reset-nodes: removes the merged context, keeps the logs', async () => {
    const fixture = await makeCluster();
    const kubeconfig = await writeOtherKubeconfig(fixture);
    expect((await run(fixture, ['kubeconfig', '--merge'])).code).toBe(EXIT_OK);

    const result = await run(fixture, ['destroy', '--yes']);
    expect(result.stderr).toContain('Static hosts are left as they are');
    expect(result.code).toBe(EXIT_OK);
    expect(result.stdout).toContain('Cluster demo destroyed.');
    expect(result.stderr).toContain(`Removed the kubeconfig context of demo from ${kubeconfig}`);

    const after = parse(await readFile(kubeconfig, 'utf8')) as KubeconfigShape;
    expect(after.contexts.map((c) => c.name)).toEqual(['other']);
    expect(after.clusters.map((c) => c.name)).toEqual(['other']);
    expect(after.users.map((u) => u.name)).toEqual(['other-user']);
    expect(after['current-context']).toBe('other');

    expect(existsSync(fixture.oldLog)).toBe(true);
    const logs = await readdir(fixture.dir.logsDir);
    expect(logs.some((name) => name.endsWith('-destroy.log'))).toBe(true);
    expect(existsSync(fixture.dir.specFile)).toBe(true);
    expect(existsSync(fixture.dir.inventoryFile)).toBe(false);
    expect(existsSync(fixture.dir.kubeconfigFile)).toBe(false);
    expect(existsSync(fixture.dir.secretFile('join.json'))).toBe(false);
    // The hosts still run the cluster: its kubeconfig and join material are kept, owner-only (security review 22).
    const archive = join(fixture.dir.secretsDir, 'archive');
    const [kept] = await readdir(archive);
    expect(kept).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect((await readdir(join(archive, kept!))).sort()).toEqual(['join.json', 'kubeconfig']);
    expect((await stat(join(archive, kept!, 'join.json'))).mode & 0o777).toBe(0o600);
    expect(existsSync(fixture.dir.lockFile)).toBe(false);
    const state = JSON.parse(await readFile(fixture.dir.stateFile, 'utf8')) as { steps: object; facts: Record<string, unknown> };
    expect(state.steps).toEqual({});
    expect(typeof state.facts.destroyedAt).toBe('string');

    // The cluster is gone for the day-2 commands that need it.
    const status = await run(fixture, ['status']);
    expect(status.code).toBe(EXIT_USAGE);
    expect(status.stderr).toContain('cluster demo was destroyed');
    expect(status.stderr).toContain('Run "k8s-bootstrap init');
  });

  it('waits for no one: a held lock stops it with exit 1', async () => {
    const fixture = await makeCluster();
    await writeFile(fixture.dir.lockFile, JSON.stringify({ pid: process.pid, host: (await import('node:os')).hostname(), command: 'init', startedAt: new Date().toISOString() }));
    const result = await run(fixture, ['destroy', '--yes']);
    expect(result.code).toBe(EXIT_FAILURE);
    expect(result.stderr).toContain('locked');
    expect(existsSync(fixture.dir.inventoryFile)).toBe(true);
  });
});
