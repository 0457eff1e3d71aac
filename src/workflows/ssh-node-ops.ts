/**
 * NodeOps over SSH: each method is one of the official procedures, with the commands of the
 * kube layer. Join material lives in secrets/, and every secret is registered for redaction
 * before it can appear in any output.
 */
import { stat } from 'node:fs/promises';
import type { StepContext } from '../engine/step.js';
import { sleep } from '../engine/backoff.js';
import { ExternalToolError } from '../errors.js';
import type { ClusterSpec } from '../spec/schema.js';
import type { ClusterDir } from '../state/cluster-dir.js';
import { writeFileAtomic } from '../state/atomic.js';
import type { NodeSession, SshPool } from '../tools/ssh.js';
import { renderInitConfig, renderJoinConfig, INIT_CONFIG_PATH, JOIN_CONFIG_PATH } from '../kube/kubeadm-config.js';
import {
  caCertHash,
  certificateKeyIsFresh,
  generateBootstrapToken,
  generateCertificateKey,
  parseJoinCommand,
  tokenIsFresh,
} from '../kube/join-material.js';
import * as cmd from '../kube/node-commands.js';
import { cniInstallPlan, isAlreadyExistsOutput, CNI_MARKER_PATH } from '../kube/cni.js';
import { detectInterfaceCommand, generateVrrpPassword, parseInterface, renderStaticHa, staticHaPackages, staticHaStartCommands } from '../kube/static-ha.js';
import { rewriteAdminKubeconfig } from '../kube/kubeconfig.js';
import { loadJoinMaterial, saveJoinMaterial, type SavedJoinMaterial } from './join-material.js';
import type { NodeOps, NodeStatus } from './node-ops.js';
import type { SecretSet } from '../engine/redact.js';
import { allNodes, firstControlPlane, type ClusterNode, type Topology } from './topology.js';
import { parseEndpoint } from '../kube/validate-remote.js';

const SHORT = 60_000;
const KUBEADM = 15 * 60_000;
const PREPARE = 20 * 60_000;
export const PREPARED_MARKER = '/etc/k8s-bootstrap/prepared';

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
}

