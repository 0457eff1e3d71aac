/** The version table (src/kube/pins.ts) is consistent with itself, the supported minors and the test fleet. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { CALICO, CILIUM, FLANNEL, KUBERNETES_PATCHES, DNS_CHECK_IMAGE } from '../../../src/kube/pins.js';
import { DEFAULT_KUBERNETES_VERSION, SUPPORTED_MINORS } from '../../../src/kube/versions.js';
import { NEWEST_KNOWN_PATCH } from '../../../src/workflows/upgrade/plan.js';
import { DEFAULT_CATALOGUE } from '../../fleet/fleet.js';

describe('version pins', () => {
  it('has one newest patch per supported minor, and the default is the newest minor at it', () => {
    expect(Object.keys(KUBERNETES_PATCHES).sort()).toEqual([...SUPPORTED_MINORS].sort());
    for (const [minor, patch] of Object.entries(KUBERNETES_PATCHES)) expect(patch.startsWith(`${minor}.`), patch).toBe(true);
    expect(DEFAULT_KUBERNETES_VERSION).toBe(KUBERNETES_PATCHES[SUPPORTED_MINORS.at(-1)!]);
    expect(NEWEST_KNOWN_PATCH).toBe(KUBERNETES_PATCHES);
  });

  it('is offered by the test fleet, so the end-to-end tests install the pinned patches', () => {
    for (const [minor, patch] of Object.entries(KUBERNETES_PATCHES)) {
      expect(DEFAULT_CATALOGUE[minor], minor).toContain(patch);
      expect(DEFAULT_CATALOGUE[minor]!.at(-1), `${minor}: the pin is the newest patch`).toBe(patch);
    }
  });

  it('says for each CNI whether it was tested with every supported minor, or why not', () => {
    for (const pin of [CALICO, FLANNEL, CILIUM]) {
      const missing = SUPPORTED_MINORS.filter((minor) => !pin.testedKubernetes.includes(minor));
      if (missing.length > 0) expect(pin.untestedNote, `${pin.version}: untested on ${missing.join(', ')}`).toBeTruthy();
      expect(pin.source.length).toBeGreaterThan(10);
    }
    expect(CALICO.testedKubernetes).toEqual(expect.arrayContaining([...SUPPORTED_MINORS]));
  });

  it('pairs Flannel with the CNI plugin image of the same release, in the manifest we ship', () => {
    // Documentation/kube-flannel.yml at v0.28.9 uses flannel-cni-plugin v1.9.1-flannel3.
    const RELEASE_PLUGIN: Record<string, string> = { 'v0.28.9': 'v1.9.1-flannel3', 'v0.28.7': 'v1.9.1-flannel2' };
    expect(RELEASE_PLUGIN[FLANNEL.version]).toBe(FLANNEL.cniPlugin);
    const template = readFileSync(new URL('../../../templates/cni/flannel.yaml', import.meta.url), 'utf8');
    expect(template).toContain('flannel-cni-plugin:{{cniPluginVersion}}');
  });

  it('keeps the version formats each tool expects', () => {
    expect(CALICO.version).toMatch(/^v\d+\.\d+\.\d+$/);
    expect(FLANNEL.version).toMatch(/^v\d+\.\d+\.\d+$/);
    expect(CILIUM.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(CILIUM.cli).toMatch(/^v\d+\.\d+\.\d+$/);
    expect(DNS_CHECK_IMAGE).toMatch(/^registry\.k8s\.io\/e2e-test-images\/agnhost:\d+\.\d+$/);
  });
});
