/**
 * NodeOps over SSH: each method is one of the official procedures, run with the commands of
 * the kube layer. Join material lives in secrets/, and every secret is registered for redaction
 * before it can appear in any output.
 */
import type { StepContext } from '../engine/step.js';
import { ExternalToolError } from '../errors.js';
import type { ClusterSpec } from '../spec/schema.js';
import type { ClusterDir } from '../state/cluster-dir.js';
import { writeFileAtomic } from '../state/atomic.js';
import type { NodeSession, SshPool } from '../tools/ssh.js';
import { sleep } from '../engine/backoff.js';
import * as kube from './kube-adapter.js';
import {
  certsAreFresh,
  loadJoinMaterial,
  saveJoinMaterial,
  tokenIsFresh,
  type JoinMaterial,
} from './join-material.js';
import type { NodeOps, NodeStatus } from './node-ops.js';
import type { SecretRegistry } from './secrets-registry.js';
import { firstControlPlane, splitEndpoint, type ClusterNode, type Topology } from './topology.js';

const SHORT = 60_000;
const KUBEADM = 15 * 60_000;
const PREPARE = 20 * 60_000;

export interface SshNodeOpsOptions {
  spec: ClusterSpec;
  dir: ClusterDir;
  pool: SshPool;
  secrets: SecretRegistry;
  /** Public API endpoint written into the kubeconfig; defaults to the topology's endpoint. */
  publicEndpoint?: string;
  now?: () => number;
}

