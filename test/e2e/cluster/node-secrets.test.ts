/**
 * The certificate key and the bootstrap token on the nodes (security review findings 4 and 20):
 * never in a command line (ps, /proc/<pid>/cmdline and sudo's log show those to every user of the
 * node, for weeks), and the kubeadm configurations that carry them are gone once used. The fleet's
 * sshd records every command line a node received, exactly as sudo would log it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SecretSet } from '../../../src/engine/redact.js';
import { loadCluster, openReadOnlyPool, topologyOf } from '../../../src/workflows/run/load-cluster.js';
import { SshNodeOps } from '../../../src/nodes/ssh-node-ops.js';
import { createContext } from '../../../src/cli/main.js';
import type { Fleet } from '../../fleet/fleet.js';
import { fakeIo } from '../../helpers/fake-io.js';
import { cli, failureText, fleetSkipReason, initArgs, onNode, preparedFleetOf, tempDir } from './cluster-helpers.js';

const VERSION = '1.36.2';

describe.skipIf(fleetSkipReason())('secrets reach the nodes in 0600 files only, and those files go', () => {
  let fleet: Fleet;
  let dir: string;
  let cwd: string;
  const material = () => JSON.parse(readFileSync(join(dir, 'secrets', 'join.json'), 'utf8')) as { token: string; certificateKey: string; certificateKeyUploadedAt?: string };

  beforeAll(async () => {
    fleet = await preparedFleetOf(1, 1, VERSION);
    cwd = tempDir('node-secrets');
    dir = join(cwd, 'cluster');
    const init = await cli(initArgs(fleet, { name: 'secrets', dir, extra: ['--kubernetes-version', VERSION] }), cwd);
    expect(init.code, failureText(init)).toBe(0);
  }, 180_000);

  afterAll(() => fleet?.stop());

  it('no command line any node received carries the token or the certificate key', () => {
    const { token, certificateKey } = material();
    const lines = fleet.allCommands().map((event) => event.command);
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.filter((line) => line.includes(certificateKey) || line.includes(token.split('.')[1]!))).toEqual([]);
  });

  it('removes the kubeadm init and join configurations once kubeadm has used them', async () => {
    for (const node of ['cp-1', 'worker-1']) {
      const left = (await onNode(fleet, node, 'sudo -n ls -A /etc/kubernetes/k8sb/ 2>/dev/null || true')).split('\n');
      expect(left.filter((name) => /^(kubeadm-init|kubeadm-join|upload-certs)\.yaml$/.test(name)), node).toEqual([]);
    }
  });

  it('re-uploads stale control-plane certificates with the key in a 0600 file, removed afterwards', async () => {
    // Certificates uploaded long ago (a resumed or slow HA init, a later control-plane join).
    writeFileSync(join(dir, 'secrets', 'join.json'), JSON.stringify({ ...material(), certificateKeyUploadedAt: '2000-01-01T00:00:00.000Z' }), { mode: 0o600 });
    const before = fleet.allCommands().length;
    const ctx = createContext(fakeIo({ cwd }), { dir, yes: true, output: 'plain', verbose: false, color: false }, new AbortController().signal);
    const cluster = await loadCluster(ctx, { dir });
    const topology = topologyOf(cluster);
    const { pool } = openReadOnlyPool(cluster, topology, { signal: ctx.signal, readyWaitMs: 20_000, env: process.env });
    try {
      const ops = new SshNodeOps({ spec: cluster.spec, dir: cluster.dir, pool, secrets: new SecretSet() });
      const output: string[] = [];
      await ops.freshMaterial(topology, true, { signal: ctx.signal, output: (line) => output.push(line) });
      expect(output.join('\n')).toContain('uploading them again');
    } finally {
      await pool.closeAll();
    }
    const { certificateKey, certificateKeyUploadedAt } = material();
    expect(Date.parse(certificateKeyUploadedAt!)).toBeGreaterThan(Date.parse('2001-01-01'));
    const sent = fleet.allCommands().slice(before).map((event) => event.command);
    const upload = sent.filter((line) => line.includes("'/etc/kubernetes/k8sb/upload-certs.yaml'"));
    expect(upload).toEqual([
      expect.stringMatching(/^'sudo' '-n' 'install' '-m' '0600' '-D' '\/tmp\/k8sb\/[0-9a-f]+-upload-certs\.yaml' '\/etc\/kubernetes\/k8sb\/upload-certs\.yaml'$/),
      "'sudo' '-n' 'kubeadm' 'init' 'phase' 'upload-certs' '--upload-certs' '--config' '/etc/kubernetes/k8sb/upload-certs.yaml' '--skip-certificate-key-print'",
      "'sudo' '-n' 'rm' '-f' '/etc/kubernetes/k8sb/upload-certs.yaml'",
    ]);
    expect(sent.filter((line) => line.includes(certificateKey))).toEqual([]);
    expect(fleet.api().certificateKey?.key).toBe(certificateKey);
    expect(await onNode(fleet, 'cp-1', 'sudo -n ls -A /etc/kubernetes/k8sb/ 2>/dev/null || true')).not.toContain('upload-certs.yaml');
  });
});
