/**
 * The Helm argv of src/kube/addons/helm-commands.ts, its readers on Helm 4's real JSON shapes
 * (research-15 §1: pkg/cmd/list.go, status, get values @v4.2.4) and the judgement of what an apply
 * would change (judge.ts), which names paths and Secrets, never values.
 */
import { describe, expect, it } from 'vitest';
import {
  changedPaths,
  helmGetValues,
  helmList,
  helmRollback,
  helmShowCrds,
  helmStatus,
  helmUninstall,
  helmUpgradeInstall,
  helmVersion,
  helmWaitFlags,
  judgeAddon,
  parseHelmHistory,
  parseHelmList,
  parseHelmStatus,
  parseHelmValues,
  splitChartName,
  helmErrorLine,
  type HelmRelease,
} from '../../../../src/kube/addons/helm-commands.js';
import { describeChange } from '../../../../src/kube/addons/judge.js';
import { addonPlan, type AddonPlan } from '../../../../src/kube/addons/plan.js';
import { HELM, addonPin } from '../../../../src/kube/addons/pins.js';
import { secretKey } from '../../../../src/kube/addons/secrets.js';
import { ExternalToolError } from '../../../../src/errors.js';
import { cloudSpec } from '../../../helpers/cloud-spec.js';

const MATERIAL = { monitoring: { basicAuthPassword: 'pw-basic-123', grafanaPassword: 'pw-grafana-456', htpasswdSalt: 'abcdefgh' } };
const monitoringSpec = cloudSpec('aws', { addons: { 'kube-prometheus-stack': { enabled: true, domain: 'mon.example.com' } } });
const traefik = addonPlan('traefik', cloudSpec('aws'), '1.36', {});
const kps = addonPlan('kube-prometheus-stack', monitoringSpec, '1.36', MATERIAL);

const release = (plan: AddonPlan, extra: Partial<HelmRelease> = {}): HelmRelease => ({
  name: plan.release,
  namespace: plan.namespace,
  revision: 1,
  status: 'deployed',
  chart: plan.chart,
  chartVersion: plan.version!,
  appVersion: plan.appVersion!,
  updated: '2026-08-13 15:33:04.123456789 +0000 UTC',
  ...extra,
});
const shasOf = (plan: AddonPlan) => Object.fromEntries(plan.secrets.map((secret) => [secretKey(secret), secret.sha256]));

