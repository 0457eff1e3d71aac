/**
 * What certificate renewal does on a control plane, over SSH: read the expiry table (`kubeadm
 * certs check-expiration`), renew (`kubeadm certs renew all`), restart the static pods so they
 * load the new certificates (templates/scripts/cert-restart.sh, one round trip), and wait until
 * the node's four control-plane pods run Ready again and the Node is Ready.
 */
import type { StepContext } from '../engine/step.js';
import { sleep } from '../engine/backoff.js';
import { ExternalToolError, PreflightError } from '../errors.js';
import { checkExpiration, parseCheckExpiration, renewAll, renewedCount, type CertExpiryTable } from '../kube/cert-expiry.js';
import * as cmd from '../kube/node-commands.js';
import { loadNodeScript } from '../kube/node-scripts.js';
import { assertNodeName } from '../kube/validate-remote.js';
import { LARGE_OUTPUT_LIMIT_BYTES } from '../tools/ssh/remote-output.js';
import type { SshNodeOps } from './ssh-node-ops.js';
import type { ClusterNode } from './topology.js';

type QuietCtx = Pick<StepContext, 'signal' | 'output'>;

/** The static pods kubeadm runs on a control plane (component label; mirror pod `<component>-<node>`). */
export const CONTROL_PLANE_COMPONENTS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd'] as const;

export const CERT_RESTART_EXIT = { notStopped: 3, noManifests: 4 } as const;

/** The script waits this long for the kubelet to stop the pods (two fileCheckFrequency periods and more). */
const STOP_TIMEOUT_S = 90;

export class CertOps {
  constructor(private readonly ops: SshNodeOps) {}

  async expiry(node: ClusterNode, ctx: QuietCtx): Promise<CertExpiryTable> {
    const result = await this.ops.sudo(node, checkExpiration(), ctx, { quiet: true, timeoutMs: 60_000, allowFailure: true });
    if (result.code !== 0) {
      throw new ExternalToolError('CertExpiryFailed', `kubeadm certs check-expiration failed on ${node.name} (exit ${result.code})`, {
        details: result.stderr.trim().split('\n').filter(Boolean).slice(-3),
        hint: `Is ${node.name} a control plane with its API answering? Try k8s-bootstrap ssh ${node.name} -- sudo kubeadm certs check-expiration.`,
      });
    }
    return parseCheckExpiration(result.stdout, node.name);
  }

  /** `kubeadm certs renew all`: unconditional, so a repeat renews again (harmless). */
  async renew(node: ClusterNode, ctx: StepContext): Promise<number> {
    const result = await this.ops.sudo(node, renewAll(), ctx, { timeoutMs: 5 * 60_000, allowFailure: true });
    if (result.code !== 0) {
      const tail = result.stderr.trim().split('\n').filter(Boolean).slice(-3);
      const external = tail.some((line) => /external CA mode/i.test(line));
      throw new ExternalToolError('CertRenewFailed', `kubeadm certs renew all failed on ${node.name} (exit ${result.code})`, {
        details: tail,
        hint: external
          ? `${node.name} has no /etc/kubernetes/pki/ca.key (external CA): kubeadm cannot renew there; renew with your CA (kubeadm certs generate-csr), then run the command again.`
          : `Run it by hand (k8s-bootstrap ssh ${node.name} -- sudo kubeadm certs renew all) to see why, then run the command again.`,
      });
    }
    const count = renewedCount(result.stdout);
    ctx.output(`${count} certificates renewed on ${node.name}`, 'info');
    return count;
  }

