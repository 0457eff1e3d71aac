// The stacked etcd cluster as the API state records it: one member per control plane that got
// through kubeadm's etcd phase. kubeadm adds a joining member as a learner, waits for it, then
// promotes it; a join that fails in between leaves the learner behind, and `kubeadm reset` on
// that node removes its member again. etcdctl (run in the etcd pod via kubectl exec) reads it.
import { randomBytes } from 'node:crypto';
import { fail, flagValue, parseArgs } from './context.mjs';
import { etcdctlSnapshot } from './etcd-snapshot.mjs';

export function etcdMembers(api) {
  api.etcd ??= { members: [] };
  return api.etcd.members;
}

/** A new member for `name`; `learner` while kubeadm waits for it to catch up. */
export function addMember(api, { name, host, address, learner }) {
  const members = etcdMembers(api);
  const existing = members.find((member) => member.name === name);
  if (existing) return existing;
  // etcd member IDs are uint64; kept as hex strings so JSON never rounds them.
  const member = { id: randomBytes(8).toString('hex'), name, host, peerURL: `https://${address}:2380`, clientURL: `https://${address}:2379`, isLearner: learner };
  members.push(member);
  return member;
}

export function promoteMember(api, name) {
  const member = etcdMembers(api).find((entry) => entry.name === name);
  if (member) member.isLearner = false;
}

export function removeMemberOfHost(api, host) {
  const members = etcdMembers(api);
  const index = members.findIndex((member) => member.host === host);
  if (index < 0) return null;
  return members.splice(index, 1)[0];
}

/** Voting members (learners do not count for quorum). */
export function votingMembers(api) {
  return etcdMembers(api).filter((member) => !member.isLearner);
}

const TLS_FLAGS = ['cacert', 'cert', 'key'];

/** `etcdctl … member list [-w json|table] [--hex]`, `endpoint health`, as the etcd image's etcdctl. */
export function etcdctl(api, argv, pod) {
  const { flags, positional } = parseArgs(argv, { withValue: ['endpoints', 'cacert', 'cert', 'key', 'w', 'write-out', 'command-timeout'] });
  const missing = TLS_FLAGS.filter((flag) => !flagValue(flags, flag));
  if (missing.length > 0) {
    fail(1, '{"level":"warn","msg":"retrying of unary invoker failed","error":"rpc error: code = Unavailable desc = connection closed before server preface received"}\nError: context deadline exceeded');
  }
  const [group, command] = positional;
  if (group === 'snapshot') return etcdctlSnapshot(api, pod, positional.slice(1));
  const output = flagValue(flags, 'w') ?? flagValue(flags, 'write-out') ?? 'simple';
  const hex = Boolean(flags.hex);
  if (group === 'member' && command === 'list') {
    const members = etcdMembers(api);
    if (output === 'json') {
      const body = {
        header: { cluster_id: hex ? 'cdf818194e3a8c32' : 14841639068965178418, member_id: hex ? members[0]?.id : 1, raft_term: 2 },
        members: members.map((member) => ({
          ID: hex ? member.id : Number.parseInt(member.id.slice(0, 12), 16),
          name: member.name,
          peerURLs: [member.peerURL],
          ...(member.isLearner ? { isLearner: true } : { clientURLs: [member.clientURL] }),
        })),
      };
      process.stdout.write(`${JSON.stringify(body)}\n`);
    } else {
      process.stdout.write(members.map((member) => `${member.id}, started, ${member.name}, ${member.peerURL}, ${member.clientURL}, ${member.isLearner}`).join('\n') + '\n');
    }
    return 0;
  }
  if (group === 'endpoint' && command === 'health') {
    process.stdout.write(`https://127.0.0.1:2379 is healthy: successfully committed proposal: took = 9.2ms\n`);
    return 0;
  }
  fail(1, `Error: unknown command "${[group, command].filter(Boolean).join(' ')}" for "etcdctl"`);
}
