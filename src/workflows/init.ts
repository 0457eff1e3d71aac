/**
 * CONTRACT STUB (the lead replaces the body): the real init run after the spec is resolved and
 * the cluster folder written. Returns the exit code.
 */
import type { CliContext } from '../cli/context.js';
import type { ClusterSpec } from '../spec/schema.js';
import type { ClusterDir } from '../state/cluster-dir.js';
import { NotImplementedError } from '../errors.js';

export interface InitRunOptions {
  spec: ClusterSpec;
  dir: ClusterDir;
  /** Nodes worked on at once. */
  concurrency: number;
  /** Overall time limit of the run. */
  timeoutMs: number;
  rebuildImage: boolean;
  /** --known-hosts file to pin before connecting. */
  knownHostsFile?: string;
}

export async function runInitWorkflow(_ctx: CliContext, _options: InitRunOptions): Promise<number> {
  throw new NotImplementedError('init (provisioning and bootstrap)');
}
