/**
 * What `addons diff` and the plan of `addons apply` say per add-on, judged as apply judges (an
 * in-memory Helm): install, upgrade, value paths (never values), a Secret changed, a release to
 * repair, unchanged, and a disabled add-on left installed. Plus the table of `addons list`.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateSpec } from '../../../src/config/validate/index.js';
import { SecretSet } from '../../../src/engine/redact.js';
import { ADDON_NAMES, addonPin } from '../../../src/kube/addons/pins.js';
import { ClusterDir } from '../../../src/state/cluster-dir.js';
import { formatDiff, judgeAddons, rowChanges } from '../../../src/workflows/addons/inspect.js';
import { formatList, type AddonRow } from '../../../src/workflows/addons/list.js';
import { AddonMaterialSource } from '../../../src/workflows/addons/material.js';
import { applyTargets, namedAddons } from '../../../src/workflows/addons/targets.js';
import { UsageError } from '../../../src/errors.js';
import { addonStatus, formatAddonStatus } from '../../../src/workflows/status/addon-status.js';
import { patched, staticDoc } from '../../helpers/config-fixtures.js';
import { FakeAddonOps } from '../../helpers/fake-addon-ops.js';

const pin = (name: (typeof ADDON_NAMES)[number]) => addonPin(name, '1.37')!.version;
const ctx = { signal: new AbortController().signal, output: () => undefined };

async function judge(fake: FakeAddonOps, addons: Record<string, unknown> = {}, names = [...ADDON_NAMES]) {
  const spec = validateSpec(patched(staticDoc(), { kubernetes: { version: '1.37.1' }, addons }));
  const dir = new ClusterDir(await mkdtemp(join(tmpdir(), 'k8sb-addons-diff-')));
  const material = new AddonMaterialSource({ dir, env: {}, secrets: new SecretSet(), save: false });
  return judgeAddons({ ops: fake, spec, version: '1.37.1', names, material, releases: await fake.releases(), ctx });
}

describe('addons diff', () => {
  it('names per add-on what apply would do', async () => {
    const fake = new FakeAddonOps({ helm: true })
      .setRelease({ name: 'metrics-server', namespace: 'kube-system', chartVersion: '3.12.0' })
      .setRelease({ name: 'cert-manager', namespace: 'cert-manager', chartVersion: pin('cert-manager'), status: 'pending-upgrade' })
      .setRelease({ name: 'fluent-bit', namespace: 'logging', chartVersion: '0.50.0' });
    const { rows } = await judge(fake);
    const text = Object.fromEntries(rows.map((row) => [row.name, row.text.join('; ')]));
    expect(text['metrics-server']).toMatch(new RegExp(`^upgrade 3\\.12\\.0 → ${pin('metrics-server')}; values change: `));
    expect(text.traefik).toBe(`install ${pin('traefik')}`);
    expect(text['cert-manager']).toMatch(/^repair \(pending-upgrade\); values change: /);
    expect(text['kube-prometheus-stack']).toBe('disabled');
    expect(text['fluent-bit']).toBe('disabled (left installed: helm uninstall fluent-bit -n logging removes it)');
    expect(rows.find((row) => row.name === 'fluent-bit')).toMatchObject({ enabled: false, installed: '0.50.0', status: 'deployed', wanted: pin('fluent-bit') });
    expect(rows.filter(rowChanges).map((row) => row.name)).toEqual(['metrics-server', 'traefik', 'cert-manager']);
    expect(formatDiff(rows)).toMatch(/^ {2}traefik {16}install /m);
  });

  it('after an apply: unchanged; a changed value is named by its path only, never its value', async () => {
    const fake = new FakeAddonOps({ helm: true });
    const { plans } = await judge(fake);
    for (const plan of plans) await fake.apply(plan, { ...ctx, attempt: 1, progress: () => undefined });
    expect((await judge(fake)).rows.filter((row) => row.enabled).map((row) => row.text)).toEqual([['unchanged'], ['unchanged'], ['unchanged']]);
    const { rows } = await judge(fake, { traefik: { values: { deployment: { replicas: 5 }, logs: { general: { level: 'SECRETLEVEL' } } } } }, ['traefik']);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.text).toEqual(['values change: deployment.replicas, logs']);
    expect(JSON.stringify(rows)).not.toContain('SECRETLEVEL');
  });

  it('a Secret whose content changed is named (kube-prometheus-stack\'s, with a lost password file)', async () => {
    const fake = new FakeAddonOps({ helm: true });
    const monitoring = { 'kube-prometheus-stack': { enabled: true, domain: 'lab.example.org' } };
    const first = await judge(fake, monitoring, ['kube-prometheus-stack']);
    await fake.apply(first.plans[0]!, { ...ctx, attempt: 1, progress: () => undefined });
    // Another folder: new passwords would be generated, so both Secrets would change.
    const { rows } = await judge(fake, monitoring, ['kube-prometheus-stack']);
    expect(rows[0]!.text).toEqual(['secret change: grafana-admin, monitoring-basic-auth']);
  });
});

describe('which add-ons', () => {
  const spec = validateSpec(staticDoc());
  it('every add-on when none is named; names outside the set are refused, naming the set', () => {
    expect(namedAddons([])).toEqual([...ADDON_NAMES]);
    expect(namedAddons(['velero', 'traefik'])).toEqual(['traefik', 'velero']);
    const error = (() => { try { namedAddons(['traefik', 'nginx']); } catch (e) { return e; } })() as UsageError;
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe('There is no add-on named "nginx"');
    expect(error.hint).toBe(`The add-ons: ${ADDON_NAMES.join(', ')}.`);
  });

  it('apply: the enabled ones; a named add-on cluster.yaml turns off is refused with the line that turns it on', () => {
    expect(applyTargets(spec, [], 'cluster.yaml')).toEqual(['metrics-server', 'traefik', 'cert-manager']);
    const error = (() => { try { applyTargets(spec, ['velero'], 'clusters/lab/cluster.yaml'); } catch (e) { return e; } })() as UsageError;
    expect(error).toMatchObject({ code: 'AddonDisabled', exitCode: 2, message: 'velero is not enabled in clusters/lab/cluster.yaml' });
    expect(error.hint).toContain('addons.velero.enabled: true');
  });
});

describe('addons list', () => {
  it('a table with one row per add-on, and what to do about the rows that differ', () => {
    const row = (name: AddonRow['name'], extra: Partial<AddonRow>): AddonRow => ({ name, enabled: true, installed: null, wanted: '1.0.0', status: 'not installed', health: 'not installed', namespace: 'ns', appVersion: null, ...extra });
    const text = formatList([
      row('metrics-server', { installed: '1.0.0', status: 'deployed', health: 'ready', appVersion: '0.8.0' }),
      row('traefik', { installed: '0.9.0', status: 'deployed', health: 'not ready: traefik-x on worker-1: CrashLoopBackOff' }),
      row('fluent-bit', { enabled: false, installed: '0.5.0', status: 'deployed', health: 'disabled', namespace: 'logging' }),
    ], '1.37', 'v4.2.4');
    expect(text.split('\n')[0]).toMatch(/^NAME\s+ENABLED\s+INSTALLED\s+WANTED\s+STATUS\s+HEALTH$/);
    expect(text).toMatch(/^metrics-server\s+yes\s+1\.0\.0\s+1\.0\.0\s+deployed\s+ready$/m);
    expect(text).toContain('Versions wanted for Kubernetes 1.37; helm v4.2.4 on the first control plane.');
    expect(text).toContain('Run k8s-bootstrap addons apply to move traefik to the wanted version.');
    expect(text).toContain('fluent-bit is disabled in cluster.yaml but installed: the tool leaves it (helm uninstall fluent-bit -n logging removes it).');
  });
});

describe('status', () => {
  const spec = validateSpec(patched(staticDoc(), { kubernetes: { version: '1.37.1' }, addons: { traefik: { enabled: false } } }));
  const node = { name: 'cp-1', role: 'control-plane' as const, host: 'cp-1', port: 22, privateIp: '10.0.0.1' };

  it('one line per enabled add-on (and a disabled one helm still has), from helm list alone', async () => {
    const list = JSON.stringify([
      { name: 'metrics-server', namespace: 'kube-system', revision: '2', status: 'deployed', chart: `metrics-server-${pin('metrics-server')}`, app_version: '0.8.0', updated: '' },
      { name: 'traefik', namespace: 'traefik', revision: '1', status: 'failed', chart: 'traefik-36.0.0', app_version: 'v3.4.0', updated: '' },
    ]);
    const asked: string[][] = [];
    const rows = await addonStatus(spec, '1.37.1', node, async (_via, argv) => (asked.push(argv), argv[0] === 'helm' ? list : undefined), ctx);
    expect(asked).toEqual([['helm', 'list', '--all-namespaces', '--output', 'json', '--kubeconfig', '/etc/kubernetes/admin.conf']]);
    expect(rows).toEqual([
      { name: 'metrics-server', enabled: true, installed: pin('metrics-server'), wanted: pin('metrics-server'), status: 'deployed' },
      { name: 'traefik', enabled: false, installed: '36.0.0', wanted: pin('traefik'), status: 'failed' },
      { name: 'cert-manager', enabled: true, installed: null, wanted: pin('cert-manager'), status: 'not installed' },
    ]);
    expect(formatAddonStatus(rows!).slice(1)).toEqual([
      `  metrics-server   ${pin('metrics-server')}   deployed`,
      '  traefik          36.0.0   failed (disabled in cluster.yaml, left installed)',
      '  cert-manager     -   not installed',
    ]);
  });

  it('no section when helm cannot be asked', async () => {
    expect(await addonStatus(spec, '1.37.1', node, async () => undefined, ctx)).toBeUndefined();
  });
});
