/**
 * AddonNodeOps over a pool whose one session answers like a first control plane with helm:
 * values reach helm on stdin only, an unchanged add-on costs no helm upgrade, a pending release
 * is repaired first, a changed Secret restarts its readers, and a failure names helm's error,
 * the release's status and the pods that are not Ready with their events.
 */
import { describe, expect, it } from 'vitest';
import { validateSpec } from '../../../src/config/validate/index.js';
import type { StepContext } from '../../../src/engine/step.js';
import { SecretSet } from '../../../src/engine/redact.js';
import { ExternalToolError } from '../../../src/errors.js';
import { addonPlan, type AddonPlan } from '../../../src/kube/addons/plan.js';
import { AddonNodeOps, describeChanges } from '../../../src/nodes/addon-ops.js';
import { SshNodeOps } from '../../../src/nodes/ssh-node-ops.js';
import type { ClusterNode, Topology } from '../../../src/nodes/topology.js';
import { ClusterDir } from '../../../src/state/cluster-dir.js';
import { CONTENT_SHA_ANNOTATION } from '../../../src/kube/cloud-integration.js';
import { patched, staticDoc } from '../../helpers/config-fixtures.js';

interface Exec {
  command: string;
  stdin?: string;
}

type Answer = { code: number; stdout?: string; stderr?: string } | undefined;

