import { describe, expect, it } from 'vitest';
import { CNI_VERSIONS, cniInstallPlan, cniPoolOf, parseCniMarker, planPool } from '../../src/kube/cni.js';
import { specFixture } from './spec-fixture.js';

describe('cniInstallPlan', () => {
  it.each(['calico', 'flannel', 'cilium'] as const)('gives %s the podCidr as its pool', (cni) => {
    for (const podCidr of ['10.244.0.0/16', '172.20.0.0/14', '192.168.128.0/17']) {
      const plan = cniInstallPlan(specFixture({ cni, podCidr }));
      expect(plan.pool).toBe(podCidr);
      expect(planPool(plan, podCidr)).toEqual([podCidr]);
      expect(parseCniMarker(plan.marker.content)).toEqual({ cni, version: plan.version, pool: podCidr });
    }
  });

  it('installs Calico from pinned operator URLs, then our Installation', () => {
    const plan = cniInstallPlan(specFixture({ cni: 'calico' }));
    const urls = plan.commands.map((c) => c.argv.at(-1));
    expect(urls[0]).toBe(`https://raw.githubusercontent.com/projectcalico/calico/${CNI_VERSIONS.calico}/manifests/operator-crds.yaml`);
    expect(urls[1]).toBe(`https://raw.githubusercontent.com/projectcalico/calico/${CNI_VERSIONS.calico}/manifests/tigera-operator.yaml`);
    expect(urls[2]).toBe(plan.files[0]!.path);
    expect(plan.commands.every((c) => c.argv.includes('create'))).toBe(true);
  });

  it('ships a Flannel manifest with pinned images and the kube-flannel-cfg ConfigMap', () => {
    const plan = cniInstallPlan(specFixture({ cni: 'flannel', podCidr: '10.100.0.0/16' }));
    const manifest = plan.files[0]!.content;
    expect(manifest).toContain(`ghcr.io/flannel-io/flannel:${CNI_VERSIONS.flannel}`);
    expect(manifest).not.toMatch(/\{\{/);
    expect(cniPoolOf(manifest)).toEqual(['10.100.0.0/16']);
  });

  it('installs Cilium with the CLI and ipam.mode=kubernetes', () => {
    const plan = cniInstallPlan(specFixture({ cni: 'cilium' }));
    expect(plan.scripts).toEqual([{ name: 'install-cilium-cli', vars: { ciliumCliVersion: CNI_VERSIONS.ciliumCli } }]);
    expect(plan.commands[0]!.argv).toEqual(['cilium', 'install', '--version', '1.19.1', '--set', 'ipam.mode=kubernetes']);
    expect(plan.commands[0]!.env).toEqual({ KUBECONFIG: '/etc/kubernetes/admin.conf' });
  });

  it('would notice a pool that differs (the check can fail)', () => {
    const plan = cniInstallPlan(specFixture({ cni: 'calico', podCidr: '10.244.0.0/16' }));
    const tampered = { ...plan, files: [{ ...plan.files[0]!, content: plan.files[0]!.content.replace('10.244.0.0/16', '192.168.0.0/16') }] };
    expect(planPool(tampered, '10.244.0.0/16')).toEqual(['192.168.0.0/16']);
    const cilium = cniInstallPlan(specFixture({ cni: 'cilium' }));
    const defaultPool = { ...cilium, commands: [{ ...cilium.commands[0]!, argv: ['cilium', 'install', '--version', '1.19.1'] }] };
    expect(planPool(defaultPool, '10.244.0.0/16')).toEqual(['10.0.0.0/8']);
  });

  it('cniPoolOf refuses a manifest without a pool', () => {
    expect(() => cniPoolOf('apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n')).toThrow(expect.objectContaining({ code: 'NoCniPool' }));
  });
});
