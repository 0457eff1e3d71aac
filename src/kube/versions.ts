/**
 * Kubernetes releases this tool installs. Supported = the newest three minors
 * (kubernetes.io/releases, as of 2026-11: 1.35, 1.36, 1.37).
 * Bump these together when a new minor ships (and pins.ts); every other module derives from them.
 */
import { InternalError } from '../errors.js';
import { KUBERNETES_PATCHES } from './pins.js';
export const SUPPORTED_MINORS = ['1.35', '1.36', '1.37'] as const;
export type SupportedMinor = (typeof SUPPORTED_MINORS)[number];

/** The default is the newest supported minor, at its newest released patch (pins.ts). */
export const DEFAULT_KUBERNETES_VERSION = KUBERNETES_PATCHES['1.37'];

const VERSION_PATTERN = /^v?(\d{1,2})\.(\d{1,3})\.(\d{1,3})$/;

export interface KubeVersion {
  major: number;
  minor: number;
  patch: number;
}

export function parseKubeVersion(text: string): KubeVersion | undefined {
  const match = VERSION_PATTERN.exec(text);
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]) };
}

/** "1.36.2" (no leading v): the form package pins and the spec use. */
export function formatKubeVersion(version: KubeVersion): string {
  return `${version.major}.${version.minor}.${version.patch}`;
}

export function minorOf(version: KubeVersion): string {
  return `${version.major}.${version.minor}`;
}

/** "1.37.1" → "1.37"; the text is one of the versions this tool planned, so it always reads. */
export function minorOfText(version: string): string {
  const parsed = parseKubeVersion(version.trim());
  if (!parsed) throw new InternalError('UnreadableVersion', `Cannot read the version "${version}"`);
  return minorOf(parsed);
}

export function compareKubeVersions(a: KubeVersion, b: KubeVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

export function isSupportedMinor(minor: string): minor is SupportedMinor {
  return (SUPPORTED_MINORS as readonly string[]).includes(minor);
}

/** kubeadm config API: v1beta4 from 1.31 (mandatory from 1.36), v1beta3 before. */
export function kubeadmApiVersion(version: KubeVersion): 'kubeadm.k8s.io/v1beta3' | 'kubeadm.k8s.io/v1beta4' {
  return version.major === 1 && version.minor < 31 ? 'kubeadm.k8s.io/v1beta3' : 'kubeadm.k8s.io/v1beta4';
}
