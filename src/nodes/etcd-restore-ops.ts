/**
 * What a restore does on the control planes, over SSH: the snapshot and PKI archive go up by SFTP
 * (REMOTE_STAGING_DIR, 0600), then one run of templates/scripts/etcd-restore.sh per stage
 * (prepare on the first control plane: PKI check and etcdutl snapshot restore in its etcd pod,
 * through the API or, when the API does not answer, through the container runtime (crictl);
 * stop on every control plane; swap and start on the first). The API wait polls /readyz.
 * See the script's header for the procedure and the sources it follows.
 */
import type { StepContext } from '../engine/step.js';
import { ExternalToolError, PreflightError } from '../errors.js';
import { BACKUP_FILES } from '../kube/etcd-snapshot.js';
import { loadNodeScript } from '../kube/node-scripts.js';
import * as cmd from '../kube/node-commands.js';
import { assertNodeName } from '../kube/validate-remote.js';
import { REMOTE_STAGING_DIR } from '../tools/ssh/session.js';
import type { SshNodeOps } from './ssh-node-ops.js';
import type { ClusterNode } from './topology.js';

type QuietCtx = Pick<StepContext, 'signal' | 'output'>;

export type RestoreStage = 'prepare' | 'stop' | 'swap' | 'start';

/** Exit codes of etcd-restore.sh beyond 0 (kept in step with the script). */
export const RESTORE_SCRIPT_EXIT = { pkiDiffers: 3, etcdutl: 4, nothingRestored: 5 } as const;

const SCRIPT_TIMEOUT = 10 * 60_000;

/** etcd's peer URL of a control plane as kubeadm sets it (--initial-advertise-peer-urls=https://<advertise>:2380). */
export const peerUrlOf = (node: ClusterNode): string => `https://${node.privateIp}:2380`;

export const stagedSnapshotPath = (stamp: string): string => `${REMOTE_STAGING_DIR}/restore-${stamp}-${BACKUP_FILES.snapshot}`;
export const stagedPkiPath = (stamp: string): string => `${REMOTE_STAGING_DIR}/restore-${stamp}-${BACKUP_FILES.pki}`;

export interface StageOutput {
  values: Map<string, string[]>;
  stdout: string;
}

export class EtcdRestoreOps {
  constructor(private readonly ops: SshNodeOps) {}

  /** The backup's snapshot and PKI archive to the first control plane (0600, the SSH user's). */
  async stage(node: ClusterNode, stamp: string, files: { snapshot: Buffer; pki: Buffer }, ctx: QuietCtx): Promise<void> {
    const session = this.ops.session(node);
    await session.upload(files.snapshot, stagedSnapshotPath(stamp), { mode: 0o600, signal: ctx.signal });
    await session.upload(files.pki, stagedPkiPath(stamp), { mode: 0o600, signal: ctx.signal });
  }

  async run(node: ClusterNode, stage: RestoreStage, stamp: string, ctx: QuietCtx): Promise<StageOutput> {
    const script = await loadNodeScript('etcd-restore');
    const env: Record<string, string> = { STAGE: stage, STAMP: stamp, CRI_ENDPOINT: this.ops.criSocket };
    if (stage === 'prepare') Object.assign(env, { NODE: assertNodeName(node.name), PEER_URL: peerUrlOf(node) });
    const result = await this.ops.session(node).runScript(script, { env, timeoutMs: SCRIPT_TIMEOUT, signal: ctx.signal, idempotent: true, allowFailure: true });
    const values = new Map<string, string[]>();
    for (const line of result.stdout.split('\n')) {
      const m = /^([a-z_]+)=(.*)$/.exec(line.trim());
      if (m) values.set(m[1]!, [...(values.get(m[1]!) ?? []), m[2]!]);
    }
    const tail = result.stderr.trim().split('\n').filter(Boolean).slice(-5);
    if (result.code === RESTORE_SCRIPT_EXIT.pkiDiffers) {
      throw new PreflightError('PkiDiffers', `The PKI on ${node.name} differs from the backup's (${values.get('pki_differs')?.join(' ') ?? '?'}): this backup is of a cluster with other certificates; nothing was restored`, {
        hint: 'Restore a backup of this cluster, or put the backup\'s PKI (pki.tar.gz) in /etc/kubernetes/ on the first control plane yourself first.',
      });
    }
    if (result.code === RESTORE_SCRIPT_EXIT.etcdutl) {
      throw new ExternalToolError('EtcdutlRestoreFailed', `etcdutl snapshot restore failed on ${node.name}: nothing was changed`, { details: tail });
    }
    if (result.code === RESTORE_SCRIPT_EXIT.nothingRestored) {
      throw new ExternalToolError('NoRestoredDataDir', `${node.name} has no restored etcd data dir to put in place`, { details: tail, hint: 'Run restore again: the etcdutl step runs again.' });
    }
    if (result.code !== 0) throw new ExternalToolError('RestoreScriptFailed', `etcd-restore.sh ${stage} failed on ${node.name} (exit ${result.code})`, { details: tail });
    for (const restored of values.get('pki_restored') ?? []) ctx.output(`${node.name}: /etc/kubernetes/${restored} was missing: restored from the backup`, 'info');
    return { values, stdout: result.stdout };
  }

  /** Polls the API's /readyz on `node` until it answers ok, or fails after `timeoutMs`. */
  async waitApi(node: ClusterNode, timeoutMs: number, ctx: QuietCtx): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      const result = await this.ops.sudo(node, cmd.kubectl(['get', '--raw', '/readyz']), ctx, { quiet: true, allowFailure: true, timeoutMs: 30_000 });
      if (result.code === 0) return;
      last = (result.stderr || result.stdout).trim().split('\n').slice(-1)[0] ?? '';
      if (Date.now() > deadline) {
        throw new ExternalToolError('ApiNotBack', `The API server on ${node.name} did not answer within ${Math.round(timeoutMs / 1000)} s after the restore`, {
          details: [last],
          hint: `Look at etcd and kube-apiserver on ${node.name} (k8s-bootstrap ssh ${node.name} -- sudo crictl ps -a), then run restore again: it goes on from here.`,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}
