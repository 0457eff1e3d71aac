/**
 * restore without a cluster: the backup is resolved (folder, stamp, its etcd-snapshot.db) and
 * verified (backup.json, the cluster's name, sha256 and size) before anything else; the phases run
 * by the real engine against fake node operations follow the documented order with three control
 * planes (prepare on the first, every control plane stopped, swap and start on the first, the API,
 * the kubelets of the first and the workers restarted, then the others rejoined one at a time: reset, Node deleted, join; then every node Ready); a
 * second run with the same run key skips the finished steps, another key starts over.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPhases } from '../../../../src/engine/runner.js';
import type { SshNodeOps } from '../../../../src/nodes/ssh-node-ops.js';
import type { ClusterNode, Topology } from '../../../../src/nodes/topology.js';
import { ClusterDir } from '../../../../src/state/cluster-dir.js';
import { StateStore } from '../../../../src/state/state-store.js';
import { restorePhases } from '../../../../src/workflows/restore/phases.js';
import { resolveBackupFolder, verifyBackup } from '../../../../src/workflows/restore/verify.js';

const STAMP = '20260101T120000Z';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const node = (name: string, role: 'control-plane' | 'worker'): ClusterNode => ({ name, role, host: name, port: 22, privateIp: `10.0.0.${name.slice(-1)}` });
const topology: Topology = {
  apiEndpoint: 'vip:8443',
  sshUser: 'k8sb',
  controlPlanes: ['cp-1', 'cp-2', 'cp-3'].map((n) => node(n, 'control-plane')),
  workers: [node('worker-1', 'worker')],
};

async function backupFolder(root: string, cluster = 'demo') {
  const folder = join(root, 'backups', STAMP);
  await mkdir(folder, { recursive: true });
  const snapshot = Buffer.alloc(1056, 1);
  const pki = Buffer.from('pki');
  await writeFile(join(folder, 'etcd-snapshot.db'), snapshot);
  await writeFile(join(folder, 'pki.tar.gz'), pki);
  const record = {
    version: 1, cluster, takenAt: '2026-01-01T12:00:00Z', reason: 'manual', node: 'cp-1', kubernetesVersion: '1.37.1',
    etcd: { hash: 1, revision: 10, totalKey: 5, totalSize: 1024, version: '3.6.0' },
    files: { 'etcd-snapshot.db': { sha256: sha(snapshot), bytes: snapshot.length }, 'pki.tar.gz': { sha256: sha(pki), bytes: pki.length } },
  };
  await writeFile(join(folder, 'backup.json'), JSON.stringify(record));
  return folder;
}

describe('restore --from', () => {
  it('takes a folder, a stamp or the snapshot file, and verifies sha256, size and the cluster name', async () => {
    const root = await mkdtemp(join(tmpdir(), 'k8sb-restore-unit-'));
    const dir = new ClusterDir(root);
    const folder = await backupFolder(root);
    expect(await resolveBackupFolder(STAMP, dir, '/')).toBe(folder);
    expect(await resolveBackupFolder(join(folder, 'etcd-snapshot.db'), dir, '/')).toBe(folder);
    expect(await resolveBackupFolder(`backups/${STAMP}`, dir, root)).toBe(folder);
    await expect(resolveBackupFolder('nowhere', dir, root)).rejects.toMatchObject({ exitCode: 2, code: 'BackupNotFound' });
    expect((await verifyBackup(folder, 'demo')).stamp).toBe(STAMP);
    await expect(verifyBackup(folder, 'prod')).rejects.toMatchObject({ exitCode: 2, code: 'BackupOfAnotherCluster' });
    await writeFile(join(folder, 'pki.tar.gz'), 'PKI');
    await expect(verifyBackup(folder, 'demo')).rejects.toMatchObject({ exitCode: 2, code: 'BackupChecksumMismatch' });
    await writeFile(join(folder, 'backup.json'), '{');
    await expect(verifyBackup(folder, 'demo')).rejects.toMatchObject({ exitCode: 2, code: 'BackupRecordInvalid' });
  });
});

/** Records "what@node" for every script stage, reset, kubectl and join. */
function fakeOps(calls: string[]): SshNodeOps {
  const ok = { code: 0, stdout: '', stderr: '' };
  return {
    session: (n: ClusterNode) => ({
      upload: async (_c: unknown, path: string) => void calls.push(`upload ${path.split('/').pop()}@${n.name}`),
      runScript: async (_s: unknown, options: { env: Record<string, string> }) => {
        calls.push(`${options.env.STAGE}@${n.name}${options.env.PEER_URL ? ` ${options.env.PEER_URL}` : ''}`);
        return { ...ok, stdout: options.env.STAGE === 'swap' ? `swapped=1\nold=/etc/kubernetes/tmp/k8sb-pre-restore-${STAMP}/etcd\n` : '' };
      },
    }),
    sudo: async (n: ClusterNode, argv: string[]) => {
      calls.push(`${argv.slice(argv[0] === 'kubectl' ? 3 : 1).join(' ')}@${n.name}`);
      return ok;
    },
    resetNode: async (n: ClusterNode) => void calls.push(`reset@${n.name}`),
    join: async (n: ClusterNode, _t: Topology, controlPlane: boolean) => void calls.push(`join${controlPlane ? ' --control-plane' : ''}@${n.name}`),
    waitReady: async (_f: ClusterNode, _t: Topology, names: string[]) => void calls.push(`ready ${names.join(',')}`),
  } as unknown as SshNodeOps;
}

