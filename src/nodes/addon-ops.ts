/**
 * The add-ons on a cluster, over the SSH operations of init (composition, as UpgradeNodeOps):
 * Helm on the first control plane, where every other kubectl of the tool runs
 * (`sudo helm … --kubeconfig /etc/kubernetes/admin.conf`, kube/addons/helm-commands.ts), and
 * kubectl for the add-ons' Secrets, their after-manifests and their pods.
 *
 * "Already done?" is judged by Helm, never by a file or a checkpoint: the release `helm list`
 * reports (status deployed, chart at the pinned version), the user values `helm get values`
 * returns deep-equal to the ones rendered, and the content sha on each of the add-on's Secrets.
 * An unchanged add-on costs those reads and no helm upgrade. Values go to helm on stdin
 * (`--values -`), Secrets to kubectl on stdin: neither is ever in argv or in a file on a node.
 *
 * Everything helm and kubectl print is data: it reaches people only as step output (made inert
 * by the renderers) and as error details (inert in the CLI's error report).
 */
import type { StepContext } from '../engine/step.js';
import type { SecretSet } from '../engine/redact.js';
import { sleep } from '../engine/backoff.js';
import { ExternalToolError } from '../errors.js';
import type { ClusterSpec } from '../config/schema.js';
import * as cmd from '../kube/node-commands.js';
import { readNotReadyPods, readSecretContentSha, rolloutRestart, workloadExists, type Workload } from '../kube/cloud-integration.js';
import { loadNodeScript } from '../kube/node-scripts.js';
import { LARGE_OUTPUT_LIMIT_BYTES } from '../tools/ssh/remote-output.js';
import {
  HELM_BINARY,
  helmErrorLine,
  helmGetValues,
  helmList,
  helmRollback,
  helmRunning,
  helmStatus,
  helmUninstall,
  helmUpgradeInstall,
  helmVersion,
  installHelmScript,
  judgeAddon,
  parseHelmList,
  parseHelmStatus,
  parseHelmValues,
  type AddonChange,
  type HelmRelease,
} from '../kube/addons/helm-commands.js';
import { describeChange } from '../kube/addons/judge.js';
import type { AddonPlan, AddonSecret } from '../kube/addons/plan.js';
import { addonSecretWithSha, namespaceManifest, secretKey } from '../kube/addons/secrets.js';
import { HELM } from '../kube/addons/pins.js';
import type { SshNodeOps } from './ssh-node-ops.js';
import { firstControlPlane, type ClusterNode, type Topology } from './topology.js';

type QuietCtx = Pick<StepContext, 'signal' | 'output'>;

const SHORT = 60_000;
/** install-helm.sh downloads one tarball. */
const INSTALL_HELM_TIMEOUT = 5 * 60_000;
/** On top of helm's own --timeout: the SSH round trip, the chart download, helm's rollback. */
const HELM_GRACE_MS = 3 * 60_000;
/** A webhook (cert-manager's) may refuse for a few seconds after helm --wait said ready. */
/** "41.3.0" newer than "37.1.0", "v1.21.1" than "v1.19.1": numeric parts compared in order. */
export function isNewerChartVersion(next: string, current: string): boolean {
  const parts = (version: string) => version.replace(/^v/, '').split(/[.+-]/).map((part) => Number.parseInt(part, 10) || 0);
  const [a, b] = [parts(next), parts(current)];
  for (let index = 0; index < Math.max(a.length, b.length); index++) if ((a[index] ?? 0) !== (b[index] ?? 0)) return (a[index] ?? 0) > (b[index] ?? 0);
  return false;
}

/** cert-manager's webhook answers only once cainjector has given it its CA: 30-90 s after helm's wait on a fresh cluster. About 3 minutes in all. */
const MANIFEST_ATTEMPTS = 22;
const HEALTH_WAIT_MS = 60_000;
/** Pods named in a failure, and events per pod. */
const PODS_SHOWN = 5;
const EVENTS_PER_POD = 2;

/** A pod that is not Ready, where it is and why (readNotReadyPods). */
interface PodSeen {
  namespace: string;
  name: string;
  node?: string;
  reason: string;
  /** Its last events, when read while helm waited. */
  events?: string[];
}

/** What apply did: nothing, a first install, a move to another chart version, or new values/Secrets/repair at the same version. */
export type { AddonOutcome } from '../kube/addons/step-result.js';
import type { AddonOutcome } from '../kube/addons/step-result.js';