function fakePool(answer: (command: string, stdin?: string) => Answer) {
  const execs: Exec[] = [];
  const scripts: Array<{ name: string; content: string }> = [];
  const session = {
    exec: async (argv: string[], options: { stdin?: string }) => {
      const command = argv.join(' ');
      execs.push({ command, ...(options.stdin !== undefined ? { stdin: options.stdin } : {}) });
      const result = answer(command, options.stdin) ?? { code: 0 };
      return { code: result.code, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
    },
    runScript: async (script: { name: string; content: string }) => {
      scripts.push(script);
      return { code: 0, stdout: '', stderr: '' };
    },
  };
  return { execs, scripts, session: () => session, commands: () => execs.map((e) => e.command) };
}

const first: ClusterNode = { name: 'cp-1', role: 'control-plane', host: '192.0.2.1', port: 22, privateIp: '10.0.0.1' };
const topology: Topology = { apiEndpoint: '10.0.0.1:6443', sshUser: 'ubuntu', controlPlanes: [first], workers: [{ name: 'worker-1', role: 'worker', host: '192.0.2.2', port: 22, privateIp: '10.0.0.2' }] };
const spec = validateSpec(patched(staticDoc(), { addons: { 'kube-prometheus-stack': { enabled: true, domain: 'lab.example.org' } } }));
const material = { monitoring: { basicAuthPassword: 'basic-auth-password-0123456789', grafanaPassword: 'grafana-password-0123456789', htpasswdSalt: 'abcdefgh' } };
const traefik = addonPlan('traefik', spec, '1.37', material);
const monitoring = addonPlan('kube-prometheus-stack', spec, '1.37', material);

const ctx = (): StepContext & { lines: string[] } => {
  const lines: string[] = [];
  return { signal: new AbortController().signal, attempt: 1, output: (line) => lines.push(line), progress: () => undefined, lines };
};

function opsFor(pool: ReturnType<typeof fakePool>) {
  const secrets = new SecretSet();
  const ssh = new SshNodeOps({ spec, dir: new ClusterDir('/nonexistent'), pool: pool as never, secrets });
  return new AddonNodeOps({ spec, topology, ops: ssh, secrets });
}

const listed = (plan: AddonPlan, status = 'deployed', version = plan.version) =>
  JSON.stringify([{ name: plan.release, namespace: plan.namespace, revision: '1', updated: '2026-08-20 10:00:00.0 +0000 UTC', status, chart: `${plan.chart}-${version}`, app_version: plan.appVersion }]);
const readyPods = JSON.stringify({ items: [{ metadata: { name: 'traefik-abc' }, spec: { nodeName: 'worker-1' }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }] });

/** helm and kubectl of a cluster where `release` is what helm list says and `values` what helm get values says. */
function cluster(options: { list?: string; values?: unknown; upgrade?: Answer; pods?: string; secret?: (name: string) => string } = {}) {
  return (command: string): Answer => {
    if (command.startsWith('helm list')) return { code: 0, stdout: options.list ?? '[]' };
    if (command.startsWith('helm get values')) return options.values === undefined ? { code: 1, stderr: 'Error: release: not found' } : { code: 0, stdout: JSON.stringify(options.values) };
    if (command.startsWith('helm upgrade --install')) return options.upgrade ?? { code: 0, stdout: 'Release "traefik" has been upgraded. Happy Helming!' };
    if (command.includes(' get pods ')) return { code: 0, stdout: options.pods ?? readyPods };
    const secret = /-n (\S+) get secret (\S+) -o json/.exec(command);
    if (secret) return { code: 0, stdout: options.secret?.(secret[2]!) ?? '' };
    return undefined;
  };
}

describe('AddonNodeOps.apply: CRDs and interrupted helms (review findings)', () => {
  it('an upgrade to a newer chart applies its CRDs first (apply-chart-crds.sh), never a downgrade or a first install', async () => {
    const older = fakePool(cluster({ list: listed(traefik, 'deployed', '37.1.0'), values: traefik.values }));
    await opsFor(older).apply(traefik, ctx());
    expect(older.scripts.map((script) => script.name)).toEqual(['apply-chart-crds']);
    const newer = fakePool(cluster({ list: listed(traefik, 'deployed', '99.0.0'), values: traefik.values }));
    await opsFor(newer).apply(traefik, ctx());
    expect(newer.scripts).toEqual([]);
    const fresh = fakePool(cluster());
    await opsFor(fresh).apply(traefik, ctx());
    expect(fresh.scripts).toEqual([]);
  });

  it('a pending release whose helm still runs is left alone (no rollback under it), naming the wait', async () => {
    const base = cluster({ list: listed(traefik, 'pending-upgrade'), values: traefik.values });
    const pool = fakePool((command) => (command.startsWith('pgrep -f') ? { code: 0, stdout: '4242\n' } : base(command)));
    await expect(opsFor(pool).apply(traefik, ctx())).rejects.toMatchObject({ code: 'AddonHelmBusy' });
    expect(pool.commands().some((command) => command.startsWith('helm rollback') || command.startsWith('helm upgrade'))).toBe(false);
    const ended = fakePool((command) => (command.startsWith('pgrep -f') ? { code: 1 } : base(command)));
    await opsFor(ended).apply(traefik, ctx());
    expect(ended.commands().findIndex((command) => command.startsWith('helm rollback traefik'))).toBeLessThan(ended.commands().findIndex((command) => command.startsWith('helm upgrade')));
  });
});

describe('AddonNodeOps.apply', () => {
  it('a first install: the namespace, then helm upgrade --install with the values on stdin only (never argv), then the pods', async () => {
    const pool = fakePool(cluster());
    const c = ctx();
    expect(await opsFor(pool).apply(traefik, c)).toBe('installed');
    const upgrade = pool.execs.find((e) => e.command.startsWith('helm upgrade --install'))!;
    expect(upgrade.command).toBe(
      `helm upgrade --install traefik traefik --repo ${traefik.repo} --version ${traefik.version} --namespace traefik --create-namespace --values - --wait=watcher --timeout ${traefik.helmTimeoutS}s --rollback-on-failure --history-max 10 --kubeconfig /etc/kubernetes/admin.conf`,
    );
    expect(upgrade.stdin).toBe(traefik.valuesYaml);
    expect(pool.execs[1]).toMatchObject({ command: 'kubectl --kubeconfig /etc/kubernetes/admin.conf apply --server-side --force-conflicts --field-manager=k8s-bootstrap -f -', stdin: expect.stringContaining('kind: Namespace') });
    expect(pool.commands().at(-1)).toBe('kubectl --kubeconfig /etc/kubernetes/admin.conf -n traefik get pods -l app.kubernetes.io/instance=traefik-traefik -o json');
    expect(c.lines).toContain(`traefik: install ${traefik.version}`);
    expect(c.lines).toContain(`traefik ${traefik.version} deployed (release traefik in traefik)`);
  });

  it('unchanged (deployed at the pin, the same values): no helm upgrade, and it says so', async () => {
    const pool = fakePool(cluster({ list: listed(traefik), values: traefik.values }));
    const c = ctx();
    expect(await opsFor(pool).apply(traefik, c)).toBe('unchanged');
    expect(pool.commands().some((command) => command.startsWith('helm upgrade'))).toBe(false);
    expect(c.lines).toContain(`traefik ${traefik.version} deployed, values unchanged`);
  });

  it('another chart version: upgraded; other values: the paths changed are named, never the values', async () => {
    const old = fakePool(cluster({ list: listed(traefik, 'deployed', '36.0.0'), values: traefik.values }));
    expect(await opsFor(old).apply(traefik, ctx())).toBe('upgraded');
    const values = fakePool(cluster({ list: listed(traefik), values: { ...traefik.values, deployment: { replicas: 7 } } }));
    const c = ctx();
    expect(await opsFor(values).apply(traefik, c)).toBe('reconfigured');
    expect(c.lines.find((line) => line.startsWith('traefik: values change: '))).toMatch(/deployment/);
    expect(c.lines.join('\n')).not.toContain('7');
  });

  it('a release left pending-upgrade is rolled back first; pending-install is uninstalled first', async () => {
    const pending = fakePool(cluster({ list: listed(traefik, 'pending-upgrade'), values: traefik.values }));
    await opsFor(pending).apply(traefik, ctx());
    const commands = pending.commands();
    const rollback = commands.findIndex((command) => command === 'helm rollback traefik --namespace traefik --history-max 10 --kubeconfig /etc/kubernetes/admin.conf');
    expect(rollback).toBeGreaterThan(-1);
    expect(rollback).toBeLessThan(commands.findIndex((command) => command.startsWith('helm upgrade --install')));
    const install = fakePool(cluster({ list: listed(traefik, 'pending-install') }));
    await opsFor(install).apply(traefik, ctx());
    expect(install.commands()).toContain('helm uninstall traefik --namespace traefik --kubeconfig /etc/kubernetes/admin.conf');
  });

  it('fails with AddonNotReady: helm\'s error line, the release status, each pod not Ready with node, reason and 2 events', async () => {
    const pending = JSON.stringify({
      items: [
        { metadata: { name: 'traefik-6d4cf56db6-x7k2p' }, spec: {}, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', message: "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector." }] } },
        { metadata: { name: 'old-job-pod' }, spec: { nodeName: 'worker-1' }, status: { phase: 'Succeeded' } },
      ],
    });
    const events = JSON.stringify({ items: [{ reason: 'FailedScheduling', message: 'one' }, { reason: 'FailedScheduling', message: 'two' }, { reason: 'FailedScheduling', message: 'three' }] });
    const pool = fakePool((command) => {
      if (command.startsWith('helm upgrade --install')) return { code: 1, stderr: 'Error: UPGRADE FAILED: release traefik failed, and has been rolled back due to rollback-on-failure being set: context deadline exceeded' };
      if (command.startsWith('helm status')) return { code: 0, stdout: JSON.stringify({ name: 'traefik', info: { status: 'deployed', description: 'Rollback to 1' } }) };
      if (command.includes(' get events ')) return { code: 0, stdout: events };
      return cluster({ list: listed(traefik, 'deployed', '36.0.0'), values: traefik.values, pods: pending })(command);
    });
    const error = (await opsFor(pool).apply(traefik, ctx()).catch((e: unknown) => e)) as ExternalToolError;
    expect(error).toBeInstanceOf(ExternalToolError);
    expect(error.code).toBe('AddonNotReady');
    expect(error.message).toBe(`Traefik ingress controller ${traefik.version} is not ready: helm upgrade --install failed (exit 1); not ready: traefik-6d4cf56db6-x7k2p`);
    expect(error.details).toEqual([
      'helm: Error: UPGRADE FAILED: release traefik failed, and has been rolled back due to rollback-on-failure being set: context deadline exceeded',
      'release traefik: deployed (Rollback to 1)',
      "traefik-6d4cf56db6-x7k2p on (not scheduled): Pending: 0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.",
      '  FailedScheduling: two',
      '  FailedScheduling: three',
    ]);
    expect(error.hint).toContain('k8s-bootstrap addons apply traefik');
    expect(error.hint).toContain('helm history traefik -n traefik');
  });

  it('Secrets go on stdin with their content sha; one changed under a running release restarts its readers between the old and the new mark', async () => {
    const oldSha = 'f'.repeat(64);
    const secretJson = (name: string) => JSON.stringify({ metadata: { name, annotations: { [CONTENT_SHA_ANNOTATION]: name === 'grafana-admin' ? oldSha : monitoring.secrets[1]!.sha256 } } });
    const pool = fakePool((command) => {
      if (command.includes('get deployment kube-prometheus-stack-grafana -o name')) return { code: 0, stdout: 'deployment.apps/kube-prometheus-stack-grafana' };
      return cluster({ list: listed(monitoring), values: monitoring.values, secret: secretJson })(command);
    });
    const c = ctx();
    expect(await opsFor(pool).apply(monitoring, c)).toBe('reconfigured');
    const applies = pool.execs.filter((e) => e.stdin?.includes('kind: Secret')).map((e) => e.stdin!);
    const grafana = applies.filter((text) => text.includes('name: grafana-admin'));
    expect(grafana).toHaveLength(2);
    expect(grafana[0]).toContain(oldSha);
    expect(grafana[1]).toContain(monitoring.secrets[0]!.sha256);
    const restart = pool.commands().indexOf('kubectl --kubeconfig /etc/kubernetes/admin.conf -n monitoring rollout restart deployment/kube-prometheus-stack-grafana');
    expect(restart).toBeGreaterThan(pool.execs.findIndex((e) => e.stdin === grafana[0]));
    expect(restart).toBeLessThan(pool.execs.findIndex((e) => e.stdin === grafana[1]));
    // No helm upgrade (the release is as it should be); values and passwords never in argv.
    expect(pool.commands().some((command) => command.startsWith('helm upgrade'))).toBe(false);
    for (const value of [material.monitoring.basicAuthPassword, material.monitoring.grafanaPassword]) expect(pool.commands().join('\n')).not.toContain(value);
    // The after-manifests, every run, server-side from stdin.
    expect(pool.execs.filter((e) => e.stdin?.includes('kind: Ingress'))).toHaveLength(3);
    expect(pool.execs.some((e) => e.stdin?.includes('kind: Middleware'))).toBe(true);
  });
});

describe('AddonNodeOps reads', () => {
  it('helm list across namespaces, as JSON; helm not installed reads as undefined', async () => {
    const none = fakePool((command) => (command.startsWith('test -e /usr/local/bin/helm') ? { code: 1 } : undefined));
    expect(await opsFor(none).helmInstalled(ctx())).toBeUndefined();
    const pool = fakePool((command) => (command.startsWith('helm version') ? { code: 0, stdout: 'v4.2.4' } : cluster({ list: listed(traefik) })(command)));
    const ops = opsFor(pool);
    expect(await ops.helmInstalled(ctx())).toBe('v4.2.4');
    expect(await ops.releases(ctx())).toEqual([expect.objectContaining({ name: 'traefik', namespace: 'traefik', status: 'deployed', chartVersion: traefik.version, revision: 1 })]);
    expect(pool.commands()).toContain('helm list --all-namespaces --output json --kubeconfig /etc/kubernetes/admin.conf');
  });

  it('health: every pod Ready (finished Jobs do not count); else names them', async () => {
    const ok = fakePool(cluster());
    expect(await opsFor(ok).health(traefik, ctx())).toEqual({ ready: true, notReady: [] });
    const crash = JSON.stringify({ items: [{ metadata: { name: 'traefik-x' }, spec: { nodeName: 'worker-1' }, status: { phase: 'Running', containerStatuses: [{ state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s' } } }] } }] });
    expect(await opsFor(fakePool(cluster({ pods: crash }))).health(traefik, ctx())).toEqual({ ready: false, notReady: ['traefik-x on worker-1: CrashLoopBackOff: back-off 5m0s'] });
    expect((await opsFor(fakePool(cluster({ pods: '{"items":[]}' }))).health(traefik, ctx())).notReady).toEqual(['no pods (traefik: app.kubernetes.io/instance=traefik-traefik)']);
  });

  it('installs helm with install-helm.sh filled with the pinned version and sha256s', async () => {
    const pool = fakePool(() => undefined);
    await opsFor(pool).installHelm(ctx());
    expect(pool.scripts[0]!.name).toBe('install-helm');
    expect(pool.scripts[0]!.content).toContain("version='v4.2.4'");
    expect(pool.scripts[0]!.content).not.toContain('{{helmVersion}}');
  });

  it('words changes as addons diff does: paths only', () => {
    expect(describeChanges([{ kind: 'upgrade', from: '36.0.0', to: '41.3.0' }, { kind: 'values', paths: ['deployment.replicas'] }, { kind: 'no-pin', installed: '36.0.0' }], { minor: '1.38' })).toEqual([
      'upgrade 36.0.0 → 41.3.0',
      'values change: deployment.replicas',
      'no version for Kubernetes 1.38 in this release yet: stays at 36.0.0',
    ]);
  });
});
