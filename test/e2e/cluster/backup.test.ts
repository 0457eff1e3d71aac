/**
 * End to end on the simulated fleet (one control plane): `backup` takes an etcd snapshot in the
 * etcd pod, verifies it with etcdutl, copies it and the PKI archive into
 * clusters/<name>/backups/<stamp>/ (0700, files 0600, sha256 as the node computed), writes
 * backup.json, leaves nothing on the node, and keeps the newest backup.keep; a failed
 * verification fails the command and keeps nothing; a bucket without keys fails before any SSH.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { Fleet } from '../../fleet/fleet.js';
import { resultOf } from '../../helpers/json-lines.js';
import { cli, failureText, fleetSkipReason, initArgs, onNode, preparedFleetOf, tempDir } from './cluster-helpers.js';

const skip = fleetSkipReason();
const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const stamps = (dir: string) => readdirSync(join(dir, 'backups')).sort();

describe.skipIf(skip)('backup', () => {
  let fleet: Fleet;
  let cwd: string;
  let dir: string;
  let init: Awaited<ReturnType<typeof cli>>;
  let first: Awaited<ReturnType<typeof cli>>;

  beforeAll(async () => {
    fleet = await preparedFleetOf(1, 0, '1.37.1');
    cwd = tempDir('e2e-backup');
    dir = join(cwd, 'cluster');
    init = await cli(initArgs(fleet, { name: 'bk', dir, extra: ['--kubernetes-version', '1.37.1'] }), cwd);
    if (init.code !== 0) return;
    first = await cli(['--dir', dir, '--output', 'json', '--yes', 'backup'], cwd);
  }, 300_000);
  afterAll(() => fleet?.stop());

  it('keeps a verified snapshot, the PKI and backup.json, 0700/0600, with the node\'s sha256, and leaves nothing on the node', async () => {
    expect(init.code, failureText(init)).toBe(0);
    expect(first.code, failureText(first)).toBe(0);
    const result = resultOf<{ path: string; stamp: string; record: { etcd: { revision: number; totalKey: number } } }>(first.stdout, 'backup');
    expect(result.stamp).toMatch(/^\d{8}T\d{6}Z$/);
    const folder = join(dir, 'backups', result.stamp);
    expect(result.path).toBe(folder);
    expect(mode(join(dir, 'backups'))).toBe('700');
    expect(mode(folder)).toBe('700');
    expect(readdirSync(folder).sort()).toEqual(['backup.json', 'etcd-snapshot.db', 'pki.tar.gz']);
    for (const file of readdirSync(folder)) expect(mode(join(folder, file)), file).toBe('600');
    const record = JSON.parse(readFileSync(join(folder, 'backup.json'), 'utf8'));
    expect(record).toMatchObject({ version: 1, cluster: 'bk', reason: 'manual', node: 'cp-1', kubernetesVersion: '1.37.1' });
    expect(record.etcd.revision).toBeGreaterThan(0);
    expect(record.etcd.totalKey).toBeGreaterThan(0);
    expect(Object.keys(record.etcd)).toEqual(['hash', 'revision', 'totalKey', 'totalSize', 'version']);
    expect(record.files['etcd-snapshot.db'].sha256).toBe(sha256(join(folder, 'etcd-snapshot.db')));
    expect(record.files['pki.tar.gz'].sha256).toBe(sha256(join(folder, 'pki.tar.gz')));
    // A real snapshot's size: 512·n + the 32-byte sha256 etcd appends.
    expect(statSync(join(folder, 'etcd-snapshot.db')).size % 512).toBe(32);
    const pki = execFileSync('tar', ['-tzf', join(folder, 'pki.tar.gz')], { encoding: 'utf8' }).trim().split('\n').sort();
    expect(pki).toEqual(['pki/ca.crt', 'pki/ca.key', 'pki/etcd/ca.crt', 'pki/etcd/ca.key', 'pki/front-proxy-ca.crt', 'pki/front-proxy-ca.key', 'pki/sa.key', 'pki/sa.pub']);
    // The snapshot went through the etcd pod: health, save, status, in that order.
    const calls = fleet.toolCallsOn('cp-1').map((c) => / exec etcd-cp-1 -- (etcd\w+) .*?(endpoint health|snapshot save|snapshot status)/.exec(c)?.slice(1).join(' ')).filter(Boolean);
    expect(calls).toEqual([
      'etcdctl endpoint health', 'etcdctl snapshot save', 'etcdutl snapshot status',
    ]);
    expect(await onNode(fleet, 'cp-1', 'sudo -n ls -A /var/lib/etcd; ls -A /tmp/k8sb')).not.toMatch(/k8sb-backup|backup-/);
  });

  it('status names the newest backup', async () => {
    const status = await cli(['--dir', dir, '--output', 'plain', 'status'], cwd);
    expect(status.stdout + status.stderr).toMatch(/newest backup: \d{8}T\d{6}Z, less than an hour ago from cp-1 \(manual\)/);
  });

  it('keeps the newest backup.keep and removes the older ones', async () => {
    const spec = parse(readFileSync(join(dir, 'cluster.yaml'), 'utf8'));
    spec.backup = { keep: 2 };
    writeFileSync(join(dir, 'cluster.yaml'), stringify(spec));
    const before = stamps(dir);
    for (let i = 0; i < 2; i++) {
      const again = await cli(['--dir', dir, '--output', 'plain', '--yes', 'backup'], cwd);
      expect(again.code, failureText(again)).toBe(0);
    }
    const after = stamps(dir);
    expect(after).toHaveLength(2);
    expect(after).not.toContain(before[0]);
    expect(after[1]! > after[0]!).toBe(true);
  });

  it('a snapshot that fails etcdutl snapshot status fails the command and keeps nothing, here or on the node', async () => {
    const before = stamps(dir);
    fleet.setFault('cp-1', {
      failOnce: { op: 'kubectl --kubeconfig /etc/kubernetes/admin.conf -n kube-system exec etcd-cp-1 -- etcdutl snapshot status', message: 'Error: snapshot file integrity check failed. 1 errors found.\npage 3: unreachable unfreed', exitCode: 1 },
    });
    const failed = await cli(['--dir', dir, '--output', 'plain', '--yes', 'backup'], cwd);
    fleet.setFault('cp-1', {});
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('did not pass etcdutl snapshot status');
    expect(failed.stderr).toContain('snapshot file integrity check failed');
    expect(stamps(dir)).toEqual(before);
    expect(await onNode(fleet, 'cp-1', 'sudo -n ls -A /var/lib/etcd; ls -A /tmp/k8sb')).not.toMatch(/k8sb-backup|backup-/);
  });

  it('a bucket without its keys fails before any SSH, naming the variables', async () => {
    const spec = parse(readFileSync(join(dir, 'cluster.yaml'), 'utf8'));
    spec.backup = { keep: 2, s3: { bucket: 'bk-backups', region: 'us-east-1', endpoint: 'https://s3.example.com' } };
    writeFileSync(join(dir, 'cluster.yaml'), stringify(spec));
    const sessions = fleet.commandsOn('cp-1').length;
    const refused = await cli(['--dir', dir, '--output', 'plain', '--yes', 'backup'], cwd);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('K8SB_BACKUP_S3_ACCESS_KEY_ID and K8SB_BACKUP_S3_SECRET_ACCESS_KEY');
    expect(fleet.commandsOn('cp-1').length).toBe(sessions);
  });
});