export interface AddonHealth {
  ready: boolean;
  /** "traefik-7d9-x on worker-1: Pending: 0/2 nodes are available: …"; "no pods" when the selectors match none. */
  notReady: string[];
}

export interface AddonNodeOpsOptions {
  spec: ClusterSpec;
  topology: Topology;
  ops: SshNodeOps;
  secrets: SecretSet;
}

/** What the add-on workflows ask of a cluster (AddonNodeOps over SSH; an in-memory fake in tests). */
export interface AddonOps {
  installHelm(ctx: StepContext): Promise<void>;
  helmInstalled(ctx: QuietCtx): Promise<string | undefined>;
  releases(ctx: QuietCtx): Promise<HelmRelease[]>;
  liveValues(plan: AddonPlan, ctx: QuietCtx): Promise<Record<string, unknown> | undefined>;
  secretShas(plan: AddonPlan, ctx: QuietCtx): Promise<Record<string, string | undefined>>;
  secretExists(namespace: string, name: string, ctx: QuietCtx): Promise<boolean>;
  judge(plan: AddonPlan, release: HelmRelease | undefined, ctx: QuietCtx): Promise<AddonChange[]>;
  health(plan: AddonPlan, ctx: QuietCtx): Promise<AddonHealth>;
  apply(plan: AddonPlan, ctx: StepContext): Promise<AddonOutcome>;
}

export class AddonNodeOps implements AddonOps {
  constructor(private readonly options: AddonNodeOpsOptions) {}

  private get ops(): SshNodeOps {
    return this.options.ops;
  }

  /** Where helm runs: the first control plane. */
  get first(): ClusterNode {
    return firstControlPlane(this.options.topology);
  }

  private sudo(argv: string[], ctx: QuietCtx, extra: Parameters<SshNodeOps['sudo']>[3] = {}) {
    return this.ops.sudo(this.first, argv, ctx, extra);
  }

  // ---- helm itself ---------------------------------------------------------------------------

  /** templates/scripts/install-helm.sh: the pinned tarball, sha256-checked; nothing when that version is installed. */
  async installHelm(ctx: StepContext): Promise<void> {
    const script = installHelmScript();
    await this.ops.session(this.first).runScript(await loadNodeScript(script.name, script.vars), {
      timeoutMs: INSTALL_HELM_TIMEOUT,
      signal: ctx.signal,
      idempotent: true,
      onLine: (line, stream) => ctx.output(line, stream),
    });
  }

  /** The version of the helm on the first control plane, or undefined when there is none (yet). */
  async helmInstalled(ctx: QuietCtx): Promise<string | undefined> {
    const present = await this.sudo(cmd.fileExists(HELM_BINARY), ctx, { allowFailure: true, quiet: true });
    if (present.code !== 0) return undefined;
    const version = await this.sudo(helmVersion(), ctx, { allowFailure: true, quiet: true });
    return version.code === 0 ? version.stdout.trim() || HELM.version : undefined;
  }

  // ---- what helm and the cluster say -----------------------------------------------------------

  /** `helm list -A -o json`: every release of the cluster (all statuses). */
  async releases(ctx: QuietCtx): Promise<HelmRelease[]> {
    const result = await this.sudo(helmList(), ctx, { allowFailure: true, quiet: true, maxOutputBytes: LARGE_OUTPUT_LIMIT_BYTES });
    if (result.code !== 0) {
      throw new ExternalToolError('HelmListFailed', `helm list failed on ${this.first.name} (exit ${result.code})`, {
        details: lastLines(result.stdout, result.stderr, 5),
        hint: `Check that the API answers on ${this.first.name} (k8s-bootstrap status), then run the command again.`,
      });
    }
    return parseHelmList(result.stdout);
  }

  /** The release of the plan's add-on, if helm has one (any status). */
  async release(plan: AddonPlan, ctx: QuietCtx): Promise<HelmRelease | undefined> {
    return (await this.releases(ctx)).find((r) => r.name === plan.release && r.namespace === plan.namespace);
  }