  /** Moves the static pod manifests out, waits until the kubelet stopped the pods, moves them back. */
  async restartStaticPods(node: ClusterNode, ctx: StepContext): Promise<void> {
    const script = await loadNodeScript('cert-restart');
    const result = await this.ops.session(node).runScript(script, {
      env: { NODE: assertNodeName(node.name), STOP_TIMEOUT: String(STOP_TIMEOUT_S) },
      timeoutMs: (STOP_TIMEOUT_S + 60) * 1000,
      signal: ctx.signal,
      idempotent: true,
      allowFailure: true,
    });
    const tail = result.stderr.trim().split('\n').filter(Boolean).slice(-3);
    if (result.code === CERT_RESTART_EXIT.noManifests) {
      throw new PreflightError('NotAControlPlane', `${node.name} has no control-plane static pod manifests in /etc/kubernetes/manifests`, { details: tail, hint: 'Is the inventory current? Run k8s-bootstrap status.' });
    }
    if (result.code === CERT_RESTART_EXIT.notStopped) {
      throw new ExternalToolError('StaticPodsNotStopped', `The kubelet on ${node.name} did not stop the control-plane pods within ${STOP_TIMEOUT_S}s after their manifests were moved out (they are back in place)`, {
        details: tail,
        hint: `Look at the kubelet (k8s-bootstrap ssh ${node.name} -- sudo journalctl -u kubelet -n 50), then run the command again: the renewal is kept, the restart is tried again.`,
      });
    }
    if (result.code !== 0) throw new ExternalToolError('StaticPodRestartFailed', `cert-restart.sh failed on ${node.name} (exit ${result.code})`, { details: tail });
    const restarted = /^restarted=(.*)$/m.exec(result.stdout)?.[1] ?? '';
    ctx.output(`restarted ${restarted.split(',').join(', ')} on ${node.name}`, 'info');
  }

  /** The node's four control-plane pods Running and Ready, and the Node Ready, within `timeoutMs`. */
  async waitControlPlaneReady(node: ClusterNode, timeoutMs: number, ctx: StepContext): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let why = '';
    for (let poll = 0; ; poll += 1) {
      why = await this.notReady(node, ctx);
      ctx.progress(why === '' ? 1 : 0, 1, why === '' ? `${node.name}: control plane Ready` : `${node.name}: ${why}`);
      if (why === '') return;
      if (Date.now() >= deadline) {
        throw new ExternalToolError('ControlPlaneNotReady', `The control plane on ${node.name} is not Ready ${Math.round(timeoutMs / 1000)}s after its static pods restarted: ${why}`, {
          hint: `Look at the pods (k8s-bootstrap ssh ${node.name} -- sudo crictl ps -a) and the kubelet (sudo journalctl -u kubelet), then run the command again.`,
        });
      }
      await sleep(Math.min(3_000, 250 * 2 ** Math.min(poll, 4)), ctx.signal);
    }
  }

  /** Why the node's control plane is not back yet, or "". The API may not answer for a while (its apiserver restarts). */
  private async notReady(node: ClusterNode, ctx: QuietCtx): Promise<string> {
    const pods = await this.ops.sudo(node, cmd.podsOnNode(node.name), ctx, { quiet: true, allowFailure: true, maxOutputBytes: LARGE_OUTPUT_LIMIT_BYTES, timeoutMs: 30_000 });
    if (pods.code !== 0) return `the API does not answer yet (${pods.stderr.trim().split('\n').pop() ?? `exit ${pods.code}`})`;
    const ready = readyMirrorPods(pods.stdout);
    const pending = CONTROL_PLANE_COMPONENTS.filter((component) => !ready.has(`${component}-${node.name}`));
    if (pending.length > 0) return `waiting for ${pending.join(', ')}`;
    const self = await this.ops.sudo(node, cmd.getNodeJson(node.name), ctx, { quiet: true, allowFailure: true, timeoutMs: 30_000 });
    if (self.code !== 0) return 'the Node cannot be read yet';
    const status = cmd.parseNodeJson(self.stdout);
    return status.ready ? '' : `the Node is NotReady${status.readyMessage ? `: ${status.readyMessage}` : ''}`;
  }
}

/** Names of the pods whose phase is Running and whose Ready condition is True. */
export function readyMirrorPods(text: string): Set<string> {
  const ready = new Set<string>();
  let list: { items?: Array<{ metadata?: { name?: string }; status?: { phase?: string; conditions?: Array<{ type?: string; status?: string }> } }> };
  try {
    list = JSON.parse(text);
  } catch {
    return ready;
  }
  for (const pod of list.items ?? []) {
    const isReady = pod.status?.phase === 'Running' && (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
    if (isReady && pod.metadata?.name) ready.add(pod.metadata.name);
  }
  return ready;
}
