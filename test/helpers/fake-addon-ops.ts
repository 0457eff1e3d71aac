/**
 * An in-memory Helm and cluster for the add-on phases, so init, upgrade and `addons apply` run
 * their add-on steps through the real engine in unit tests. Its behaviour, which the tests rely on:
 * - `calls` records "helm-install", "apply:<name>" (every apply call) and "helm:<name>" (an apply
 *   that ran helm upgrade --install), in order;
 * - releases are remembered with their chart version, revision, status, values and the Secrets'
 *   shas; `apply` judges with the real judgeAddon (kube/addons/judge.ts) and runs "helm" only
 *   when something differs, as AddonNodeOps does, returning the same outcomes;
 * - nothing works before installHelm (as on a node without helm: releases() fails);
 * - `failOn(name, times)` makes that add-on's apply fail with AddonNotReady naming a pod (always,
 *   or the first `times` calls), leaving its release as helm's --atomic does (first install: none;
 *   upgrade: the previous revision, a new revision number);
 * - `setRelease` puts a release there as another run (or a person) left it.
 */
import type { StepContext } from '../../src/engine/step.js';
import { ExternalToolError } from '../../src/errors.js';
import { judgeAddon, type AddonChange } from '../../src/kube/addons/judge.js';
import type { HelmRelease } from '../../src/kube/addons/helm-commands.js';
import type { AddonPlan } from '../../src/kube/addons/plan.js';
import { HELM } from '../../src/kube/addons/pins.js';
import { secretKey } from '../../src/kube/addons/secrets.js';
import type { AddonHealth, AddonOps, AddonOutcome } from '../../src/nodes/addon-ops.js';

interface StoredRelease extends HelmRelease {
  values: Record<string, unknown>;
}

type Quiet = Pick<StepContext, 'signal' | 'output'>;

export class FakeAddonOps implements AddonOps {
  readonly calls: string[] = [];
  helm?: string;
  readonly stored = new Map<string, StoredRelease>();
  /** Secret key (namespace/name) → content sha. */
  readonly secrets = new Map<string, string>();
  private readonly failures = new Map<string, number>();

  constructor(options: { helm?: boolean } = {}) {
    if (options.helm) this.helm = HELM.version;
  }

  failOn(name: string, times = Number.POSITIVE_INFINITY): this {
    this.failures.set(name, times);
    return this;
  }

  setRelease(release: Partial<StoredRelease> & Pick<HelmRelease, 'name' | 'namespace' | 'chartVersion'>): this {
    this.stored.set(release.name, { revision: 1, status: 'deployed', chart: release.name, appVersion: '', updated: '2026-01-01 00:00:00 +0000 UTC', values: {}, ...release });
    return this;
  }

  /** The calls that ran helm upgrade --install, as add-on names. */
  helmRuns(): string[] {
    return this.calls.filter((call) => call.startsWith('helm:')).map((call) => call.slice('helm:'.length));
  }

  async installHelm(): Promise<void> {
    this.calls.push('helm-install');
    this.helm = HELM.version;
  }

  async helmInstalled(): Promise<string | undefined> {
    return this.helm;
  }

  async releases(): Promise<HelmRelease[]> {
    if (!this.helm) throw new ExternalToolError('HelmListFailed', 'helm list failed on cp-1 (exit 127)');
    return [...this.stored.values()].map(({ values: _values, ...release }) => ({ ...release }));
  }

  async liveValues(plan: AddonPlan): Promise<Record<string, unknown> | undefined> {
    const release = this.stored.get(plan.release);
    return release ? structuredClone(release.values) : undefined;
  }

  async secretShas(plan: AddonPlan): Promise<Record<string, string | undefined>> {
    return Object.fromEntries(plan.secrets.map((secret) => [secretKey(secret), this.secrets.get(secretKey(secret))]));
  }

  async secretExists(namespace: string, name: string): Promise<boolean> {
    return this.secrets.has(`${namespace}/${name}`);
  }

  async judge(plan: AddonPlan, release: HelmRelease | undefined, _ctx: Quiet): Promise<AddonChange[]> {
    return judgeAddon(plan, release, release ? await this.liveValues(plan) : undefined, await this.secretShas(plan));
  }

  async health(plan: AddonPlan): Promise<AddonHealth> {
    const release = this.stored.get(plan.release);
    return release?.status === 'deployed' ? { ready: true, notReady: [] } : { ready: false, notReady: ['no pods'] };
  }

  async apply(plan: AddonPlan, ctx: StepContext): Promise<AddonOutcome> {
    this.calls.push(`apply:${plan.name}`);
    if (!plan.version) throw new ExternalToolError('AddonNoPin', `${plan.title} has no version`);
    let secretsChanged = false;
    for (const secret of plan.secrets) {
      const before = this.secrets.get(secretKey(secret));
      if (before !== undefined && before !== secret.sha256) secretsChanged = true;
      this.secrets.set(secretKey(secret), secret.sha256);
    }
    const before = this.stored.get(plan.release);
    const changes = await this.judge(plan, before ? (await this.releases()).find((r) => r.name === plan.release) : undefined, ctx);
    if (changes.every((change) => change.kind === 'unchanged')) {
      ctx.output(`${plan.name} ${plan.version} deployed, values unchanged`, 'info');
      return secretsChanged ? 'reconfigured' : 'unchanged';
    }
    this.calls.push(`helm:${plan.name}`);
    const left = this.failures.get(plan.name);
    if (left !== undefined && left > 0) {
      this.failures.set(plan.name, left - 1);
      // --atomic: a first install is uninstalled, an upgrade rolled back (a new revision).
      if (before) this.stored.set(plan.release, { ...before, revision: before.revision + 2 });
      throw new ExternalToolError('AddonNotReady', `${plan.title} ${plan.version} is not ready: helm upgrade --install failed (exit 1); not ready: ${plan.name}-6d4cf56db6-x7k2p`, {
        details: ['helm: Error: UPGRADE FAILED: context deadline exceeded', `${plan.name}-6d4cf56db6-x7k2p on (not scheduled): Pending: 0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.`],
        hint: `Fix the cause, then run k8s-bootstrap addons apply ${plan.name}.`,
      });
    }
    this.stored.set(plan.release, {
      name: plan.release,
      namespace: plan.namespace,
      revision: (before?.revision ?? 0) + 1,
      status: 'deployed',
      chart: plan.chart,
      chartVersion: plan.version,
      appVersion: plan.appVersion ?? '',
      updated: '2026-01-01 00:00:00 +0000 UTC',
      values: structuredClone(plan.values),
    });
    ctx.output(`${plan.name} ${plan.version} deployed (release ${plan.release} in ${plan.namespace})`, 'info');
    if (!before) return 'installed';
    return before.chartVersion !== plan.version ? 'upgraded' : 'reconfigured';
  }
}
