/**
 * The SSH pool of a run: the key (the person's, or one generated into secrets/), pinned host
 * keys (secrets/known_hosts plus an optional read-only --known-hosts), the bastion.
 */
import { existsSync } from 'node:fs';
import type { ClusterSpec } from '../spec/schema.js';
import type { ClusterDir } from '../state/cluster-dir.js';
import { HostKeyStore, SshPool } from '../tools/ssh.js';
import type { RunHarness } from './run-harness.js';
import type { Topology } from './topology.js';

export interface SshSetupOptions {
  spec: ClusterSpec;
  dir: ClusterDir;
  topology: Topology;
  concurrency: number;
  /** Overall wait for a node to answer SSH. */
  sshTimeoutMs: number;
  knownHostsFile?: string;
  privateKeyPath?: string;
  env: NodeJS.ProcessEnv;
}

export const GENERATED_KEY = 'ssh_ed25519';

/** The key a cluster uses: the spec's, else the one generated into the cluster folder. */
export function privateKeyPathFor(spec: ClusterSpec, dir: ClusterDir): string | undefined {
  if (spec.ssh.privateKey) return expandHome(spec.ssh.privateKey);
  const generated = dir.secretFile(GENERATED_KEY);
  return existsSync(generated) ? generated : undefined;
}

export function expandHome(path: string): string {
  return path.startsWith('~/') ? `${process.env.HOME ?? ''}${path.slice(1)}` : path;
}

export function createSshPool(run: RunHarness, options: SshSetupOptions): SshPool {
  const readOnly = [options.knownHostsFile, options.spec.ssh.knownHosts].filter((f): f is string => Boolean(f)).map(expandHome);
  const knownHosts = new HostKeyStore({ file: options.dir.knownHostsFile, readOnlyFiles: readOnly });
  const privateKeyPath = options.privateKeyPath ?? privateKeyPathFor(options.spec, options.dir);
  return new SshPool({
    user: options.topology.sshUser,
    privateKeyPath,
    agent: privateKeyPath ? undefined : options.env.SSH_AUTH_SOCK,
    bastion: options.topology.bastion,
    knownHosts,
    concurrency: options.concurrency,
    readyWaitMs: options.sshTimeoutMs,
    connectTimeoutMs: Math.min(15_000, options.sshTimeoutMs),
    signal: run.signal,
    onHostKeyLearned: (info) => run.note(`${info.node}: pinned host key ${info.keyType} ${info.fingerprint} (${info.address})`),
  });
}