  /** `helm get values` (the user-supplied values of the current revision); undefined when there is no release. */
  async liveValues(plan: AddonPlan, ctx: QuietCtx): Promise<Record<string, unknown> | undefined> {
    const result = await this.sudo(helmGetValues(plan.release, plan.namespace), ctx, { allowFailure: true, quiet: true, maxOutputBytes: LARGE_OUTPUT_LIMIT_BYTES });
    if (result.code !== 0) {
      if (/release: not found/.test(result.stderr)) return undefined;
      throw new ExternalToolError('HelmGetValuesFailed', `helm get values ${plan.release} -n ${plan.namespace} failed on ${this.first.name} (exit ${result.code})`, { details: lastLines(result.stdout, result.stderr, 5) });
    }
    return parseHelmValues(result.stdout);
  }

  /**
   * The content sha recorded on each of the plan's Secrets (CONTENT_SHA_ANNOTATION), keyed
   * namespace/name; undefined for a Secret that is missing or carries no mark. The probe's
   * output holds the Secret's data: it is read quiet and kept out of every output and log.
   */
  async secretShas(plan: AddonPlan, ctx: QuietCtx): Promise<Record<string, string | undefined>> {
    const shas: Record<string, string | undefined> = {};
    for (const secret of plan.secrets) shas[secretKey(secret)] = (await this.secretState(secret, ctx)).sha256;
    return shas;
  }

  /** Whether a Secret exists in the cluster (Velero's keys: a later run without them keeps it). */
  async secretExists(namespace: string, name: string, ctx: QuietCtx): Promise<boolean> {
    return (await this.secretState({ namespace, name }, ctx)).exists;
  }

  private async secretState(secret: Pick<AddonSecret, 'namespace' | 'name'>, ctx: QuietCtx): Promise<{ exists: boolean; sha256?: string }> {
    const probe = await this.sudo(cmd.kubectl(['-n', secret.namespace, 'get', 'secret', secret.name, '-o', 'json', '--ignore-not-found']), ctx, {
      allowFailure: true,
      quiet: true,
      secretOutput: true,
      maxOutputBytes: LARGE_OUTPUT_LIMIT_BYTES,
    });
    // A namespace that does not exist yet answers like a missing Secret.
    return probe.code === 0 ? readSecretContentSha(probe.stdout) : { exists: false };
  }

  /** What `addons diff` shows for one add-on: judged as apply judges it. */
  async judge(plan: AddonPlan, release: HelmRelease | undefined, ctx: QuietCtx): Promise<AddonChange[]> {
    const live = release && plan.version ? await this.liveValues(plan, ctx) : undefined;
    const shas = await this.secretShas(plan, ctx);
    return judgeAddon(plan, release, live, shas);
  }

  /** The add-on's pods, all Ready (pods of finished Jobs do not count); names those that are not. */
  async health(plan: AddonPlan, ctx: QuietCtx): Promise<AddonHealth> {
    const notReady: string[] = [];
    let pods = 0;
    for (const selector of plan.selectors) {
      const result = await this.sudo(cmd.podsWithLabel(selector.namespace, selector.labels), ctx, { allowFailure: true, quiet: true, maxOutputBytes: LARGE_OUTPUT_LIMIT_BYTES });
      if (result.code !== 0) {
        notReady.push(`pods ${selector.labels} in ${selector.namespace}: kubectl failed (exit ${result.code}): ${lastLines(result.stdout, result.stderr, 1)[0] ?? ''}`.trimEnd());
        continue;
      }
      const running = withoutFinishedPods(result.stdout);
      pods += running.count;
      for (const pod of readNotReadyPods(running.json)) notReady.push(`${pod.name} on ${pod.node ?? '(not scheduled)'}: ${pod.reason}`);
    }
    if (pods === 0 && notReady.length === 0) notReady.push(`no pods (${plan.selectors.map((s) => `${s.namespace}: ${s.labels}`).join('; ')})`);
    return { ready: notReady.length === 0, notReady };
  }

  // ---- apply ---------------------------------------------------------------------------------

