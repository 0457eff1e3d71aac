/** Version arithmetic of upgrade: targets, hops through each minor, skew refusals, worker batches, parsers. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { UsageError } from '../../../../src/errors.js';
import { etcdIsHealthy, parseClusterVersion, parseMadison, aptInstallPinned } from '../../../../src/kube/upgrade-commands.js';
import { needsContainerd2 } from '../../../../src/nodes/upgrade-node-ops.js';
import { NEWEST_KNOWN_PATCH, parseTargetVersion, planBatches, planHops, upgradeOffers } from '../../../../src/workflows/upgrade/plan.js';

const kubelets = (version: string, names = ['cp-1', 'worker-1']) => names.map((name) => ({ name, version: `v${version}` }));

function refusal(run: () => unknown): UsageError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error('expected a refusal');
}

describe('parseTargetVersion', () => {
  it('accepts the version with or without a leading v', () => {
    expect(parseTargetVersion('v1.37.1')).toBe('1.37.1');
    expect(parseTargetVersion('1.37.1')).toBe('1.37.1');
  });

  it.each(['1.37', 'latest', 'v1.37.1-rc.0', ''])('refuses %j naming --to', (text) => {
    const error = refusal(() => parseTargetVersion(text));
    expect(error.message).toContain('--to');
    expect(error.exitCode).toBe(2);
  });
});

describe('planHops', () => {
  it('one minor up is a single hop to the target', () => {
    expect(planHops({ cluster: '1.36.1', kubelets: kubelets('1.36.1'), target: '1.37.1' })).toEqual({ from: '1.36.1', target: '1.37.1', hops: ['1.37.1'], resumed: false });
  });

  it('a patch upgrade is a single hop', () => {
    expect(planHops({ cluster: '1.36.0', kubelets: kubelets('1.36.0'), target: '1.36.2' }).hops).toEqual(['1.36.2']);
  });

  it('1.35.2 → 1.37.1 goes through the newest known 1.36 patch', () => {
    expect(planHops({ cluster: '1.35.2', kubelets: kubelets('1.35.2'), target: '1.37.1' }).hops).toEqual([NEWEST_KNOWN_PATCH['1.36'], '1.37.1']);
    expect(NEWEST_KNOWN_PATCH['1.36']).toBe('1.36.4');
  });

  it('refuses a downgrade', () => {
    expect(refusal(() => planHops({ cluster: '1.37.1', kubelets: kubelets('1.37.1'), target: '1.36.2' })).code).toBe('DowngradeRefused');
  });

  it('refuses the version the whole cluster already runs', () => {
    expect(refusal(() => planHops({ cluster: '1.37.1', kubelets: kubelets('1.37.1'), target: 'v1.37.1' })).code).toBe('AlreadyAtVersion');
  });

  it('continues to the same version when kubelets lag behind the control plane (an interrupted run)', () => {
    const plan = planHops({ cluster: '1.37.1', kubelets: [...kubelets('1.37.1', ['cp-1']), ...kubelets('1.36.2', ['worker-1'])], target: '1.37.1' });
    expect(plan.hops).toEqual(['1.37.1']);
  });

  it('takes the saved hops of an unfinished run with the same target', () => {
    const plan = planHops({ cluster: '1.36.2', kubelets: kubelets('1.35.2'), target: '1.37.1', saved: { target: '1.37.1', hops: ['1.36.1', '1.37.1'] } });
    expect(plan).toMatchObject({ hops: ['1.36.1', '1.37.1'], resumed: true });
    // …but not those of another target.
    expect(planHops({ cluster: '1.36.2', kubelets: kubelets('1.36.2'), target: '1.37.0', saved: { target: '1.37.1', hops: ['1.37.1'] } }).hops).toEqual(['1.37.0']);
  });

  it('refuses a kubelet newer than the target, naming the node', () => {
    const error = refusal(() => planHops({ cluster: '1.36.1', kubelets: [{ name: 'worker-9', version: 'v1.37.1' }], target: '1.37.0' }));
    expect(error.code).toBe('KubeletNewerThanTarget');
    expect(error.message).toContain('worker-9');
  });

  it('refuses when a kubelet would end up more than 3 minors behind the API server', () => {
    const error = refusal(() => planHops({ cluster: '1.36.2', kubelets: [{ name: 'old', version: 'v1.33.5' }], target: '1.37.1' }));
    expect(error.code).toBe('KubeletSkew');
    expect(error.message).toContain('old');
  });

  it('refuses minors this release does not support', () => {
    expect(refusal(() => planHops({ cluster: '1.37.1', kubelets: kubelets('1.37.1'), target: '1.38.0' })).code).toBe('UnsupportedTargetVersion');
  });

  it('every hop is exactly one minor above the previous and the last is the target (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 35, max: 37 }), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 35, max: 37 }), fc.integer({ min: 0, max: 5 }), (fromMinor, fromPatch, toMinor, toPatch) => {
        fc.pre(toMinor > fromMinor || (toMinor === fromMinor && toPatch > fromPatch));
        const cluster = `1.${fromMinor}.${fromPatch}`;
        const target = `1.${toMinor}.${toPatch}`;
        const { hops } = planHops({ cluster, kubelets: kubelets(cluster), target });
        expect(hops.at(-1)).toBe(target);
        const minors = [fromMinor, ...hops.map((hop) => Number(hop.split('.')[1]))];
        for (let i = 1; i < minors.length; i++) expect(minors[i]! - minors[i - 1]!).toBeLessThanOrEqual(1);
        expect(hops).toHaveLength(Math.max(1, toMinor - fromMinor));
      }),
    );
  });
});

describe('planBatches', () => {
  it('cuts workers into batches of --max-unavailable', () => {
    expect(planBatches(['w1', 'w2', 'w3', 'w4', 'w5'], 2)).toEqual([['w1', 'w2'], ['w3', 'w4'], ['w5']]);
    expect(planBatches(['w1', 'w2'], 1)).toEqual([['w1'], ['w2']]);
    expect(planBatches(['w1', 'w2'], 5)).toEqual([['w1', 'w2']]);
    expect(planBatches([], 3)).toEqual([]);
  });

  it('keeps every worker once, in order, never more than max per batch (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 40 }), fc.integer({ min: 1, max: 10 }), (workers, max) => {
        const batches = planBatches(workers, max);
        expect(batches.flat()).toEqual(workers);
        for (const batch of batches) expect(batch.length).toBeGreaterThan(0);
        for (const batch of batches) expect(batch.length).toBeLessThanOrEqual(max);
      }),
    );
  });

  it('refuses 0', () => {
    expect(refusal(() => planBatches(['w1'], 0)).code).toBe('InvalidMaxUnavailable');
  });
});

describe('upgradeOffers', () => {
  it('offers the newest patch of the current minor and of the next', () => {
    expect(upgradeOffers('1.36.0')).toEqual(['1.36.4', '1.37.1']);
    expect(upgradeOffers('1.36.4')).toEqual(['1.37.1']);
    expect(upgradeOffers('1.37.1')).toEqual([]);
  });
});

describe('upgrade command builders and parsers', () => {
  it('pins packages the way the docs do, waiting for the dpkg lock unattended-upgrades holds after boot', () => {
    expect(aptInstallPinned(['kubelet', 'kubectl'], '1.37.1')).toEqual(['apt-get', '-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '--allow-change-held-packages', 'kubelet=1.37.1-*', 'kubectl=1.37.1-*']);
  });

  it('moves a node to containerd 2.x before a kubelet of 1.38 or later (KEP-4033), not before', () => {
    expect(needsContainerd2('1.37.1')).toBe(false);
    expect(needsContainerd2('1.38.0')).toBe(true);
    expect(needsContainerd2('2.0.0')).toBe(true);
  });

  it('reads the cluster version from kubeadm upgrade plan', () => {
    const output = '[upgrade] Fetching available versions to upgrade to\n[upgrade/versions] Cluster version: v1.36.2\n[upgrade/versions] kubeadm version: v1.37.1\n';
    expect(parseClusterVersion(output)).toBe('1.36.2');
    expect(parseClusterVersion('nothing here')).toBeUndefined();
  });

  it('reads apt-cache madison, newest first', () => {
    const output = '   kubeadm | 1.37.0-1.1 | https://pkgs.k8s.io/core:/stable:/v1.37/deb  Packages\n   kubeadm | 1.37.1-1.1 | https://pkgs.k8s.io/core:/stable:/v1.37/deb  Packages\n';
    expect(parseMadison(output)).toEqual(['1.37.1', '1.37.0']);
  });

  it('sees etcd health in /readyz?verbose', () => {
    expect(etcdIsHealthy('[+]ping ok\n[+]etcd ok\n[+]etcd-readiness ok\nreadyz check passed\n')).toBe(true);
    expect(etcdIsHealthy('[+]ping ok\n[-]etcd failed: reason withheld\nreadyz check failed\n')).toBe(false);
    expect(etcdIsHealthy('')).toBe(false);
  });
});
