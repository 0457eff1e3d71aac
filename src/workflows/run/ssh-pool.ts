/**
 * The SSH pool of a run: the key (the person's, or one generated into secrets/), pinned host
 * keys (secrets/known_hosts plus an optional read-only --known-hosts), the bastion.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { ClusterSpec } from '../../config/schema.js';
import { expandHome } from '../../config/ssh-key-file.js';
import type { ClusterDir } from '../../state/cluster-dir.js';
import { HostKeyStore } from '../../tools/ssh/known-hosts.js';
import { SshPool } from '../../tools/ssh/pool.js';
import type { RunHarness } from './session.js';
import type { Topology } from '../../nodes/topology.js';

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
  /** Trust and pin hosts with no pinned key (init and add-workers only); others are refused. @default false */
  pinNew?: boolean;
}

export const GENERATED_KEY = 'ssh_ed25519';

/** The key a cluster uses: the spec's, else the one generated into the cluster folder. */
export function privateKeyPathFor(spec: ClusterSpec, dir: ClusterDir): string | undefined {
  if (spec.ssh.privateKey) return expandHome(spec.ssh.privateKey);
  const generated = dir.secretFile(GENERATED_KEY);
  return existsSync(generated) ? generated : undefined;
}

/** ~/ is expanded by the same rule validation uses (config/ssh-key-file.ts). */
export { expandHome };

export function createSshPool(run: RunHarness, options: SshSetupOptions): SshPool {
  const readOnly = [options.knownHostsFile, options.spec.ssh.knownHosts].filter((f): f is string => Boolean(f)).map(expandHome);
  const knownHosts = new HostKeyStore({ file: options.dir.knownHostsFile, readOnlyFiles: readOnly });
  const privateKeyPath = options.privateKeyPath ?? privateKeyPathFor(options.spec, options.dir);
  // The key's lines are secrets of the run: a tool that echoes the file must not show them.
  if (privateKeyPath) run.secrets.add(readPrivateKey(privateKeyPath));
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
    pinNew: options.pinNew ?? false,
    onHostKeyLearned: (info) => run.note(`${info.node}: pinned host key ${info.keyType} ${info.fingerprint} (${info.address})`),
  });
}

/** The private key's text for redaction; an unreadable file is the SSH pool's error to report. */
function readPrivateKey(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
