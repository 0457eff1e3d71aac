/**
 * `certs check` and `certs renew`.
 *
 * check: every control plane's certificate table (status's reader, status/cert-status.ts) and
 * the operator's kubeconfig; read-only, no lock. Not healthy (exit 1) when anything has less than
 * 30 days left.
 *
 * renew: first a verified etcd snapshot and the PKI (backup/pre-change.ts, --skip-backup to go
 * without), then on every control plane, one at a time, the procedure of kubernetes.io "Certificate
 * Management with kubeadm" (Manual certificate renewal): `kubeadm certs renew all`, then the
 * static pods restarted (manifests moved out of /etc/kubernetes/manifests until the kubelet
 * stopped them, then back: templates/scripts/cert-restart.sh), then wait until that node's
 * kube-apiserver, kube-controller-manager, kube-scheduler and etcd run Ready and the Node is
 * Ready, before the next node; one control plane at a time keeps etcd's quorum and the API
 * behind the load balancer. Last, the operator's kubeconfig is written again from the first
 * control plane's renewed admin.conf, as init and upgrade write it (init/phases.ts
 * kubeconfigPhase). Asks first (--yes); --dry-run prints the plan. Checkpointed: the state fact
 * certs.renew.run holds the run's id while a renewal is unfinished, so a resumed run skips the
 * nodes already done, and a run after a finished one renews again.
 */
import { currentVersion } from '../workers/plan-add.js';
import { randomUUID } from 'node:crypto';
import { describePhases, formatPlan, notConnected } from '../../engine/describe.js';
import { emitTo, type Host, type ResultBase } from '../../engine/host.js';
import type { Phase } from '../../engine/step.js';
import { DeclinedError } from '../../errors.js';
import { CERT_WARN_DAYS } from '../../kube/cert-expiry.js';
import { CertOps } from '../../nodes/cert-ops.js';
import type { SshNodeOps } from '../../nodes/ssh-node-ops.js';
import type { ClusterNode, Topology } from '../../nodes/topology.js';
import { runSecrets } from '../../providers/credentials.js';
import { CERTS_DEFAULTS, DEFAULTS } from '../defaults.js';
import { kubeconfigPhase } from '../init/phases.js';
import type { ClusterRef } from '../run/cluster-ref.js';
import { loadCluster, openReadOnlyPool, topologyOf, type LoadedCluster } from '../run/load-cluster.js';
import { runNodeOps } from '../run/node-ops.js';
import { withRun } from '../run/session.js';
import { createSshPool } from '../run/ssh-pool.js';
import { backupStepId, certsRenewStepId } from '../run/step-ids.js';
import { assertPreChangeBackupPossible, preChangeBackupPhase } from '../backup/pre-change.js';
import { loadMergeRecord } from '../../state/kubeconfig-record.js';
import { certStatus, formatCertStatus, type CertStatus } from '../status/cert-status.js';
import { kubeconfigView, sshNodeLister } from '../status/index.js';
import type { StatusReport } from '../status/report.js';

/** State fact: the id of an unfinished renewal (its checkpoints' inputs). */
export const FACT_CERTS_RUN = 'certs.renew.run';

export interface CertsCheckOptions extends ClusterRef {
  timeoutMs?: number;
}

export interface CertsCheckResult extends ResultBase {
  certs: CertStatus;
  kubeconfig?: StatusReport['kubeconfig'];
  /** Nothing expired or under 30 days, and every control plane answered. */
  healthy: boolean;
}

export interface CertsRenewOptions extends ClusterRef {
  dryRun?: boolean;
  /** Renew without the verified etcd snapshot taken first. */
  skipBackup?: boolean;
  timeoutMs?: number;
  sshTimeoutMs?: number;
  /** How long a control plane may take to be Ready after its static pods restarted. */
  readyTimeoutMs?: number;
}

export interface CertsRenewResult extends ResultBase {
  dryRun: boolean;
  /** Control planes renewed, in order. */
  nodes: string[];
  /** After the renewal (unset for a dry run). */
  certs?: CertStatus;
  kubeconfig?: StatusReport['kubeconfig'];
}

/** Reads every control plane's table over a read-only pool (pinned host keys only, no lock). */
async function readCerts(host: Host, cluster: LoadedCluster, topology: Topology, timeoutMs: number): Promise<CertStatus> {
  const deadline = Date.now() + timeoutMs;
  const signal = AbortSignal.any([host.signal, AbortSignal.timeout(timeoutMs)]);
  const { pool, knownHosts } = openReadOnlyPool(cluster, topology, { signal, readyWaitMs: Math.min(20_000, timeoutMs), env: host.env });
  try {
    const lister = sshNodeLister(pool, knownHosts, topology, deadline);
    return await certStatus(topology.controlPlanes, lister.kubectl!, { signal, output: () => undefined });
  } finally {
    await pool.closeAll();
  }
}

