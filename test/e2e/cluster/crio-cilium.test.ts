/**
 * The other runtime and CNI: CRI-O from its per-minor repository and Cilium with
 * ipam.mode=kubernetes (its pods get addresses from the node podCIDRs carved out of podSubnet).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Fleet } from '../../fleet/fleet.js';
import { cli, failureText, fleetOf, fleetSkipReason, initArgs, nodesSeenBy, onNode, tempDir } from './cluster-helpers.js';

const skip = fleetSkipReason();

describe.skipIf(skip)('init with CRI-O and Cilium on a 1 + 1 fleet', () => {
  let fleet: Fleet;
  let run: Awaited<ReturnType<typeof cli>>;

  beforeAll(async () => {
    fleet = await fleetOf(1, 1);
    const cwd = tempDir('e2e-crio');
    const args = initArgs(fleet, { name: 'crio', dir: join(cwd, 'cluster'), extra: ['--runtime', 'cri-o', '--pod-cidr', '10.32.0.0/16'] });
    args[args.indexOf('--cni') + 1] = 'cilium';
    run = await cli(args, cwd);
  }, 300_000);

  afterAll(() => fleet?.stop());

  it('reaches all-Ready with CRI-O from the minor\'s repository and Cilium on the pod CIDR', async () => {
    expect(run.code, failureText(run)).toBe(0);
    const nodes = await nodesSeenBy(fleet);
    expect(nodes.map((n) => n.name).sort()).toEqual(['cp-1', 'worker-1']);
    expect(nodes.every((n) => n.ready)).toBe(true);
    expect(fleet.api().cni).toMatchObject({ kind: 'cilium' });
    expect(fleet.api().cluster?.podSubnet).toBe('10.32.0.0/16');
    for (const node of ['cp-1', 'worker-1']) {
      expect(await onNode(fleet, node, 'cat /etc/apt/sources.list.d/cri-o.list')).toMatch(/isv:\/cri-o:\/stable:\/v1\.37\/deb/);
      expect(fleet.toolCallsOn(node).join('\n')).toMatch(/apt-get -o DPkg::Lock::Timeout=600 install -y cri-o/);
    }
    expect(fleet.toolCallsOn('cp-1').join('\n')).toMatch(/cilium install --version \S+ --set ipam.mode=kubernetes/);
  });
});
