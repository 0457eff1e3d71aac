/**
 * The node operations of an upgrade, each one command class of the official kubeadm procedure
 * (docs/kubernetes-facts.md §2), over the SSH operations of init. kubectl runs on a control plane with
 * the admin kubeconfig; for a control plane's own drain/uncordon another control plane is used
 * when there is one, so the node being restarted is never the one asked.
 */
import type { StepContext } from '../engine/step.js';
import { ExternalToolError } from '../errors.js';
import * as cmd from '../kube/node-commands.js';
import * as up from '../kube/upgrade-commands.js';
import { loadNodeScript } from '../kube/node-scripts.js';
import { compareKubeVersions, parseKubeVersion } from '../kube/versions.js';
import type { ClusterSpec } from '../config/schema.js';
import { RemoteCommandTimedOutError } from '../tools/ssh/errors.js';
import type { NodeStatus } from './node-ops.js';
import { PREPARED_MARKER, preparedMarker, type SshNodeOps } from './ssh-node-ops.js';
import { firstControlPlane, type ClusterNode, type Topology } from './topology.js';
import { minorOfText } from '../kube/versions.js';
import type { CloudStepKind } from '../kube/cloud-integration.js';
import type { DrainOps } from './drain-ops.js';

type QuietCtx = Pick<StepContext, 'signal' | 'output'>;

const APT_TIMEOUT = 10 * 60_000;
const KUBEADM_TIMEOUT = 15 * 60_000;
const SHORT = 60_000;
/** On top of kubectl's own --timeout: the SSH round trip and kubectl's exit. */
const DRAIN_GRACE_MS = 10_000;

/** Kubelets from 1.38 on have no fallback for runtimes without the RuntimeConfig RPC (containerd 1.x). */
export function needsContainerd2(version: string): boolean {
  const parsed = parseKubeVersion(version);
  return parsed !== undefined && (parsed.major > 1 || parsed.minor >= 38);
}

export interface UpgradeNodeOpsOptions {
  spec: ClusterSpec;
  topology: Topology;
  ops: SshNodeOps;
}

export class UpgradeNodeOps {
  constructor(private readonly options: UpgradeNodeOpsOptions) {}

  private get ops(): SshNodeOps {
    return this.options.ops;
  }

  /** kubectl on a control plane, for the safe-drain checks (nodes/drain-ops.ts). */
  get drainOps(): DrainOps {
    return this.options.ops;
  }

  get first(): ClusterNode {
    return firstControlPlane(this.options.topology);
  }

  /** A control plane to run kubectl on, other than `busy` when the cluster has another. */
  kubectlHost(busy?: ClusterNode): ClusterNode {
    return this.options.topology.controlPlanes.find((cp) => cp.name !== busy?.name) ?? this.first;
  }

  // ---- cluster-wide queries (preflight) ------------------------------------------------------

  getNodes(ctx: QuietCtx): Promise<NodeStatus[]> {
    return this.ops.getNodes(this.kubectlHost(), ctx);
  }

  async readyz(ctx: QuietCtx): Promise<string> {
    const result = await this.ops.sudo(this.kubectlHost(), cmd.readyzVerbose(), ctx, { quiet: true, allowFailure: true });
    return `${result.stdout}\n${result.stderr}`;
  }

  /** `kubeadm upgrade plan` on the first control plane: its output, and the cluster version it reads from kubeadm-config. */
  async plan(ctx: QuietCtx, options: { quiet?: boolean } = {}): Promise<{ output: string; clusterVersion?: string }> {
    const result = await this.ops.sudo(this.first, cmd.upgradePlan(), ctx, { timeoutMs: KUBEADM_TIMEOUT, quiet: options.quiet });
    return { output: result.stdout, clusterVersion: up.parseClusterVersion(`${result.stdout}\n${result.stderr}`) };
  }

  // ---- packages ------------------------------------------------------------------------------

  /** Points apt at the target minor's pkgs.k8s.io (and CRI-O) repository, then apt-get update. */
  async switchRepo(node: ClusterNode, version: string, ctx: StepContext): Promise<void> {
    await this.ops.session(node).runScript(await loadNodeScript(up.SWITCH_REPO_SCRIPT), {
      env: { K8S_MINOR: minorOfText(version), RUNTIME: this.options.spec.kubernetes.runtime },
      timeoutMs: APT_TIMEOUT,
      signal: ctx.signal,
      idempotent: true,
      onLine: (line, stream) => ctx.output(line, stream),
    });
  }