  /**
   * One add-on, as the contract's step: its Secrets (restarting their readers when one changed
   * under a running release), the judgement, a pending release repaired, `helm upgrade
   * --install` only when something differs, the after-manifests (issuers, Middleware, Ingresses)
   * on every run (server-side apply: an unchanged object stays as it is), and the pods' health.
   */
  async apply(plan: AddonPlan, ctx: StepContext): Promise<AddonOutcome> {
    if (!plan.version) throw new ExternalToolError('AddonNoPin', `${plan.title} has no version for this Kubernetes minor in this k8s-bootstrap release`);
    const before = await this.release(plan, ctx);
    await this.ensureNamespace(plan.namespace, ctx);
    let secretsChanged = false;
    for (const secret of plan.secrets) secretsChanged = (await this.applySecret(secret, before !== undefined && before.status === 'deployed', ctx)) || secretsChanged;

    // The Secrets are current now: the judgement is about the release alone.
    const live = before ? await this.liveValues(plan, ctx) : undefined;
    const changes = judgeAddon(plan, before, live, Object.fromEntries(plan.secrets.map((s) => [secretKey(s), s.sha256])));
    const helmNeeded = !changes.every((change) => change.kind === 'unchanged');
    if (!helmNeeded) {
      ctx.output(`${plan.name} ${plan.version} deployed, values unchanged`, 'info');
    } else {
      for (const line of describeChanges(changes)) ctx.output(`${plan.name}: ${line}`, 'info');
      if (before) await this.repair(plan, before, ctx);
      // Only forwards: older CRDs applied with --force-conflicts could drop a version the newer ones store.
      if (before && before.status !== 'uninstalled' && plan.crdsBeforeUpgrade && isNewerChartVersion(plan.version, before.chartVersion)) await this.applyChartCrds(plan, ctx);
      await this.upgradeInstall(plan, ctx);
    }
    for (const after of plan.after) await this.applyManifest(plan, after, ctx);
    if (helmNeeded || secretsChanged) await this.waitHealthy(plan, ctx);
    if (!helmNeeded) return secretsChanged ? 'reconfigured' : 'unchanged';
    if (!before || before.status === 'uninstalled') return 'installed';
    return before.chartVersion !== plan.version ? 'upgraded' : 'reconfigured';
  }

  /**
   * An interrupted helm leaves its release pending, and every later upgrade then fails with
   * "another operation (install/upgrade/rollback) is in progress" (helm pkg/action/action.go
   * errPending @v4.2.4): a pending install is uninstalled, a pending upgrade or rollback rolled
   * back to the last deployed revision. A failed release is simply upgraded again.
   */
  private async repair(plan: AddonPlan, release: HelmRelease, ctx: StepContext): Promise<void> {
    const argv = release.status === 'pending-install' ? helmUninstall(plan.release, plan.namespace) : ['pending-upgrade', 'pending-rollback'].includes(release.status) ? helmRollback(plan.release, plan.namespace) : undefined;
    if (!argv) return;
    // A helm whose SSH session dropped may still be running (nothing signals it): repairing under
    // it would fight its own rollback. Such a release is left alone until that helm has ended.
    const busy = await this.sudo(helmRunning(plan.release), ctx, { allowFailure: true, quiet: true });
    if (busy.code === 0 && busy.stdout.trim() !== '') {
      throw new ExternalToolError('AddonHelmBusy', `helm is still working on release ${plan.release} on ${this.first.name} (it is ${release.status})`, {
        hint: `Wait for it to end (at most ${Math.round(plan.helmTimeoutS / 60)} minutes, its --timeout), then run k8s-bootstrap addons apply ${plan.name} again.`,
      });
    }
    ctx.output(`${plan.name}: release ${plan.release} is ${release.status} (an interrupted helm): ${argv[1]} first`, 'info');
    const result = await this.sudo(argv, ctx, { timeoutMs: plan.helmTimeoutS * 1000 + HELM_GRACE_MS, allowFailure: true, idempotent: false, quiet: true });
    if (result.code !== 0) {
      throw new ExternalToolError('AddonRepairFailed', `helm ${argv[1]} ${plan.release} -n ${plan.namespace} failed on ${this.first.name} (exit ${result.code}); the release stays ${release.status}`, {
        details: lastLines(result.stdout, result.stderr, 10),
        hint: `Look at the release (sudo helm history ${plan.release} -n ${plan.namespace} --kubeconfig /etc/kubernetes/admin.conf on ${this.first.name}), then run k8s-bootstrap addons apply ${plan.name} again.`,
      });
    }
  }

  /**
   * The new chart version's CRDs, server-side, before its release is upgraded
   * (templates/scripts/apply-chart-crds.sh): Helm never upgrades a chart's crds/ folder.
   */
  private async applyChartCrds(plan: AddonPlan, ctx: StepContext): Promise<void> {
    ctx.output(`${plan.name}: applying the CRDs of ${plan.chart} ${plan.version} before the upgrade (helm show crds | kubectl apply --server-side)`, 'info');
    await this.ops.session(this.first).runScript(await loadNodeScript('apply-chart-crds'), {
      env: { CHART: plan.chart, REPO: plan.repo, VERSION: plan.version! },
      timeoutMs: plan.helmTimeoutS * 1000 + HELM_GRACE_MS,
      signal: ctx.signal,
      idempotent: true,
      onLine: (line, stream) => ctx.output(line, stream),
    });
  }