export class SshNodeOps implements NodeOps {
  private readonly now: () => number;
  /** Serialises join-material refreshes: parallel workers must not each mint a token. */
  private materialLock: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: SshNodeOpsOptions) {
    this.now = options.now ?? Date.now;
  }

  private session(node: ClusterNode): NodeSession {
    return this.options.pool.session({ name: node.name, host: node.host, port: node.port, user: node.user });
  }

  private lines(ctx: Pick<StepContext, 'output'>) {
    return (line: string, stream: 'stdout' | 'stderr' | 'info') => ctx.output(line, stream);
  }

  private async sudo(node: ClusterNode, argv: string[], ctx: Pick<StepContext, 'signal' | 'output'>, extra: { timeoutMs?: number; idempotent?: boolean; allowFailure?: boolean; quiet?: boolean; secretOutput?: boolean } = {}) {
    return this.session(node).exec(argv, {
      sudo: true,
      timeoutMs: extra.timeoutMs ?? SHORT,
      signal: ctx.signal,
      idempotent: extra.idempotent ?? true,
      allowFailure: extra.allowFailure,
      secretOutput: extra.secretOutput,
      onLine: extra.quiet ? undefined : this.lines(ctx),
    });
  }

  private async fileExists(node: ClusterNode, path: string, ctx: Pick<StepContext, 'signal' | 'output'>): Promise<boolean> {
    const result = await this.sudo(node, ['test', '-f', path], ctx, { allowFailure: true, quiet: true });
    return result.code === 0;
  }

  // ---- preparation -------------------------------------------------------------------------

  async isPrepared(node: ClusterNode, version: string, runtime: string, ctx: StepContext): Promise<boolean> {
    const result = await this.sudo(node, ['cat', kube.PREPARED_MARKER], ctx, { allowFailure: true, quiet: true });
    return result.code === 0 && result.stdout.trim() === kube.preparedMarker(version, runtime);
  }

  async prepare(node: ClusterNode, version: string, runtime: string, ctx: StepContext): Promise<void> {
    await this.session(node).runScript('prepare-node', kube.prepareScriptVars(version, runtime), {
      timeoutMs: PREPARE,
      signal: ctx.signal,
      idempotent: true,
      onLine: this.lines(ctx),
    });
  }

  // ---- static HA ---------------------------------------------------------------------------

  needsHaLoadBalancer(topology: Topology): boolean {
    return kube.needsStaticHa(this.options.spec, topology);
  }

  async setupHaLoadBalancer(node: ClusterNode, topology: Topology, ctx: StepContext): Promise<void> {
    const files = await kube.renderStaticHaFiles(this.options.spec, topology, node);
    const session = this.session(node);
    await this.sudo(node, ['apt-get', 'install', '-y', 'haproxy', 'keepalived'], ctx, { timeoutMs: PREPARE });
    for (const file of files) await session.installFile(file.content, file.path, file.mode, { sudo: true, signal: ctx.signal });
    await this.sudo(node, ['systemctl', 'enable', 'haproxy', 'keepalived'], ctx);
    await this.sudo(node, ['systemctl', 'restart', 'haproxy'], ctx);
    await this.sudo(node, ['systemctl', 'restart', 'keepalived'], ctx);
  }

  // ---- first control plane -----------------------------------------------------------------

  async isInitialised(node: ClusterNode, ctx: StepContext): Promise<boolean> {
    return this.fileExists(node, kube.ADMIN_CONF, ctx);
  }

  async initFirstControlPlane(node: ClusterNode, topology: Topology, version: string, ctx: StepContext): Promise<void> {
    // Saved before kubeadm sees them: a run killed mid-init resumes with the same values.
    const material = (await loadJoinMaterial(this.options.dir)) ?? {
      token: kube.generateToken(),
      tokenCreatedAt: this.now(),
      certificateKey: kube.generateCertificateKey(),
    };
    this.options.secrets.add(material.token, material.certificateKey);
    await saveJoinMaterial(this.options.dir, material);

    const config = kube.initConfig(this.options.spec, topology, node, version, material);
    await this.session(node).installFile(config, kube.INIT_CONFIG_PATH, 0o600, { sudo: true, signal: ctx.signal });
    await this.sudo(node, kube.kubeadmInitArgv(), ctx, { timeoutMs: KUBEADM, idempotent: false });

    const caPem = await this.session(node).readFile(kube.CA_CERT, { sudo: true, signal: ctx.signal });
    const updated: JoinMaterial = { ...material, certsUploadedAt: this.now(), tokenCreatedAt: this.now(), caCertHash: kube.caCertHash(caPem) };
    await saveJoinMaterial(this.options.dir, updated);
  }

  // ---- CNI ---------------------------------------------------------------------------------

  async installCni(first: ClusterNode, ctx: StepContext): Promise<void> {
    const plan = await kube.cniPlan(this.options.spec);
    const session = this.session(first);
    for (const file of plan.files) await session.installFile(file.content, file.path, 0o600, { sudo: true, signal: ctx.signal });
    for (const argv of plan.commands) await this.sudo(first, argv, ctx, { timeoutMs: 10 * 60_000 });
  }

  // ---- joins -------------------------------------------------------------------------------

  async isJoined(node: ClusterNode, topology: Topology, ctx: StepContext): Promise<boolean> {
    if (!(await this.fileExists(node, kube.KUBELET_CONF, ctx))) return false;
    const nodes = await this.getNodes(firstControlPlane(topology), ctx);
    return nodes.some((status) => status.name === node.name);
  }

  async resetNode(node: ClusterNode, ctx: StepContext): Promise<void> {
    await this.sudo(node, kube.kubeadmResetArgv(), ctx, { timeoutMs: 5 * 60_000 });
  }

  async join(node: ClusterNode, topology: Topology, controlPlane: boolean, ctx: StepContext): Promise<void> {
    const material = await this.freshMaterial(topology, controlPlane, ctx);
    const config = kube.joinConfig(this.options.spec, topology, node, material, controlPlane);
    await this.session(node).installFile(config, kube.JOIN_CONFIG_PATH, 0o600, { sudo: true, signal: ctx.signal });
    await this.sudo(node, kube.kubeadmJoinArgv(), ctx, { timeoutMs: KUBEADM, idempotent: false });
  }

  /**
   * A saved token older than ~23 h is replaced (`kubeadm token create --print-join-command`);
   * for control-plane joins, certificates uploaded more than ~2 h ago are uploaded again.
   */
  private async freshMaterial(topology: Topology, controlPlane: boolean, ctx: StepContext): Promise<JoinMaterial> {
    const next = this.materialLock.then(async () => {
      const first = firstControlPlane(topology);
      let material = await loadJoinMaterial(this.options.dir);
      if (!material?.caCertHash) {
        throw new ExternalToolError('JoinMaterialMissing', 'The join material of this cluster is missing from the cluster folder', {
          hint: 'Run init again: it re-reads the CA from the first control plane.',
        });
      }
      this.options.secrets.add(material.token, material.certificateKey);
      if (!tokenIsFresh(material, this.now())) {
        ctx.output('bootstrap token is older than 23h: creating a new one', 'info');
        const result = await this.sudo(first, kube.tokenCreateArgv(), ctx, { quiet: true, secretOutput: true });
        const parsed = kube.parseJoinCommand(result.stdout);
        this.options.secrets.add(parsed.token);
        material = { ...material, token: parsed.token, tokenCreatedAt: this.now(), caCertHash: parsed.caCertHash };
        await saveJoinMaterial(this.options.dir, material);
      }
      if (controlPlane && !certsAreFresh(material, this.now())) {
        ctx.output('control-plane certificates were uploaded more than 2h ago: uploading them again', 'info');
        await this.sudo(first, kube.uploadCertsArgv(material.certificateKey), ctx, { quiet: true, secretOutput: true });
        material = { ...material, certsUploadedAt: this.now() };
        await saveJoinMaterial(this.options.dir, material);
      }
      return material;
    });
    this.materialLock = next.catch(() => undefined);
    return next;
  }

  // ---- cluster queries ---------------------------------------------------------------------

  async getNodes(first: ClusterNode, ctx: Pick<StepContext, 'signal' | 'output'>): Promise<NodeStatus[]> {
    const result = await this.sudo(first, kube.getNodesArgv(), ctx, { quiet: true });
    return kube.parseNodes(result.stdout);
  }

  async waitReady(first: ClusterNode, topology: Topology, names: string[], version: string | undefined, timeoutMs: number, ctx: StepContext): Promise<void> {
    const deadline = this.now() + timeoutMs;
    let last: NodeStatus[] = [];
    for (let poll = 0; ; poll += 1) {
      last = await this.getNodes(first, ctx);
      const pending = names.filter((name) => !isReadyAt(last.find((n) => n.name === name), version));
      ctx.progress(names.length - pending.length, names.length, pending.length ? `waiting for ${pending.join(', ')}` : 'all Ready');
      if (pending.length === 0) return;
      if (this.now() >= deadline) throw await this.notReadyError(pending, last, topology, version, ctx);
      await sleep(Math.min(5_000, 500 * 2 ** Math.min(poll, 4)), ctx.signal);
    }
  }

  private async notReadyError(pending: string[], nodes: NodeStatus[], topology: Topology, version: string | undefined, ctx: StepContext) {
    const details: string[] = [];
    for (const name of pending) {
      const status = nodes.find((n) => n.name === name);
      const why = !status
        ? 'not registered with the API server'
        : !status.ready
          ? `NotReady${status.readyMessage ? `: ${status.readyMessage}` : ''}`
          : `runs ${status.kubeletVersion}, expected v${version}`;
      details.push(`${name}: ${why}`);
      const node = [...topology.controlPlanes, ...topology.workers].find((n) => n.name === name);
      if (node) {
        const journal = await this.sudo(node, kube.kubeletJournalArgv(), ctx, { allowFailure: true, quiet: true, timeoutMs: 20_000 }).catch(() => undefined);
        for (const line of journal?.stdout.split('\n').filter(Boolean).slice(-5) ?? []) details.push(`  ${name} kubelet: ${line}`);
      }
    }
    return new ExternalToolError('NodesNotReady', `${pending.length} node${pending.length === 1 ? ' is' : 's are'} not Ready: ${pending.join(', ')}`, {
      details,
      hint: 'Look at the kubelet on those nodes (k8s-bootstrap ssh NODE -- sudo journalctl -u kubelet), then run the command again.',
    });
  }

  // ---- kubeconfig --------------------------------------------------------------------------

  async hasKubeconfig(): Promise<boolean> {
    return fileExistsLocal(this.options.dir.kubeconfigFile);
  }

  async writeKubeconfig(first: ClusterNode, topology: Topology, ctx: StepContext): Promise<void> {
    const admin = await this.session(first).readFile(kube.ADMIN_CONF, { sudo: true, signal: ctx.signal });
    this.options.secrets.add(...kube.kubeconfigSecrets(admin));
    const endpoint = this.options.publicEndpoint ?? topology.apiEndpoint;
    const rewritten = kube.rewriteKubeconfig(admin, endpoint, this.options.spec.name);
    await writeFileAtomic(this.options.dir.kubeconfigFile, rewritten, 0o600);
    ctx.output(`kubeconfig written to ${this.options.dir.kubeconfigFile} (server https://${splitEndpoint(endpoint).host}:${splitEndpoint(endpoint).port})`, 'info');
  }
}

function isReadyAt(status: NodeStatus | undefined, version: string | undefined): boolean {
  if (!status?.ready) return false;
  return version === undefined || status.kubeletVersion.replace(/^v/, '') === version;
}

async function fileExistsLocal(path: string): Promise<boolean> {
  const { stat } = await import('node:fs/promises');
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
