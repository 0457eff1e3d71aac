/**
 * The remote state's key, settled once per cluster folder and written into cluster.yaml: two
 * teams' "dev" clusters in one bucket must never plan against each other's state, and whoever
 * shares the cluster shares its cluster.yaml, so the key travels with it.
 *
 * A spec without a key gets, in this order: the key the folder's cluster.yaml already has; none
 * (the old default `k8s-bootstrap/<name>/terraform.tfstate`) when terraform/backend.tf.json shows
 * the cluster already uses that; else a new `k8s-bootstrap/<name>-<random>/terraform.tfstate`.
 */
import { randomBytes } from 'node:crypto';
import { legacyBackendKey, newBackendKey, writtenBackendKey } from '../../providers/terraform-common.js';
import { parseSpecYaml } from '../../config/load.js';
import type { ClusterSpec } from '../../config/schema.js';
import { validateSpec } from '../../config/validate/index.js';
import type { ClusterDir } from '../../state/cluster-dir.js';
import { readTextIfExists } from '../../state/read-optional.js';

export async function settleBackendKey(spec: ClusterSpec, dir: ClusterDir, random = () => randomBytes(4).toString('hex')): Promise<ClusterSpec> {
  const backend = spec.terraform.backend;
  if (!backend || backend.key) return spec;
  const key = (await folderSpecKey(dir, spec.name)) ?? (await usedKey(dir, spec.name)) ?? newBackendKey(spec.name, random());
  if (key === legacyBackendKey(spec.name)) return spec;
  return { ...spec, terraform: { ...spec.terraform, backend: { ...backend, key } } };
}

/** The key in the folder's cluster.yaml, when it describes the same cluster. */
async function folderSpecKey(dir: ClusterDir, name: string): Promise<string | undefined> {
  const text = await readTextIfExists(dir.specFile);
  if (text === undefined) return undefined;
  try {
    const existing = validateSpec(parseSpecYaml(text, dir.specFile));
    return existing.name === name ? existing.terraform.backend?.key : undefined;
  } catch {
    return undefined;
  }
}

/** The key terraform/ already uses (a cluster made before keys were settled keeps its state). */
async function usedKey(dir: ClusterDir, name: string): Promise<string | undefined> {
  const key = await writtenBackendKey(dir.root);
  return key === legacyBackendKey(name) ? key : undefined;
}
