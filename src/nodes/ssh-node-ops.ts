/**
 * NodeOps over SSH: each method is one of the official procedures, with the commands of the
 * kube layer. "Already done?" is judged by the cluster (the objects a finished kubeadm init
 * leaves, a control plane's label and static pods, the CNI's own objects), never by a file on a
 * node, and a node is only ever reset when its kubeadm state belongs to this cluster or to none.
 * Join material lives in secrets/, and every secret is registered for redaction before it can
 * appear in any output.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { StepContext } from '../engine/step.js';
import { sleep } from '../engine/backoff.js';
import { ExternalToolError, PreflightError } from '../errors.js';
import type { ClusterSpec } from '../config/schema.js';
import type { ClusterDir } from '../state/cluster-dir.js';
import { writeFileAtomic } from '../state/atomic.js';
import type { SshPool } from '../tools/ssh/pool.js';
import { RemoteCommandError } from '../tools/ssh/errors.js';
import type { NodeScript, NodeSession } from '../tools/ssh/session.js';
import { LARGE_OUTPUT_LIMIT_BYTES } from '../tools/ssh/remote-output.js';
import { renderTemplate, templatePath } from '../tools/template.js';
import { criSocketFor, renderInitConfig, renderJoinConfig, INIT_CONFIG_PATH, JOIN_CONFIG_PATH, UPLOAD_CERTS_CONFIG_PATH } from '../kube/kubeadm-config.js';
import {
  caCertHash,
  certificateKeyIsFresh,
  generateBootstrapToken,
  generateCertificateKey,
  parseJoinCommand,
  tokenIsFresh,
} from '../kube/join-material.js';
import * as cmd from '../kube/node-commands.js';
import { cniInstallPlan, isExistingReleaseError, onlyAlreadyExists, readInstalled, type CniCommand, type InstalledCni } from '../kube/cni.js';
import { CLUSTER_MARKER_PATH, clusterMarker, KUBEADM_STATE_SCRIPT, ownershipOf, parseKubeadmState, type KubeadmNodeState } from '../kube/node-ownership.js';
import { DNS_CHECK_IMAGE } from '../kube/pins.js';
import {
  cloudIntegrationPlan,
  expectedDefaultClass,
  readNodeCloudState,
  readNotReadyPods,
  readStorageClasses,
  readRookDisk,
  rookDiskProbe,
  readWorkload,
  unsetDefaultClass,
  workloadReadyCommand,
  workloadSelector,
  readSecretContentSha,
  rolloutRestart,
  secretContentSha256,
  secretProbe,
  withContentSha,
  workloadExists,
  type Workload,
  type CloudStepKind,
  type CloudStepPlan,
  type SecretManifest,
} from '../kube/cloud-integration.js';

const workloadKey = (w: Workload): string => `${w.namespace}/${w.kind}/${w.name}`;
import { cloudIntegrationOn } from '../config/cloud-integration.js';
import { registerCloudCredentials, type CloudCredentials } from '../providers/cloud-credentials.js';
import { detectInterfaceCommand, generateVrrpPassword, needsStaticHa, parseInterface, renderStaticHa, staticHaPackages, staticHaStartCommands } from '../kube/static-ha.js';
import {
  clientCertificateOf,
  KUBECONFIG_RENEW_BEFORE_MS,
  readAdminKubeconfig,
  readUntrustedKubeconfig,
  rewriteAdminKubeconfig,
  serverUrl,
  type AdminConfOptions,
  type KubeconfigParts,
} from '../kube/kubeconfig.js';
import { API_SERVER_BIND_PORT } from '../kube/kubeadm-config.js';
import { loadJoinMaterial, saveJoinMaterial, type SavedJoinMaterial } from '../state/join-material.js';
import type { NodeOps, NodeStatus } from './node-ops.js';
import type { SecretSet } from '../engine/redact.js';
import { allNodes, firstControlPlane, type ClusterNode, type Topology } from './topology.js';
import { parseEndpoint } from '../kube/endpoint.js';
import { loadNodeScript } from '../kube/node-scripts.js';

const SHORT = 60_000;
const KUBEADM = 15 * 60_000;
const KUBEADM_POLL = 2_000;
const PREPARE = 20 * 60_000;
const RESET = 5 * 60_000;
const COREDNS_WAIT_S = 300;
const DNS_CHECK_MS = 180_000;
const DNS_CHECK_POD = 'k8sb-dns-check';
export const PREPARED_MARKER = '/etc/k8s-bootstrap/prepared';

/**
 * join-worker.sh's exit code for "this node holds kubeadm state or runs a kubeadm: not joined
 * here" (REQUIRE_CLEAN=1 only). Not 3: kubeadm exits 3 for a configuration that fails validation
 * (ValidationExitCode, cmd/kubeadm/app/util/error.go).
 */
const NOT_CLEAN_EXIT = 90;

const isNotClean = (error: unknown, requireClean: boolean) => requireClean && error instanceof RemoteCommandError && error.remoteExitCode === NOT_CLEAN_EXIT;

/** How old the state a join step's check read may be for its join to use it instead of asking again. */
const PROBED_FRESH_MS = 60_000;

/**
 * worker-join-state: the pids of running kubeadm processes (`pgrep -x kubeadm`, procps; none
 * without procps, as runningKubeadm/parsePids read it) as `kubeadm_pids=…`, then what
 * kubeadm-state.sh prints. Changes nothing.
 */
async function workerJoinStateScript(): Promise<NodeScript> {
  const state = await loadNodeScript(KUBEADM_STATE_SCRIPT);
  const pgrep = [
    '#!/usr/bin/env bash',
    '# worker-join-state: running kubeadm processes, then kubeadm-state.sh (below). Changes nothing.',
    'if command -v pgrep >/dev/null 2>&1; then echo "kubeadm_pids=$(pgrep -x kubeadm | tr \'\\n\' \' \' || true)"; fi',
    '',
  ].join('\n');
  return { name: 'worker-join-state', content: `${pgrep}${state.content}` };
}

/** The pids of the kubeadm_pids= line; none when the line is missing or holds anything but pids. */
export function parseKubeadmPids(output: string): number[] {
  const line = /^kubeadm_pids=(.*)$/m.exec(output)?.[1]?.trim() ?? '';
  const words = line.split(/\s+/).filter(Boolean);
  return words.length > 0 && words.every((word) => /^\d{1,10}$/.test(word)) ? words.map(Number) : [];
}

export function preparedMarker(version: string, runtime: string): string {
  return `version=${version} runtime=${runtime}`;
}

export interface SshNodeOpsOptions {
  spec: ClusterSpec;
  dir: ClusterDir;
  pool: SshPool;
  secrets: SecretSet;
  /** Public API endpoint written into the kubeconfig; defaults to the topology's endpoint. */
  publicEndpoint?: string;
  /**
   * The credentials the CCM and CSI driver get in the cluster (the provider's Terraform outputs,
   * providers/cloud-credentials.ts readCloudCredentials); asked for only by a step that applies
   * a credentials Secret, once per run. Unset: such a step fails naming what is missing.
   */
  cloudCredentials?: () => Promise<CloudCredentials>;
  now?: () => Date;
}

type QuietCtx = Pick<StepContext, 'signal' | 'output'>;

interface SudoOptions {
  timeoutMs?: number;
  idempotent?: boolean;
  allowFailure?: boolean;
  quiet?: boolean;
  secretOutput?: boolean;
  env?: Record<string, string>;
  /** Values shown as *** wherever the command line is displayed (it never carries them; belt and braces). */
  secrets?: string[];
  /** Output kept for the result; see ExecOptions.maxOutputBytes. */
  maxOutputBytes?: number;
  /** Keep the last bytes instead of failing on a flood; see ExecOptions.keepOutputTail. */
  keepOutputTail?: boolean;
  /** Sent on the command's stdin (Secrets for `kubectl apply -f -`: never in argv, never in a file). */
  stdin?: string;
}

export class SshNodeOps implements NodeOps {
  private readonly now: () => Date;
  private credentials?: Promise<CloudCredentials>;
  /** Serialises join-material refreshes: parallel workers must not each mint a token. */
  private materialQueue: Promise<unknown> = Promise.resolve();
  /** A worker's kubeadm state as its join step's check read it, for the join right after (isWorkerJoined). */
  private readonly probed = new Map<string, { state: KubeadmNodeState; at: number }>();

  /** The CRI socket of the cluster's runtime, for crictl on the nodes. */
  get criSocket(): string {
    return criSocketFor(this.options.spec.kubernetes.runtime);
  }

  constructor(private readonly options: SshNodeOpsOptions) {
    this.now = options.now ?? (() => new Date());
  }

  session(node: ClusterNode): NodeSession {
    return this.options.pool.session({ name: node.name, host: node.host, port: node.port, user: node.user });
  }