describe('restorePhases', () => {
  it('runs the documented order with three control planes, rejoining the others one at a time', async () => {
    const root = await mkdtemp(join(tmpdir(), 'k8sb-restore-unit-'));
    const dir = new ClusterDir(root);
    const folder = await backupFolder(root);
    const backup = await verifyBackup(folder, 'demo');
    const state = await StateStore.open(join(root, 'state.json'), 'demo');
    const calls: string[] = [];
    let old: string | undefined;
    const phases = (runKey: string) =>
      restorePhases({ topology, backup, dir, runKey, ops: () => fakeOps(calls), files: async () => ({ snapshot: Buffer.from('s'), pki: Buffer.from('p') }), apiTimeoutMs: 1000, readyTimeoutMs: 1000, oldDataDir: (p) => (old = p) });
    const run = (runKey: string) => runPhases(phases(runKey), { events: { emit: () => undefined }, state, signal: new AbortController().signal, retryBaseDelayMs: 1 });
    await run('k1');
    expect(calls).toEqual([
      'upload restore-20260101T120000Z-etcd-snapshot.db@cp-1', 'upload restore-20260101T120000Z-pki.tar.gz@cp-1', 'prepare@cp-1 https://10.0.0.1:2380',
      'stop@cp-2', 'stop@cp-3', 'stop@cp-1',
      'swap@cp-1', 'start@cp-1', 'get --raw /readyz@cp-1',
      'restart kubelet@cp-1', 'restart kubelet@worker-1',
      'reset@cp-2', 'delete node cp-2@cp-1', 'join --control-plane@cp-2',
      'reset@cp-3', 'delete node cp-3@cp-1', 'join --control-plane@cp-3',
      'ready cp-1,cp-2,cp-3,worker-1',
    ]);
    expect(old).toBe(`/etc/kubernetes/tmp/k8sb-pre-restore-${STAMP}/etcd`);
    expect(Object.keys(state.current.steps)).toContain(`restore:${STAMP}:rejoin:cp-3`);
    calls.length = 0;
    await run('k1');
    expect(calls).toEqual([]);
    await run('k2');
    expect(calls).toHaveLength(18);
  });
});

describe('the confirmation by typed name', () => {
  it('needs --confirm-name without a person and with --yes; a wrong name is a usage error', async () => {
    const { checkConfirmation } = await import('../../../../src/workflows/restore/index.js');
    const host = (interactive: boolean) => ({ interactive }) as Parameters<typeof checkConfirmation>[0];
    expect(() => checkConfirmation(host(true), 'demo', { yes: true })).toThrow(/--yes alone does not confirm it; pass --confirm-name demo/);
    expect(() => checkConfirmation(host(false), 'demo', {})).toThrow(/pass --confirm-name demo/);
    expect(() => checkConfirmation(host(false), 'demo', { confirmName: 'prod' })).toThrow(expect.objectContaining({ exitCode: 2, code: 'ConfirmNameMismatch' }));
    expect(() => checkConfirmation(host(false), 'demo', { confirmName: 'demo', yes: true })).not.toThrow();
    // A person types it at the prompt (host.confirm with typeToConfirm).
    expect(() => checkConfirmation(host(true), 'demo', {})).not.toThrow();
  });
});
