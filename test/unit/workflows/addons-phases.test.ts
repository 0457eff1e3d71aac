/**
 * The add-on phases run by the real engine against an in-memory Helm (FakeAddonOps): the default
 * set installed at its pins after Helm, a second apply that runs no helm and says so, a value
 * change that upgrades only its add-on, a failing add-on that leaves the others and names itself
 * with the command that retries it, upgrade's moves (installed only; no pin → stays, warned),
 * Velero's keys and the monitoring passwords (generated once, 0600, shown once, reused).
 */
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ClusterSpec } from '../../../src/config/schema.js';
import { validateSpec } from '../../../src/config/validate/index.js';
import { runPhases, RunFailedError } from '../../../src/engine/runner.js';
import { SecretSet } from '../../../src/engine/redact.js';
import { ADDON_CHARTS, addonPin, type AddonName } from '../../../src/kube/addons/pins.js';
import { ClusterDir } from '../../../src/state/cluster-dir.js';
import { StateStore } from '../../../src/state/state-store.js';
import { AddonMaterialSource } from '../../../src/workflows/addons/material.js';
import { addonPhases, type AddonStepResult } from '../../../src/workflows/addons/phases.js';
import { addonsRetryHint, describeResults, failedAddons, runAddons } from '../../../src/workflows/addons/run.js';
import type { RunHarness } from '../../../src/workflows/run/session.js';
import { patched, staticDoc } from '../../helpers/config-fixtures.js';
import { FakeAddonOps } from '../../helpers/fake-addon-ops.js';
import { fakeTopology } from '../../helpers/fake-node-ops.js';
import { Recorder } from '../../helpers/fake-steps.js';
import { describeInitPlan } from '../../../src/workflows/init/plan.js';
import { describeUpgradePlan, describeUpgradeSteps } from '../../../src/workflows/upgrade/describe.js';

const topology = fakeTopology(1, 2);
const DEFAULT_SET: AddonName[] = ['metrics-server', 'traefik', 'cert-manager'];
const VERSION = '1.37.1';

const withAddons = (addons: Record<string, unknown>): ClusterSpec => validateSpec(patched(staticDoc(), { kubernetes: { version: VERSION }, addons }));
const MONITORING = { 'kube-prometheus-stack': { enabled: true, domain: 'lab.example.org' } };
const VELERO = { velero: { enabled: true, bucket: 'backups', region: 'us-east-1', s3Url: 'https://minio.example.org:9000' } };

async function folder(): Promise<ClusterDir> {
  return new ClusterDir(await mkdtemp(join(tmpdir(), 'k8sb-addons-unit-')));
}

interface Setup {
  spec?: ClusterSpec;
  fake?: FakeAddonOps;
  env?: Record<string, string>;
  version?: string;
  state?: StateStore;
  eachRun?: boolean;
  upgrade?: boolean;
  only?: AddonName[];
  dir?: ClusterDir;
  reveal?: (text: string) => void;
}

/** One run of the add-on phases (what runAddons does, without a lock and a log). */
async function run(setup: Setup = {}) {
  const spec = setup.spec ?? withAddons({});
  const fake = setup.fake ?? new FakeAddonOps();
  const events = new Recorder();
  const secrets = new SecretSet();
  const said: string[] = [];
  const dir = setup.dir ?? (await folder());
  const material = new AddonMaterialSource({ dir, env: setup.env ?? {}, secrets, save: true, reveal: setup.reveal, say: (text) => said.push(text) });
  const results: AddonStepResult[] = [];
  const phases = addonPhases({
    spec,
    topology,
    version: setup.version ?? VERSION,
    ops: () => fake,
    material: () => material,
    eachRun: setup.eachRun,
    upgrade: setup.upgrade,
    only: setup.only,
    record: (result) => results.push(result),
  });
  const error = await runPhases(phases, { events, state: setup.state, signal: new AbortController().signal, retryBaseDelayMs: 1 }).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { spec, fake, events, results, error, secrets, said, dir, phases };
}