export async function certsCheck(host: Host, options: CertsCheckOptions): Promise<CertsCheckResult> {
  const cluster = await loadCluster(host, options);
  const topology = topologyOf(cluster);
  const certs = await readCerts(host, cluster, topology, options.timeoutMs ?? DEFAULTS.status.timeoutMs);
  const kubeconfig = await kubeconfigView(cluster.dir.kubeconfigFile, Date.now());
  const healthy = certs.warnings.length === 0 && !kubeconfig?.warning;
  const lines = formatCertStatus(certs);
  if (kubeconfig) {
    lines.push(`kubeconfig ${kubeconfig.file}: client certificate valid until ${kubeconfig.expires.slice(0, 10)} (${kubeconfig.daysLeft} days)`);
    if (kubeconfig.warning) lines.push(`  warning: ${kubeconfig.warning}`);
  }
  if (healthy && certs.soonest) lines.push(`Nothing expires within ${CERT_WARN_DAYS} days; the first is ${certs.soonest.name} on ${certs.soonest.node}, on ${certs.soonest.expires.slice(0, 10)}.`);
  return { cluster: cluster.spec.name, certs, ...(kubeconfig ? { kubeconfig } : {}), healthy, summary: [lines.join('\n')] };
}

interface RenewPhaseOptions {
  topology: Topology;
  certOps: () => CertOps;
  runId: string;
  readyTimeoutMs: number;
}

/** One phase per control plane, in inventory order: renew, restart, ready. */
export function renewPhases(options: RenewPhaseOptions): Phase[] {
  return options.topology.controlPlanes.map((node: ClusterNode) => ({
    title: `Certificates on ${node.name}`,
    steps: [
      {
        stepId: certsRenewStepId('renew', node.name),
        title: `kubeadm certs renew all on ${node.name}`,
        detail: 'every certificate kubeadm manages, admin.conf and the components\' kubeconfigs included; the CAs stay',
        node: node.name,
        tool: 'kubeadm',
        inputs: options.runId,
        retries: 1,
        timeoutMs: 6 * 60_000,
        run: async (ctx) => {
          await options.certOps().renew(node, ctx);
        },
      },
      {
        stepId: certsRenewStepId('restart', node.name),
        title: `Restart the static pods on ${node.name}`,
        detail: 'kube-apiserver, kube-controller-manager, kube-scheduler, etcd: manifests out of /etc/kubernetes/manifests until the kubelet stopped them, then back',
        node: node.name,
        tool: 'ssh',
        inputs: options.runId,
        retries: 1,
        timeoutMs: 4 * 60_000,
        run: (ctx) => options.certOps().restartStaticPods(node, ctx),
      },
      {
        stepId: certsRenewStepId('ready', node.name),
        title: `Wait for the control plane on ${node.name}`,
        detail: `its four control-plane pods Running and Ready, the Node Ready (at most ${Math.round(options.readyTimeoutMs / 1000)}s)`,
        node: node.name,
        tool: 'kubectl',
        inputs: options.runId,
        timeoutMs: options.readyTimeoutMs + 60_000,
        run: (ctx) => options.certOps().waitControlPlaneReady(node, options.readyTimeoutMs, ctx),
      },
    ],
  }));
}

