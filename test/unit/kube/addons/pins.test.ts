/**
 * The add-on table (src/kube/addons/pins.ts) is consistent with itself, the supported minors and
 * the test fleet: every pin is a chart version the fleet's chart repository offers (so the
 * end-to-end tests install exactly the pins), and the fleet's get.helm.sh offers the pinned Helm
 * with the checksums pinned here.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ADDON_CHARTS, ADDON_NAMES, DEFAULT_ON, HELM, addonPin } from '../../../../src/kube/addons/pins.js';
import { SUPPORTED_MINORS } from '../../../../src/kube/versions.js';

const canned = (name: string) => JSON.parse(readFileSync(resolve(import.meta.dirname, '../../../fleet/canned', name), 'utf8'));

describe('the add-on pins', () => {
  it('give every default add-on a version on every supported minor (init on any minor installs the default set)', () => {
    for (const name of DEFAULT_ON) for (const minor of SUPPORTED_MINORS) expect(addonPin(name, minor), `${name} on ${minor}`).toBeDefined();
  });

  it('say where each version was read, and why a minor is untested when it is', () => {
    for (const name of ADDON_NAMES) {
      for (const pin of Object.values(ADDON_CHARTS[name].versions)) {
        expect(pin.source.length, name).toBeGreaterThan(20);
        expect(pin.source).not.toMatch(/PROVISIONAL/);
        expect(pin.version).toMatch(/^v?\d+\.\d+\.\d+$/);
      }
    }
    expect(addonPin('cert-manager', '1.37')?.untestedNote).toMatch(/1\.37/);
    expect(addonPin('cert-manager', '1.36')?.untestedNote).toBeUndefined();
  });

  it('have no version for a minor outside the supported ones', () => {
    expect(addonPin('traefik', '1.34')).toBeUndefined();
    expect(addonPin('traefik', '1.38')).toBeUndefined();
  });

  it("are offered by the test fleet's chart repository, with their appVersion", () => {
    const index = canned('helm-charts.json') as Record<string, Record<string, Record<string, { appVersion: string }>>>;
    for (const name of ADDON_NAMES) {
      const chart = ADDON_CHARTS[name];
      for (const pin of Object.values(chart.versions)) {
        expect(index[chart.repo]?.[chart.chart]?.[pin.version]?.appVersion, `${name} ${pin.version}`).toBe(pin.appVersion);
      }
    }
  });

  it('pin the Helm release the fleet serves, with the same checksums', () => {
    const releases = canned('helm-releases.json') as Record<string, { sha256: { amd64: string; arm64: string } }>;
    expect(releases[HELM.version]?.sha256).toEqual(HELM.sha256);
    expect(HELM.major).toBe(Number(HELM.version.slice(1).split('.')[0]));
  });
});
