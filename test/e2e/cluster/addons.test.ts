/**
 * End to end on the simulated fleet (helm stand-in, test/fleet/standins/lib/helm.mjs): init with
 * the default add-on set ends with every add-on deployed at its pin; a second `addons apply`
 * changes nothing; a value changed in cluster.yaml upgrades only its add-on; `addons list
 * --output json` reports what helm reports; a failing add-on names its unready pods and leaves
 * the others deployed; Velero's keys and the monitoring passwords never show.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fleet } from '../../fleet/fleet.js';
import { parseHelmList, type HelmRelease } from '../../../src/kube/addons/helm-commands.js';
import { addonPin, ADDON_CHARTS } from '../../../src/kube/addons/pins.js';
import { minorOfText, DEFAULT_KUBERNETES_VERSION } from '../../../src/kube/versions.js';
import { cli, failureText, fleetOf, fleetSkipReason, initArgs, latestLog, onNode, preparedFleetOf, publicFiles, tempDir } from './cluster-helpers.js';
import { runCli } from '../../helpers/fake-io.js';
import { resultOf } from '../../helpers/json-lines.js';

const skip = fleetSkipReason();
const DEFAULT_SET = ['metrics-server', 'traefik', 'cert-manager'] as const;
const minor = minorOfText(DEFAULT_KUBERNETES_VERSION);

describe.skipIf(skip)('add-ons on a static fleet: 1 control plane + 2 workers', () => {
  let fleet: Fleet;
  let cwd: string;
  let dir: string;
  let init: Awaited<ReturnType<typeof cli>>;

  const addons = (...args: string[]) => cli(['--dir', dir, '--output', 'plain', ...args], cwd);
  const releases = async (): Promise<HelmRelease[]> => parseHelmList(await onNode(fleet, 'cp-1', 'sudo -n helm list --all-namespaces --output json --kubeconfig /etc/kubernetes/admin.conf'));
  const release = async (name: string) => (await releases()).find((r) => r.name === name);
  /** Changes cluster.yaml's addons section as a person would (the file keeps its schema comment). */
  const editAddons = (edit: (addons: Record<string, Record<string, unknown>>) => void) => {
    const file = join(dir, 'cluster.yaml');
    const doc = parseDocument(readFileSync(file, 'utf8'));
    const spec = doc.toJS() as { addons?: Record<string, Record<string, unknown>> };
    const section = spec.addons ?? {};
    edit(section);
    doc.set('addons', doc.createNode(section));
    writeFileSync(file, doc.toString());
  };

  beforeAll(async () => {
    fleet = await fleetOf(1, 2);
    cwd = tempDir('e2e-addons');
    dir = join(cwd, 'cluster');
    init = await cli(initArgs(fleet, { name: 'addons', dir }), cwd);
  }, 300_000);

  afterAll(() => fleet?.stop());

  it('init ends with helm at its pin and every add-on of the default set deployed at the pin of the cluster\'s minor', async () => {
    expect(init.code, failureText(init)).toBe(0);
    expect((await onNode(fleet, 'cp-1', "sudo -n helm version --template '{{.Version}}'")).trim()).toBe('v4.2.4');
    const found = await releases();
    for (const name of DEFAULT_SET) {
      const r = found.find((candidate) => candidate.name === name);
      expect(r, name).toMatchObject({ namespace: ADDON_CHARTS[name].namespace, status: 'deployed', chartVersion: addonPin(name, minor)!.version, revision: 1 });
    }
    expect(found.map((r) => r.name).sort()).toEqual([...DEFAULT_SET].sort());
    expect(init.stdout).toMatch(/Add-ons: 3 changed, 0 unchanged/);
  });

  it('a second addons apply --yes runs no helm upgrade and says 0 changed', async () => {
    const before = fleet.allCommands().length;
    const again = await addons('--yes', 'addons', 'apply');
    expect(again.code, failureText(again)).toBe(0);
    expect(again.stdout).toMatch(/Add-ons of addons: 0 changed, 3 unchanged/);
    // Each step's own line (the run's log; plain mode shows step output only with --verbose).
    const log = latestLog(dir);
    for (const name of DEFAULT_SET) expect(log).toContain(`${name} ${addonPin(name, minor)!.version} deployed, values unchanged`);
    expect(fleet.allCommands().slice(before).map((e) => e.command).filter((c) => /helm upgrade/.test(c))).toEqual([]);
    for (const name of DEFAULT_SET) expect((await release(name))?.revision, name).toBe(1);
  });

  it('addons list --output json reports what helm reports, and exits 0 when every enabled add-on is ready', async () => {
    const listed = await cli(['--dir', dir, '--output', 'json', 'addons', 'list'], cwd);
    expect(listed.code, failureText(listed)).toBe(0);
    const result = resultOf(listed.stdout) as { addons: Array<{ name: string; enabled: boolean; installed: string | null; status: string; appVersion: string | null; namespace: string; health: string; wanted: string | null }>; healthy: boolean };
    expect(result.healthy).toBe(true);
    const found = await releases();
    for (const row of result.addons) {
      const r = found.find((candidate) => candidate.name === row.name);
      expect({ installed: row.installed, status: row.status, appVersion: row.appVersion, namespace: row.namespace }, row.name).toEqual(
        r ? { installed: r.chartVersion, status: r.status, appVersion: r.appVersion, namespace: r.namespace } : { installed: null, status: 'not installed', appVersion: null, namespace: ADDON_CHARTS[row.name as keyof typeof ADDON_CHARTS].namespace },
      );
      expect(row.wanted).toBe(addonPin(row.name as keyof typeof ADDON_CHARTS, minor)!.version);
      expect(row.health).toBe(row.enabled ? 'ready' : 'disabled');
    }
  });

  it('a value changed in cluster.yaml: diff names its path, and addons apply traefik upgrades only traefik', async () => {
    editAddons((section) => {
      section.traefik = { ...(section.traefik ?? {}), values: { logs: { general: { level: 'DEBUG' } } } };
    });
    const diff = await addons('addons', 'diff');
    expect(diff.code, failureText(diff)).toBe(0);
    expect(diff.stdout).toMatch(/traefik\s+values change: logs/);
    expect(diff.stdout).not.toContain('DEBUG');
    expect(diff.stdout).toMatch(/metrics-server\s+unchanged/);

    const applied = await addons('--yes', 'addons', 'apply', 'traefik');
    expect(applied.code, failureText(applied)).toBe(0);
    expect(applied.stdout).toMatch(/1 changed, 0 unchanged \(traefik \S+ updated\)/);
    expect((await release('traefik'))?.revision).toBe(2);
    expect((await release('metrics-server'))?.revision).toBe(1);
    expect((await release('cert-manager'))?.revision).toBe(1);
  });

  it('a failing add-on names its unready pods and the command that retries it; the others stay deployed', async () => {
    editAddons((section) => {
      section.traefik = { ...(section.traefik ?? {}), expose: 'nodeport', values: { nodeSelector: { 'k8s-bootstrap.io/no-such-node': 'true' } } };
    });
    const failed = await addons('--yes', 'addons', 'apply', 'traefik', '--timeout', '5m');
    expect(failed.code, failureText(failed)).toBe(1);
    expect(failed.stderr).toMatch(/Traefik ingress controller \S+ is not ready: helm upgrade --install failed \(exit 1\); not ready: traefik-/);
    expect(failed.stderr).toMatch(/traefik-\S+ on \(not scheduled\): Pending/);
    expect(failed.stderr).toContain('k8s-bootstrap addons apply traefik');
    for (const name of ['metrics-server', 'cert-manager']) expect((await release(name))?.status, name).toBe('deployed');
    // Helm rolled the failed upgrade back: traefik runs its previous revision's objects.
    expect((await release('traefik'))?.status).toBe('deployed');
    const listed = await cli(['--dir', dir, '--output', 'json', 'addons', 'list'], cwd);
    // Its release is deployed again (rolled back) but its values are not cluster.yaml's: list says ready,
    // diff says what apply would change.
    expect(listed.code, failureText(listed)).toBe(0);
    const diff = await addons('addons', 'diff', 'traefik');
    expect(diff.stdout).toMatch(/traefik\s+values change: /);
  });

  it('velero: without its S3 keys the first install is refused (exit 2) before anything changes; with them the keys go only into its Secret', async () => {
    editAddons((section) => {
      section.velero = { enabled: true, bucket: 'backups', region: 'us-east-1', s3Url: 'https://minio.example.org:9000' };
    });
    const before = fleet.allCommands().length;
    const refused = await addons('--yes', 'addons', 'apply', 'velero');
    expect(refused.code, failureText(refused)).toBe(2);
    expect(refused.stderr).toContain('K8SB_VELERO_S3_ACCESS_KEY_ID');
    expect(refused.stderr).toContain('K8SB_VELERO_S3_SECRET_ACCESS_KEY');
    expect(fleet.allCommands().slice(before).map((e) => e.command).filter((c) => /helm (upgrade|install)|apply --server-side/.test(c))).toEqual([]);

    const keys = { K8SB_VELERO_S3_ACCESS_KEY_ID: 'AKIAE2EVELEROKEY0001', K8SB_VELERO_S3_SECRET_ACCESS_KEY: 'e2e-velero-secret-access-key-0123456789' };
    const applied = await runCli(['--dir', dir, '--output', 'plain', '--yes', 'addons', 'apply', 'velero'], { cwd, env: { HOME: cwd, ...keys } });
    expect(applied.code, failureText(applied)).toBe(0);
    expect((await release('velero'))?.status).toBe('deployed');
    expect((await onNode(fleet, 'cp-1', 'sudo -n kubectl --kubeconfig /etc/kubernetes/admin.conf -n velero get secret velero-s3 -o name')).trim()).toBe('secret/velero-s3');
    for (const value of Object.values(keys)) {
      for (const text of [applied.stdout, applied.stderr, latestLog(dir), ...publicFiles(dir).map((f) => f.text)]) expect(text).not.toContain(value);
    }
    // A later run without the keys keeps the Secret that is there.
    const again = await addons('--yes', 'addons', 'apply', 'velero');
    expect(again.code, failureText(again)).toBe(0);
    expect(again.stdout).toMatch(/0 changed, 1 unchanged/);
  });

  it('kube-prometheus-stack: its passwords are generated once into secrets/addons (0600), never printed without a terminal', async () => {
    editAddons((section) => {
      section['kube-prometheus-stack'] = { enabled: true, domain: 'addons.example.org' };
    });
    const applied = await addons('--yes', 'addons', 'apply', 'kube-prometheus-stack', '--timeout', '10m');
    expect(applied.code, failureText(applied)).toBe(0);
    const file = join(dir, 'secrets', 'addons', 'kube-prometheus-stack.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { basicAuthPassword: string; grafanaPassword: string };
    expect(applied.stderr).toContain(`kept in ${file}`);
    for (const value of [saved.basicAuthPassword, saved.grafanaPassword]) {
      for (const text of [applied.stdout, applied.stderr, latestLog(dir), ...publicFiles(dir).map((f) => f.text)]) expect(text).not.toContain(value);
    }
    expect((await release('kube-prometheus-stack'))?.status).toBe('deployed');
    const again = await addons('--yes', 'addons', 'apply', 'kube-prometheus-stack');
    expect(again.code, failureText(again)).toBe(0);
    expect(again.stdout).toMatch(/0 changed, 1 unchanged/);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(saved);
  });
});