describe('the add-on phases', () => {
  it('install Helm first, then the default set in order, each at the pin of the cluster\'s minor', async () => {
    const { fake, results, error, phases, events } = await run();
    expect(error).toBeUndefined();
    expect(phases.map((phase) => phase.title)).toEqual(['Helm', 'Add-ons']);
    expect(phases[1]!.continueOnError).toBe(true);
    expect(fake.calls).toEqual(['helm-install', ...DEFAULT_SET.flatMap((name) => [`apply:${name}`, `helm:${name}`])]);
    for (const name of DEFAULT_SET) {
      expect(fake.stored.get(name)).toMatchObject({ namespace: ADDON_CHARTS[name].namespace, chartVersion: addonPin(name, '1.37')!.version, status: 'deployed', revision: 1 });
    }
    expect(results.map((r) => `${r.name} ${r.outcome}`)).toEqual(DEFAULT_SET.map((name) => `${name} installed`));
    // Each step is named with its version, on the first control plane, run by helm.
    const started = events.of('started').filter((e) => e.stepId.startsWith('addon:'));
    expect(started.map((e) => e.stepId)).toEqual(['addon:helm', ...DEFAULT_SET.map((name) => `addon:${name}`)]);
    expect(started[2]).toMatchObject({ title: `Traefik ingress controller ${addonPin('traefik', '1.37')!.version}`, node: 'cp-1', tool: 'helm' });
  });

  it('a second apply runs no helm and says each add-on is deployed with its values unchanged: 0 changed', async () => {
    const fake = new FakeAddonOps();
    await run({ fake, eachRun: true });
    const before = fake.helmRuns().length;
    const second = await run({ fake, eachRun: true });
    expect(second.error).toBeUndefined();
    expect(fake.helmRuns()).toHaveLength(before);
    for (const name of DEFAULT_SET) {
      expect(second.events.of('output').some((e) => e.stepId === `addon:${name}` && e.line === `${name} ${addonPin(name, '1.37')!.version} deployed, values unchanged`)).toBe(true);
      expect(fake.stored.get(name)!.revision).toBe(1);
    }
    expect(describeResults(second.results).line).toMatch(/^0 changed, 3 unchanged \(metrics-server \S+ unchanged, traefik \S+ unchanged, cert-manager \S+ unchanged\)$/);
  });

  it('a value changed in cluster.yaml upgrades only that add-on (a new revision for it alone)', async () => {
    const fake = new FakeAddonOps();
    await run({ fake });
    const changed = withAddons({ traefik: { values: { deployment: { replicas: 3 } } } });
    const second = await run({ fake, spec: changed, eachRun: true, only: ['traefik'] });
    expect(second.error).toBeUndefined();
    expect(fake.stored.get('traefik')!.revision).toBe(2);
    expect(fake.stored.get('traefik')!.values).toMatchObject({ deployment: { replicas: 3 } });
    expect(fake.stored.get('metrics-server')!.revision).toBe(1);
    expect(fake.stored.get('cert-manager')!.revision).toBe(1);
    expect(second.results).toEqual([{ name: 'traefik', version: addonPin('traefik', '1.37')!.version, outcome: 'reconfigured' }]);
    expect(second.events.of('started').map((e) => e.stepId)).toEqual(['addon:helm', 'addon:traefik']);
  });

  it('a failing add-on fails its step; the others still run; the failure names it and the command that retries only it', async () => {
    const fake = new FakeAddonOps().failOn('traefik', 1);
    const { error, events } = await run({ fake });
    expect(error).toBeInstanceOf(RunFailedError);
    expect((error as RunFailedError).summary.failed.map((f) => f.stepId)).toEqual(['addon:traefik']);
    expect(fake.stored.has('traefik')).toBe(false);
    expect(fake.stored.get('cert-manager')?.status).toBe('deployed');
    expect(fake.stored.get('metrics-server')?.status).toBe('deployed');
    // helm's verdict is final for the step: no second attempt.
    expect(fake.calls.filter((call) => call === 'apply:traefik')).toHaveLength(1);
    const failed = events.of('failed').find((e) => e.stepId === 'addon:traefik');
    expect(failed?.error).toMatchObject({ code: 'AddonNotReady', message: expect.stringContaining('traefik-6d4cf56db6-x7k2p') });
    const summary = (error as RunFailedError).summary;
    expect(failedAddons(summary)).toEqual(['traefik']);
    expect(addonsRetryHint(summary)).toContain('"k8s-bootstrap addons apply traefik": it retries only those');

    // The next run retries it; the others are judged unchanged by helm.
    const retry = await run({ fake, eachRun: true });
    expect(retry.error).toBeUndefined();
    expect(retry.results.map((r) => `${r.name} ${r.outcome}`)).toEqual(['metrics-server unchanged', 'traefik installed', 'cert-manager unchanged']);
  });

  it('init checkpoints: a repeated init skips the add-ons whose minor, version and values are unchanged', async () => {
    const state = await StateStore.open(join((await folder()).root, 'state.json'), 'lab');
    const fake = new FakeAddonOps();
    await run({ fake, state });
    expect(Object.keys(state.current.steps)).toEqual(expect.arrayContaining(['addon:helm', 'addon:metrics-server', 'addon:traefik', 'addon:cert-manager']));
    const again = await run({ fake, state });
    expect(again.events.of('skipped').map((e) => `${e.stepId}: ${e.reason}`)).toEqual(['addon:helm: already done', ...DEFAULT_SET.map((name) => `addon:${name}: already done`)]);
    // A value change makes its step run again, and only its.
    const changed = await run({ fake, state, spec: withAddons({ 'metrics-server': { values: { replicas: 2 } } }) });
    expect(changed.events.of('started').map((e) => e.stepId)).toEqual(['addon:metrics-server']);
    // addons apply (eachRun) always asks helm.
    const apply = await run({ fake, state, eachRun: true });
    expect(apply.events.of('started').map((e) => e.stepId)).toEqual(['addon:helm', ...DEFAULT_SET.map((name) => `addon:${name}`)]);
  });

  it('builds nothing when every add-on is off', () => {
    const spec = withAddons({ 'metrics-server': { enabled: false }, traefik: { enabled: false }, 'cert-manager': { enabled: false } });
    expect(addonPhases({ spec, topology, version: VERSION, ops: () => new FakeAddonOps() })).toEqual([]);
  });
});

