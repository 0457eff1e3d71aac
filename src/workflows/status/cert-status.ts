/**
 * status's certificate section: every control plane's `kubeadm certs check-expiration` (kube/
 * cert-expiry.ts reads it), shown as one table with a column per control plane, and a warning
 * for any certificate (or CA) with less than 30 days left, naming the node and the fix
 * (`k8s-bootstrap certs renew`). The operator's kubeconfig is status's own line (index.ts).
 * Read-only: one SSH command per control plane. `certs check` prints the same section.
 */
import type { StepContext } from '../../engine/step.js';
import { CERT_WARN_DAYS, checkExpiration, parseCheckExpiration, type CertExpiry } from '../../kube/cert-expiry.js';
import type { ClusterNode } from '../../nodes/topology.js';
import type { KubectlReader } from './cloud-status.js';

export interface CertNodeStatus {
  node: string;
  certificates?: CertExpiry[];
  authorities?: CertExpiry[];
  /** Why this control plane's table could not be read. */
  error?: string;
}

export interface CertStatus {
  nodes: CertNodeStatus[];
  /** The certificate (or CA) that expires first, over every control plane. */
  soonest?: { node: string; name: string; expires: string; daysLeft: number };
  /** A certificate has expired: the cluster is not healthy. */
  expired: boolean;
  warnings: string[];
}

type QuietCtx = Pick<StepContext, 'signal' | 'output'>;

/** A control plane that does not answer within this long is named, not waited for (a dead one must not hold status up). */
const PER_NODE_MS = 15_000;

/** Reads every control plane at once; one that does not answer gets an error line, the others still show. */
export async function certStatus(controlPlanes: readonly ClusterNode[], read: KubectlReader, ctx: QuietCtx): Promise<CertStatus> {
  const nodes = await Promise.all(controlPlanes.map((node) => readOne(node, read, ctx)));
  return summarise(nodes);
}

async function readOne(node: ClusterNode, read: KubectlReader, ctx: QuietCtx): Promise<CertNodeStatus> {
  if (ctx.signal.aborted) return { node: node.name, error: 'not asked before the time limit (--timeout)' };
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(PER_NODE_MS)]);
  const text = await Promise.race([
    read(node, checkExpiration(), { ...ctx, signal }).catch(() => undefined),
    new Promise<undefined>((resolve) => signal.addEventListener('abort', () => resolve(undefined), { once: true })),
  ]);
  if (text === undefined) return { node: node.name, error: signal.aborted ? `no answer within ${PER_NODE_MS / 1000}s` : 'kubeadm certs check-expiration failed' };
  try {
    const table = parseCheckExpiration(text, node.name);
    return { node: node.name, certificates: table.certificates, authorities: table.authorities };
  } catch (error) {
    return { node: node.name, error: (error as Error).message };
  }
}

export function summarise(nodes: CertNodeStatus[]): CertStatus {
  const warnings: string[] = [];
  let soonest: CertStatus['soonest'];
  let expired = false;
  for (const entry of nodes) {
    const all = [...(entry.certificates ?? []), ...(entry.authorities ?? [])].filter((cert) => !cert.missing && cert.daysLeft !== undefined);
    for (const cert of all) {
      if (!soonest || cert.daysLeft! < soonest.daysLeft) soonest = { node: entry.node, name: cert.name, expires: cert.expires!, daysLeft: cert.daysLeft! };
    }
    const gone = all.filter((cert) => cert.daysLeft! < 0);
    const near = all.filter((cert) => cert.daysLeft! >= 0 && cert.daysLeft! < CERT_WARN_DAYS);
    const isCa = (cert: CertExpiry) => (entry.authorities ?? []).includes(cert);
    if (gone.length > 0) {
      expired = true;
      warnings.push(`${entry.node}: ${gone.map((c) => c.name).join(', ')} expired: ${gone.some(isCa) ? 'a CA cannot be renewed by kubeadm certs renew (see kubernetes.io "Manual rotation of CA certificates")' : 'the control plane stops accepting them; run "k8s-bootstrap certs renew"'}`);
    }
    if (near.length > 0) {
      const days = Math.min(...near.map((c) => c.daysLeft!));
      warnings.push(`${entry.node}: ${near.map((c) => c.name).join(', ')} expire${near.length === 1 ? 's' : ''} in ${days} days (under ${CERT_WARN_DAYS}): ${near.some(isCa) ? 'rotate the CA (kubernetes.io "Manual rotation of CA certificates")' : 'run "k8s-bootstrap certs renew"'}`);
    }
    if (entry.error) warnings.push(`${entry.node}: certificates not read: ${entry.error}`);
  }
  return { nodes, ...(soonest ? { soonest } : {}), expired, warnings };
}

const cell = (cert: CertExpiry | undefined): string => {
  if (!cert) return '-';
  if (cert.missing) return 'missing';
  return `${cert.expires!.slice(0, 10)} (${cert.daysLeft! < 0 ? 'expired' : `${cert.daysLeft}d`})`;
};

/** One table: a row per certificate, a column per control plane ("2027-12-03 (364d)"), then the CAs. */
export function formatCertStatus(view: CertStatus | undefined): string[] {
  if (!view || view.nodes.length === 0) return [];
  const read = view.nodes.filter((n) => n.certificates);
  const lines: string[] = [];
  if (read.length > 0) {
    const names = (pick: (n: CertNodeStatus) => CertExpiry[] | undefined) => [...new Set(read.flatMap((n) => (pick(n) ?? []).map((c) => c.name)))];
    const table = (title: string, pick: (n: CertNodeStatus) => CertExpiry[] | undefined): string[][] => [
      [title, ...read.map((n) => n.node)],
      ...names(pick).map((name) => [name, ...read.map((n) => cell(pick(n)?.find((c) => c.name === name)))]),
    ];
    const rows = [...table('CERTIFICATE', (n) => n.certificates), [], ...table('CERTIFICATE AUTHORITY', (n) => n.authorities)];
    const widths: number[] = [];
    for (const cells of rows) cells.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
    lines.push('Certificates (kubeadm certs check-expiration on each control plane):');
    for (const cells of rows) lines.push(cells.length === 0 ? '' : `  ${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('   ')}`);
  }
  for (const warning of view.warnings) lines.push(`  warning: ${warning}`);
  return lines;
}
