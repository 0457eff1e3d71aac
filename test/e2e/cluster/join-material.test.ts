/**
 * Late joins: when the saved bootstrap token is older than ~23 h, a new one is created with
 * `kubeadm token create --print-join-command`; when the control-plane certificates were uploaded
 * 2 h ago or more, they are uploaded again (`kubeadm init phase upload-certs`) before the next
 * control plane joins. Here a control-plane join fails until the run gives up, a day passes, and
 * the same init finishes the cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Fleet } from '../../fleet/fleet.js';
import { cli, failureText, fleetSkipReason, initArgs, nodesSeenBy, preparedFleetOf, tempDir } from './cluster-helpers.js';
import { DEFAULT_KUBERNETES_VERSION } from '../../../src/kube/versions.js';

const skip = fleetSkipReason();
const HOUR = 3600_000;

describe.skipIf(skip)('init resumed a day after a control-plane join failed', () => {
  let fleet: Fleet;
  let cwd: string;
  let dir: string;
  let args: string[];
  let failed: Awaited<ReturnType<typeof cli>>;

  beforeAll(async () => {
    // The subject is join material: the nodes boot prepared (as from the Packer image).
    fleet = await preparedFleetOf(3, 1, DEFAULT_KUBERNETES_VERSION);
    cwd = tempDir('e2e-late-join');
    dir = join(cwd, 'cluster');
    args = initArgs(fleet, { name: 'late', dir, extra: ['--virtual-ip', `127.0.${fleet.id}.200`] });
    // The first attempt and both retries of cp-3's join fail.
    fleet.setFault('cp-3', { failOnce: ['kubeadm join', 'kubeadm join', 'kubeadm join'] });
    failed = await cli(args, cwd);
  }, 300_000);

  afterAll(() => fleet?.stop());

  it('the first run fails at the control-plane join, naming cp-3', () => {
    expect(failed.code, failureText(failed)).toBe(1);
    expect(failed.stderr.slice(failed.stderr.lastIndexOf('Error:'))).toMatch(/cp-3/);
  });

  it('a day later the same init renews the token and re-uploads the certificates, then finishes', async () => {
    // A day passes for the cluster and for the cluster folder's records alike.
    fleet.advanceClock(25);
    const file = join(dir, 'secrets', 'join.json');
    const material = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    material.tokenCreatedAt = new Date(Date.now() - 25 * HOUR).toISOString();
    material.certificateKeyUploadedAt = new Date(Date.now() - 25 * HOUR).toISOString();
    writeFileSync(file, JSON.stringify(material), { mode: 0o600 });

    const before = fleet.toolCallsOn('cp-1').length;
    const run = await cli(args, cwd);
    expect(run.code, failureText(run)).toBe(0);
    const onFirst = fleet.toolCallsOn('cp-1').slice(before);
    expect(onFirst.filter((c) => c.startsWith('kubeadm token create'))).toHaveLength(1);
    expect(onFirst.filter((c) => c.startsWith('kubeadm init phase upload-certs'))).toHaveLength(1);
    const nodes = await nodesSeenBy(fleet);
    expect(nodes.map((n) => n.name).sort()).toEqual(['cp-1', 'cp-2', 'cp-3', 'worker-1']);
    expect(nodes.every((n) => n.ready)).toBe(true);
    // The renewed token is a secret too: not in the output.
    const renewed = (JSON.parse(readFileSync(file, 'utf8')) as { token: string }).token;
    expect(renewed).not.toBe(material.token);
    expect(run.stdout + run.stderr).not.toContain(renewed);
  });
});
