/**
 * The values a cloud is known to accept, so a typo (region "eu-centrl-1", type "t3.bogus") is
 * said before any cloud call. Clouds add regions and types all the time, so an unknown value is
 * only a warning with a "did you mean": the cloud has the last word. One list per value, used by
 * validation (validate/known-values.ts) and the wizard's choices.
 */

/**
 * Exoscale zones: the ZoneName enum of Exoscale's OpenAPI v2 document
 * (https://openapi-v2.exoscale.com/source.json, as generated into exoscale-rs docs/ZoneName.md).
 */
export const EXOSCALE_ZONES = ['ch-gva-2', 'ch-dk-2', 'de-fra-1', 'de-muc-1', 'at-vie-1', 'at-vie-2', 'bg-sof-1'] as const;

/**
 * Exoscale instance types are FAMILY.SIZE. Families and sizes: the InstanceTypeFamily and
 * InstanceTypeSize enums of Exoscale's OpenAPI document (exoscale/egoscale oapi.gen.go), plus
 * the GPU families egoscale v3 names (gpu3, gpu3080ti, gpua5000, gpua30, gpurtx6000pro).
 * Not every family comes in every size; the cloud refuses a combination it does not sell.
 */
export const EXOSCALE_INSTANCE_FAMILIES = [
  'standard', 'cpu', 'memory', 'storage', 'colossus', 'gpu', 'gpu2', 'gpu3', 'gpu3080ti', 'gpua5000', 'gpua30', 'gpurtx6000pro',
] as const;
export const EXOSCALE_INSTANCE_SIZES = [
  'micro', 'tiny', 'small', 'medium', 'large', 'extra-large', 'huge', 'mega', 'titan', 'jumbo', 'colossus',
] as const;

/**
 * AWS commercial regions: the public regions of openshift/openshift-docs
 * modules/installation-aws-regions.adoc (with ap-southeast-5, ap-southeast-7, ca-west-1 and
 * mx-central-1 added there later), ap-east-2 and ap-southeast-6 (DataDog/datadog-lambda-python
 * ci/datasources/regions.yaml), GovCloud and China from the same OpenShift page.
 */
export const AWS_REGIONS = [
  'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2',
  'af-south-1',
  'ap-east-1', 'ap-east-2', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-south-1', 'ap-south-2',
  'ap-southeast-1', 'ap-southeast-2', 'ap-southeast-3', 'ap-southeast-4', 'ap-southeast-5', 'ap-southeast-6', 'ap-southeast-7',
  'ca-central-1', 'ca-west-1',
  'eu-central-1', 'eu-central-2', 'eu-north-1', 'eu-south-1', 'eu-south-2', 'eu-west-1', 'eu-west-2', 'eu-west-3',
  'il-central-1', 'me-central-1', 'me-south-1', 'mx-central-1', 'sa-east-1',
  'us-gov-east-1', 'us-gov-west-1', 'cn-north-1', 'cn-northwest-1',
] as const;

/**
 * EC2 instance types are FAMILY.SIZE. The common general-purpose, compute-, memory- and
 * storage-optimised families and the sizes, after aws-cdk-lib's InstanceClass and InstanceSize
 * enums (aws-ec2/lib/instance-types.ts) and the newer c8a/m8a/c8i/m8i/r8i (eksctl-io/eksctl
 * pkg/utils/instance/instance_types.go). Accelerated and niche families are left out on purpose:
 * they only draw a warning.
 */
export const AWS_INSTANCE_FAMILIES = [
  't2', 't3', 't3a', 't4g',
  'm4', 'm5', 'm5a', 'm5d', 'm5ad', 'm5n', 'm5dn', 'm5zn', 'm6i', 'm6id', 'm6in', 'm6idn', 'm6a', 'm6g', 'm6gd',
  'm7i', 'm7i-flex', 'm7a', 'm7g', 'm7gd', 'm8g', 'm8gd', 'm8i', 'm8a',
  'c4', 'c5', 'c5a', 'c5d', 'c5ad', 'c5n', 'c6i', 'c6id', 'c6in', 'c6a', 'c6g', 'c6gd', 'c6gn',
  'c7i', 'c7i-flex', 'c7a', 'c7g', 'c7gd', 'c7gn', 'c8g', 'c8gd', 'c8i', 'c8a',
  'r4', 'r5', 'r5a', 'r5d', 'r5ad', 'r5n', 'r5dn', 'r5b', 'r6i', 'r6id', 'r6in', 'r6idn', 'r6a', 'r6g', 'r6gd',
  'r7i', 'r7iz', 'r7a', 'r7g', 'r7gd', 'r8g', 'r8gd', 'r8i',
  'x2gd', 'x2idn', 'x2iedn', 'z1d', 'i3', 'i3en', 'i4i', 'i4g', 'im4gn', 'is4gen', 'i7ie', 'i8g', 'd3', 'd3en',
  'a1', 'g4dn', 'g5', 'g6', 'p3', 'p4d', 'p5', 'inf2', 'trn1',
] as const;
export const AWS_INSTANCE_SIZES = [
  'nano', 'micro', 'small', 'medium', 'large', 'xlarge', '2xlarge', '3xlarge', '4xlarge', '6xlarge', '8xlarge', '9xlarge',
  '10xlarge', '12xlarge', '16xlarge', '18xlarge', '24xlarge', '32xlarge', '48xlarge', '56xlarge', '96xlarge', '112xlarge',
  '224xlarge', 'metal', 'metal-16xl', 'metal-24xl', 'metal-48xl',
] as const;