describe('upgrade', () => {
  it('moves only the installed add-ons to the target minor\'s pins; one not installed is left alone', async () => {
    const fake = new FakeAddonOps({ helm: true })
      .setRelease({ name: 'metrics-server', namespace: 'kube-system', chartVersion: '3.12.0' })
      .setRelease({ name: 'traefik', namespace: 'traefik', chartVersion: '36.0.0' });
    const { results, events, error } = await run({ fake, upgrade: true, version: '1.37.1' });
    expect(error).toBeUndefined();
    expect(results.map((r) => `${r.name} ${r.outcome}`)).toEqual(['metrics-server upgraded', 'traefik upgraded', 'cert-manager not-installed']);
    expect(fake.stored.has('cert-manager')).toBe(false);
    expect(events.of('skipped').find((e) => e.stepId === 'addon:cert-manager')?.reason).toBe('not installed: left alone (k8s-bootstrap addons apply cert-manager installs it)');
    expect(events.of('started').find((e) => e.stepId === 'addon:traefik')?.title).toBe(`Traefik ingress controller → ${addonPin('traefik', '1.37')!.version}`);
  });

  it('an add-on with no version for the target minor stays where it is, with a warning, and nothing fails', async () => {
    const fake = new FakeAddonOps({ helm: true }).setRelease({ name: 'traefik', namespace: 'traefik', chartVersion: '36.0.0' });
    const { results, events, error } = await run({ fake, upgrade: true, version: '1.38.0' });
    expect(error).toBeUndefined();
    expect(fake.stored.get('traefik')!.chartVersion).toBe('36.0.0');
    expect(results.find((r) => r.name === 'traefik')).toEqual({ name: 'traefik', version: '36.0.0', outcome: 'no-pin' });
    expect(events.of('output').some((e) => e.stepId === 'addon:traefik' && /^warning: no version of traefik for Kubernetes 1\.38 in this k8s-bootstrap release yet: it stays at 36\.0\.0$/.test(e.line))).toBe(true);
    expect(fake.helmRuns()).toEqual([]);
  });

  it('an upgrade\'s checkpoint never counts for init (init installs what upgrade left alone)', () => {
    const spec = withAddons({});
    const upgrade = addonPhases({ spec, topology, version: VERSION, ops: () => new FakeAddonOps(), upgrade: true });
    const init = addonPhases({ spec, topology, version: VERSION, ops: () => new FakeAddonOps() });
    const inputs = (phases: typeof init) => phases[1]!.steps.map((step) => step.inputs);
    expect(inputs(upgrade).every((input, i) => input !== inputs(init)[i])).toBe(true);
    expect(inputs(upgrade)[0]).toMatch(/^1\.37\/\S+\/[0-9a-f]{16}\/upgrade$/);
  });
});

