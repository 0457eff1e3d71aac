/**
 * etcd membership as remove-control-plane sees it, through `kubectl exec etcd-<node> -- etcdctl …`
 * on a healthy control plane (the certificates kubeadm made, as etcd-backup.sh uses them):
 * `member list -w json --hex` (IDs as hex, what `member remove` takes), `endpoint health
 * --cluster -w json` (one row per member's client URL; exit 1 when one is unhealthy, the rows
 * still printed) and `member remove <hex id>`.
 *
 * The quorum rule (etcd docs, "Runtime reconfiguration" and FAQ "What is failure tolerance?"): a
 * cluster of N voting members needs floor(N/2)+1 of them to commit anything, membership changes
 * included. So removing a member needs a quorum now, and the started members left must be a
 * quorum of the smaller cluster: etcd itself refuses the latter with --strict-reconfig-check (on
 * by default: RaftCluster.IsReadyToRemoveVotingMember, "re-configuration failed due to not enough
 * started members"); a member that is down may always go, it is not part of the active quorum.
 * Learners do not vote (etcd "Learner" design) and never count.
 */
import { z } from 'zod';
import { ExternalToolError, UsageError } from '../../errors.js';
import type { StepContext } from '../../engine/step.js';
import { kubectl, type Argv } from '../../kube/node-commands.js';
import { assertNodeName } from '../../kube/validate-remote.js';
import type { SshNodeOps } from '../../nodes/ssh-node-ops.js';
import type { ClusterNode } from '../../nodes/topology.js';

type QuietCtx = Pick<StepContext, 'signal' | 'output'>;

const etcdctl = (node: string, args: string[]): Argv =>
  kubectl([
    '-n', 'kube-system', 'exec', `etcd-${assertNodeName(node)}`, '--', 'etcdctl', '--endpoints=https://127.0.0.1:2379',
    '--cacert=/etc/kubernetes/pki/etcd/ca.crt', '--cert=/etc/kubernetes/pki/etcd/server.crt', '--key=/etc/kubernetes/pki/etcd/server.key',
    ...args,
  ]);

export const memberListHex = (node: string): Argv => etcdctl(node, ['member', 'list', '-w', 'json', '--hex']);
export const clusterHealth = (node: string): Argv => etcdctl(node, ['endpoint', 'health', '--cluster', '-w', 'json']);
export const memberRemove = (node: string, id: string): Argv => {
  if (!/^[0-9a-f]{1,16}$/.test(id)) throw new UsageError('InvalidEtcdMemberId', `Not an etcd member ID in hex: ${JSON.stringify(id)}`);
  return etcdctl(node, ['member', 'remove', id]);
};

export interface EtcdMember {
  /** Hex, as `member remove` takes it. */
  id: string;
  name: string;
  learner: boolean;
  clientUrls: string[];
  /** Its client URL answered `endpoint health`. */
  healthy: boolean;
}

const listSchema = z.object({
  members: z
    .array(z.object({ ID: z.union([z.string(), z.number()]), name: z.string().optional(), isLearner: z.boolean().optional(), clientURLs: z.array(z.string()).optional() }))
    .optional(),
});
const healthSchema = z.array(z.object({ endpoint: z.string(), health: z.boolean() }));

function parseJson(what: string, text: string): unknown {
  try {
    return JSON.parse(text.trim().split('\n').find((line) => line.startsWith('{') || line.startsWith('[')) ?? text);
  } catch {
    throw new ExternalToolError('UnexpectedEtcdctlOutput', `etcdctl ${what} printed something that is not JSON`, { details: text.split('\n').slice(0, 5) });
  }
}

function tryJson(text: string): unknown {
  try {
    return parseJson('endpoint health', text);
  } catch {
    return undefined;
  }
}

export function parseMembers(listText: string, healthText: string): EtcdMember[] {
  const list = listSchema.safeParse(parseJson('member list', listText));
  if (!list.success) throw new ExternalToolError('UnexpectedEtcdctlOutput', 'etcdctl member list -w json printed an unexpected document', { details: listText.split('\n').slice(0, 5) });
  // No rows (etcdctl failed before it printed any): no member counts as healthy, the safe side.
  const health = healthSchema.safeParse(tryJson(healthText));
  const healthy = new Set(health.success ? health.data.filter((row) => row.health).map((row) => row.endpoint) : []);
  return (list.data.members ?? []).map((member) => {
    const id = typeof member.ID === 'number' ? member.ID.toString(16) : member.ID.toLowerCase();
    const clientUrls = member.clientURLs ?? [];
    return { id, name: member.name ?? '', learner: member.isLearner === true, clientUrls, healthy: clientUrls.some((url) => healthy.has(url)) };
  });
}