  private async upgradeInstall(plan: AddonPlan, ctx: StepContext): Promise<void> {
    ctx.output(`helm upgrade --install ${plan.release} (${plan.chart} ${plan.version}) -n ${plan.namespace}`, 'info');
    // The pods are watched while helm waits: a failed wait is rolled back (an upgrade) or
    // uninstalled (a first install) by helm itself, which takes the pods that were not Ready with it.
    const watching = new AbortController();
    const seen = this.watchPods(plan, ctx, AbortSignal.any([ctx.signal, watching.signal]));
    let result;
    try {
      // Not retried by the SSH layer on a dropped connection: the release would be left pending
      // and a blind retry refused. The step's next attempt judges (and repairs) it first.
      result = await this.sudo(helmUpgradeInstall(plan), ctx, {
        stdin: plan.valuesYaml,
        timeoutMs: plan.helmTimeoutS * 1000 + HELM_GRACE_MS,
        allowFailure: true,
        idempotent: false,
        // helm's own lines (NOTES) are not shown: a chart's NOTES may print what values hold.
        quiet: true,
        keepOutputTail: true,
      });
    } finally {
      watching.abort();
    }
    const whileWaiting = await seen;
    if (result.code === 0) {
      ctx.output(`${plan.name} ${plan.version} deployed (release ${plan.release} in ${plan.namespace})`, 'info');
      return;
    }
    throw await this.notReadyError(plan, `helm upgrade --install failed (exit ${result.code})`, helmError(result.stdout, result.stderr), ctx, whileWaiting);
  }

  /**
   * The add-on's pods that are not Ready, sampled while helm waits (a growing pause, from half a
   * second to five): the last non-empty sample. Reading errors are ignored: this only informs a failure.
   */
  private async watchPods(plan: AddonPlan, ctx: QuietCtx, signal: AbortSignal): Promise<PodSeen[]> {
    let last: PodSeen[] = [];
    const quiet = { signal, output: ctx.output };
    for (let poll = 0; !signal.aborted; poll++) {
      try {
        await sleep(Math.min(5_000, 500 * 2 ** poll), signal);
        const pods = await this.scanNotReady(plan, quiet);
        // Their events too: the rollback may take them with the pods.
        for (const pod of pods.slice(0, PODS_SHOWN)) pod.events = await this.podEvents(pod.namespace, pod.name, quiet);
        if (pods.length > 0) last = pods;
      } catch {
        // aborted (helm is done) or a read that failed: the samples so far stand.
      }
    }
    return last;
  }

  /** The AddonNotReady failure: helm's error line, the release's status, the pods that are not Ready and their last events. */
  private async notReadyError(plan: AddonPlan, what: string, helmError: string | undefined, ctx: QuietCtx, whileWaiting: PodSeen[] = []): Promise<ExternalToolError> {
    const details: string[] = [];
    if (helmError) details.push(`helm: ${helmError}`);
    const status = await this.sudo(helmStatus(plan.release, plan.namespace), ctx, { allowFailure: true, quiet: true, maxOutputBytes: LARGE_OUTPUT_LIMIT_BYTES }).catch(() => undefined);
    const parsed = status?.code === 0 ? parseHelmStatus(status.stdout) : undefined;
    details.push(parsed ? `release ${plan.release}: ${parsed.status}${parsed.description ? ` (${parsed.description})` : ''}` : `release ${plan.release}: none (helm removed a failed first install)`);
    const now = await this.scanNotReady(plan, ctx).catch(() => []);
    // Helm's rollback may have removed them: then the ones seen while it waited.
    const pods = now.length > 0 ? now : whileWaiting;
    if (now.length === 0 && whileWaiting.length > 0) details.push('pods not Ready while helm waited (its rollback removed them since):');
    for (const pod of pods.slice(0, PODS_SHOWN)) {
      details.push(`${pod.name} on ${pod.node ?? '(not scheduled)'}: ${pod.reason}`);
      const events = await this.podEvents(pod.namespace, pod.name, ctx);
      for (const event of events.length > 0 ? events : pod.events ?? []) details.push(`  ${event}`);
    }
    if (pods.length > PODS_SHOWN) details.push(`…and ${pods.length - PODS_SHOWN} more pods not ready`);
    const names = pods.map((pod) => pod.name);
    return new ExternalToolError('AddonNotReady', `${plan.title} ${plan.version} is not ready: ${what}${names.length > 0 ? `; not ready: ${names.slice(0, PODS_SHOWN).join(', ')}${names.length > PODS_SHOWN ? ', …' : ''}` : ''}`, {
      details,
      hint: `Fix the cause (a pod no node takes needs a matching node, toleration or addons.${plan.name}.values change in cluster.yaml), then run k8s-bootstrap addons apply ${plan.name}. The release's history: sudo helm history ${plan.release} -n ${plan.namespace} --kubeconfig /etc/kubernetes/admin.conf on ${this.first.name}. The cluster and the other add-ons are left as they are.`,
    });
  }