describe('helm argv', () => {
  it('upgrade --install: the pinned chart of the repo, values on stdin, wait, roll back on failure, the admin kubeconfig', () => {
    const pin = addonPin('traefik', '1.36')!;
    expect(helmUpgradeInstall(traefik, { major: 4 })).toEqual([
      'helm', 'upgrade', '--install', 'traefik', 'traefik', '--repo', 'https://traefik.github.io/charts', '--version', pin.version,
      '--namespace', 'traefik', '--create-namespace', '--values', '-', '--wait=watcher', '--timeout', '600s', '--rollback-on-failure', '--history-max', '10',
      '--kubeconfig', '/etc/kubernetes/admin.conf',
    ]);
    const helm3 = helmUpgradeInstall(traefik, { major: 3, timeoutS: 120 });
    expect(helm3).toContain('--atomic');
    expect(helm3).toContain('--wait');
    expect(helm3).not.toContain('--rollback-on-failure');
    expect(helm3.slice(helm3.indexOf('--timeout'), helm3.indexOf('--timeout') + 2)).toEqual(['--timeout', '120s']);
  });

  it('follows the major of the pinned helm', () => {
    expect(helmWaitFlags()).toEqual(HELM.major === 4 ? ['--wait=watcher', '--rollback-on-failure'] : ['--wait', '--atomic']);
    expect(helmUpgradeInstall(traefik)).toContain(helmWaitFlags()[1]);
  });

  it('never carries a value or a secret', () => {
    const argv = helmUpgradeInstall(kps).join(' ');
    for (const secret of Object.values(MATERIAL.monitoring)) expect(argv).not.toContain(secret);
    expect(argv).not.toContain('retention');
    expect(argv).not.toContain('--set');
  });

  it('shows the CRDs of the pinned chart, for the charts whose crds/ Helm does not upgrade', () => {
    expect(helmShowCrds(traefik)).toEqual(['helm', 'show', 'crds', 'traefik', '--repo', 'https://traefik.github.io/charts', '--version', traefik.version!, '--kubeconfig', '/etc/kubernetes/admin.conf']);
    expect(traefik.crdsBeforeUpgrade).toBe(true);
    expect(kps.crdsBeforeUpgrade).toBe(true);
    for (const name of ['metrics-server', 'cert-manager'] as const) expect(addonPlan(name, cloudSpec('aws'), '1.36', {}).crdsBeforeUpgrade).toBe(false);
  });

  it('refuses an add-on without a pin for the minor', () => {
    expect(() => helmUpgradeInstall(addonPlan('traefik', cloudSpec('aws'), '1.30', {}))).toThrow(/no version pinned/);
  });

  it('reads releases, values, status; rolls back, uninstalls; every one with the admin kubeconfig', () => {
    const kubeconfig = ['--kubeconfig', '/etc/kubernetes/admin.conf'];
    expect(helmList(4)).toEqual(['helm', 'list', '--all-namespaces', '--output', 'json', ...kubeconfig]);
    expect(helmList(3)).toEqual(['helm', 'list', '--all-namespaces', '--all', '--output', 'json', ...kubeconfig]);
    expect(helmGetValues('traefik', 'traefik')).toEqual(['helm', 'get', 'values', 'traefik', '--namespace', 'traefik', '--output', 'json', ...kubeconfig]);
    expect(helmStatus('velero', 'velero')).toEqual(['helm', 'status', 'velero', '--namespace', 'velero', '--output', 'json', ...kubeconfig]);
    expect(helmRollback('traefik', 'traefik')).toEqual(['helm', 'rollback', 'traefik', '--namespace', 'traefik', '--history-max', '10', ...kubeconfig]);
    expect(helmRollback('traefik', 'traefik', 3)).toEqual(['helm', 'rollback', 'traefik', '3', '--namespace', 'traefik', '--history-max', '10', ...kubeconfig]);
    expect(helmUninstall('traefik', 'traefik')).toEqual(['helm', 'uninstall', 'traefik', '--namespace', 'traefik', ...kubeconfig]);
    expect(helmVersion()).toEqual(['helm', 'version', '--template', '{{.Version}}']);
    expect(() => helmStatus('Bad Name', 'x')).toThrow();
    expect(() => helmRollback('traefik', 'traefik', 0)).toThrow();
  });
});