/** The members and their health, read in the etcd pod of `via`; throws when that etcd does not answer. */
export async function readMembers(ops: Pick<SshNodeOps, 'sudo'>, via: ClusterNode, ctx: QuietCtx): Promise<EtcdMember[]> {
  const list = await ops.sudo(via, memberListHex(via.name), ctx, { quiet: true, allowFailure: true, timeoutMs: 60_000 });
  if (list.code !== 0) {
    throw new ExternalToolError('EtcdNotAnswering', `etcd on ${via.name} did not answer etcdctl member list`, { details: list.stderr.trim().split('\n').slice(-3) });
  }
  // Exit 1 when a member is unhealthy: the JSON rows are printed anyway.
  const health = await ops.sudo(via, clusterHealth(via.name), ctx, { quiet: true, allowFailure: true, timeoutMs: 60_000 });
  return parseMembers(list.stdout, health.stdout);
}

export type QuorumVerdict = { ok: true; member?: EtcdMember; note?: string } | { ok: false; code: string; message: string; hint: string };

const quorumOf = (n: number) => Math.floor(n / 2) + 1;

/** May `target`'s member go without losing etcd? (the rule in the header). */
export function removalVerdict(members: EtcdMember[], target: string): QuorumVerdict {
  const member = members.find((entry) => entry.name === target);
  const voting = members.filter((entry) => !entry.learner);
  const healthy = voting.filter((entry) => entry.healthy);
  if (voting.length > 0 && healthy.length < quorumOf(voting.length)) {
    return {
      ok: false,
      code: 'EtcdQuorumLost',
      message: `etcd has lost its quorum: ${healthy.length} of ${voting.length} voting members are healthy (${healthy.map((m) => m.name).join(', ') || 'none'}), ${quorumOf(voting.length)} are needed for any change, removing a member included`,
      hint: 'Bring the members that are down back, or restore the cluster from a backup (k8s-bootstrap restore --from SNAPSHOT). Nothing was changed.',
    };
  }
  if (!member) return { ok: true, note: `${target} has no etcd member (already removed)` };
  if (member.learner) return { ok: true, member };
  const after = voting.filter((entry) => entry !== member);
  if (after.length === 0) {
    return { ok: false, code: 'LastControlPlane', message: `${target} holds the only etcd member: removing it would end the cluster`, hint: 'Add a control plane first (k8s-bootstrap add-control-plane), or destroy the cluster. Nothing was changed.' };
  }
  const left = after.filter((entry) => entry.healthy);
  if (left.length < quorumOf(after.length)) {
    const down = after.filter((entry) => !entry.healthy).map((entry) => entry.name);
    return {
      ok: false,
      code: 'WouldBreakQuorum',
      message: `Removing ${target} would break etcd's quorum: ${after.length} members would be left, ${left.length} of them healthy (${left.map((m) => m.name).join(', ') || 'none'}), and ${after.length} members need ${quorumOf(after.length)}`,
      hint: `Remove the member that is down first${down.length > 0 ? ` (k8s-bootstrap remove-control-plane ${down[0]})` : ''}, or bring it back. Nothing was changed.`,
    };
  }
  return { ok: true, member };
}

/** `etcdctl member remove` of `member`, from the etcd pod of `via`; a member already gone is success. */
export async function removeMember(ops: Pick<SshNodeOps, 'sudo'>, via: ClusterNode, member: EtcdMember, ctx: QuietCtx): Promise<void> {
  const result = await ops.sudo(via, memberRemove(via.name, member.id), ctx, { allowFailure: true, timeoutMs: 60_000 });
  if (result.code === 0) {
    ctx.output(result.stdout.trim(), 'info');
    return;
  }
  if (/member not found/.test(result.stderr)) {
    ctx.output(`etcd member ${member.id} (${member.name}) is already gone`, 'info');
    return;
  }
  throw new ExternalToolError('EtcdMemberRemoveFailed', `etcdctl member remove ${member.id} (${member.name}) failed on ${via.name}`, {
    details: result.stderr.trim().split('\n').slice(-3),
    hint: 'Run "k8s-bootstrap status" to see etcd, then run remove-control-plane again.',
  });
}
