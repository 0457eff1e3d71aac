// The stacked etcd cluster as the API state records it: one member per control plane that got
// through kubeadm's etcd phase. kubeadm adds a joining member as a learner, waits for it, then
// promotes it; a join that fails in between leaves the learner behind, and `kubeadm reset` on
// that node removes its member again. etcdctl (run in the etcd pod via kubectl exec) reads it.
import { randomBytes } from 'node:crypto';
import { fail, flagValue, parseArgs, recordHistory, updateApi } from './context.mjs';
import { etcdctlSnapshot } from './etcd-snapshot.mjs';
import { hostDown } from './cluster.mjs';

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

/** A member answers while its machine runs (Fleet.kill marks a machine down; its member stays until removed). */
export function memberAlive(member) {
  return !hostDown(member.host);
}

/**
 * etcd needs a majority of its voting members to commit anything (etcd FAQ, "What is failure
 * tolerance?": a cluster of N tolerates (N-1)/2 failures). Without it every request times out.
 */
export function hasQuorum(api) {
  const voting = votingMembers(api);
  if (voting.length === 0) return true;
  return voting.filter(memberAlive).length >= Math.floor(voting.length / 2) + 1;
}

const DEADLINE = '{"level":"warn","msg":"retrying of unary invoker failed","error":"rpc error: code = DeadlineExceeded desc = context deadline exceeded"}\nError: context deadline exceeded';

const TLS_FLAGS = ['cacert', 'cert', 'key'];

/** `etcdctl … member list [-w json|table] [--hex]`, `endpoint health`, as the etcd image's etcdctl. */
export function etcdctl(api, argv, pod) {
  const { flags, positional } = parseArgs(argv, { withValue: ['endpoints', 'cacert', 'cert', 'key', 'w', 'write-out', 'command-timeout'] });
  const missing = TLS_FLAGS.filter((flag) => !flagValue(flags, flag));
  if (missing.length > 0) {
    fail(1, '{"level":"warn","msg":"retrying of unary invoker failed","error":"rpc error: code = Unavailable desc = connection closed before server preface received"}\nError: context deadline exceeded');
  }
  const [group, command] = positional;
  // A member without a quorum cannot serve linearizable reads or any write; since etcd 3.5 the
  // member list is linearizable too, so `endpoint health --cluster` (which lists the members first) fails alike.
  if (!hasQuorum(api)) fail(1, DEADLINE);
  if (group === 'endpoint' && command === 'health' && flags.cluster) return clusterHealth(api, flagValue(flags, 'w') ?? flagValue(flags, 'write-out') ?? 'simple');
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
  if (group === 'member' && command === 'remove') return memberRemove(api, positional[2]);
  if (group === 'endpoint' && command === 'health') {
    process.stdout.write(`https://127.0.0.1:2379 is healthy: successfully committed proposal: took = 9.2ms\n`);
    return 0;
  }
  fail(1, `Error: unknown command "${[group, command].filter(Boolean).join(' ')}" for "etcdctl"`);
}

/**
 * `etcdctl member remove <hex id>` (etcdctl/ctlv3/command/member_command.go): the ID is parsed as
 * hex ("bad member ID arg … expecting ID in Hex"), an unknown one is the server's
 * "etcdserver: member not found" (rpctypes.ErrGRPCMemberNotFound). etcd's strict reconfiguration
 * check (on by default, --strict-reconfig-check) refuses removing a started voting member when the
 * members left started would not be a quorum of the smaller cluster
 * (RaftCluster.IsReadyToRemoveVotingMember: "etcdserver: re-configuration failed due to not enough
 * started members"); a member that is down may always go. Success prints
 * "Member <id> removed from cluster <cluster id>".
 */
function memberRemove(_snapshot, id) {
  if (!id) fail(1, 'Error: member ID is not provided');
  if (!/^[0-9a-fA-F]{1,16}$/.test(id)) fail(1, `Error: bad member ID arg (strconv.ParseUint: parsing "${id}": invalid syntax), expecting ID in Hex`);
  const wanted = id.toLowerCase().padStart(16, '0');
  let outcome = 'not-found';
  let removed;
  updateApi((api) => {
    const members = etcdMembers(api);
    const index = members.findIndex((member) => member.id.padStart(16, '0') === wanted);
    if (index < 0) return;
    const member = members[index];
    if (!member.isLearner && memberAlive(member)) {
      const after = votingMembers(api).filter((entry) => entry !== member);
      if (after.filter(memberAlive).length < Math.floor(after.length / 2) + 1) {
        outcome = 'not-enough-started';
        return;
      }
    }
    members.splice(index, 1);
    recordHistory(api, 'etcd-member-remove', { id: member.id, name: member.name });
    outcome = 'removed';
    removed = member;
  });
  if (outcome === 'not-found') fail(1, '{"level":"warn","msg":"retrying of unary invoker failed","error":"rpc error: code = NotFound desc = etcdserver: member not found"}\nError: etcdserver: member not found');
  if (outcome === 'not-enough-started') {
    fail(1, '{"level":"warn","msg":"retrying of unary invoker failed","error":"rpc error: code = FailedPrecondition desc = etcdserver: re-configuration failed due to not enough started members"}\nError: etcdserver: re-configuration failed due to not enough started members');
  }
  process.stdout.write(`Member ${removed.id} removed from cluster cdf818194e3a8c32\n`);
  return 0;
}

/**
 * `etcdctl endpoint health --cluster [-w json]`: every member's client URL, healthy or not
 * (ctlv3 epHealthCommandFunc); exit 1 with "Error: unhealthy cluster" when one is not.
 */
function clusterHealth(api, output) {
  const rows = etcdMembers(api).map((member) => {
    const health = memberAlive(member);
    return { endpoint: member.clientURL, health, took: health ? '9.2ms' : '5.000s', ...(health ? {} : { error: `dial tcp ${new URL(member.clientURL).host}: connect: no route to host` }) };
  });
  if (output === 'json') process.stdout.write(`${JSON.stringify(rows)}\n`);
  else {
    for (const row of rows) {
      if (row.health) process.stdout.write(`${row.endpoint} is healthy: successfully committed proposal: took = ${row.took}\n`);
      else process.stderr.write(`${row.endpoint} is unhealthy: failed to commit proposal: ${row.error}\n`);
    }
  }
  if (rows.some((row) => !row.health)) {
    process.stderr.write('Error: unhealthy cluster\n');
    return 1;
  }
  return 0;
}
