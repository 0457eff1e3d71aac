/**
 * The node image: when to build it with Packer, and the inputs Packer gets.
 *
 * An image is reused while its inputs are unchanged: the state records the image id with a hash of
 * the Packer template, prepare-node.sh and the versions baked in. `image.id` in the spec skips the
 * build entirely; `--rebuild-image` forces one.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ExternalToolError, UsageError, ValidationError } from '../errors.js';
import { minorOf, parseKubeVersion } from '../kube/versions.js';
import { DEFAULT_INSTANCE_TYPES, type ClusterSpec, type ProviderName } from '../config/schema.js';
import type { ClusterState } from '../state/state-store.js';
import { writeFileAtomic } from '../state/atomic.js';
import { templatePath } from '../tools/template.js';

export type ImageProvider = Exclude<ProviderName, 'static'>;

/** Canonical's Ubuntu 24.04 (noble) AMIs; owner 099720109477 is set in the template. */
export const AWS_BASE_IMAGE = 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*';
/** File name of the variables file: Packer reads any `-var-file` ending in .json as JSON. */
export const PACKER_VAR_FILE = 'variables.pkrvars.json';
export const PREPARE_SCRIPT = 'prepare-node.sh';

export interface ImageInputs {
  provider: ImageProvider;
  templateFile: string;
  scriptFile: string;
  kubernetesVersion: string;
  runtime: string;
  baseImage: string;
  /** Where the image lives (Exoscale zone, OpenStack or AWS region): an image is reused only there. */
  location: string;
}

/**
 * sha256 over the template's and script's bytes plus the versions; stable across machines.
 * Synchronous on purpose: two small files, and the plan is decided before any step runs.
 */
export function imageInputsHash(inputs: ImageInputs): string {
  const hash = createHash('sha256');
  // Length-prefixed fields, so that moving bytes between fields changes the hash.
  const field = (name: string, value: string | Buffer) => {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    hash.update(`${name}:${bytes.length}:`);
    hash.update(bytes);
    hash.update('\n');
  };
  field('provider', inputs.provider);
  field('template', readFileSync(inputs.templateFile));
  field('script', readFileSync(inputs.scriptFile));
  field('kubernetesVersion', inputs.kubernetesVersion);
  field('runtime', inputs.runtime);
  field('baseImage', inputs.baseImage);
  field('location', inputs.location);
  return hash.digest('hex');
}

export type ImageAction = 'use-spec-id' | 'reuse' | 'build';

export interface ImageDecision {
  action: ImageAction;
  /** One line for the person: why this action. */
  reason: string;
  /** The image to use, for use-spec-id and reuse. */
  imageId?: string;
  /** Hash of the current inputs, to record with a built image ('' for use-spec-id: nothing is built). */
  inputsHash: string;
}

export interface DecideImageOptions {
  /** `--rebuild-image`. @default false */
  rebuild?: boolean;
  /** Hash of the current inputs. @default imageInputsHash(specImageInputs(spec)) */
  inputsHash?: string;
}

/** The inputs of the image a spec asks for, from the package's templates/ (cloud providers only). */
export function specImageInputs(spec: ClusterSpec): ImageInputs {
  const provider = imageProvider(spec);
  return {
    provider,
    templateFile: templatePath('packer', `${provider}.pkr.hcl`),
    scriptFile: templatePath('scripts', PREPARE_SCRIPT),
    kubernetesVersion: spec.kubernetes.version,
    runtime: spec.kubernetes.runtime,
    baseImage: baseImageOf(spec),
    location: imageLocationOf(spec),
  };
}