  /** The add-on's pods that are not Ready (finished Jobs' pods aside), with their node and why. */
  private async scanNotReady(plan: AddonPlan, ctx: QuietCtx): Promise<PodSeen[]> {
    const found: PodSeen[] = [];
    for (const selector of plan.selectors) {
      const result = await this.sudo(cmd.podsWithLabel(selector.namespace, selector.labels), ctx, { allowFailure: true, quiet: true, maxOutputBytes: LARGE_OUTPUT_LIMIT_BYTES });
      if (result.code !== 0) continue;
      for (const pod of readNotReadyPods(withoutFinishedPods(result.stdout).json)) found.push({ namespace: selector.namespace, ...pod });
    }
    return found;
  }

  private async podEvents(namespace: string, pod: string, ctx: QuietCtx): Promise<string[]> {
    const result = await this.sudo(cmd.podEvents(namespace, pod), ctx, { allowFailure: true, quiet: true }).catch(() => undefined);
    return result?.code === 0 ? [...new Set(cmd.parseEvents(result.stdout))].slice(-EVENTS_PER_POD) : [];
  }

  /** After helm --wait: the pods once more (a Job's or a restarted reader's), for up to a minute. */
  private async waitHealthy(plan: AddonPlan, ctx: StepContext): Promise<void> {
    const deadline = Date.now() + HEALTH_WAIT_MS;
    for (let poll = 0; ; poll++) {
      const health = await this.health(plan, ctx);
      ctx.progress(health.ready ? 1 : 0, 1, health.ready ? `${plan.name} ready` : health.notReady[0]);
      if (health.ready) return;
      if (Date.now() >= deadline) throw await this.notReadyError(plan, `its pods are not Ready after ${HEALTH_WAIT_MS / 1000}s`, undefined, ctx);
      await sleep(Math.min(5_000, 250 * 2 ** Math.min(poll, 5)), ctx.signal);
    }
  }

  // ---- Secrets and manifests -------------------------------------------------------------------

  /** The namespace, before the Secrets that go into it (helm's --create-namespace comes later). */
  private async ensureNamespace(namespace: string, ctx: QuietCtx): Promise<void> {
    const result = await this.sudo(serverSideApply(), ctx, { stdin: namespaceManifest(namespace), allowFailure: true, quiet: true });
    if (result.code !== 0) {
      throw new ExternalToolError('AddonNamespaceFailed', `Creating namespace ${namespace} failed on ${this.first.name} (exit ${result.code})`, { details: lastLines(result.stdout, result.stderr, 5) });
    }
  }

  /**
   * One of the add-on's Secrets, from stdin, with its content sha (as SshNodeOps.applyCloudSecret):
   * unchanged or new → applied with the new mark; changed under a running release → applied with
   * the old mark, its readers restarted (they read it at start only, and helm sees no change),
   * then the new mark, so a run stopped in between restarts them next time. True when it changed.
   */
  private async applySecret(secret: AddonSecret, released: boolean, ctx: StepContext): Promise<boolean> {
    const what = `Secret ${secret.namespace}/${secret.name}`;
    const before = await this.secretState(secret, ctx);
    if (!before.exists || before.sha256 === secret.sha256 || !released) {
      await this.applyStdin(secret.rendered, what, ctx);
      return before.exists && before.sha256 !== secret.sha256;
    }
    await this.applyStdin(addonSecretWithSha(secret, before.sha256), what, ctx);
    for (const reader of secret.readers) await this.restart(reader, what, ctx);
    await this.applyStdin(secret.rendered, what, ctx);
    return true;
  }

