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
import {
  addressOf,
  checkPinned,
  findNode,
  loadCluster,
  openReadOnlyPool,
  readOnlyKnownHosts,
  topologyOf,
  type LoadedCluster,
} from '../../workflows/run/load-cluster.js';
import { privateKeyPathFor } from '../../workflows/run/ssh-pool.js';
import { firstControlPlane, type ClusterNode, type Topology } from '../../nodes/topology.js';
import type { SshFlags } from '../commands/ssh.js';
import type { CliContext } from '../context.js';
import { clusterRefOf } from '../host.js';

/** How long to wait for the node to accept SSH. */
const SSH_WAIT_MS = 30_000;

export async function runSsh(ctx: CliContext, options: SshFlags, args: string[]): Promise<number> {
  const timeoutMs = options.timeout;
  const [nodeName, ...command] = args;
  const cluster = await loadCluster(ctx, clusterRefOf(ctx));
  const topology = topologyOf(cluster);
  const node = nodeName ? findNode(topology, nodeName) : firstControlPlane(topology);

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

function noCredentials(): UsageError {
  return new UsageError('NoSshCredentials', 'No SSH private key for this cluster and no ssh-agent (SSH_AUTH_SOCK)', {
    hint: 'Set ssh.privateKey in cluster.yaml, or load the key into ssh-agent.',
  });
}