  async sudo(node: ClusterNode, argv: string[], ctx: QuietCtx, extra: SudoOptions = {}) {
    return this.session(node).exec(argv, {
      sudo: true,
      env: extra.env,
      timeoutMs: extra.timeoutMs ?? SHORT,
      signal: ctx.signal,
      idempotent: extra.idempotent ?? true,
      allowFailure: extra.allowFailure,
      secretOutput: extra.secretOutput,
      secrets: extra.secrets,
      maxOutputBytes: extra.maxOutputBytes,
      keepOutputTail: extra.keepOutputTail,
      stdin: extra.stdin,
      onLine: extra.quiet ? undefined : (line, stream) => ctx.output(line, stream),
    });
  }

  private async fileExists(node: ClusterNode, path: string, ctx: QuietCtx): Promise<boolean> {
    return (await this.sudo(node, cmd.fileExists(path), ctx, { allowFailure: true, quiet: true })).code === 0;
  }

  /**
   * SIGKILL ends the CLI, not the kubeadm it started: that one lives on until it ends or next
   * writes to the session that is gone, and goes on changing the node. A node is judged ("already
   * joined?") only once no kubeadm runs on it, or a second join would start beside the first.
   * Without procps (no pgrep) nothing can be told and the node is judged at once, as before.
   */
  private async awaitEarlierKubeadm(node: ClusterNode, ctx: QuietCtx): Promise<void> {
    await this.untilNoKubeadm(node, ctx, async () => {
      const probe = await this.sudo(node, cmd.runningKubeadm(), ctx, { allowFailure: true, quiet: true });
      return { pids: cmd.parsePids(probe.code, probe.stdout), read: () => undefined };
    });
  }

  /**
   * Runs `probe` until it finds no kubeadm running on the node (then returns what `read` makes of that last answer), for at
   * most KUBEADM; says once that an interrupted run's kubeadm is waited for.
   */
  private async untilNoKubeadm<T>(node: ClusterNode, ctx: QuietCtx, probe: () => Promise<{ pids: number[]; read: () => T }>): Promise<T> {
    const deadline = this.now().getTime() + KUBEADM;
    let told = false;
    for (;;) {
      const { pids, read } = await probe();
      if (pids.length === 0) return read();
      if (this.now().getTime() > deadline) {
        throw new ExternalToolError('KubeadmStillRunning', `kubeadm has been running on ${node.name} for more than ${KUBEADM / 60_000} minutes (pid ${pids.join(', ')}), started by an interrupted run`, {
          hint: `Look at it on ${node.name} ("ps -fp ${pids.join(',')}"); if it hangs, stop it ("sudo kill ${pids.join(' ')}") and run the command again.`,
        });
      }
      if (!told) ctx.output(`kubeadm from an interrupted run still runs on ${node.name} (pid ${pids.join(', ')}): waiting for it to end before judging the node`, 'info');
      told = true;
      await sleep(KUBEADM_POLL, ctx.signal);
    }
  }


  async reach(node: ClusterNode, ctx: Pick<StepContext, 'signal'>): Promise<void> {
    await this.options.pool.connect({ name: node.name, host: node.host, port: node.port, user: node.user }, ctx.signal);
  }

  // ---- preparation -------------------------------------------------------------------------

  async isPrepared(node: ClusterNode, version: string, runtime: string, ctx: StepContext): Promise<boolean> {
    const result = await this.sudo(node, ['cat', PREPARED_MARKER], ctx, { allowFailure: true, quiet: true });
    return result.code === 0 && result.stdout.trim() === preparedMarker(version, runtime);
  }

  /**
   * prepare() that first looks at the marker itself (SKIP_IF_PREPARED): one SSH command where
   * isPrepared() and prepare() take two. True when the node was prepared already.
   */
  async prepareUnlessPrepared(node: ClusterNode, version: string, runtime: string, ctx: StepContext): Promise<boolean> {
    const output = await this.runPrepareScript(node, version, runtime, ctx, { SKIP_IF_PREPARED: '1' });
    return output.split('\n').includes(`k8sb-prepare: already prepared (${preparedMarker(version, runtime)})`);
  }

  async prepare(node: ClusterNode, version: string, runtime: string, ctx: StepContext, extraEnv: Record<string, string> = {}): Promise<void> {
    await this.runPrepareScript(node, version, runtime, ctx, extraEnv);
  }

  /** Runs prepare-node.sh; returns what it printed on stdout. */
  private async runPrepareScript(node: ClusterNode, version: string, runtime: string, ctx: StepContext, extraEnv: Record<string, string>): Promise<string> {
    const minor = version.split('.').slice(0, 2).join('.');
    // The prepare script is the same file Packer runs: inputs come as environment, not template variables.
    // One SSH command (the script on stdin), not three: see NodeSession.runScriptInline.
    const result = await this.session(node).runScriptInline(await loadNodeScript('prepare-node'), {
      env: { K8S_VERSION: version, K8S_MINOR: minor, RUNTIME: runtime, PULL_IMAGES: '0', ...extraEnv },
      timeoutMs: PREPARE,
      signal: ctx.signal,
      idempotent: true,
      onLine: (line, stream) => ctx.output(line, stream),
    });
    return result.stdout;
  }

  // ---- static HA ---------------------------------------------------------------------------

  needsHaLoadBalancer(topology: Topology): boolean {
    return needsStaticHa(this.options.spec.provider, topology.controlPlanes.length);
  }

  async setupHaLoadBalancer(node: ClusterNode, topology: Topology, ctx: StepContext): Promise<void> {
    const provider = this.options.spec.provider;
    if (provider.name !== 'static' || !provider.virtualIp) return;
    // One VRRP password for the whole cluster, kept with the other secrets so re-runs agree.
    let authPass = (await this.options.dir.readSecret('vrrp_pass'))?.trim();
    if (!authPass) {
      authPass = generateVrrpPassword();
      await this.options.dir.writeSecret('vrrp_pass', authPass);
    }
    this.options.secrets.add(authPass);
    const iface = parseInterface((await this.sudo(node, detectInterfaceCommand(node.privateIp), ctx, { quiet: true })).stdout);
    const files = renderStaticHa({
      clusterName: this.options.spec.name,
      vip: provider.virtualIp,
      controlPlanes: topology.controlPlanes.map((cp) => ({ name: cp.name, privateIp: cp.privateIp })),
      self: node.name,
      interface: iface,
      authPass,
    });
    await this.sudo(node, staticHaPackages(), ctx, { timeoutMs: PREPARE });
    for (const file of files) await this.session(node).installFile(file.content, file.path, file.mode, { sudo: true, signal: ctx.signal });
    for (const argv of staticHaStartCommands()) await this.sudo(node, argv, ctx);
  }

  // ---- whose kubeadm state a node holds ----------------------------------------------------

  async kubeadmState(node: ClusterNode, ctx: QuietCtx): Promise<KubeadmNodeState> {
    const result = await this.session(node).runScript(await loadNodeScript(KUBEADM_STATE_SCRIPT), { timeoutMs: SHORT, signal: ctx.signal, idempotent: true });
    return parseKubeadmState(result.stdout);
  }

  /**
   * Makes the node ready for a kubeadm run: a node with no kubeadm state is left as it is; one
   * holding this cluster's (a failed or interrupted init or join) is reset; one holding another
   * cluster's is refused, untouched.
   */
  private async clearOwnLeftovers(node: ClusterNode, topology: Topology, material: SavedJoinMaterial, what: string, ctx: StepContext, known?: KubeadmNodeState): Promise<void> {
    const state = known ?? (await this.kubeadmState(node, ctx));
    const owner = ownershipOf(state, { caCertHash: material.caCertHash, uid: material.clusterUid });
    if (owner === 'foreign') {
      throw new PreflightError('NodeInAnotherCluster', `${node.name} (${node.host}) already holds the kubeadm state of another Kubernetes cluster: k8s-bootstrap does not reset machines it did not set up`, {
        details: [`its /etc/kubernetes/pki/ca.crt: ${state.caCertHash ?? 'none'}; this cluster's CA: ${material.caCertHash ?? 'not created yet'}`],
        hint: `If that cluster is gone, run "sudo kubeadm reset -f" and "sudo rm -rf /etc/cni/net.d" on ${node.name} yourself, then run the command again; otherwise use another machine.`,
      });
    }
    if (owner === 'ours') {
      ctx.output(`${node.name} holds a ${what} of this cluster that did not finish: kubeadm reset -f, then ${what} again`, 'info');
      await this.resetNode(node, topology, ctx);
    }
  }

  private async writeClusterMarker(node: ClusterNode, material: SavedJoinMaterial, ctx: QuietCtx): Promise<void> {
    if (!material.clusterUid) return;
    await this.session(node).installFile(clusterMarker(material.clusterUid, this.options.spec.name), CLUSTER_MARKER_PATH, 0o644, { sudo: true, signal: ctx.signal });
  }