describe('velero\'s S3 keys', () => {
  const keys = { K8SB_VELERO_S3_ACCESS_KEY_ID: 'AKIAEXAMPLE0123456789', K8SB_VELERO_S3_SECRET_ACCESS_KEY: 'secret-key-value-0123456789abcdef' };

  it('missing on the first install: the velero step fails naming both variables; the others go on', async () => {
    const { error, events, fake } = await run({ spec: withAddons(VELERO) });
    expect((error as RunFailedError).summary.failed.map((f) => f.stepId)).toEqual(['addon:velero']);
    const failed = events.of('failed').find((e) => e.stepId === 'addon:velero');
    expect(failed?.error.code).toBe('VeleroKeysMissing');
    expect(failed?.error.message).toContain('K8SB_VELERO_S3_ACCESS_KEY_ID');
    expect(failed?.error.message).toContain('K8SB_VELERO_S3_SECRET_ACCESS_KEY');
    expect(fake.calls).not.toContain('apply:velero');
    expect(fake.stored.get('traefik')?.status).toBe('deployed');
  });

  it('given: the Secret is applied (keys registered for redaction); a later run without them keeps it; other keys update it', async () => {
    const fake = new FakeAddonOps();
    const first = await run({ fake, spec: withAddons(VELERO), env: keys });
    expect(first.error).toBeUndefined();
    expect([...first.secrets.values()]).toEqual(expect.arrayContaining([keys.K8SB_VELERO_S3_ACCESS_KEY_ID, keys.K8SB_VELERO_S3_SECRET_ACCESS_KEY]));
    const sha = fake.secrets.get('velero/velero-s3');
    expect(sha).toMatch(/^[0-9a-f]{64}$/);
    const without = await run({ fake, spec: withAddons(VELERO), eachRun: true });
    expect(without.error).toBeUndefined();
    expect(without.events.of('output').some((e) => e.line === 'velero: no new keys given (environment): the Secret velero/velero-s3 in the cluster is kept')).toBe(true);
    expect(fake.secrets.get('velero/velero-s3')).toBe(sha);
    const rotated = await run({ fake, spec: withAddons(VELERO), eachRun: true, env: { ...keys, K8SB_VELERO_S3_SECRET_ACCESS_KEY: 'another-secret-key-0123456789abcd' } });
    expect(rotated.results.find((r) => r.name === 'velero')?.outcome).toBe('reconfigured');
    expect(fake.secrets.get('velero/velero-s3')).not.toBe(sha);
  });
});