  async installedVersion(node: ClusterNode, pkg: up.KubePackage, ctx: QuietCtx): Promise<string | undefined> {
    const result = await this.ops.sudo(node, cmd.packageVersion(pkg), ctx, { allowFailure: true, quiet: true });
    return result.code === 0 ? result.stdout.trim().replace(/-.*$/, '') : undefined;
  }

  /** unhold → install pkg='V-*' → hold, skipped when already installed at V (the hold is always re-applied). */
  async installPinned(node: ClusterNode, packages: up.KubePackage[], version: string, ctx: StepContext): Promise<void> {
    const stale: up.KubePackage[] = [];
    for (const pkg of packages) if ((await this.installedVersion(node, pkg, ctx)) !== version) stale.push(pkg);
    if (stale.length > 0) {
      await this.ops.sudo(node, up.aptMarkUnhold(stale), ctx);
      await this.ops.sudo(node, up.aptInstallPinned(stale, version), ctx, { timeoutMs: APT_TIMEOUT, env: up.APT_ENV });
    } else {
      ctx.output(`${packages.join(', ')} ${version} already installed`, 'info');
    }
    await this.ops.sudo(node, up.aptMarkHold(packages), ctx);
  }

  /** Repository of the target minor, then the kubeadm package; checks `kubeadm version` says V. */
  async upgradeKubeadmPackage(node: ClusterNode, version: string, ctx: StepContext): Promise<void> {
    await this.switchRepo(node, version, ctx);
    await this.assertOffered(node, version, ctx);
    await this.installPinned(node, ['kubeadm'], version, ctx);
    const reported = cmd.parseKubeadmVersion((await this.ops.sudo(node, cmd.kubeadmVersion(), ctx, { quiet: true })).stdout);
    if (reported !== version) {
      throw new ExternalToolError('KubeadmVersionMismatch', `kubeadm on ${node.name} reports ${reported} after installing ${version}`, {
        hint: `Check the package repository on ${node.name} (/etc/apt/sources.list.d/kubernetes.list), then run upgrade again.`,
      });
    }
  }

  /** A clear error naming what the repository has, instead of apt's "Version … was not found". */
  private async assertOffered(node: ClusterNode, version: string, ctx: QuietCtx): Promise<void> {
    const result = await this.ops.sudo(node, up.aptCacheMadison('kubeadm'), ctx, { quiet: true, allowFailure: true });
    const offered = up.parseMadison(result.stdout);
    if (result.code === 0 && offered.length > 0 && !offered.includes(version)) {
      throw new ExternalToolError('VersionNotOffered', `The pkgs.k8s.io repository of ${minorOfText(version)} on ${node.name} does not offer kubeadm ${version}`, {
        details: [`offered: ${offered.join(', ')}`],
        hint: `Upgrade to one of the offered versions with --to (e.g. --to ${offered[0]}).`,
      });
    }
  }

  // ---- kubeadm -------------------------------------------------------------------------------

  async apply(version: string, ctx: StepContext): Promise<void> {
    await this.ops.sudo(this.first, cmd.upgradeApply(version), ctx, { timeoutMs: KUBEADM_TIMEOUT, idempotent: false });
  }

  /** The cluster already runs `version` or newer (kubeadm-config as `kubeadm upgrade plan` reads it). */
  async clusterAt(version: string, ctx: QuietCtx): Promise<string | undefined> {
    const { clusterVersion } = await this.plan(ctx, { quiet: true });
    const current = clusterVersion ? parseKubeVersion(clusterVersion) : undefined;
    const wanted = parseKubeVersion(version);
    if (current && wanted && compareKubeVersions(current, wanted) >= 0) return clusterVersion;
    return undefined;
  }

  async upgradeNode(node: ClusterNode, ctx: StepContext): Promise<void> {
    // Idempotent by design (docs/kubernetes-facts.md §2), so a dropped connection may run it again.
    await this.ops.sudo(node, cmd.upgradeNode(), ctx, { timeoutMs: KUBEADM_TIMEOUT, idempotent: true });
  }

  /**
   * Moves the CNI to the version pinned in kube/pins.ts when the cluster runs another one (its
   * own upgrade procedure: Calico server-side apply, `cilium upgrade`, Flannel apply); nothing
   * when it runs the pinned version. Judged by the cluster, as init's CNI step is.
   */
  async upgradeCni(ctx: StepContext): Promise<void> {
    await this.ops.installCni(this.first, ctx);
  }

  /**
   * Moves the cloud's CCM or CSI driver to the pins of `version`'s minor (kube/pins.ts), judged
   * by the image the cluster runs, as init's cloud steps are; the credentials Secret is applied
   * again on the way (SshNodeOps.installCloudStep).
   */
  async upgradeCloud(kind: CloudStepKind, version: string, ctx: StepContext): Promise<void> {
    await this.ops.installCloudStep(this.first, kind, ctx, version);
  }