  /** kubeadm reset -f with the runtime's socket, /etc/cni/net.d and our markers cleaned (reset-node.sh). */
  async resetNode(node: ClusterNode, topology: Topology, ctx: QuietCtx): Promise<void> {
    const staticHa = node.role === 'control-plane' && this.needsHaLoadBalancer(topology);
    await this.session(node).runScript(await loadNodeScript('reset-node'), {
      env: { CRI_SOCKET: criSocketFor(this.options.spec.kubernetes.runtime), STATIC_HA: staticHa ? '1' : '0' },
      timeoutMs: RESET,
      signal: ctx.signal,
      idempotent: true,
      onLine: (line, stream) => ctx.output(line, stream),
    });
  }

  // ---- first control plane -----------------------------------------------------------------

  /**
   * Finished = the API answers with what kubeadm's last phases create: the kubeadm-config
   * ConfigMap (upload-config), CoreDNS and kube-proxy (addon) and kube-public/cluster-info
   * (bootstrap-token). admin.conf alone proves nothing: kubeadm writes it in its third phase.
   */
  async isInitialised(node: ClusterNode, ctx: StepContext): Promise<boolean> {
    await this.awaitEarlierKubeadm(node, ctx);
    if (!(await this.fileExists(node, cmd.ADMIN_KUBECONFIG, ctx))) return false;
    for (const argv of [cmd.initObjects(), cmd.clusterInfo()]) {
      if ((await this.sudo(node, argv, ctx, { allowFailure: true, quiet: true })).code !== 0) return false;
    }
    await this.recordCaHash(node, ctx);
    return true;
  }

  /** The CA hash is recorded whenever the CA exists, also after a failed or interrupted init. */
  private async recordCaHash(node: ClusterNode, ctx: QuietCtx): Promise<void> {
    const material = await loadJoinMaterial(this.options.dir);
    if (!material) return;
    const ca = await this.sudo(node, ['cat', cmd.CA_CERT_PATH], ctx, { allowFailure: true, quiet: true });
    if (ca.code !== 0 || !ca.stdout.includes('BEGIN CERTIFICATE')) return;
    const hash = caCertHash(ca.stdout);
    if (material.caCertHash === hash) return;
    await saveJoinMaterial(this.options.dir, { ...material, caCertHash: hash });
  }

  async initFirstControlPlane(node: ClusterNode, topology: Topology, version: string, ctx: StepContext): Promise<void> {
    const { dir, secrets } = this.options;
    // Saved before kubeadm sees them: a run killed mid-init resumes with the same values.
    const saved = await loadJoinMaterial(dir);
    const material: SavedJoinMaterial = saved ?? { token: generateBootstrapToken(), certificateKey: generateCertificateKey() };
    material.clusterUid ??= randomUUID();
    secrets.add(material.token, material.certificateKey);
    await saveJoinMaterial(dir, material);
    await this.clearOwnLeftovers(node, topology, material, 'kubeadm init', ctx);
    await this.writeClusterMarker(node, material, ctx);

    const config = this.initConfig(node, topology, material, version);
    await this.session(node).installFile(config, INIT_CONFIG_PATH, 0o600, { sudo: true, signal: ctx.signal });
    const startedAt = this.now().toISOString();
    try {
      await this.sudo(node, cmd.kubeadmInit(INIT_CONFIG_PATH), ctx, { timeoutMs: KUBEADM, idempotent: false });
    } finally {
      // kubeadm makes the CA in its certs phase: later phases may fail, the CA is still the cluster's.
      await this.recordCaHash(node, ctx).catch(() => undefined);
      // A retry installs it again; a finished init needs it no more (it carries token and key).
      await this.removeKubeadmConfig(node, INIT_CONFIG_PATH, ctx).catch(() => undefined);
    }
    const current = (await loadJoinMaterial(dir)) ?? material;
    await saveJoinMaterial(dir, { ...current, tokenCreatedAt: startedAt, certificateKeyUploadedAt: startedAt });
  }

  // ---- CNI ---------------------------------------------------------------------------------

  async installedCni(first: ClusterNode, ctx: QuietCtx): Promise<InstalledCni> {
    const plan = cniInstallPlan(this.options.spec);
    const probe = await this.sudo(first, plan.probe, ctx, { allowFailure: true, quiet: true });
    // Calico's CRD missing ("doesn't have a resource type") means no Calico either.
    if (probe.code !== 0) return { present: false };
    return readInstalled(plan.cni, probe.stdout);
  }

  /**
   * Installs the pinned CNI, or moves an installed one to the pinned version (its own upgrade
   * procedure), judged by what the cluster runs. Nothing to do when it runs the pinned version.
   */
  async installCni(first: ClusterNode, ctx: StepContext): Promise<void> {
    const plan = cniInstallPlan(this.options.spec);
    const installed = await this.installedCni(first, ctx);
    if (installed.present && installed.version === plan.version) {
      ctx.output(`${plan.cni} ${plan.version} already runs in the cluster (pool ${plan.pool})`, 'info');
      return;
    }
    const session = this.session(first);
    for (const file of plan.files) await session.installFile(file.content, file.path, file.mode, { sudo: true, signal: ctx.signal });
    for (const script of plan.scripts) {
      await session.runScript(await loadNodeScript(script.name, script.vars), { timeoutMs: 10 * 60_000, signal: ctx.signal, idempotent: true, onLine: (l, s) => ctx.output(l, s) });
    }
    if (installed.present) ctx.output(`${plan.cni} ${installed.version ?? '(version not reported yet)'} runs in the cluster: moving it to ${plan.version}`, 'info');
    const commands = installed.present ? plan.upgrade : plan.install;
    for (const command of commands) {
      const done = await this.runCniCommand(first, command, ctx);
      // A Cilium release an earlier attempt created: upgrade it instead of installing again.
      if (!done && plan.cni === 'cilium' && !installed.present) {
        ctx.output('a Cilium release exists already (an earlier attempt): upgrading it instead', 'info');
        for (const upgrade of plan.upgrade) await this.runCniCommand(first, upgrade, ctx, { strict: true });
      }
    }
  }