export async function certsRenew(host: Host, options: CertsRenewOptions): Promise<CertsRenewResult> {
  const startedAt = Date.now();
  const cluster = await loadCluster(host, options);
  const { spec, dir } = cluster;
  const dryRun = options.dryRun === true;
  const timeoutMs = options.timeoutMs ?? CERTS_DEFAULTS.timeoutMs;
  const readyTimeoutMs = options.readyTimeoutMs ?? CERTS_DEFAULTS.readyTimeoutMs;
  if (!dryRun) host.assertCanConfirm('certs renew');
  const topology = topologyOf(cluster);
  const names = topology.controlPlanes.map((node) => node.name);

  // For the plan: what expires first now (a control plane that does not answer is named, not fatal here).
  const before = await readCerts(host, cluster, topology, Math.min(DEFAULTS.status.timeoutMs, timeoutMs)).catch(() => undefined);
  const version = currentVersion(cluster);
  // Every static pod restarts with new certificates: a verified snapshot first, as for the other control-plane changes.
  const backup = (ops: () => SshNodeOps, runId: string): Phase[] =>
    options.skipBackup ? [] : [preChangeBackupPhase({ reason: 'certs-renew', key: runId, spec, dir, topology, ops, kubernetesVersion: version, env: host.env, what: 'renewing the certificates' })];
  const plan = [...backup(notConnected, 'plan'), ...renewPhases({ topology, certOps: notConnected, runId: 'plan', readyTimeoutMs }), kubeconfigPhase({ topology, ops: notConnected, file: dir.kubeconfigFile })];
  const steps = describePhases(plan);
  const first = before?.soonest ? `Now the first to expire is ${before.soonest.name} on ${before.soonest.node}: ${before.soonest.expires.slice(0, 10)} (${before.soonest.daysLeft} days).` : 'The current expiry dates could not be read.';
  const text = [
    `Renew the certificates of cluster ${spec.name} on ${names.join(', ')}, one control plane at a time (each new certificate valid one year; the CAs are not renewed).`,
    first,
    'Each control plane\'s API server, controller manager, scheduler and etcd restart once; the next control plane starts only when this one is Ready again.',
    '',
    formatPlan(steps),
  ].join('\n');
  emitTo(host, { type: 'plan', time: Date.now(), command: 'certs renew', cluster: spec.name, dryRun, steps, text });
  if (dryRun) return { cluster: spec.name, dryRun, nodes: names, ...(before ? { certs: before } : {}), summary: ['[dry run] nothing was renewed.'] };
  if (!options.skipBackup) await assertPreChangeBackupPossible(spec, host.env, 'Cannot renew the certificates');
  const go = await host.confirm({ command: 'certs renew', message: `Renew the certificates of ${spec.name} on ${names.join(', ')} (their control-plane pods restart, one node at a time)?`, doing: `renewing the certificates of ${spec.name}` });
  if (!go) throw new DeclinedError('Nothing was renewed.');

  await withRun(host, dir, { command: 'certs-renew', cluster: spec.name, timeoutMs: Math.max(1_000, timeoutMs - (Date.now() - startedAt)), secrets: runSecrets(spec, host.env) }, async (run) => {
    const pool = createSshPool(run, { spec, dir, topology, concurrency: 2, sshTimeoutMs: options.sshTimeoutMs ?? CERTS_DEFAULTS.sshTimeoutMs, env: host.env });
    try {
      const ops: SshNodeOps = runNodeOps(host, spec, dir, pool, run.secrets);
      const certOps = new CertOps(ops);
      const recorded = run.state.current.facts[FACT_CERTS_RUN];
      const runId = typeof recorded === 'string' ? recorded : `run-${randomUUID()}`;
      if (typeof recorded === 'string') run.say(`resuming the renewal started earlier (${FACT_CERTS_RUN} in ${dir.stateFile})`);
      if (options.skipBackup) run.say('--skip-backup: no etcd snapshot is taken before the renewal.', 'warning');
      else if (before?.soonest && before.soonest.daysLeft < 0) {
        run.say(`${before.soonest.name} on ${before.soonest.node} expired on ${before.soonest.expires.slice(0, 10)}: etcd and the API may refuse the snapshot; if the backup fails, renew with --skip-backup.`, 'warning');
      }
      // Keyed by the renewal's run id: a resumed renewal does not take a second one. The run id is
      // recorded once the backup is there: before it, nothing was renewed to resume.
      await run.runPhases(backup(() => ops, runId));
      if (typeof recorded !== 'string') await run.state.update((state) => void (state.facts[FACT_CERTS_RUN] = runId));
      await run.runPhases(renewPhases({ topology, certOps: () => certOps, runId, readyTimeoutMs }));
      // admin.conf on the first control plane carries the renewed client certificate: the operator's copy follows.
      await run.runPhases([kubeconfigPhase({ topology, ops: () => ops, file: dir.kubeconfigFile })]);
      await run.state.update((state) => {
        delete state.facts[FACT_CERTS_RUN];
        delete state.steps[backupStepId('certs-renew', runId)];
      });
    } finally {
      await pool.closeAll();
    }
  });

  const after = await readCerts(host, cluster, topology, DEFAULTS.status.timeoutMs).catch(() => undefined);
  const kubeconfig = await kubeconfigView(dir.kubeconfigFile, Date.now());
  const soonest = after?.soonest;
  // Copies merged into ~/.kube/config (k8s-bootstrap kubeconfig --merge) carry the old certificate until merged again.
  const merged = Object.keys((await loadMergeRecord(dir).catch(() => undefined))?.files ?? {});
  return {
    cluster: spec.name,
    dryRun,
    nodes: names,
    ...(after ? { certs: after } : {}),
    ...(kubeconfig ? { kubeconfig } : {}),
    summary: [
      `Certificates of ${spec.name} renewed on ${names.join(', ')}; every control plane is Ready.${soonest ? ` The first to expire now: ${soonest.name} on ${soonest.node}, ${soonest.expires.slice(0, 10)} (${soonest.daysLeft} days).` : ''}`,
      ...(kubeconfig ? [`kubeconfig ${kubeconfig.file}: client certificate valid until ${kubeconfig.expires.slice(0, 10)}.`] : []),
      ...(merged.length > 0 ? [`${merged.join(', ')} still hold${merged.length === 1 ? 's' : ''} the earlier client certificate: run "k8s-bootstrap kubeconfig --merge" to update ${merged.length === 1 ? 'it' : 'them'}.`] : []),
      ...(after ? formatCertStatus(after).filter((line) => line.startsWith('  warning:')) : []),
    ],
  };
}