/** Build, reuse, or take the spec's image id (cloud providers only). */
export function decideImageBuild(
  spec: ClusterSpec,
  state: Pick<ClusterState, 'image'> | undefined,
  options: DecideImageOptions = {},
): ImageDecision {
  if (spec.image.id) {
    const ignored = options.rebuild ? ' (--rebuild-image ignored: the spec names the image)' : '';
    const imageId = nodeImageId(spec, spec.image.id, 'image.id in cluster.yaml');
    return { action: 'use-spec-id', inputsHash: '', imageId, reason: `image.id ${spec.image.id} from the spec${ignored}` };
  }
  if (!spec.image.build) {
    throw new ValidationError([
      { path: 'image.build', value: false, message: 'no image to use', fix: 'set image.id to an existing image, or set image.build to true' },
    ]);
  }
  const inputsHash = options.inputsHash ?? imageInputsHash(specImageInputs(spec));
  if (options.rebuild) return { action: 'build', inputsHash, reason: '--rebuild-image was given' };
  const recorded = state?.image;
  if (!recorded) return { action: 'build', inputsHash, reason: 'no node image built yet' };
  if (recorded.inputsHash === inputsHash) {
    const imageId = nodeImageId(spec, recorded.id, 'image.id in state.json');
    return { action: 'reuse', inputsHash, imageId, reason: `image ${imageId} was built from the same template, script and versions` };
  }
  return { action: 'build', inputsHash, reason: `inputs changed since image ${recorded.id} (template, prepare-node.sh, version, runtime, base image or region)` };
}

/**
 * The image id Terraform gets. On AWS, Packer's artifact id is "<region>:<ami-id>", several of
 * them sorted and joined with "," when the AMI is copied to more regions (hashicorp/packer-plugin-
 * amazon builder/common/artifact.go, Artifact.Id); EC2 takes only the bare "ami-…" of the
 * cluster's region. Other clouds' ids (template or Glance UUIDs) are used as they are. Also
 * applied to ids read back from state.json, which versions before this one wrote unstripped.
 */
export function nodeImageId(spec: ClusterSpec, id: string, origin: string): string {
  if (spec.provider.name !== 'aws' || !id.includes(':')) return id;
  const region = spec.provider.region;
  const byRegion = new Map<string, string>();
  for (const entry of id.split(',')) {
    const match = /^([a-z0-9-]+):(ami-[0-9a-f]+)$/.exec(entry.trim());
    if (!match) {
      throw new ExternalToolError('ImageIdUnreadable', `${origin}: "${id}" is neither an AMI id nor a Packer "<region>:<ami-id>" list`, {
        hint: 'Set image.id to the bare ami-… id, or run with --rebuild-image.',
      });
    }
    byRegion.set(match[1]!, match[2]!);
  }
  const ami = byRegion.get(region);
  if (ami) return ami;
  throw new ExternalToolError('ImageNotInRegion', `${origin}: "${id}" has no AMI in provider.region ${region} (only ${[...byRegion.keys()].join(', ')})`, {
    hint: `An AMI is usable only in its region: run with --rebuild-image to build one in ${region}, or set image.id to an AMI of ${region}.`,
  });
}

/** The image Terraform gets for an infrastructure run: the spec's, else the one recorded in state.json. */
export function terraformImageId(spec: ClusterSpec, state: Pick<ClusterState, 'image'> | undefined): string {
  if (spec.image.id) return nodeImageId(spec, spec.image.id, 'image.id in cluster.yaml');
  const recorded = state?.image?.id;
  return recorded ? nodeImageId(spec, recorded, 'image.id in state.json') : '';
}

/** Security groups and networks of the build instance (from the image-build module and the spec). */
export interface BuildPlace {
  securityGroups: string[];
  networks: string[];
}

export interface PackerDirFiles {
  /** <cluster>/packer/<provider>.pkr.hcl */
  template: string;
  /** <cluster>/packer/prepare-node.sh */
  script: string;
  /** <cluster>/packer/variables.pkrvars.json */
  varFile: string;
  /** Every file written, for the dry-run listing. */
  written: string[];
  inputsHash: string;
  /** The variables written (no credentials ever). */
  variables: Record<string, string | string[]>;
}

function imageProvider(spec: ClusterSpec): ImageProvider {
  if (spec.provider.name === 'static') {
    throw new UsageError('NoImageForStatic', 'the static provider does not build node images', {
      hint: 'Static nodes are prepared over SSH with the same prepare-node.sh.',
    });
  }
  return spec.provider.name;
}

/** The zone or region an image is made in and usable in. */
export function imageLocationOf(spec: ClusterSpec): string {
  switch (spec.provider.name) {
    case 'exoscale':
      return spec.provider.zone;
    case 'openstack':
    case 'aws':
      return spec.provider.region ?? '';
    default:
      return '';
  }
}

