/** Shared by the terraform tests: temp dirs and a minimal spec per provider. */
import { mkdtemp } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterSpecSchema, type ClusterSpec, type ClusterSpecInput } from '../../src/config/schema.js';

export const REPO = join(import.meta.dirname, '..', '..');
export const MODULES = join(REPO, 'templates', 'terraform');

export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `k8sb-${prefix}-`));
}

export function spec(provider: ClusterSpecInput['provider'], extra: Partial<ClusterSpecInput> = {}): ClusterSpec {
  return clusterSpecSchema.parse({
    apiVersion: 'k8s-bootstrap.io/v1alpha1',
    kind: 'Cluster',
    name: 'demo',
    provider,
    ssh: { adminCidrs: ['203.0.113.0/24'] },
    ...extra,
  });
}

/** The directory above registry.terraform.io that holds the AWS provider, if any. */
export function awsPluginDir(): string | undefined {
  const candidates = [process.env.K8SB_TF_PLUGIN_DIR, '/opt/tf-plugins'].filter((d): d is string => !!d);
  return candidates.find((dir) => existsSync(join(dir, 'registry.terraform.io', 'hashicorp', 'aws')));
}
