import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { CNI_VERSIONS, cniInstallPlan, cniPoolOf, isExistingReleaseError, onlyAlreadyExists, planPool, readInstalled } from '../../../src/kube/cni.js';
import { specFixture } from '../../helpers/spec-fixture.js';

const CALICO = `https://raw.githubusercontent.com/projectcalico/calico/${CNI_VERSIONS.calico}/manifests`;

describe('cniInstallPlan', () => {
  it.each(['calico', 'flannel', 'cilium'] as const)('gives %s the podCidr as its pool', (cni) => {
    for (const podCidr of ['10.244.0.0/16', '172.20.0.0/14', '192.168.128.0/17']) {
      const plan = cniInstallPlan(specFixture({ cni, podCidr }));
      expect(plan.pool).toBe(podCidr);
      expect(planPool(plan, podCidr)).toEqual([podCidr]);
    }
  });

  it('installs Calico with create, waits for its CRDs, and upgrades it server-side with --force-conflicts', () => {
    const plan = cniInstallPlan(specFixture({ cni: 'calico' }));
    expect(plan.install.map((c) => c.argv.slice(3).join(' '))).toEqual([
      `create -f ${CALICO}/v1_crd_projectcalico_org.yaml`,
      `create -f ${CALICO}/tigera-operator.yaml`,
      'wait --for=condition=Established crd/installations.operator.tigera.io --timeout=60s',
      `create -f ${plan.files[0]!.path}`,
    ]);
    expect(plan.install.filter((c) => c.argv.includes('create')).every((c) => c.tolerateExisting)).toBe(true);
    expect(plan.upgrade.map((c) => c.argv.slice(3).join(' '))).toEqual([
      `apply --server-side --force-conflicts -f ${CALICO}/v1_crd_projectcalico_org.yaml`,
      `apply --server-side --force-conflicts -f ${CALICO}/tigera-operator.yaml`,
      'wait --for=condition=Established crd/installations.operator.tigera.io --timeout=60s',
      `apply --server-side --force-conflicts -f ${plan.files[0]!.path}`,
    ]);
    expect(plan.upgrade.some((c) => c.tolerateExisting)).toBe(false);
  });

  it('ships a Flannel manifest of the pinned release: its CNI plugin image, install-conf, probes, bound to the node IP', () => {
    const plan = cniInstallPlan(specFixture({ cni: 'flannel', podCidr: '10.100.0.0/16' }));
    const manifest = plan.files[0]!.content;
    expect(manifest).not.toMatch(/\{\{/);
    expect(cniPoolOf(manifest)).toEqual(['10.100.0.0/16']);
    const ds = parseAllDocuments(manifest).map((d) => d.toJS()).find((d) => d?.kind === 'DaemonSet');
    const pod = ds.spec.template.spec;
    expect(pod.initContainers.map((c: { image: string }) => c.image)).toEqual([
      `ghcr.io/flannel-io/flannel-cni-plugin:${CNI_VERSIONS.flannelCniPlugin}`,
      `ghcr.io/flannel-io/flannel:${CNI_VERSIONS.flannel}`,
    ]);
    expect(pod.initContainers[1].command).toEqual(['/opt/bin/install-conf']);
    const flanneld = pod.containers[0];
    expect(flanneld.image).toBe(`ghcr.io/flannel-io/flannel:${CNI_VERSIONS.flannel}`);
    expect(flanneld.args).toContain('--iface=$(POD_IP)');
    expect(flanneld.env).toContainEqual({ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
    expect(flanneld.env).toContainEqual({ name: 'CONT_WHEN_CACHE_NOT_READY', value: 'false' });
    expect(flanneld.args).toContain('--healthz-port=8081');
    expect(flanneld.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'healthz' });
    expect(pod.hostNetwork).toBe(true);
  });

  it('installs Cilium with the CLI and ipam.mode=kubernetes, and upgrades it with an explicit --version', () => {
    const plan = cniInstallPlan(specFixture({ cni: 'cilium' }));
    expect(plan.scripts).toEqual([{ name: 'install-cilium-cli', vars: { ciliumCliVersion: CNI_VERSIONS.ciliumCli } }]);
    expect(plan.install[0]!.argv).toEqual(['cilium', 'install', '--version', CNI_VERSIONS.cilium, '--set', 'ipam.mode=kubernetes']);
    expect(plan.install[0]!.env).toEqual({ KUBECONFIG: '/etc/kubernetes/admin.conf' });
    expect(plan.upgrade[0]!.argv).toEqual(['cilium', 'upgrade', '--version', CNI_VERSIONS.cilium]);
  });

  it('would notice a pool that differs (the check can fail)', () => {
    const plan = cniInstallPlan(specFixture({ cni: 'calico', podCidr: '10.244.0.0/16' }));
    const tampered = { ...plan, files: [{ ...plan.files[0]!, content: plan.files[0]!.content.replace('10.244.0.0/16', '192.168.0.0/16') }] };
    expect(planPool(tampered, '10.244.0.0/16')).toEqual(['192.168.0.0/16']);
    const cilium = cniInstallPlan(specFixture({ cni: 'cilium' }));
    const defaultPool = { ...cilium, install: [{ ...cilium.install[0]!, argv: ['cilium', 'install', '--version', CNI_VERSIONS.cilium] }] };
    expect(planPool(defaultPool, '10.244.0.0/16')).toEqual(['10.0.0.0/8']);
  });

  it('cniPoolOf refuses a manifest without a pool', () => {
    expect(() => cniPoolOf('apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n')).toThrow(expect.objectContaining({ code: 'NoCniPool' }));
  });
});

describe('what the cluster runs', () => {
  it('reads the Calico version its operator reports, and the Flannel and Cilium DaemonSet image tags', () => {
    expect(readInstalled('calico', '')).toEqual({ present: false });
    expect(readInstalled('calico', JSON.stringify({ kind: 'Installation', status: { calicoVersion: 'v3.31.7' } }))).toEqual({ present: true, version: 'v3.31.7' });
    expect(readInstalled('calico', JSON.stringify({ kind: 'Installation', status: {} }))).toEqual({ present: true, version: undefined });
    const ds = (name: string, image: string) => JSON.stringify({ kind: 'DaemonSet', spec: { template: { spec: { containers: [{ name, image }] } } } });
    expect(readInstalled('flannel', ds('kube-flannel', 'ghcr.io/flannel-io/flannel:v0.27.4'))).toEqual({ present: true, version: 'v0.27.4' });
    expect(readInstalled('cilium', ds('cilium-agent', 'quay.io/cilium/cilium:v1.19.6@sha256:' + 'a'.repeat(64)))).toEqual({ present: true, version: '1.19.6' });
    expect(readInstalled('cilium', JSON.stringify({ kind: 'List', items: [] }))).toEqual({ present: false });
  });

  it('tolerates AlreadyExists only when every error line is one (per object)', () => {
    const exists = (kind: string, name: string) => `Error from server (AlreadyExists): error when creating "x.yaml": ${kind} "${name}" already exists`;
    expect(onlyAlreadyExists([exists('namespaces', 'tigera-operator'), exists('deployments.apps', 'tigera-operator')].join('\n'))).toBe(true);
    expect(onlyAlreadyExists([exists('namespaces', 'tigera-operator'), 'Error from server (Forbidden): error when creating "x.yaml": forbidden'].join('\n'))).toBe(false);
    expect(onlyAlreadyExists(`${exists('crd', 'a')}\nerror: resource mapping not found for name: "default": no matches for kind "Installation"`)).toBe(false);
    expect(onlyAlreadyExists('')).toBe(false);
    expect(onlyAlreadyExists(`Warning: something deprecated\n${exists('crd', 'a')}`)).toBe(true);
  });

  it("knows both Helm spellings of an existing release", () => {
    expect(isExistingReleaseError('Error: Unable to install Cilium: cannot reuse a name that is still in use')).toBe(true);
    expect(isExistingReleaseError('Error: Unable to install Cilium: cannot re-use a name that is still in use')).toBe(true);
    expect(isExistingReleaseError('Error: Unable to install Cilium: Kubernetes cluster unreachable')).toBe(false);
  });
});