  /** Runs one CNI command; false when it failed only because the Cilium release exists (caller decides). */
  private async runCniCommand(first: ClusterNode, command: CniCommand, ctx: StepContext, { strict = false } = {}): Promise<boolean> {
    ctx.output(command.description, 'info');
    // Not retried on a dropped connection by the SSH layer: `cilium install` is no idempotent
    // command. The step's retry asks the cluster what is installed first.
    const result = await this.sudo(first, command.argv, ctx, { timeoutMs: command.timeoutMs, env: command.env, allowFailure: true, idempotent: false });
    if (result.code === 0) return true;
    if (command.tolerateExisting && onlyAlreadyExists(result.stderr)) return true;
    if (!strict && isExistingReleaseError(`${result.stdout}\n${result.stderr}`)) return false;
    throw new ExternalToolError('CniInstallFailed', `${command.description} failed on ${first.name} (exit ${result.code})`, {
      details: `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-20),
    });
  }

  // ---- cloud integration and storage -----------------------------------------------------

  /** The credentials, read once per run and registered for redaction before any use. */
  private cloudCredentials(): Promise<CloudCredentials> {
    const source = this.options.cloudCredentials;
    if (!source) {
      return Promise.reject(
        new ExternalToolError('CloudCredentialsUnavailable', `The ${this.options.spec.provider.name} cloud integration needs the credentials the Terraform module creates, and this run has none`, {
          hint: 'Run init again (it reads them from the Terraform outputs), or set cloudIntegration.ccm and cloudIntegration.csi to false in cluster.yaml.',
        }),
      );
    }
    this.credentials ??= source().then((credentials) => {
      registerCloudCredentials(this.options.secrets, credentials);
      return credentials;
    });
    this.credentials.catch(() => {
      this.credentials = undefined;
    });
    return this.credentials;
  }

  /**
   * A manifest applied from stdin: for Secrets, which never go to argv or a node's disk. Server-side
   * apply, because a client-side `kubectl apply` stores the whole object, values included, in the
   * kubectl.kubernetes.io/last-applied-configuration annotation that `kubectl describe` and
   * `get -o yaml` show (kubernetes/kubernetes#23564).
   */
  private async applyFromStdin(first: ClusterNode, manifest: string, what: string, values: string[], ctx: QuietCtx): Promise<void> {
    const argv = cmd.kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=k8s-bootstrap', '-f', '-']);
    const result = await this.sudo(first, argv, ctx, { stdin: manifest, secrets: values, allowFailure: true, quiet: true });
    if (result.code !== 0) {
      throw new ExternalToolError('CloudSecretApplyFailed', `Applying ${what} failed on ${first.name} (exit ${result.code})`, {
        details: `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-10),
      });
    }
    ctx.output(`${what} applied`, 'info');
  }

  /**
   * A credentials Secret, every run, and a restart of its readers when its content changed: the
   * CCMs and CSI drivers read it only at start, and a step whose version runs does nothing else.
   * Changed = the sha256 of what we render differs from the one recorded on the Secret
   * (CONTENT_SHA_ANNOTATION; only the annotation is read, the values are never looked at and the
   * read's output is kept secret). The new content goes on with the old mark, the readers that
   * exist restart, then the new mark: a run stopped in between restarts them next time. A Secret
   * that did not exist restarts nothing (its readers start with it); one without a mark (applied by
   * an older version) counts as changed. Returns the workloads restarted.
   */
  private async applyCloudSecret(first: ClusterNode, secret: SecretManifest, rendered: string, values: string[], ctx: StepContext): Promise<Workload[]> {
    const what = `Secret ${secret.namespace}/${secret.name}`;
    const sha = secretContentSha256(rendered);
    const probe = await this.sudo(first, secretProbe(secret), ctx, { allowFailure: true, quiet: true, secretOutput: true, secrets: values, maxOutputBytes: LARGE_OUTPUT_LIMIT_BYTES });
    const before = probe.code === 0 ? readSecretContentSha(probe.stdout) : { exists: false };
    if (!before.exists || before.sha256 === sha) {
      await this.applyFromStdin(first, withContentSha(rendered, sha), what, values, ctx);
      return [];
    }
    await this.applyFromStdin(first, withContentSha(rendered, before.sha256), what, values, ctx);
    const restarted: Workload[] = [];
    for (const reader of secret.readers ?? []) {
      const exists = await this.sudo(first, workloadExists(reader), ctx, { allowFailure: true, quiet: true });
      if (exists.code !== 0 || exists.stdout.trim() === '') continue;
      await this.runCloudCommand(first, { description: `${what} changed: restart ${reader.namespace}/${reader.kind}/${reader.name}, which reads it only at start`, argv: rolloutRestart(reader), timeoutMs: SHORT }, ctx);
      restarted.push(reader);
    }
    await this.applyFromStdin(first, withContentSha(rendered, sha), what, values, ctx);
    return restarted;
  }

  private cloudStep(kind: CloudStepKind, version: string): CloudStepPlan {
    const step = cloudIntegrationPlan(this.options.spec, version).find((candidate) => candidate.kind === kind);
    if (!step) throw new ExternalToolError('CloudStepNotPlanned', `cluster.yaml asks for no ${kind} step (cloudIntegration, storage, loadBalancer)`);
    return step;
  }

  /** Why the step has nothing to do, asked of the cluster; undefined when it must (re)apply. */
  private async cloudStepDone(first: ClusterNode, step: CloudStepPlan, ctx: QuietCtx): Promise<{ done?: string; present: boolean; otherDefaults: string[] }> {
    const probe = await this.sudo(first, step.probe.argv, ctx, { allowFailure: true, quiet: true, maxOutputBytes: LARGE_OUTPUT_LIMIT_BYTES });
    if ('workload' in step.probe) {
      const installed = probe.code === 0 ? readWorkload(step.probe.workload, probe.stdout) : { present: false };
      if (installed.present && installed.version === step.version) {
        // The live objects first (a worker added or removed changes the CephCluster), then health.
        let problem: string | undefined;
        for (const check of step.matches ?? []) {
          problem ??= await this.askCluster(first, check.argv, check.read, ctx);
        }
        const health = problem === undefined && step.health ? await this.healthState(first, step.health, false, ctx) : {};
        problem ??= health.problem;
        if (problem === undefined) {
          if (health.warning) ctx.output(`warning: ${step.component}: ${health.warning}`, 'info');
          return { done: `${step.component} ${step.version} already runs in the cluster${step.matches ? ' as cluster.yaml says' : ''}${step.health ? ' and is healthy' : ''}`, present: true, otherDefaults: [] };
        }
        ctx.output(`${step.component} ${step.version} runs, but ${problem}: applying it again`, 'info');
      }
      if (installed.present) ctx.output(`${step.component} ${installed.version ?? '(no version in its image)'} runs in the cluster: moving it to ${step.version}`, 'info');
      return { present: installed.present, otherDefaults: [] };
    }
    const classes = probe.code === 0 ? readStorageClasses(probe.stdout) : [];
    const { storageClass, provisioner, isDefault } = step.probe;
    const ours = classes.find((c) => c.name === storageClass);
    const otherDefaults = isDefault ? classes.filter((c) => c.isDefault && c.name !== storageClass).map((c) => c.name) : [];
    if (ours && ours.provisioner === provisioner && ours.isDefault === isDefault && otherDefaults.length === 0) {
      return { done: `StorageClass ${storageClass} exists${isDefault ? ' and is the only default' : ''}`, present: true, otherDefaults };
    }
    return { present: ours !== undefined, otherDefaults };
  }

  /**
   * One step of the cloud integration: its Secrets from stdin (every run: credentials may have
   * been rotated), then, unless the cluster already runs what is pinned, its manifests and
   * commands; then the commands it runs every time (the MetalLB pool).
   */
  async installCloudStep(first: ClusterNode, kind: CloudStepKind, ctx: StepContext, version: string = this.options.spec.kubernetes.version): Promise<void> {
    const step = this.cloudStep(kind, version);
    if (step.warning) ctx.output(`warning: ${step.component} ${step.version}: ${step.warning}`, 'info');
    const restarted: Workload[] = [];
    if (step.secrets.length > 0) {
      const credentials = await this.cloudCredentials();
      for (const secret of step.secrets) {
        const values = [credentials.exoscale?.apiKey, credentials.exoscale?.apiSecret, credentials.openstack?.applicationCredentialId, credentials.openstack?.applicationCredentialSecret].filter((v): v is string => Boolean(v));
        restarted.push(...(await this.applyCloudSecret(first, secret, secret.render(credentials), values, ctx)));
      }
    }
    const judged = await this.cloudStepDone(first, step, ctx);
    const session = this.session(first);
    if (judged.done) ctx.output(judged.done, 'info');
    if (!judged.done || step.always.length > 0) {
      for (const file of step.files) await session.installFile(file.content, file.path, file.mode, { sudo: true, signal: ctx.signal });
    }
    if (!judged.done) {
      for (const command of judged.present ? step.upgrade : step.install) await this.runCloudCommand(first, command, ctx);
      for (const name of judged.otherDefaults) {
        ctx.output(`StorageClass ${name} was marked default too: unmarking it (one default class only)`, 'info');
        await this.runCloudCommand(first, { description: `unmark StorageClass ${name} as default`, argv: unsetDefaultClass(name), timeoutMs: SHORT }, ctx);
      }
    }
    for (const workload of step.workloads ?? []) await this.waitCloudWorkload(first, step, workload, ctx);
    // Readers of a changed Secret outside this step (OpenStack: Cinder restarted by the CCM step).
    const own = new Set((step.workloads ?? []).map(workloadKey));
    for (const workload of restarted.filter((w) => !own.has(workloadKey(w)))) await this.waitCloudWorkload(first, step, workload, ctx);
    for (const command of step.always) await this.runCloudCommand(first, command, ctx);
    // The first install (nothing of it ran before) is stricter: Rook's HEALTH_OK only.
    if (!judged.done && step.health) await this.waitHealthy(first, step, step.health, !judged.present, ctx);
  }

  /** Runs a read-only kubectl query and reads it; a failed kubectl is the problem. */
  private async askCluster(first: ClusterNode, argv: string[], read: (stdout: string) => string | undefined, ctx: QuietCtx): Promise<string | undefined> {
    const result = await this.sudo(first, argv, ctx, { allowFailure: true, quiet: true, maxOutputBytes: LARGE_OUTPUT_LIMIT_BYTES });
    if (result.code !== 0) return `kubectl failed (exit ${result.code}): ${`${result.stderr}`.trim().split('\n')[0] ?? ''}`;
    return read(result.stdout);
  }

  private async healthState(first: ClusterNode, health: NonNullable<CloudStepPlan['health']>, firstInstall: boolean, ctx: QuietCtx): Promise<{ problem?: string; warning?: string }> {
    let state: { problem?: string; warning?: string } = {};
    const problem = await this.askCluster(first, health.argv, (stdout) => {
      state = health.read(stdout, firstInstall);
      return state.problem;
    }, ctx);
    return problem === undefined ? state : { problem };
  }

  /** Polls the step's health until it holds; names the last problem when it gives up. */
  private async waitHealthy(first: ClusterNode, step: CloudStepPlan, health: NonNullable<CloudStepPlan['health']>, firstInstall: boolean, ctx: StepContext): Promise<void> {
    const deadline = Date.now() + health.timeoutMs;
    for (let poll = 0; ; poll += 1) {
      const { problem, warning } = await this.healthState(first, health, firstInstall, ctx);
      ctx.progress(problem === undefined ? 1 : 0, 1, problem ?? `${step.component} healthy`);
      if (problem === undefined) {
        if (warning) ctx.output(`warning: ${step.component}: ${warning}`, 'info');
        ctx.output(`${step.component} ${step.version ?? ''} is healthy${warning ? ' enough (it serves)' : ''}`.replace(/\s+is/, ' is'), 'info');
        return;
      }
      if (Date.now() >= deadline) {
        throw new ExternalToolError('CloudComponentUnhealthy', `${step.component} is not healthy after ${Math.round(health.timeoutMs / 1000)}s: ${problem}`, { details: [problem], hint: health.hint });
      }
      await sleep(Math.min(5_000, 250 * 2 ** Math.min(poll, 5)), ctx.signal);
    }
  }

  /**
   * Rook-Ceph's disk on a worker: /dev/<device> exists and holds no filesystem and no partitions
   * (kube/cloud-integration.ts readRookDisk); a disk that already holds Ceph's OSD is fine.
   */
  async checkRookDisk(node: ClusterNode, device: string, ctx: StepContext): Promise<void> {
    const result = await this.sudo(node, rookDiskProbe(device), ctx, { allowFailure: true, quiet: true });
    const state = readRookDisk(device, result.code, result.stdout, result.stderr);
    if (!state.free) {
      throw new PreflightError('RookDiskNotFree', `${node.name}: ${state.problem}; Rook-Ceph needs it empty (storage.rookCeph.device: ${device})`, {
        hint: `Give ${node.name} an empty disk named ${device} (lsblk -f on the node lists its disks), or set storage.rookCeph.device to the free disk's name, or choose storage.defaultClass: local-path. Ceph erases the disk it takes.`,
      });
    }
    ctx.output(`${node.name}: /dev/${device} ${state.ceph ? "holds a Ceph OSD (this cluster's or an earlier one's: wipe it and /var/lib/rook if it is not this cluster's)" : 'is an empty disk'}`, 'info');
  }

  /**
   * Waits for one of the step's workloads (every run: an earlier run may have applied it and
   * stopped before it came up). Not ready in time: fails naming the workload, kubectl's words and
   * each pod that is not Ready with why (the scheduler's or kubelet's message, its last events).
   */
  private async waitCloudWorkload(first: ClusterNode, step: CloudStepPlan, workload: Workload, ctx: StepContext): Promise<void> {
    const command = workloadReadyCommand(workload);
    ctx.output(command.description, 'info');
    const result = await this.sudo(first, command.argv, ctx, { timeoutMs: command.timeoutMs, allowFailure: true, idempotent: true, quiet: true });
    if (result.code === 0) return;
    const name = `${workload.namespace}/${workload.kind}/${workload.name}`;
    const details = `${result.stdout}\n${result.stderr}`.trim().split('\n').filter(Boolean).slice(-3);
    const object = await this.sudo(first, cmd.kubectl(['-n', workload.namespace, 'get', workload.kind, workload.name, '-o', 'json', '--ignore-not-found']), ctx, { allowFailure: true, quiet: true, maxOutputBytes: LARGE_OUTPUT_LIMIT_BYTES });
    const selector = object.code === 0 ? workloadSelector(object.stdout) : undefined;
    const pods = selector ? await this.sudo(first, cmd.podsWithLabel(workload.namespace, selector), ctx, { allowFailure: true, quiet: true, maxOutputBytes: LARGE_OUTPUT_LIMIT_BYTES }) : undefined;
    const notReady = pods?.code === 0 ? readNotReadyPods(pods.stdout) : [];
    for (const pod of notReady.slice(0, 5)) {
      details.push(`${pod.name} on ${pod.node ?? '(not scheduled)'}: ${pod.reason}`);
      const events = await this.sudo(first, cmd.podEvents(workload.namespace, pod.name), ctx, { allowFailure: true, quiet: true });
      for (const event of events.code === 0 ? [...new Set(cmd.parseEvents(events.stdout))].slice(-2) : []) details.push(`  ${event}`);
    }
    if (notReady.length > 5) details.push(`…and ${notReady.length - 5} more pods not ready`);
    throw new ExternalToolError('CloudWorkloadNotReady', `${step.component}: ${name} is not ready on ${first.name}${notReady.length > 0 ? ` (${notReady.length} pod${notReady.length === 1 ? '' : 's'} not ready)` : ''}`, {
      details,
      hint: `Look at its pods (kubectl -n ${workload.namespace} get pods${selector ? ` -l ${selector}` : ''} -o wide) and their events: a pod no node takes needs a schedulable worker or a toleration; then run the command again.`,
    });
  }

  private async runCloudCommand(first: ClusterNode, command: CniCommand, ctx: StepContext): Promise<void> {
    ctx.output(command.description, 'info');
    const result = await this.sudo(first, command.argv, ctx, { timeoutMs: command.timeoutMs, env: command.env, allowFailure: true, idempotent: true });
    if (result.code === 0) return;
    throw new ExternalToolError('CloudIntegrationInstallFailed', `${command.description} failed on ${first.name} (exit ${result.code})`, {
      details: `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-20),
      hint: 'Look at the pods in kube-system (kubectl get pods -A -o wide) and their events, then run the command again.',
    });
  }

  /**
   * Waits until the CCM has initialised every named Node (providerID set, uninitialized taint
   * gone) and the expected default StorageClass exists; names what is missing when it gives up.
   */
  async verifyCloudIntegration(first: ClusterNode, names: string[], timeoutMs: number, ctx: StepContext): Promise<void> {
    const { spec } = this.options;
    const ccm = cloudIntegrationOn(spec).ccm;
    const expected = expectedDefaultClass(spec);
    const deadline = Date.now() + timeoutMs;
    for (let poll = 0; ; poll += 1) {
      const problems: string[] = [];
      if (ccm) {
        const nodes = readNodeCloudState((await this.sudo(first, cmd.getNodesJson(), ctx, { quiet: true, maxOutputBytes: LARGE_OUTPUT_LIMIT_BYTES })).stdout);
        for (const name of names) {
          const node = nodes.find((n) => n.name === name);
          if (!node) problems.push(`${name}: not registered`);
          else if (node.uninitialized || !node.providerId) problems.push(`${name}: not initialised by the cloud controller manager (${node.uninitialized ? 'uninitialized taint' : 'no providerID'})`);
        }
      }
      if (expected) {
        const classes = readStorageClasses((await this.sudo(first, cmd.kubectl(['get', 'storageclass', '-o', 'json']), ctx, { quiet: true })).stdout);
        const defaults = classes.filter((c) => c.isDefault).map((c) => c.name);
        if (defaults.length !== 1 || defaults[0] !== expected.name) problems.push(`default StorageClass: ${defaults.length === 0 ? 'none' : defaults.join(', ')}, expected ${expected.name}`);
      }
      ctx.progress(problems.length === 0 ? 1 : 0, 1, problems[0] ?? 'cloud integration ready');
      if (problems.length === 0) {
        ctx.output(`${ccm ? `every node initialised by the cloud controller manager; ` : ''}${expected ? `default StorageClass ${expected.name}` : 'no default StorageClass wanted'}`, 'info');
        return;
      }
      if (Date.now() >= deadline) {
        throw new ExternalToolError('CloudIntegrationNotReady', `The cloud integration is not ready after ${Math.round(timeoutMs / 1000)}s`, {
          details: problems,
          hint: 'Look at the cloud controller manager\'s logs (kubectl -n kube-system logs -l k8s-app or app=<its name>) and its credentials Secret, then run the command again.',
        });
      }
      await sleep(Math.min(5_000, 250 * 2 ** Math.min(poll, 5)), ctx.signal);
    }
  }

  // ---- joins -------------------------------------------------------------------------------

  /**
   * A worker is joined when its kubelet.conf exists and its Node is registered. A control plane
   * only when its Node also carries the control-plane label (kubeadm's last join phase) and its
   * etcd and kube-apiserver static pods run: kubelet-start registers the Node before etcd joins.
   */
  async isJoined(node: ClusterNode, topology: Topology, ctx: StepContext): Promise<boolean> {
    if (node.role !== 'control-plane') return this.isWorkerJoined(node, topology, ctx);
    await this.awaitEarlierKubeadm(node, ctx);
    if (!(await this.fileExists(node, cmd.KUBELET_KUBECONFIG, ctx))) return false;
    const first = firstControlPlane(topology);
    const status = (await this.getNodes(first, ctx)).find((entry) => entry.name === node.name);
    if (!status) return false;
    if (node.role !== 'control-plane') return true;
    if (!status.roles.includes('control-plane')) return false;
    const pods = cmd.parsePodsJson((await this.sudo(first, cmd.podsOnNode(node.name), ctx, { quiet: true })).stdout);
    return ['etcd', 'kube-apiserver'].every((component) => pods.some((pod) => pod.name === `${component}-${node.name}` && pod.phase === 'Running'));
  }

  /**
   * A worker's "joined?" in one SSH command on it (worker-join-state: pgrep kubeadm and what
   * kubeadm-state.sh prints), where it took two (pgrep, test -e kubelet.conf) and the join then
   * a third (kubeadm-state.sh): the same judgement. While a kubeadm of an interrupted run still
   * runs there it waits, asking again every KUBEADM_POLL, as awaitEarlierKubeadm does. The state it
   * read is kept for the join that follows (the engine runs a step's check right before each
   * attempt, and nothing else of ours touches the node in between), so the join does not ask again.
   */
  private async isWorkerJoined(node: ClusterNode, topology: Topology, ctx: StepContext): Promise<boolean> {
    const state = await this.workerJoinState(node, ctx);
    this.probed.set(node.name, { state, at: Date.now() });
    if (!state.kubeletConf) return false;
    const first = firstControlPlane(topology);
    return (await this.getNodes(first, ctx)).some((entry) => entry.name === node.name);
  }

  private async workerJoinState(node: ClusterNode, ctx: QuietCtx): Promise<KubeadmNodeState> {
    const script = await workerJoinStateScript();
    return this.untilNoKubeadm(node, ctx, async () => {
      const result = await this.session(node).runScriptInline(script, { timeoutMs: SHORT, signal: ctx.signal, idempotent: true });
      const pids = parseKubeadmPids(result.stdout);
      return { pids, read: () => parseKubeadmState(result.stdout) };
    });
  }


  /** The state the check just read (at most PROBED_FRESH_MS old), once. */
  private takeProbed(node: ClusterNode): KubeadmNodeState | undefined {
    const probed = this.probed.get(node.name);
    this.probed.delete(node.name);
    return probed && Date.now() - probed.at <= PROBED_FRESH_MS ? probed.state : undefined;
  }

  /**
   * A worker's join in one SSH command (join-worker.sh with the JoinConfiguration on stdin: the
   * marker, the 0600 configuration, kubeadm join, the configuration removed), where it took nine
   * (marker and configuration by SFTP + install + rm each, kubeadm join, rm). A join that failed or
   * dropped gets the configuration removed again from here, as before.
   */
  private async joinWorker(node: ClusterNode, topology: Topology, ctx: StepContext): Promise<void> {
    const material = await this.freshMaterial(topology, false, ctx);
    // A join that failed half-way (here or in an earlier run) left this cluster's state: reset it.
    await this.clearOwnLeftovers(node, topology, material, 'join', ctx, this.takeProbed(node));
    await this.runJoinWorker(node, topology, material, false, ctx);
  }

  /**
   * isJoined() and, when not, join() for a worker, in one SSH command on a clean machine (the
   * first join of a fresh worker): join-worker.sh with REQUIRE_CLEAN joins only a node without
   * kubeadm state or a running kubeadm. Anything else (exit 90, nothing changed) gets the full
   * judgement as before: joined already (true), a failed join of ours reset and joined again, or
   * another cluster's node refused.
   */
  async joinWorkerUnlessJoined(node: ClusterNode, topology: Topology, ctx: StepContext): Promise<boolean> {
    const material = await this.freshMaterial(topology, false, ctx);
    try {
      await this.runJoinWorker(node, topology, material, true, ctx);
      return false;
    } catch (error) {
      if (!isNotClean(error, true)) throw error;
    }
    if (await this.isWorkerJoined(node, topology, ctx)) return true;
    await this.joinWorker(node, topology, ctx);
    return false;
  }

  private async runJoinWorker(node: ClusterNode, topology: Topology, material: SavedJoinMaterial, requireClean: boolean, ctx: StepContext): Promise<void> {
    const config = renderJoinConfig({
      spec: this.options.spec,
      node: { name: node.name, privateIp: node.privateIp, providerId: node.providerId },
      apiEndpoint: topology.apiEndpoint,
      token: material.token,
      caCertHash: material.caCertHash!,
      controlPlane: undefined,
      untaintControlPlane: topology.workers.length === 0,
    });
    try {
      await this.session(node).runScriptInline(await loadNodeScript('join-worker'), {
        env: { CONFIG_PATH: JOIN_CONFIG_PATH, CLUSTER_UID: material.clusterUid ?? '', CLUSTER_NAME: this.options.spec.name, REQUIRE_CLEAN: requireClean ? '1' : '0' },
        payload: config,
        secrets: [material.token],
        timeoutMs: KUBEADM,
        signal: ctx.signal,
        idempotent: false,
        onLine: (line, stream) => ctx.output(line, stream),
      });
    } catch (error) {
      // Not clean: the script stopped before it wrote the configuration.
      if (!isNotClean(error, requireClean)) await this.removeKubeadmConfig(node, JOIN_CONFIG_PATH, ctx).catch(() => undefined);
      throw error;
    }
  }

  async join(node: ClusterNode, topology: Topology, controlPlane: boolean, ctx: StepContext): Promise<void> {
    if (!controlPlane) return this.joinWorker(node, topology, ctx);
    const material = await this.freshMaterial(topology, controlPlane, ctx);
    // A join that failed half-way (here or in an earlier run) left this cluster's state: reset it.
    await this.clearOwnLeftovers(node, topology, material, controlPlane ? 'control-plane join' : 'join', ctx);
    await this.writeClusterMarker(node, material, ctx);
    const config = renderJoinConfig({
      spec: this.options.spec,
      node: { name: node.name, privateIp: node.privateIp, providerId: node.providerId },
      apiEndpoint: topology.apiEndpoint,
      token: material.token,
      caCertHash: material.caCertHash!,
      controlPlane: controlPlane ? { certificateKey: material.certificateKey, advertiseAddress: node.privateIp } : undefined,
      untaintControlPlane: topology.workers.length === 0,
    });
    await this.session(node).installFile(config, JOIN_CONFIG_PATH, 0o600, { sudo: true, signal: ctx.signal });
    try {
      await this.sudo(node, cmd.kubeadmJoin(JOIN_CONFIG_PATH), ctx, { timeoutMs: KUBEADM, idempotent: false });
    } finally {
      await this.removeKubeadmConfig(node, JOIN_CONFIG_PATH, ctx).catch(() => undefined);
    }
  }

  /**
   * A saved token older than ~23 h is replaced (`kubeadm token create --print-join-command`);
   * for control-plane joins, certificates uploaded ~2 h ago or more are uploaded again.
   */
  async freshMaterial(topology: Topology, controlPlane: boolean, ctx: QuietCtx): Promise<SavedJoinMaterial> {
    const next = this.materialQueue.then(async () => {
      const { dir, secrets } = this.options;
      const first = firstControlPlane(topology);
      let material = await loadJoinMaterial(dir);
      if (!material?.caCertHash) {
        throw new ExternalToolError('JoinMaterialMissing', 'The join material of this cluster is missing from the cluster folder', {
          hint: 'Run init again: it finishes the first control plane and records the CA hash.',
        });
      }
      secrets.add(material.token, material.certificateKey);
      if (!tokenIsFresh(material, this.now())) {
        ctx.output('the saved bootstrap token is older than 23h or missing: creating a new one', 'info');
        const result = await this.sudo(first, cmd.tokenCreatePrintJoin(), ctx, { quiet: true, secretOutput: true });
        const parsed = parseJoinCommand(result.stdout);
        secrets.add(parsed.token);
        material = { ...material, token: parsed.token, tokenCreatedAt: this.now().toISOString(), caCertHash: parsed.caCertHashes[0] };
        await saveJoinMaterial(dir, material);
      }
      if (controlPlane && !certificateKeyIsFresh(material, this.now())) {
        ctx.output('control-plane certificates were uploaded 2h ago or more: uploading them again', 'info');
        await this.uploadCerts(first, topology, material, ctx);
        material = { ...material, certificateKeyUploadedAt: this.now().toISOString() };
        await saveJoinMaterial(dir, material);
      }
      return material;
    });
    this.materialQueue = next.catch(() => undefined);
    return next;
  }

  /** The first control plane's kubeadm configuration (init, and the upload-certs phase later). */
  private initConfig(first: ClusterNode, topology: Topology, material: SavedJoinMaterial, version: string): string {
    const { spec } = this.options;
    return renderInitConfig({
      spec: { ...spec, kubernetes: { ...spec.kubernetes, version } },
      node: { name: first.name, privateIp: first.privateIp, providerId: first.providerId },
      apiEndpoint: topology.apiEndpoint,
      certSans: certSansOf(topology, this.options.publicEndpoint),
      token: material.token,
      certificateKey: material.certificateKey,
      untaintControlPlane: topology.workers.length === 0,
    });
  }

  /**
   * kubeadm init phase upload-certs with the key in a 0600 InitConfiguration, never in argv (ps,
   * /proc/<pid>/cmdline and sudo's log would show it); the file is removed once used.
   */
  private async uploadCerts(first: ClusterNode, topology: Topology, material: SavedJoinMaterial, ctx: QuietCtx): Promise<void> {
    const config = this.initConfig(first, topology, material, this.options.spec.kubernetes.version);
    await this.session(first).installFile(config, UPLOAD_CERTS_CONFIG_PATH, 0o600, { sudo: true, signal: ctx.signal });
    try {
      await this.sudo(first, cmd.uploadCerts(UPLOAD_CERTS_CONFIG_PATH), ctx, { quiet: true, secretOutput: true, secrets: [material.certificateKey, material.token] });
    } finally {
      await this.removeKubeadmConfig(first, UPLOAD_CERTS_CONFIG_PATH, ctx).catch(() => undefined);
    }
  }

  /** A kubeadm config holds the token and maybe the certificate key: gone from the node once used. */
  private async removeKubeadmConfig(node: ClusterNode, path: string, ctx: QuietCtx): Promise<void> {
    // Its own time limit, not the step's signal: an interrupted step must still take the secret away.
    const cleanup = { signal: AbortSignal.timeout(30_000), output: ctx.output };
    await this.sudo(node, ['rm', '-f', path], cleanup, { allowFailure: true, quiet: true, timeoutMs: 30_000 });
  }

  // ---- cluster queries ---------------------------------------------------------------------

  async getNodes(first: ClusterNode, ctx: QuietCtx): Promise<NodeStatus[]> {
    // Grows with the cluster (each Node lists its images): the large-read limit.
    const result = await this.sudo(first, cmd.getNodesJson(), ctx, { quiet: true, maxOutputBytes: LARGE_OUTPUT_LIMIT_BYTES });
    return cmd.parseNodesJson(result.stdout);
  }

  /**
   * Every named node Ready (at `version` when given) and, with the cloud's CCM, without the
   * uninitialized taint (a node the CCM has not set up takes no pods). Judged by the taint alone:
   * a node of a cluster built before the CCM came (its kubelet never ran with cloud-provider
   * external) has neither the taint nor a providerID, and must not hold an upgrade up.
   * verify:cloud at init checks the providerID too.
   */
  async waitReady(first: ClusterNode, topology: Topology, names: string[], version: string | undefined, timeoutMs: number, ctx: StepContext): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const ccm = cloudIntegrationOn(this.options.spec).ccm;
    for (let poll = 0; ; poll += 1) {
      const result = await this.sudo(first, cmd.getNodesJson(), ctx, { quiet: true, maxOutputBytes: LARGE_OUTPUT_LIMIT_BYTES });
      const nodes = cmd.parseNodesJson(result.stdout);
      const cloud = ccm ? readNodeCloudState(result.stdout) : [];
      const initialised = (name: string) => !ccm || cloud.some((n) => n.name === name && !n.uninitialized);
      const pending = names.filter((name) => !isReadyAt(nodes.find((n) => n.name === name), version) || !initialised(name));
      const readyButNotInitialised = pending.filter((name) => isReadyAt(nodes.find((n) => n.name === name), version));
      ctx.progress(
        names.length - pending.length,
        names.length,
        pending.length === 0 ? 'all Ready' : readyButNotInitialised.length === pending.length ? `waiting for the cloud controller manager to initialise ${pending.join(', ')}` : waitingText(pending, nodes, version),
      );
      if (pending.length === 0) return;
      if (Date.now() >= deadline) {
        if (readyButNotInitialised.length === pending.length) {
          throw new ExternalToolError('NodesNotInitialisedByCcm', `${pending.length} node${pending.length === 1 ? ' is' : 's are'} Ready but not initialised by the cloud controller manager after ${Math.round(timeoutMs / 1000)}s: ${pending.join(', ')}`, {
            details: pending.map((name) => `${name}: still has the node.cloudprovider.kubernetes.io/uninitialized taint`),
            hint: 'Look at the cloud controller manager (kubectl -n kube-system get pods -o wide; its logs name what the cloud API refused), then run the command again.',
          });
        }
        throw await this.notReadyError(pending, nodes, topology, version, timeoutMs, ctx);
      }
      await sleep(Math.min(5_000, 250 * 2 ** Math.min(poll, 5)), ctx.signal);
    }
  }

  private async notReadyError(pending: string[], nodes: NodeStatus[], topology: Topology, version: string | undefined, timeoutMs: number, ctx: QuietCtx) {
    const details: string[] = [];
    for (const name of pending) {
      details.push(`${name}: ${whyNotReady(nodes.find((n) => n.name === name), version)}`);
      const node = allNodes(topology).find((n) => n.name === name);
      if (!node) continue;
      const journal = await this.sudo(node, cmd.kubeletJournal(5), ctx, { allowFailure: true, quiet: true, timeoutMs: 20_000 }).catch(() => undefined);
      for (const line of journal?.stdout.split('\n').filter(Boolean).slice(-5) ?? []) details.push(`  ${name} kubelet: ${line}`);
    }
    return new ExternalToolError(
      'NodesNotReady',
      `${pending.length} node${pending.length === 1 ? ' is' : 's are'} not Ready after ${Math.round(timeoutMs / 1000)}s: ${pending.join(', ')}`,
      { details, hint: 'Look at the kubelet on those nodes (k8s-bootstrap ssh NODE -- sudo journalctl -u kubelet), then run the command again.' },
    );
  }

  /** etcd has one voting member per control plane, no learner and no stranger. */
  async verifyEtcdMembers(first: ClusterNode, topology: Topology, ctx: StepContext): Promise<void> {
    const members = cmd.parseEtcdMembers((await this.sudo(first, cmd.etcdMemberList(first.name), ctx, { quiet: true })).stdout);
    const wanted = topology.controlPlanes.map((cp) => cp.name).sort();
    const voting = members.filter((member) => !member.learner).map((member) => member.name).sort();
    if (JSON.stringify(voting) === JSON.stringify(wanted) && members.length === wanted.length) {
      ctx.output(`etcd: ${voting.length} member${voting.length === 1 ? '' : 's'} (${voting.join(', ')})`, 'info');
      return;
    }
    throw new ExternalToolError('EtcdMembersMismatch', `etcd has ${voting.length} voting member${voting.length === 1 ? '' : 's'} for ${wanted.length} control plane${wanted.length === 1 ? '' : 's'}`, {
      details: [
        `members: ${members.map((m) => `${m.name}${m.learner ? ' (learner)' : ''}`).join(', ') || 'none'}`,
        `control planes: ${wanted.join(', ')}`,
      ],
      hint: 'A control plane whose join stopped in its etcd phase is reset and joined again by the next run: run the same command again.',
    });
  }

  /**
   * Pod networking and cluster DNS: CoreDNS available, then a pod on a worker looks up
   * kubernetes.default (the Kubernetes "Debugging DNS Resolution" check). Names what is missing.
   */
  async verifyNetworking(first: ClusterNode, topology: Topology, ctx: StepContext): Promise<void> {
    const coredns = await this.sudo(first, cmd.waitAvailable('kube-system', 'coredns', COREDNS_WAIT_S), ctx, { allowFailure: true, quiet: true, timeoutMs: (COREDNS_WAIT_S + 30) * 1000 });
    if (coredns.code !== 0) throw await this.podsError('CoreDnsUnavailable', 'CoreDNS is not available', first, 'k8s-app=kube-dns', ctx);
    ctx.output('CoreDNS is available', 'info');
    const target = topology.workers[0] ?? first;
    const manifest = renderTemplate(await readFile(templatePath('kube', 'dns-check.yaml'), 'utf8'), { podName: DNS_CHECK_POD, nodeName: target.name, image: DNS_CHECK_IMAGE }, 'kube/dns-check.yaml');
    const path = `${INIT_CONFIG_PATH.replace(/[^/]+$/, '')}dns-check.yaml`;
    await this.session(first).installFile(manifest, path, 0o600, { sudo: true, signal: ctx.signal });
    await this.sudo(first, cmd.deletePod('kube-system', DNS_CHECK_POD), ctx, { quiet: true });
    await this.sudo(first, cmd.createManifest(path), ctx, { quiet: true });
    try {
      const deadline = Date.now() + DNS_CHECK_MS;
      for (let poll = 0; ; poll++) {
        const pod = JSON.parse((await this.sudo(first, cmd.getPodJson('kube-system', DNS_CHECK_POD), ctx, { quiet: true })).stdout) as { status?: { phase?: string; message?: string } };
        const phase = pod.status?.phase ?? 'Unknown';
        if (phase === 'Succeeded') {
          ctx.output(`a pod on ${target.name} resolved kubernetes.default through CoreDNS`, 'info');
          return;
        }
        if (phase === 'Failed' || Date.now() >= deadline) {
          const logs = await this.sudo(first, cmd.podLogs('kube-system', DNS_CHECK_POD), ctx, { allowFailure: true, quiet: true });
          const events = cmd.parseEvents((await this.sudo(first, cmd.podEvents('kube-system', DNS_CHECK_POD), ctx, { allowFailure: true, quiet: true })).stdout || '{"items":[]}');
          throw new ExternalToolError('PodNetworkBroken', phase === 'Failed' ? `A pod on ${target.name} could not resolve kubernetes.default through CoreDNS` : `A pod on ${target.name} did not start within ${DNS_CHECK_MS / 1000}s (${phase})`, {
            details: [...events.slice(-5), ...logs.stdout.split('\n').filter(Boolean).slice(-5), ...(pod.status?.message ? [pod.status.message] : [])],
            hint: `Pod networking on ${target.name} does not work: check the CNI pods (kubectl get pods -A -o wide) and that containerd finds the CNI plugins in /opt/cni/bin (k8s-bootstrap ssh ${target.name} -- sudo containerd config dump), then run the command again.`,
          });
        }
        await sleep(Math.min(3_000, 250 * 2 ** Math.min(poll, 4)), ctx.signal);
      }
    } finally {
      await this.sudo(first, cmd.deletePod('kube-system', DNS_CHECK_POD), ctx, { allowFailure: true, quiet: true }).catch(() => undefined);
    }
  }

  private async podsError(code: string, message: string, first: ClusterNode, selector: string, ctx: QuietCtx): Promise<ExternalToolError> {
    const details: string[] = [];
    const pods = await this.sudo(first, cmd.podsWithLabel('kube-system', selector), ctx, { allowFailure: true, quiet: true, maxOutputBytes: LARGE_OUTPUT_LIMIT_BYTES });
    for (const pod of pods.code === 0 ? cmd.parsePodsJson(pods.stdout) : []) {
      details.push(`${pod.name} on ${pod.node ?? '(not scheduled)'}: ${pod.phase}${pod.message ? `: ${pod.message}` : ''}`);
      const events = await this.sudo(first, cmd.podEvents('kube-system', pod.name), ctx, { allowFailure: true, quiet: true });
      for (const event of events.code === 0 ? cmd.parseEvents(events.stdout).slice(-2) : []) details.push(`  ${event}`);
    }
    return new ExternalToolError(code, message, {
      details,
      hint: 'Pods that are not on the host network cannot start: check the CNI pods (kubectl get pods -A -o wide) and the events above, then run the command again.',
    });
  }

  // ---- kubeconfig --------------------------------------------------------------------------

  /**
   * Why the operator's kubeconfig needs no refresh, or undefined: it passes the allow-list, points
   * at the endpoint, carries the CA and client certificate admin.conf has now (kubeadm upgrade
   * renews it), and that certificate has more than 30 days left. admin.conf is checked as for a
   * rebuild: a hostile one is refused here too, not skipped because the local file looks current.
   */
  async kubeconfigCurrent(first: ClusterNode, topology: Topology, ctx: QuietCtx): Promise<string | undefined> {
    const file = this.options.dir.kubeconfigFile;
    let local: string;
    try {
      local = await readFile(file, 'utf8');
    } catch {
      return undefined;
    }
    const expected = await this.adminConfExpectations(first, topology);
    const theirs = readAdminKubeconfig(await this.readAdminConf(first, ctx), { node: first.name, ...expected });
    let mine: KubeconfigParts;
    try {
      mine = readUntrustedKubeconfig(local, { source: file, caCertHash: expected.caCertHash, fix: 'It is written again from admin.conf.' });
    } catch (error) {
      ctx.output(`${file} is not as k8s-bootstrap writes it, so it is rebuilt: ${(error as Error).message}`, 'info');
      return undefined;
    }
    const endpoint = this.options.publicEndpoint ?? topology.apiEndpoint;
    if (mine.server !== serverUrl(endpoint) || mine.caData !== theirs.caData || mine.certData !== theirs.certData || mine.keyData !== theirs.keyData) return undefined;
    const notAfter = clientCertificateOf(local)?.notAfter;
    if (!notAfter) return undefined;
    if (notAfter.getTime() - this.now().getTime() < KUBECONFIG_RENEW_BEFORE_MS) {
      ctx.output(`warning: the admin client certificate expires on ${notAfter.toISOString().slice(0, 10)}; renew it on ${first.name} (sudo kubeadm certs renew admin.conf), then run this command again`, 'info');
    }
    return `kubeconfig current (client certificate valid until ${notAfter.toISOString().slice(0, 10)})`;
  }

  /**
   * What admin.conf must hold: the server kubeadm writes there (controlPlaneEndpoint, which the
   * tool always sets to the topology's endpoint, else the first control plane's advertise address)
   * and, once recorded, this cluster's CA hash from secrets/join.json.
   */
  private async adminConfExpectations(first: ClusterNode, topology: Topology): Promise<Pick<AdminConfOptions, 'allowedServers' | 'caCertHash'>> {
    const material = await loadJoinMaterial(this.options.dir);
    const advertise = first.privateIp.includes(':') ? `[${first.privateIp}]` : first.privateIp;
    return { allowedServers: [topology.apiEndpoint, `${advertise}:${API_SERVER_BIND_PORT}`], caCertHash: material?.caCertHash };
  }

  private async readAdminConf(first: ClusterNode, ctx: QuietCtx): Promise<string> {
    const admin = await this.session(first).readFile(cmd.ADMIN_KUBECONFIG, { sudo: true, signal: ctx.signal });
    for (const match of admin.matchAll(/(?:client-key-data|client-certificate-data|token|password):\s*(\S+)/g)) this.options.secrets.add(match[1]);
    return admin;
  }

  /** Rebuilds the kubeconfig from admin.conf's allow-listed parts; a refused admin.conf writes nothing. */
  async writeKubeconfig(first: ClusterNode, topology: Topology, ctx: StepContext): Promise<void> {
    const expected = await this.adminConfExpectations(first, topology);
    const admin = await this.readAdminConf(first, ctx);
    const endpoint = this.options.publicEndpoint ?? topology.apiEndpoint;
    const rewritten = rewriteAdminKubeconfig(admin, { clusterName: this.options.spec.name, endpoint, node: first.name, ...expected });
    await writeFileAtomic(this.options.dir.kubeconfigFile, rewritten, 0o600);
    const { host, port } = parseEndpoint(endpoint);
    const expires = clientCertificateOf(rewritten)?.notAfter.toISOString().slice(0, 10);
    ctx.output(`kubeconfig written to ${this.options.dir.kubeconfigFile} (server https://${host}:${port}${expires ? `, client certificate valid until ${expires}` : ''})`, 'info');
  }
}

function isReadyAt(status: NodeStatus | undefined, version: string | undefined): boolean {
  if (!status?.ready) return false;
  return version === undefined || status.kubeletVersion.replace(/^v/, '') === version;
}

/** Every address clients may use for the API: the endpoints and each control plane's addresses. */
function certSansOf(topology: Topology, publicEndpoint?: string): string[] {
  const sans = topology.controlPlanes.flatMap((cp) => [cp.privateIp, cp.host]);
  if (publicEndpoint) sans.push(parseEndpoint(publicEndpoint).host);
  return [...new Set(sans.filter((s) => s.length > 0))];
}

/** Why a node is not done, as Verify's failure names it: the Ready condition's whole message. */
function whyNotReady(status: NodeStatus | undefined, version: string | undefined): string {
  if (!status) return 'not registered with the API server';
  if (!status.ready) return `NotReady${status.readyMessage ? `: ${status.readyMessage}` : ''}`;
  return `runs ${status.kubeletVersion}, expected v${version}`;
}

/**
 * Verify's progress while it waits: the pending nodes and why, in short ("NotReady, cni plugin
 * not initialized"), said once when they share the reason.
 */
function waitingText(pending: string[], nodes: NodeStatus[], version: string | undefined): string {
  const reasons = pending.map((name) => {
    const status = nodes.find((n) => n.name === name);
    if (!status) return 'not registered yet';
    if (!status.ready) return `NotReady${status.readyMessage ? `, ${shortReadyMessage(status.readyMessage)}` : ''}`;
    return whyNotReady(status, version);
  });
  if (reasons.every((reason) => reason === reasons[0])) return `waiting for ${pending.join(', ')}: ${reasons[0]}`;
  return `waiting for ${pending.map((name, i) => `${name} (${reasons[i]})`).join(', ')}`;
}

/**
 * The kubelet's NotReady message without its wrapping: "container runtime network not ready:
 * NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin
 * not initialized" → "cni plugin not initialized" (the innermost message, after its last "error: ").
 */
function shortReadyMessage(message: string): string {
  const at = message.lastIndexOf('message:');
  const inner = at >= 0 ? message.slice(at + 'message:'.length) : message;
  const afterError = inner.lastIndexOf('error: ');
  return (afterError >= 0 ? inner.slice(afterError + 'error: '.length) : inner).trim() || message.trim();
}
