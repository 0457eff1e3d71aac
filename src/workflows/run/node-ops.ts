/**
 * The SSH NodeOps of a run: one construction for init, add-workers, remove-workers and upgrade,
 * so each gets the cloud credentials the CCM and CSI steps need (read lazily from the cluster's
 * Terraform outputs, also on a resumed run; registered for redaction when read).
 */
import type { ClusterSpec } from '../../config/schema.js';
import type { Host } from '../../engine/host.js';
import type { SecretSet } from '../../engine/redact.js';
import { SshNodeOps } from '../../nodes/ssh-node-ops.js';
import { cloudCredentialsSource } from '../../providers/cloud-credentials-source.js';
import type { ClusterDir } from '../../state/cluster-dir.js';
import type { SshPool } from '../../tools/ssh/pool.js';

export function runNodeOps(host: Pick<Host, 'env' | 'signal'>, spec: ClusterSpec, dir: ClusterDir, pool: SshPool, secrets: SecretSet): SshNodeOps {
  const cloudCredentials = cloudCredentialsSource({ spec, clusterDir: dir.root, env: host.env, secrets, signal: host.signal });
  return new SshNodeOps({ spec, dir, pool, secrets, cloudCredentials });
}
