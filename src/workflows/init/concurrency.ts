/**
 * How many nodes init works on at once when --concurrency is not given. 32 (DEFAULTS.init) was
 * the bound for every cluster, so a hundred workers joined in four waves: a `kubeadm join` waits
 * most of its time (TLS bootstrap, the kubelet's first report) and costs the operator's machine
 * one idle SSH channel, so waves only add join time after join time. A larger cluster now has all
 * its nodes worked on at once, up to MAX_INIT_CONCURRENCY: each node is one SSH connection (a
 * file descriptor and ~1 MB in this process, bench/scale.mjs measures it), and past a few hundred
 * the operator's file-descriptor limit (1024 soft by default) and the handshakes' CPU come first.
 * The SSH pool bounds handshakes and operations across all nodes by the same number
 * (tools/ssh/pool.ts), each node's channels by MaxSessions (tools/ssh/session.ts).
 */
import { DEFAULTS } from '../defaults.js';

export const MAX_INIT_CONCURRENCY = 128;

export function initConcurrency(nodes: number): number {
  return Math.min(MAX_INIT_CONCURRENCY, Math.max(DEFAULTS.init.concurrency, nodes));
}