/** The base image the build starts from, per provider. */
export function baseImageOf(spec: ClusterSpec): string {
  switch (spec.provider.name) {
    case 'exoscale':
      return spec.provider.baseTemplate;
    case 'openstack':
      return spec.provider.baseImage;
    case 'aws':
      return AWS_BASE_IMAGE;
    default:
      return '';
  }
}

/**
 * Writes `<clusterDir>/packer/`: the provider's template and prepare-node.sh (copied, so the folder
 * shows exactly what was built) and the JSON variables file. Credentials never go in: Packer reads
 * them from the environment through the templates' env() defaults.
 */
export async function preparePackerDir(clusterDir: string, spec: ClusterSpec, place?: BuildPlace): Promise<PackerDirFiles> {
  const provider = imageProvider(spec);
  const version = parseKubeVersion(spec.kubernetes.version);
  if (!version) {
    throw new ValidationError([{ path: 'kubernetes.version', value: spec.kubernetes.version, message: 'is not MAJOR.MINOR.PATCH', fix: 'e.g. 1.36.2' }]);
  }
  const dir = join(clusterDir, 'packer');
  await mkdir(dir, { recursive: true });
  const template = join(dir, `${provider}.pkr.hcl`);
  const script = join(dir, PREPARE_SCRIPT);
  const varFile = join(dir, PACKER_VAR_FILE);
  await copyFile(templatePath('packer', `${provider}.pkr.hcl`), template);
  await copyFile(templatePath('scripts', PREPARE_SCRIPT), script);

  const baseImage = baseImageOf(spec);
  const inputsHash = imageInputsHash({
    provider,
    templateFile: template,
    scriptFile: script,
    kubernetesVersion: spec.kubernetes.version,
    runtime: spec.kubernetes.runtime,
    baseImage,
    location: imageLocationOf(spec),
  });
  const variables: Record<string, string | string[]> = {
    image_name: `k8sb-${spec.name}-${spec.kubernetes.version.replaceAll('.', '-')}-${inputsHash.slice(0, 8)}`,
    kubernetes_version: spec.kubernetes.version,
    kubernetes_minor: minorOf(version),
    runtime: spec.kubernetes.runtime,
    pull_images: '1',
    prepare_script: script,
    base_image: baseImage,
    instance_type: spec.controlPlane.type ?? DEFAULT_INSTANCE_TYPES[provider].controlPlane,
    ...providerVariables(spec, place),
  };
  await writeFileAtomic(varFile, `${JSON.stringify(variables, null, 2)}\n`, 0o644);
  return { template, script, varFile, written: [template, script, varFile], inputsHash, variables };
}

function providerVariables(spec: ClusterSpec, place: BuildPlace | undefined): Record<string, string | string[]> {
  const provider = spec.provider;
  switch (provider.name) {
    case 'exoscale':
      return { zone: provider.zone, ...optionalList('security_groups', place?.securityGroups) };
    case 'aws': {
      const build = provider.imageBuild;
      return {
        region: provider.region,
        ...(build?.subnetId ? { subnet_id: build.subnetId } : {}),
        ...(build?.vpcId ? { vpc_id: build.vpcId } : {}),
      };
    }
    case 'openstack':
      // `cloud` names a clouds.yaml entry, not a credential. A region given to the builder wins
      // over the clouds.yaml entry's (packer-plugin-openstack builder/openstack/access_config.go),
      // so it is written only when the spec has one.
      return {
        ...(provider.region ? { region: provider.region } : {}),
        floating_ip_network: provider.externalNetwork,
        ...(provider.cloud ? { cloud: provider.cloud } : {}),
        ...optionalList('security_groups', place?.securityGroups ?? provider.imageBuild?.securityGroups),
        ...optionalList('networks', place?.networks ?? provider.imageBuild?.networks),
      };
    default:
      return {};
  }
}

/** `{ name: values }` when there are values: an empty list would only repeat the template's default. */
function optionalList(name: string, values: string[] | undefined): Record<string, string[]> {
  return values && values.length > 0 ? { [name]: values } : {};
}
