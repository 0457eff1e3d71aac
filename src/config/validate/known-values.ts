/**
 * Warnings for regions, zones and instance types the provider is not known to offer
 * (config/known-values.ts). A warning, not an error: a new region or type works before this
 * release knows it, and the cloud refuses what it does not sell.
 */
import type { ValidationIssue } from '../../errors.js';
import {
  AWS_INSTANCE_FAMILIES,
  AWS_INSTANCE_SIZES,
  AWS_REGIONS,
  EXOSCALE_INSTANCE_FAMILIES,
  EXOSCALE_INSTANCE_SIZES,
  EXOSCALE_ZONES,
} from '../known-values.js';
import type { ClusterSpec } from '../schema.js';
import { didYouMean } from '../zod-issues.js';

export function knownValueWarnings(spec: ClusterSpec): ValidationIssue[] {
  const provider = spec.provider;
  const types = (families: readonly string[], sizes: readonly string[], cloud: string) => [
    ...instanceTypeWarning('controlPlane.type', spec.controlPlane.type, families, sizes, cloud),
    ...instanceTypeWarning('workers.type', spec.workers.type, families, sizes, cloud),
  ];
  switch (provider.name) {
    case 'aws':
      return [
        ...oneOf('provider.region', provider.region, AWS_REGIONS, 'is not a known AWS region'),
        ...types(AWS_INSTANCE_FAMILIES, AWS_INSTANCE_SIZES, 'EC2'),
      ];
    case 'exoscale':
      return [
        ...oneOf('provider.zone', provider.zone, EXOSCALE_ZONES, 'is not a known Exoscale zone'),
        ...types(EXOSCALE_INSTANCE_FAMILIES, EXOSCALE_INSTANCE_SIZES, 'Exoscale'),
      ];
    default:
      return [];
  }
}

function oneOf(path: string, value: string, known: readonly string[], message: string): ValidationIssue[] {
  if (known.includes(value)) return [];
  const suggestion = closest(value, known);
  const fix = suggestion ? `did you mean "${suggestion}"?` : `known: ${known.join(', ')}`;
  return [{ path, message, value, fix }];
}

/** FAMILY.SIZE: the family and the size are checked apart, so the suggestion keeps the part that was right. */
function instanceTypeWarning(path: string, value: string | undefined, families: readonly string[], sizes: readonly string[], cloud: string): ValidationIssue[] {
  if (value === undefined) return [];
  const dot = value.indexOf('.');
  const family = dot < 0 ? value : value.slice(0, dot);
  const size = dot < 0 ? '' : value.slice(dot + 1);
  const familyKnown = families.includes(family);
  const sizeKnown = sizes.includes(size);
  if (familyKnown && sizeKnown) return [];
  const message = `is not a known ${cloud} instance type (FAMILY.SIZE, e.g. ${families[0]}.${sizes.includes('medium') ? 'medium' : sizes[0]})`;
  const guessFamily = familyKnown ? family : closest(family, families);
  const guessSize = sizeKnown ? size : closest(size, sizes);
  if (guessFamily && guessSize) return [{ path, message, value, fix: `did you mean "${guessFamily}.${guessSize}"?` }];
  const fix = familyKnown ? `known sizes: ${sizes.join(', ')}` : `known families: ${families.join(', ')}`;
  return [{ path, message, value, fix }];
}

function closest(value: string, candidates: readonly string[]): string | undefined {
  return value === '' ? undefined : didYouMean(value, candidates);
}