  private async restart(reader: Workload, what: string, ctx: StepContext): Promise<void> {
    const exists = await this.sudo(workloadExists(reader), ctx, { allowFailure: true, quiet: true });
    if (exists.code !== 0 || exists.stdout.trim() === '') return;
    ctx.output(`${what} changed: restart ${reader.namespace}/${reader.kind}/${reader.name}, which reads it only at start`, 'info');
    const result = await this.sudo(rolloutRestart(reader), ctx, { allowFailure: true, quiet: true, timeoutMs: SHORT });
    if (result.code !== 0) {
      throw new ExternalToolError('AddonRestartFailed', `kubectl rollout restart ${reader.kind}/${reader.name} -n ${reader.namespace} failed (exit ${result.code})`, { details: lastLines(result.stdout, result.stderr, 5) });
    }
  }

  private async applyStdin(manifest: string, what: string, ctx: QuietCtx): Promise<void> {
    const result = await this.sudo(serverSideApply(), ctx, { stdin: manifest, allowFailure: true, quiet: true });
    if (result.code !== 0) {
      // kubectl may quote the object it refused: only its last lines, never the manifest.
      throw new ExternalToolError('AddonSecretApplyFailed', `Applying ${what} failed on ${this.first.name} (exit ${result.code})`, { details: lastLines('', result.stderr, 5) });
    }
  }

  /**
   * An after-manifest (ClusterIssuers, the Middleware, Ingresses) by server-side apply from
   * stdin. cert-manager's webhook may refuse for a few seconds after helm --wait returned
   * ("failed calling webhook"): a few attempts with a growing pause.
   */
  private async applyManifest(plan: AddonPlan, after: AddonPlan['after'][number], ctx: StepContext): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const result = await this.sudo(serverSideApply(), ctx, { stdin: after.manifest, allowFailure: true, quiet: true });
      if (result.code === 0) {
        const changed = result.stdout.split('\n').filter((line) => line.trim() !== '' && !/\bunchanged\b/.test(line));
        if (changed.length > 0) ctx.output(`${plan.name}: ${after.description} applied`, 'info');
        return;
      }
      if (attempt >= MANIFEST_ATTEMPTS) {
        throw new ExternalToolError('AddonManifestFailed', `${plan.title}: applying ${after.description} failed on ${this.first.name} (exit ${result.code})`, {
          details: lastLines(result.stdout, result.stderr, 5),
          hint: `Look at ${plan.title}'s pods (kubectl -n ${plan.namespace} get pods), then run k8s-bootstrap addons apply ${plan.name} again.`,
        });
      }
      await sleep(Math.min(10_000, 1_000 * 2 ** Math.min(attempt - 1, 4)), ctx.signal);
    }
  }
}

/** kubectl server-side apply from stdin, k8s-bootstrap's field manager (as SshNodeOps.applyFromStdin). */
const serverSideApply = (): string[] => cmd.kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=k8s-bootstrap', '-f', '-']);

/** The changes as `addons diff` words them (paths only, never values). */
export function describeChanges(changes: readonly AddonChange[], context: { minor?: string } = {}): string[] {
  return changes.map((change) => (change.kind === 'no-pin' && context.minor ? `no version for Kubernetes ${context.minor} in this release yet${change.installed ? `: stays at ${change.installed}` : ''}` : describeChange(change)));
}

/** Helm's own error ("Error: …", helm pkg/cmd: every failure is printed so): from stderr, else stdout's last line. */
function helmError(stdout: string, stderr: string): string | undefined {
  return helmErrorLine(stderr) ?? helmErrorLine(stdout);
}

function lastLines(stdout: string, stderr: string, count: number): string[] {
  return `${stdout}\n${stderr}`.split('\n').map((line) => line.trimEnd()).filter(Boolean).slice(-count);
}

/** `kubectl get pods -o json` without the pods of finished Jobs (phase Succeeded: never Ready, and rightly so). */
function withoutFinishedPods(text: string): { json: string; count: number } {
  try {
    const list = JSON.parse(text.trim() || '{"items":[]}') as { items?: Array<{ status?: { phase?: string } }> };
    const items = (list.items ?? []).filter((pod) => pod.status?.phase !== 'Succeeded');
    return { json: JSON.stringify({ items }), count: items.length };
  } catch {
    return { json: '{"items":[]}', count: 0 };
  }
}