// Every supported minor pins the same chart versions today (src/kube/addons/pins.ts), so the
// cluster starts with add-ons at older versions, as an earlier k8s-bootstrap release would have left
// them: `upgrade` must move each installed add-on to the target minor's pin after the control plane.
describe.skipIf(skip)('upgrade across a minor moves the installed add-ons to the new pins', () => {
  const OLDER = { traefik: '37.1.0', 'metrics-server': '3.13.0' } as const;
  let fleet: Fleet;
  let cwd: string;
  let dir: string;
  let init: Awaited<ReturnType<typeof cli>>;

  const helmOnCp1 = (args: string) => onNode(fleet, 'cp-1', `sudo -n helm ${args} --kubeconfig /etc/kubernetes/admin.conf`);
  const release = async (name: string) => parseHelmList(await helmOnCp1('list --all-namespaces --output json')).find((r) => r.name === name);

  beforeAll(async () => {
    fleet = await preparedFleetOf(1, 1, '1.36.2');
    cwd = tempDir('e2e-addons-upgrade');
    dir = join(cwd, 'cluster');
    init = await cli(initArgs(fleet, { name: 'moves', dir, extra: ['--kubernetes-version', '1.36.2'] }), cwd);
    if (init.code !== 0) return;
    for (const [name, version] of Object.entries(OLDER)) {
      const chart = ADDON_CHARTS[name as keyof typeof OLDER];
      await helmOnCp1(`upgrade ${name} ${chart.chart} --repo ${chart.repo} --version ${version} --namespace ${chart.namespace} --reuse-values --wait=watcher --rollback-on-failure`);
    }
  }, 300_000);

  afterAll(() => fleet?.stop());

  it('names the moves in the plan, applies the new CRDs first, and ends with every add-on at its 1.37 pin', async () => {
    expect(init.code, failureText(init)).toBe(0);
    for (const [name, version] of Object.entries(OLDER)) expect((await release(name))?.chartVersion, name).toBe(version);
    const before = fleet.toolCallsOn('cp-1').length;
    const upgraded = await cli(['--dir', dir, '--output', 'plain', '--yes', 'upgrade', '--to', '1.37.1', '--timeout', '10m'], cwd);
    expect(upgraded.code, failureText(upgraded)).toBe(0);
    expect(upgraded.stdout + upgraded.stderr).toMatch(new RegExp(`traefik.*${OLDER.traefik}.*${addonPin('traefik', '1.37')!.version.replace(/\./g, '\\.')}`));
    for (const name of DEFAULT_SET) {
      const r = await release(name);
      expect(r, name).toMatchObject({ status: 'deployed', chartVersion: addonPin(name, '1.37')!.version });
    }
    // cert-manager was already at its pin: not touched.
    expect((await release('cert-manager'))?.revision).toBe(1);
    const later = fleet.toolCallsOn('cp-1').slice(before);
    // Traefik's CRDs (crds/ folder, never upgraded by Helm) were applied before its release moved.
    const crds = later.findIndex((c) => /helm show crds traefik/.test(c));
    const move = later.findIndex((c) => /helm upgrade --install traefik/.test(c));
    expect(crds).toBeGreaterThanOrEqual(0);
    expect(crds).toBeLessThan(move);
    // After the control plane: kubeadm upgrade apply ran before any add-on moved.
    expect(later.findIndex((c) => /kubeadm upgrade apply/.test(c))).toBeLessThan(move);
    expect(latestLog(dir)).toMatch(/cert-manager v1\.21\.1.*untested/i);
  });
});