export class SshNodeOps implements NodeOps {
  private readonly now: () => Date;
  /** Serialises join-material refreshes: parallel workers must not each mint a token. */
  private materialQueue: Promise<unknown> = Promise.resolve();

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
      onLine: extra.quiet ? undefined : (line, stream) => ctx.output(line, stream),
    });
  }

  private async fileExists(node: ClusterNode, path: string, ctx: QuietCtx): Promise<boolean> {
    return (await this.sudo(node, cmd.fileExists(path), ctx, { allowFailure: true, quiet: true })).code === 0;
  }

  async reach(node: ClusterNode, ctx: Pick<StepContext, 'signal'>): Promise<void> {
    await this.options.pool.connect({ name: node.name, host: node.host, port: node.port, user: node.user }, ctx.signal);
  }

  // ---- preparation -------------------------------------------------------------------------

  async isPrepared(node: ClusterNode, version: string, runtime: string, ctx: StepContext): Promise<boolean> {
    const result = await this.sudo(node, ['cat', PREPARED_MARKER], ctx, { allowFailure: true, quiet: true });
    return result.code === 0 && result.stdout.trim() === preparedMarker(version, runtime);
  }

  async prepare(node: ClusterNode, version: string, runtime: string, ctx: StepContext): Promise<void> {
    const minor = version.split('.').slice(0, 2).join('.');
    // The prepare script is the same file Packer runs: inputs come as environment, not template variables.
    await this.session(node).runScript('prepare-node', {}, {
      env: { K8S_VERSION: version, K8S_MINOR: minor, RUNTIME: runtime, PULL_IMAGES: '0' },
      timeoutMs: PREPARE,
      signal: ctx.signal,
      idempotent: true,
      onLine: (line, stream) => ctx.output(line, stream),
    });
  }

  // ---- static HA ---------------------------------------------------------------------------

  needsHaLoadBalancer(topology: Topology): boolean {
    const provider = this.options.spec.provider;
    return provider.name === 'static' && !provider.apiEndpoint && topology.controlPlanes.length > 1 && Boolean(provider.virtualIp);
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

  // ---- first control plane -----------------------------------------------------------------

  async isInitialised(node: ClusterNode, ctx: StepContext): Promise<boolean> {
    return this.fileExists(node, cmd.ADMIN_KUBECONFIG, ctx);
  }

  async initFirstControlPlane(node: ClusterNode, topology: Topology, version: string, ctx: StepContext): Promise<void> {
    const { spec, dir, secrets } = this.options;
    // Saved before kubeadm sees them: a run killed mid-init resumes with the same values.
    const material: SavedJoinMaterial = (await loadJoinMaterial(dir)) ?? {
      token: generateBootstrapToken(),
      certificateKey: generateCertificateKey(),
    };
    secrets.add(material.token, material.certificateKey);
    await saveJoinMaterial(dir, material);

    const config = renderInitConfig({
      spec: { ...spec, kubernetes: { ...spec.kubernetes, version } },
      node: { name: node.name, privateIp: node.privateIp },
      apiEndpoint: topology.apiEndpoint,
      certSans: certSansOf(topology, this.options.publicEndpoint),
      token: material.token,
      certificateKey: material.certificateKey,
    });
    await this.session(node).installFile(config, INIT_CONFIG_PATH, 0o600, { sudo: true, signal: ctx.signal });
    const startedAt = this.now().toISOString();
    await this.sudo(node, cmd.kubeadmInit(INIT_CONFIG_PATH), ctx, { timeoutMs: KUBEADM, idempotent: false });

    const caPem = await this.session(node).readFile(cmd.CA_CERT_PATH, { sudo: true, signal: ctx.signal });
    await saveJoinMaterial(dir, {
      ...material,
      tokenCreatedAt: startedAt,
      certificateKeyUploadedAt: startedAt,
      caCertHash: caCertHash(caPem),
    });
  }

  // ---- CNI ---------------------------------------------------------------------------------

  async installCni(first: ClusterNode, ctx: StepContext): Promise<void> {
    const plan = cniInstallPlan(this.options.spec);
    const marker = await this.sudo(first, ['cat', CNI_MARKER_PATH], ctx, { allowFailure: true, quiet: true });
    if (marker.code === 0 && marker.stdout.trim() === plan.marker.content.trim()) {
      ctx.output(`${plan.cni} ${plan.version} already installed with pool ${plan.pool}`, 'info');
      return;
    }
    const session = this.session(first);
    for (const file of plan.files) await session.installFile(file.content, file.path, file.mode, { sudo: true, signal: ctx.signal });
    for (const script of plan.scripts) {
      await session.runScript(script.name, script.vars, { timeoutMs: 10 * 60_000, signal: ctx.signal, idempotent: true, onLine: (l, s) => ctx.output(l, s) });
    }
    for (const command of plan.commands) {
      ctx.output(command.description, 'info');
      const result = await this.sudo(first, command.argv, ctx, { timeoutMs: command.timeoutMs, env: command.env, allowFailure: true });
      if (result.code !== 0 && !(command.okIfAlreadyExists && isAlreadyExistsOutput(result.stderr))) {
        throw new ExternalToolError('CniInstallFailed', `${command.description} failed on ${first.name} (exit ${result.code})`, {
          details: `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-20),
        });
      }
    }
    await session.installFile(plan.marker.content, plan.marker.path, plan.marker.mode, { sudo: true, signal: ctx.signal });
  }

  // ---- joins -------------------------------------------------------------------------------

  async isJoined(node: ClusterNode, topology: Topology, ctx: StepContext): Promise<boolean> {
    if (!(await this.fileExists(node, cmd.KUBELET_KUBECONFIG, ctx))) return false;
    const nodes = await this.getNodes(firstControlPlane(topology), ctx);
    return nodes.some((status) => status.name === node.name);
  }

  async resetNode(node: ClusterNode, ctx: StepContext): Promise<void> {
    await this.sudo(node, cmd.reset(), ctx, { timeoutMs: 5 * 60_000 });
  }

  async join(node: ClusterNode, topology: Topology, controlPlane: boolean, ctx: StepContext): Promise<void> {
    const material = await this.freshMaterial(topology, controlPlane, ctx);
    const config = renderJoinConfig({
      spec: this.options.spec,
      node: { name: node.name, privateIp: node.privateIp },
      apiEndpoint: topology.apiEndpoint,
      token: material.token,
      caCertHash: material.caCertHash!,
      controlPlane: controlPlane ? { certificateKey: material.certificateKey, advertiseAddress: node.privateIp } : undefined,
    });
    await this.session(node).installFile(config, JOIN_CONFIG_PATH, 0o600, { sudo: true, signal: ctx.signal });
    await this.sudo(node, cmd.kubeadmJoin(JOIN_CONFIG_PATH), ctx, { timeoutMs: KUBEADM, idempotent: false });
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
        await this.sudo(first, cmd.uploadCerts(material.certificateKey), ctx, { quiet: true, secretOutput: true });
        material = { ...material, certificateKeyUploadedAt: this.now().toISOString() };
        await saveJoinMaterial(dir, material);
      }
      return material;
    });
    this.materialQueue = next.catch(() => undefined);
    return next;
  }

  // ---- cluster queries ---------------------------------------------------------------------

  async getNodes(first: ClusterNode, ctx: QuietCtx): Promise<NodeStatus[]> {
    const result = await this.sudo(first, cmd.getNodesJson(), ctx, { quiet: true });
    return cmd.parseNodesJson(result.stdout);
  }

  async waitReady(first: ClusterNode, topology: Topology, names: string[], version: string | undefined, timeoutMs: number, ctx: StepContext): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let poll = 0; ; poll += 1) {
      const nodes = await this.getNodes(first, ctx);
      const pending = names.filter((name) => !isReadyAt(nodes.find((n) => n.name === name), version));
      ctx.progress(names.length - pending.length, names.length, pending.length ? `waiting for ${pending.join(', ')}` : 'all Ready');
      if (pending.length === 0) return;
      if (Date.now() >= deadline) throw await this.notReadyError(pending, nodes, topology, version, timeoutMs, ctx);
      await sleep(Math.min(5_000, 250 * 2 ** Math.min(poll, 5)), ctx.signal);
    }
  }

  private async notReadyError(pending: string[], nodes: NodeStatus[], topology: Topology, version: string | undefined, timeoutMs: number, ctx: QuietCtx) {
    const details: string[] = [];
    for (const name of pending) {
      const status = nodes.find((n) => n.name === name);
      const why = !status
        ? 'not registered with the API server'
        : !status.ready
          ? `NotReady${status.readyMessage ? `: ${status.readyMessage}` : ''}`
          : `runs ${status.kubeletVersion}, expected v${version}`;
      details.push(`${name}: ${why}`);
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

  // ---- kubeconfig --------------------------------------------------------------------------

  async hasKubeconfig(): Promise<boolean> {
    try {
      return (await stat(this.options.dir.kubeconfigFile)).isFile();
    } catch {
      return false;
    }
  }

  async writeKubeconfig(first: ClusterNode, topology: Topology, ctx: StepContext): Promise<void> {
    const admin = await this.session(first).readFile(cmd.ADMIN_KUBECONFIG, { sudo: true, signal: ctx.signal });
    for (const match of admin.matchAll(/(?:client-key-data|client-certificate-data|token):\s*(\S+)/g)) this.options.secrets.add(match[1]);
    const endpoint = this.options.publicEndpoint ?? topology.apiEndpoint;
    const rewritten = rewriteAdminKubeconfig(admin, { clusterName: this.options.spec.name, endpoint });
    await writeFileAtomic(this.options.dir.kubeconfigFile, rewritten, 0o600);
    const { host, port } = parseEndpoint(endpoint);
    ctx.output(`kubeconfig written to ${this.options.dir.kubeconfigFile} (server https://${host}:${port})`, 'info');
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
