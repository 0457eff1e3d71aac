/**
 * What a dry run of a cloud cluster renders into the cluster folder: the Packer template and its
 * variables (and on Exoscale/OpenStack the image-build module for the build instance), the Terraform module and terraform.tfvars.json — exactly what the real run hands to
 * the tools, minus what only exists then (the generated SSH key, the built image id).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { ClusterSpec } from '../../config/schema.js';
import type { ClusterDir } from '../../state/cluster-dir.js';
import { isCloudProvider, prepareTerraformDir } from '../../providers/index.js';
import { decideImageBuild, preparePackerDir } from '../../providers/image.js';
import { prepareImageBuildDir } from '../../providers/image-build.js';
import { emptyState } from '../../state/state-store.js';
import { dryRunRenderers } from './plan.js';
import { expandHome } from '../run/ssh-pool.js';

export const DRY_RUN_PUBLIC_KEY_PLACEHOLDER = 'ssh-ed25519 AAAA-generated-by-init k8s-bootstrap';
export const DRY_RUN_IMAGE_PLACEHOLDER = 'image-built-by-packer-at-init';

async function renderPackerFiles(spec: ClusterSpec, dir: ClusterDir): Promise<string[]> {
  if (!isCloudProvider(spec.provider.name)) return [];
  if (decideImageBuild(spec, emptyState(spec.name), {}).action !== 'build') return [];
  // Exoscale and OpenStack: the module for the build instance's security group (and network) too.
  const buildPlace = await prepareImageBuildDir(dir.root, spec);
  return [...(buildPlace?.written ?? []), ...(await preparePackerDir(dir.root, spec)).written];
}

async function renderTerraformFiles(spec: ClusterSpec, dir: ClusterDir): Promise<string[]> {
  if (!isCloudProvider(spec.provider.name)) return [];
  const publicKeyFile = spec.ssh.privateKey ? `${expandHome(spec.ssh.privateKey)}.pub` : undefined;
  const sshPublicKey = publicKeyFile && existsSync(publicKeyFile) ? readFileSync(publicKeyFile, 'utf8').trim() : DRY_RUN_PUBLIC_KEY_PLACEHOLDER;
  return prepareTerraformDir(dir.root, spec, { sshPublicKey, imageId: spec.image.id ?? DRY_RUN_IMAGE_PLACEHOLDER });
}

let registered = false;

/** Adds the cloud renderers to the dry run once. */
export function registerDryRunFiles(): void {
  if (registered) return;
  registered = true;
  dryRunRenderers.push(renderPackerFiles, renderTerraformFiles);
}
