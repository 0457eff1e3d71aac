/**
 * Where the Packer build instance runs on Exoscale and OpenStack. Neither builder makes a
 * security group of its own, and Packer runs before the cluster's network exists, so a small
 * Terraform module (templates/terraform/<provider>-image-build) makes a temporary security group
 * that admits SSH from ssh.adminCidrs and, on OpenStack, a routed network unless the spec names
 * networks. It lives in <cluster>/image-build/ with its own local state, is applied before
 * `packer build` and destroyed after it. AWS needs none: amazon-ebs makes its own temporary group.
 */
import { copyFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ExternalToolError } from '../errors.js';
import type { ClusterSpec } from '../config/schema.js';
import { writeFileAtomic } from '../state/atomic.js';
import type { BuildPlace } from './image.js';
import { packageRoot, secureTerraformDir, TFVARS_FILE } from './terraform-common.js';

/** <cluster>/image-build/: the module copy, its tfvars and its state. */
export const IMAGE_BUILD_DIR = 'image-build';

/** The outputs both modules have; the flow reads nothing else. */
export const IMAGE_BUILD_OUTPUTS = ['security_group_names', 'network_ids'] as const;

/** templates/terraform/<provider>-image-build, or undefined where Packer needs no help. */
export function imageBuildModuleDir(spec: ClusterSpec): string | undefined {
  const provider = spec.provider.name;
  if (provider !== 'exoscale' && provider !== 'openstack') return undefined;
  return join(packageRoot(), 'templates', 'terraform', `${provider}-image-build`);
}

/** The module's variables. Never credentials: those come from the environment. */
export function imageBuildTfvars(spec: ClusterSpec): Record<string, unknown> {
  const common = { cluster_name: spec.name, admin_cidrs: spec.ssh.adminCidrs };
  const provider = spec.provider;
  if (provider.name === 'exoscale') return { ...common, zone: provider.zone };
  if (provider.name !== 'openstack') return common;
  const namedNetworks = (provider.imageBuild?.networks ?? []).length > 0;
  return {
    ...common,
    region: provider.region,
    external_network: provider.externalNetwork,
    create_network: !namedNetworks,
    ...(provider.dnsNameservers ? { dns_nameservers: provider.dnsNameservers } : {}),
  };
}

export interface ImageBuildDir {
  dir: string;
  written: string[];
}

/** Writes <cluster>/image-build/ for Exoscale and OpenStack; undefined for AWS. */
export async function prepareImageBuildDir(clusterDir: string, spec: ClusterSpec): Promise<ImageBuildDir | undefined> {
  const source = imageBuildModuleDir(spec);
  if (!source) return undefined;
  const dir = join(clusterDir, IMAGE_BUILD_DIR);
  await secureTerraformDir(dir);
  const written: string[] = [];
  for (const entry of await readdir(source, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    await copyFile(join(source, entry.name), join(dir, entry.name));
    written.push(join(dir, entry.name));
  }
  const tfvars = join(dir, TFVARS_FILE);
  await writeFileAtomic(tfvars, `${JSON.stringify(imageBuildTfvars(spec), null, 2)}\n`);
  written.push(tfvars);
  return { dir, written };
}

/**
 * The module's outputs (`terraform output -json`) plus the spec's own choices, as the Packer
 * variables security_groups and networks take them: networks the spec names win over the
 * module's (which then made none), groups the spec names come on top of the SSH one.
 */
export function buildPlaceFromOutputs(spec: ClusterSpec, outputs: Record<string, { value: unknown }>): BuildPlace {
  const list = (name: (typeof IMAGE_BUILD_OUTPUTS)[number]): string[] => {
    const value = outputs[name]?.value;
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
      throw new ExternalToolError('ImageBuildOutputs', `the image-build module's output ${name} is not a list of strings: ${JSON.stringify(value)}`, {
        hint: `Check templates/terraform/${spec.provider.name}-image-build/main.tf.`,
      });
    }
    return value;
  };
  const securityGroups = list('security_group_names');
  const made = list('network_ids');
  if (spec.provider.name !== 'openstack') return { securityGroups, networks: made };
  const named = spec.provider.imageBuild;
  return {
    securityGroups: [...securityGroups, ...(named?.securityGroups ?? [])],
    networks: (named?.networks ?? []).length > 0 ? named!.networks! : made,
  };
}