describe('parseHelmList', () => {
  // pkg/cmd/list.go @v4.2.4 releaseElement: revision is a string; updated is Go's time.String().
  const helm4 = JSON.stringify([
    { name: 'cert-manager', namespace: 'cert-manager', revision: '2', updated: '2026-08-13 15:33:04.123456789 +0000 UTC', status: 'deployed', chart: 'cert-manager-v1.21.1', app_version: 'v1.21.1' },
    { name: 'kube-prometheus-stack', namespace: 'monitoring', revision: '1', updated: '2026-08-13 15:40:00 +0000 UTC', status: 'pending-install', chart: 'kube-prometheus-stack-88.5.3', app_version: 'v0.93.1' },
  ]);

  it('reads Helm 4 JSON, splitting the chart at its version', () => {
    expect(parseHelmList(helm4)).toEqual([
      { name: 'cert-manager', namespace: 'cert-manager', revision: 2, status: 'deployed', chart: 'cert-manager', chartVersion: 'v1.21.1', appVersion: 'v1.21.1', updated: '2026-08-13 15:33:04.123456789 +0000 UTC' },
      { name: 'kube-prometheus-stack', namespace: 'monitoring', revision: 1, status: 'pending-install', chart: 'kube-prometheus-stack', chartVersion: '88.5.3', appVersion: 'v0.93.1', updated: '2026-08-13 15:40:00 +0000 UTC' },
    ]);
  });

  it('reads a numeric revision, an empty list, and no output', () => {
    expect(parseHelmList('[{"name":"traefik","namespace":"traefik","revision":7,"status":"failed","chart":"traefik-41.3.0","app_version":"v3.7.11","updated":"-"}]')[0]).toMatchObject({ revision: 7, status: 'failed', chart: 'traefik', chartVersion: '41.3.0' });
    expect(parseHelmList('[]\n')).toEqual([]);
    expect(parseHelmList('')).toEqual([]);
    expect(parseHelmList('null')).toEqual([]);
  });

  it('splits chart names at the version', () => {
    expect(splitChartName('kube-prometheus-stack-79.0.0')).toEqual({ name: 'kube-prometheus-stack', version: '79.0.0' });
    expect(splitChartName('cert-manager-v1.19.1')).toEqual({ name: 'cert-manager', version: 'v1.19.1' });
    expect(splitChartName('fluent-bit-0.58.1')).toEqual({ name: 'fluent-bit', version: '0.58.1' });
    expect(splitChartName('my-chart-1.0.0-rc.1')).toEqual({ name: 'my-chart', version: '1.0.0-rc.1' });
    expect(splitChartName('k8s-thing-2')).toEqual({ name: 'k8s-thing', version: '2' });
    expect(splitChartName('noversion')).toEqual({ name: 'noversion', version: '' });
  });

  it('turns what is not a release list into an ExternalToolError naming the command', () => {
    for (const text of ['Error: Kubernetes cluster unreachable', '{"name":"x"}']) {
      const error = (() => {
        try {
          parseHelmList(text);
        } catch (caught) {
          return caught;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(ExternalToolError);
      expect((error as ExternalToolError).message).toContain('helm list');
    }
  });
});

describe('parseHelmValues and parseHelmStatus', () => {
  it('reads values; null and nothing are no values', () => {
    expect(parseHelmValues('{"deployment":{"kind":"DaemonSet","replicas":2}}')).toEqual({ deployment: { kind: 'DaemonSet', replicas: 2 } });
    expect(parseHelmValues('null\n')).toEqual({});
    expect(parseHelmValues('')).toEqual({});
  });

  it('never echoes the values of output it cannot read', () => {
    try {
      parseHelmValues('password: hunter2');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ExternalToolError);
      expect((error as ExternalToolError).details.join('\n')).not.toContain('hunter2');
      expect((error as ExternalToolError).message).not.toContain('hunter2');
    }
    expect(() => parseHelmValues('[1,2]')).toThrow(ExternalToolError);
  });

  it('reads the status and description of helm status -o json', () => {
    // The golden pkg/cmd/testdata/output/status.json, with a description.
    expect(parseHelmStatus('{"name":"flummoxed-chickadee","info":{"last_deployed":"2016-01-16T00:00:00Z","status":"deployed","notes":"release notes","description":"Upgrade complete"},"namespace":"default"}')).toEqual({ status: 'deployed', description: 'Upgrade complete' });
    expect(parseHelmStatus('{"name":"x","info":{"status":"failed"}}')).toEqual({ status: 'failed', description: '' });
    expect(parseHelmStatus('{"name":"x"}')).toBeUndefined();
    expect(() => parseHelmStatus('Error: release: not found')).toThrow(ExternalToolError);
  });

  it('reads history, and the error line of a failed helm', () => {
    expect(parseHelmHistory('[{"revision":1,"updated":"2026-08-13T15:33:04Z","status":"superseded","chart":"traefik-41.2.0","app_version":"v3.7.10","description":"Install complete"},{"revision":2,"status":"pending-upgrade","chart":"traefik-41.3.0","app_version":"v3.7.11","description":"Preparing upgrade"}]')).toEqual([
      { revision: 1, status: 'superseded', chart: 'traefik-41.2.0', description: 'Install complete' },
      { revision: 2, status: 'pending-upgrade', chart: 'traefik-41.3.0', description: 'Preparing upgrade' },
    ]);
    expect(helmErrorLine('Release "traefik" does not exist. Installing it now.\nError: release traefik failed, and has been uninstalled due to rollback-on-failure being set: context deadline exceeded\n')).toBe(
      'Error: release traefik failed, and has been uninstalled due to rollback-on-failure being set: context deadline exceeded',
    );
    expect(helmErrorLine('')).toBeUndefined();
  });
});

describe('judgeAddon', () => {
  const live = (plan: AddonPlan) => JSON.parse(JSON.stringify(plan.values)) as Record<string, unknown>;

  it.each<[string, AddonPlan, HelmRelease | undefined, Record<string, unknown> | undefined, Record<string, string | undefined>, string[]]>([
    ['not installed', traefik, undefined, undefined, {}, [`install ${traefik.version}`]],
    ['deployed at the pin with the same values', traefik, release(traefik), live(traefik), {}, ['unchanged']],
    ['at an older chart', traefik, release(traefik, { chartVersion: '41.2.0' }), live(traefik), {}, [`upgrade 41.2.0 → ${traefik.version}`]],
    ['with other values', traefik, release(traefik), { ...live(traefik), deployment: { kind: 'DaemonSet' } }, {}, ['values change: deployment.kind']],
    ['installed without values', traefik, release(traefik), {}, {}, ['values change: deployment, ingressClass, providers, service']],
    ['failed', traefik, release(traefik, { status: 'failed' }), live(traefik), {}, ['repair (failed)']],
    ['pending-upgrade at an older chart', traefik, release(traefik, { status: 'pending-upgrade', chartVersion: '41.2.0' }), live(traefik), {}, ['repair (pending-upgrade)', `upgrade 41.2.0 → ${traefik.version}`]],
    ['with Secrets as rendered', kps, release(kps), live(kps), shasOf(kps), ['unchanged']],
    ['with a Secret missing', kps, release(kps), live(kps), { ...shasOf(kps), 'monitoring/grafana-admin': undefined }, ['secret change: grafana-admin']],
    ['with a Secret changed', kps, release(kps), live(kps), { ...shasOf(kps), 'monitoring/monitoring-basic-auth': '0'.repeat(64) }, ['secret change: monitoring-basic-auth']],
  ])('%s', (_label, plan, rel, values, shas, expected) => {
    expect(judgeAddon(plan, rel, values, shas).map(describeChange)).toEqual(expected);
  });

  it('says no-pin, with what is installed, for a minor without a pin', () => {
    const unpinned = addonPlan('traefik', cloudSpec('aws'), '1.30', {});
    expect(judgeAddon(unpinned, release(traefik), live(traefik), {})).toEqual([{ kind: 'no-pin', installed: traefik.version }]);
    expect(judgeAddon(unpinned, undefined, undefined, {})).toEqual([{ kind: 'no-pin' }]);
  });

  it('names paths only, never the values', () => {
    const secretish = { ...live(traefik), env: [{ name: 'TOKEN', value: 'sup3r-s3cret' }] };
    const changes = judgeAddon(traefik, release(traefik), secretish, {});
    expect(JSON.stringify(changes)).not.toContain('sup3r-s3cret');
    expect(changes).toEqual([{ kind: 'values', paths: ['env'] }]);
  });
});

describe('changedPaths', () => {
  it('lists the dotted paths that differ, sorted; lists and scalars compared whole', () => {
    expect(changedPaths({ a: 1, b: { c: 2, d: [1, 2] } }, { a: 1, b: { c: 3, d: [1, 2, 3] }, e: null })).toEqual(['b.c', 'b.d', 'e']);
    expect(changedPaths({ x: { y: { z: 1 } } }, { x: { y: { z: 1 } } })).toEqual([]);
    expect(changedPaths({}, {})).toEqual([]);
    expect(changedPaths(1, 2)).toEqual(['(root)']);
  });

  it('treats numbers as JSON does and a missing key like an undefined one', () => {
    expect(changedPaths({ port: 80 }, JSON.parse('{"port":80.0}'))).toEqual([]);
    expect(changedPaths({ a: undefined }, {})).toEqual([]);
    expect(changedPaths({ a: null }, {})).toEqual(['a']);
  });

  it('quotes keys that are not plain words', () => {
    expect(changedPaths({ metadata: { annotations: { 'traefik.ingress.kubernetes.io/router.tls': 'true' } } }, { metadata: { annotations: {} } })).toEqual(['metadata.annotations["traefik.ingress.kubernetes.io/router.tls"]']);
  });
});

describe('helmRunning and isNewerChartVersion (review findings)', async () => {
  const { helmRunning } = await import('../../../../src/kube/addons/helm-commands.js');
  const { isNewerChartVersion } = await import('../../../../src/nodes/addon-ops.js');
  it('pgrep finds a running helm of that release only', () => {
    const [command, flag, pattern] = helmRunning('traefik');
    expect([command, flag]).toEqual(['pgrep', '-f']);
    const re = new RegExp(pattern!);
    expect(re.test('helm upgrade --install traefik traefik --repo x')).toBe(true);
    expect(re.test('helm rollback traefik --namespace traefik')).toBe(true);
    expect(re.test('helm upgrade --install traefik-other x')).toBe(false);
    expect(() => helmRunning('bad name; rm')).toThrow();
  });
  it('compares chart versions by their numbers', () => {
    expect(isNewerChartVersion('41.3.0', '37.1.0')).toBe(true);
    expect(isNewerChartVersion('v1.21.1', 'v1.19.1')).toBe(true);
    expect(isNewerChartVersion('3.13.0', '3.13.1')).toBe(false);
    expect(isNewerChartVersion('88.5.3', '88.5.3')).toBe(false);
    expect(isNewerChartVersion('10.0.0', '9.9.9')).toBe(true);
  });
});