  // ---- drain / kubelet / uncordon ------------------------------------------------------------

  /** `kubectl drain --ignore-daemonsets --timeout=…`; a drain that runs out of time fails naming the node. */
  async drain(node: ClusterNode, drainTimeoutMs: number, ctx: StepContext): Promise<void> {
    const seconds = Math.max(1, Math.ceil(drainTimeoutMs / 1000));
    const host = this.kubectlHost(node);
    const hint = `Find what blocks the drain (kubectl get pods -A -o wide --field-selector spec.nodeName=${node.name}: PodDisruptionBudgets, unmanaged pods), or raise --drain-timeout, then run upgrade again. ${node.name} stays cordoned.`;
    let result;
    try {
      result = await this.ops.sudo(host, cmd.drain(node.name, seconds), ctx, { timeoutMs: drainTimeoutMs + DRAIN_GRACE_MS, allowFailure: true, keepOutputTail: true });
    } catch (error) {
      if (error instanceof RemoteCommandTimedOutError) {
        throw new ExternalToolError('DrainTimedOut', `Draining ${node.name} did not finish within --drain-timeout (${seconds}s)`, { hint, cause: error });
      }
      throw error;
    }
    if (result.code !== 0) {
      throw new ExternalToolError('DrainFailed', `Draining ${node.name} failed (kubectl exit ${result.code})`, {
        details: `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-10),
        hint,
      });
    }
  }

  /** kubelet + kubectl at V (held), CRI-O of the new minor on CRI-O nodes, daemon-reload, restart kubelet. */
  async upgradeKubelet(node: ClusterNode, version: string, ctx: StepContext): Promise<void> {
    const runtime = this.options.spec.kubernetes.runtime;
    // The kubelet drops containerd 1.x in 1.38 (KEP-4033): the node moves to containerd 2.x first.
    if (runtime === 'containerd' && needsContainerd2(version)) await this.ops.prepare(node, version, runtime, ctx, { RUNTIME_ONLY: '1' });
    // The repository was switched by this node's kubeadm step, which always runs first.
    await this.installPinned(node, ['kubelet', 'kubectl'], version, ctx);
    if (runtime === 'cri-o') {
      await this.ops.sudo(node, up.aptInstallCrio(), ctx, { timeoutMs: APT_TIMEOUT, env: up.APT_ENV });
      await this.ops.sudo(node, up.systemctlRestart('crio'), ctx);
    }
    await this.ops.sudo(node, up.systemctlDaemonReload(), ctx);
    await this.ops.sudo(node, up.systemctlRestart('kubelet'), ctx, { timeoutMs: SHORT * 2 });
    // The marker init's "already prepared?" check reads: the node now carries this version.
    await this.ops.session(node).installFile(`${preparedMarker(version, runtime)}\n`, PREPARED_MARKER, 0o644, { sudo: true, signal: ctx.signal });
  }

  async waitReady(node: ClusterNode, version: string, timeoutMs: number, ctx: StepContext): Promise<void> {
    try {
      await this.ops.waitReady(this.kubectlHost(node), this.options.topology, [node.name], version, timeoutMs, ctx);
    } catch (error) {
      if (ctx.signal.aborted || !(error instanceof ExternalToolError)) throw error;
      throw new ExternalToolError('NodeNotReadyAfterUpgrade', `${node.name} is not Ready at v${version} after its upgrade: the rollout stops here and ${node.name} stays cordoned`, {
        details: [error.message, ...error.details],
        hint: `Look at the kubelet on ${node.name} (k8s-bootstrap ssh ${node.name} -- sudo journalctl -u kubelet). Once it is Ready, run upgrade again: it uncordons ${node.name} and continues.`,
        cause: error,
      });
    }
  }

  waitReadyAll(names: string[], version: string, timeoutMs: number, ctx: StepContext): Promise<void> {
    return this.ops.waitReady(this.kubectlHost(), this.options.topology, names, version, timeoutMs, ctx);
  }

  clusterNotAt(version: string): ExternalToolError {
    return new ExternalToolError('ClusterNotAtVersion', `kubeadm upgrade plan does not report the cluster at v${version} after the upgrade`, {
      hint: 'Run kubeadm upgrade plan on the first control plane to see what it reads from kubeadm-config, then run upgrade again.',
    });
  }

  async uncordon(node: ClusterNode, ctx: StepContext): Promise<void> {
    await this.ops.sudo(this.kubectlHost(node), cmd.uncordon(node.name), ctx);
  }
}