describe('the monitoring passwords', () => {
  it('are generated before the first kube-prometheus-stack apply into secrets/addons (0600, folder 0700), shown once, reused after', async () => {
    const dir = await folder();
    const fake = new FakeAddonOps();
    const shown: string[] = [];
    const first = await run({ fake, dir, spec: withAddons(MONITORING), reveal: (text) => shown.push(text) });
    expect(first.error).toBeUndefined();
    const file = join(dir.secretsDir, 'addons', 'kube-prometheus-stack.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir.secretsDir, 'addons'))).mode & 0o777).toBe(0o700);
    const saved = JSON.parse(await readFile(file, 'utf8')) as { basicAuthPassword: string; grafanaPassword: string };
    expect(shown).toEqual([expect.stringMatching(new RegExp(`^Monitoring: user admin, password ${saved.basicAuthPassword} .*\\(shown once; kept in ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)$`))]);
    expect([...first.secrets.values()]).toEqual(expect.arrayContaining([saved.basicAuthPassword, saved.grafanaPassword]));
    // Never in an event: the run's own line names the file only.
    expect(JSON.stringify(first.events.events)).not.toContain(saved.basicAuthPassword);
    expect(first.said).toEqual([`monitoring passwords generated; kept in ${file}`]);
    // The Secrets were applied before helm ran for it.
    expect(fake.secrets.has('monitoring/grafana-admin')).toBe(true);
    expect(fake.secrets.has('monitoring/monitoring-basic-auth')).toBe(true);

    const second = await run({ fake, dir, spec: withAddons(MONITORING), eachRun: true, reveal: (text) => shown.push(text) });
    expect(second.error).toBeUndefined();
    expect(shown).toHaveLength(1);
    expect(second.said).toEqual([]);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(saved);
    expect(second.results.find((r) => r.name === 'kube-prometheus-stack')?.outcome).toBe('unchanged');
  });

  it('without a terminal the run says only where the file is', async () => {
    const dir = await folder();
    const { said, error } = await run({ dir, spec: withAddons(MONITORING) });
    expect(error).toBeUndefined();
    expect(said).toEqual([`monitoring passwords generated for user admin (basic auth of the Ingresses, and Grafana); kept in ${join(dir.secretsDir, 'addons', 'kube-prometheus-stack.json')} (0600)`]);
  });
});

describe('runAddons', () => {
  it('returns the failure as a RunFailedError with the retry hint, after the other add-ons ran', async () => {
    const dir = await folder();
    const events = new Recorder();
    const harness = {
      dir,
      secrets: new SecretSet(),
      logFile: '/tmp/x.log',
      say: () => undefined,
      runPhases: (phases: Parameters<RunHarness['runPhases']>[0]) => runPhases(phases, { events, signal: new AbortController().signal, retryBaseDelayMs: 1, logFile: '/tmp/x.log' }),
    } as unknown as RunHarness;
    const fake = new FakeAddonOps().failOn('cert-manager');
    const outcome = await runAddons(harness, { spec: withAddons({}), topology, version: VERSION, ops: fake, env: {} });
    expect(outcome.results.map((r) => r.name)).toEqual(['metrics-server', 'traefik']);
    expect(outcome.failure).toBeInstanceOf(RunFailedError);
    expect(outcome.failure!.message).toMatch(/^1 step failed:\n {2}- cp-1: cert-manager \S+ is not ready/);
    expect(outcome.failure!.hint).toBe('Full output: /tmp/x.log. The cluster is up and the other add-ons are left as they are. Fix the cause named above, then run "k8s-bootstrap addons apply cert-manager": it retries only those.');
  });
});

describe('the plans', () => {
  it('init\'s dry run lists Helm and each enabled add-on with its pinned version, after the kubeconfig', () => {
    const plan = describeInitPlan(withAddons(MONITORING));
    const ids = plan.map((step) => step.id);
    expect(ids.slice(ids.indexOf('kubeconfig'))).toEqual(['kubeconfig', 'addon:helm', 'addon:metrics-server', 'addon:traefik', 'addon:cert-manager', 'addon:kube-prometheus-stack']);
    const traefik = plan.find((step) => step.id === 'addon:traefik')!;
    expect(traefik).toMatchObject({ group: 'Add-ons', title: `Traefik ingress controller ${addonPin('traefik', '1.37')!.version}`, tool: 'helm', nodes: ['cp-1'] });
    expect(traefik.detail).toContain(`chart traefik ${addonPin('traefik', '1.37')!.version}`);
    expect(plan.find((step) => step.id === 'addon:helm')?.title).toBe('Install Helm v4.2.4 on cp-1');
  });

  it('the upgrade plan names each add-on move from the releases helm reported', () => {
    const spec = withAddons({});
    const topo = fakeTopology(1, 1);
    const plan = { from: '1.36.4', target: '1.37.1', hops: ['1.37.1'], resumed: false };
    const releases = [
      { name: 'metrics-server', namespace: 'kube-system', revision: 1, status: 'deployed', chart: 'metrics-server', chartVersion: '3.12.0', appVersion: '', updated: '' },
      { name: 'traefik', namespace: 'traefik', revision: 1, status: 'deployed', chart: 'traefik', chartVersion: addonPin('traefik', '1.37')!.version, appVersion: '', updated: '' },
    ];
    const text = describeUpgradePlan({ spec, topology: topo, plan, maxUnavailable: 1, drainTimeoutMs: 60_000, addonReleases: releases });
    expect(text).toContain('  Add-ons, after the nodes and the kubeconfig, to the versions pinned for Kubernetes 1.37:');
    expect(text).toContain(`    metrics-server 3.12.0 → ${addonPin('metrics-server', '1.37')!.version}`);
    expect(text).toContain(`    traefik ${addonPin('traefik', '1.37')!.version}: already at the pin (values re-checked)`);
    expect(text).toContain('    cert-manager: not installed, left alone (k8s-bootstrap addons apply cert-manager installs it)');
    const steps = describeUpgradeSteps({ spec, topology: topo, plan, maxUnavailable: 1, drainTimeoutMs: 60_000 });
    expect(steps.slice(-4).map((step) => step.id)).toEqual(['addon:helm', 'addon:metrics-server', 'addon:traefik', 'addon:cert-manager']);
  });
});
