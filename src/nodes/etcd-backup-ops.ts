/**
 * What a backup does on a control plane, over SSH: one script (templates/scripts/etcd-backup.sh)
 * checks etcd's health, saves and verifies a snapshot in the etcd pod and stages it with the PKI
 * archive; SFTP brings the two files here; one command removes the staged copies. Three round
 * trips per backup (the script, the downloads, the clean-up).
 */
import type { StepContext } from '../engine/step.js';
import { ExternalToolError, PreflightError } from '../errors.js';
import { BACKUP_FILES, BACKUP_SCRIPT_EXIT, nodeStagingDir, parseBackupScript, type SnapshotTaken } from '../kube/etcd-snapshot.js';
import { loadNodeScript } from '../kube/node-scripts.js';
import { assertNodeName } from '../kube/validate-remote.js';
import type { SshNodeOps } from './ssh-node-ops.js';
import type { ClusterNode, Topology } from './topology.js';

type QuietCtx = Pick<StepContext, 'signal' | 'output'>;

const SCRIPT_TIMEOUT = 10 * 60_000;

/** etcd on this control plane did not answer `endpoint health`: another one may. */
export class EtcdUnhealthyError extends PreflightError {}

export class EtcdBackupOps {
  constructor(private readonly options: { ops: SshNodeOps; topology: Topology }) {}

  /** Saves, verifies and stages one snapshot on `node` (see the script's header). */
  async take(node: ClusterNode, stamp: string, ctx: QuietCtx): Promise<SnapshotTaken> {
    const script = await loadNodeScript('etcd-backup');
    const owner = node.user ?? this.options.topology.sshUser;
    const result = await this.options.ops.session(node).runScript(script, {
      env: { NODE: assertNodeName(node.name), STAMP: stamp, OWNER: owner },
      timeoutMs: SCRIPT_TIMEOUT,
      signal: ctx.signal,
      idempotent: true,
      allowFailure: true,
    });
    const tail = result.stderr.trim().split('\n').filter(Boolean).slice(-5);
    if (result.code === BACKUP_SCRIPT_EXIT.unhealthy) {
      throw new EtcdUnhealthyError('EtcdUnhealthy', `etcd on ${node.name} is not healthy (etcdctl endpoint health failed)`, { details: tail });
    }
    if (result.code === BACKUP_SCRIPT_EXIT.save) {
      throw new ExternalToolError('SnapshotSaveFailed', `etcdctl snapshot save failed on ${node.name}`, { details: tail, hint: `Look at etcd on ${node.name} (k8s-bootstrap ssh ${node.name} -- sudo crictl logs $(sudo crictl ps -q --name etcd)), then run the command again.` });
    }
    if (result.code === BACKUP_SCRIPT_EXIT.status) {
      throw new ExternalToolError('SnapshotVerifyFailed', `The snapshot taken on ${node.name} did not pass etcdutl snapshot status: it was not kept`, { details: tail, hint: 'Run the command again; if it fails the same way, check the disk of /var/lib/etcd on that node.' });
    }
    if (result.code === BACKUP_SCRIPT_EXIT.pki) {
      throw new ExternalToolError('PkiArchiveFailed', `No PKI archive could be made on ${node.name} (/etc/kubernetes/pki)`, { details: tail });
    }
    if (result.code !== 0) {
      throw new ExternalToolError('BackupScriptFailed', `etcd-backup.sh failed on ${node.name} (exit ${result.code})`, { details: tail });
    }
    return parseBackupScript(result.stdout, stamp);
  }

  /** The staged snapshot and PKI archive into `localDir` (created 0600 there). */
  async download(node: ClusterNode, stamp: string, localDir: string, ctx: QuietCtx): Promise<void> {
    const session = this.options.ops.session(node);
    const staging = nodeStagingDir(stamp);
    for (const file of [BACKUP_FILES.snapshot, BACKUP_FILES.pki]) {
      await session.download(`${staging}/${file}`, `${localDir}/${file}`, { mode: 0o600, signal: ctx.signal });
    }
  }

  /** Removes the staged copies (and any snapshot file left in /var/lib/etcd by an interrupted save). */
  async cleanup(node: ClusterNode, stamp: string, ctx: QuietCtx): Promise<void> {
    const staging = nodeStagingDir(stamp);
    await this.options.ops.sudo(node, ['rm', '-rf', staging, `/var/lib/etcd/k8sb-backup-${stamp}.db`, `/var/lib/etcd/k8sb-backup-${stamp}.db.part`], ctx, { quiet: true, allowFailure: true, timeoutMs: 30_000 });
  }
}
