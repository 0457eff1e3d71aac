/**
 * `k8s-bootstrap ssh [NODE] [-- COMMAND…]`: a shell on a node (the first control plane by
 * default) through the system's OpenSSH client, or one command over the tool's own SSH layer
 * whose output goes to stdout/stderr and whose exit code becomes ours. Either way only pinned
 * host keys are accepted, and the bastion is used when there is one. Read-only: no lock.
 */
import { UsageError } from '../../errors.js';
import { HostKeyStore } from '../../tools/ssh/known-hosts.js';
import { checkPrivateKeyFile } from '../../tools/ssh/keys.js';
import { runInteractiveSsh } from '../../tools/ssh/interactive.js';
import { didYouMean } from '../../config/zod-issues.js';
import {
  addressOf,
  checkPinned,
  loadCluster,
  openReadOnlyPool,
  readOnlyKnownHosts,
  topologyOf,
  type LoadedCluster,
} from '../../workflows/run/load-cluster.js';
import { privateKeyPathFor } from '../../workflows/run/ssh-pool.js';
import { allNodes, firstControlPlane, type ClusterNode, type Topology } from '../../nodes/topology.js';
import type { SshFlags } from '../commands/ssh.js';
import type { CliContext } from '../context.js';
import { clusterRefOf } from '../host.js';

/** How long to wait for the node to accept SSH. */
const SSH_WAIT_MS = 30_000;

export async function runSsh(ctx: CliContext, options: SshFlags, args: string[]): Promise<number> {
  const timeoutMs = options.timeout;
  const cluster = await loadCluster(ctx, clusterRefOf(ctx));
  const topology = topologyOf(cluster);
  const { node, command } = chooseNode(topology, args);

  if (command.length === 0) {
    if (!ctx.stdin.isTTY || !ctx.stdout.isTTY) {
      throw new UsageError('NoTerminal', 'An interactive shell needs a terminal, and stdin or stdout is not one', {
        hint: `Run one command instead: k8s-bootstrap ssh ${node.name} -- COMMAND`,
      });
    }
    const knownHostsFiles = [cluster.dir.knownHostsFile, ...readOnlyKnownHosts(cluster.spec)];
    checkPinned(new HostKeyStore({ file: cluster.dir.knownHostsFile, readOnlyFiles: knownHostsFiles.slice(1) }), topology, node);
    const privateKeyPath = privateKeyPathFor(cluster.spec, cluster.dir);
    if (privateKeyPath) checkPrivateKeyFile(privateKeyPath);
    else if (!ctx.env.SSH_AUTH_SOCK) throw noCredentials();
    const bastion = topology.bastion;
    ctx.error(`Connecting to ${node.name} (${node.host}${bastion ? ` via ${bastion.host}` : ''})…`);
    return runInteractiveSsh(
      {
        host: node.host,
        port: node.port,
        user: node.user ?? topology.sshUser,
        privateKeyPath,
        knownHostsFiles,
        bastion: bastion ? { host: bastion.host, port: bastion.port, user: bastion.user ?? topology.sshUser } : undefined,
      },
      // OpenSSH needs the agent's socket and PATH; the rest of the environment stays here.
      { signal: ctx.signal, env: { PATH: ctx.env.PATH, SSH_AUTH_SOCK: ctx.env.SSH_AUTH_SOCK } },
    );
  }
  return runOneCommand(ctx, cluster, topology, node, command.join(' '), timeoutMs);
}

async function runOneCommand(
  ctx: CliContext,
  cluster: LoadedCluster,
  topology: Topology,
  node: ClusterNode,
  script: string,
  timeoutMs: number,
): Promise<number> {
  const { pool, knownHosts } = openReadOnlyPool(cluster, topology, { signal: ctx.signal, readyWaitMs: Math.min(SSH_WAIT_MS, timeoutMs), env: ctx.env, concurrency: 1 });
  try {
    checkPinned(knownHosts, topology, node);
    // Like OpenSSH, the words after -- form one command line for the remote shell.
    const result = await pool.session(addressOf(node)).exec(
      { script },
      {
        timeoutMs,
        signal: ctx.signal,
        allowFailure: true,
        // Shown, never parsed: nothing is kept, so a long output is no reason to stop it.
        captureOutput: false,
        onLine: (line, stream) => (stream === 'stdout' ? ctx.stdout : ctx.stderr).write(`${line}\n`),
      },
    );
    // 255 is what OpenSSH returns when the remote side gave no exit status (killed by a signal).
    return result.code >= 0 ? result.code : 255;
  } finally {
    await pool.closeAll();
  }
}

/**
 * Which node the words name. commander drops the `--` (`ssh -- sudo kubectl …` and
 * `ssh sudo kubectl …` both reach us as ["sudo", "kubectl", …]), so the first word decides: a
 * node's name selects that node; a word shaped like one (a typo, "cp-7" in a cluster of cp-1…3)
 * is refused rather than run on another node; any other word starts a command for the first
 * control plane. The command's help says the same.
 */
export function chooseNode(topology: Topology, args: string[]): { node: ClusterNode; command: string[] } {
  const first = firstControlPlane(topology);
  const [word, ...rest] = args;
  if (word === undefined) return { node: first, command: [] };
  const nodes = allNodes(topology);
  const named = nodes.find((candidate) => candidate.name === word);
  if (named) return { node: named, command: rest };
  const names = nodes.map((n) => n.name);
  const near = didYouMean(word, names);
  if (near || looksLikeNodeName(word, names)) {
    throw new UsageError('UnknownNode', `There is no node named "${word}" in this cluster${near ? ` (did you mean "${near}"?)` : ''}`, {
      hint: `Nodes: ${names.join(', ')}. To run "${word}" as a command on the first control plane, name that node first: k8s-bootstrap ssh ${first.name} -- ${args.join(' ')}`,
    });
  }
  return { node: first, command: args };
}

/** The cluster's naming with another number ("worker-7" beside worker-1 and worker-2). */
function looksLikeNodeName(word: string, names: string[]): boolean {
  const stem = (name: string) => name.replace(/-?\d+$/, '');
  return stem(word) !== word && names.some((name) => stem(name) !== name && stem(name) === stem(word));
}

function noCredentials(): UsageError {
  return new UsageError('NoSshCredentials', 'No SSH private key for this cluster and no ssh-agent (SSH_AUTH_SOCK)', {
    hint: 'Set ssh.privateKey in cluster.yaml, or load the key into ssh-agent.',
  });
}
