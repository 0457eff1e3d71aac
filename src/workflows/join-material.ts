/**
 * Join material (bootstrap token, certificate key, CA hash) lives in secrets/join.json (0600),
 * never in state.json or logs. It is written BEFORE kubeadm init uses it, so that a run killed
 * mid-init resumes with the same values.
 */
import type { ClusterDir } from '../state/cluster-dir.js';

export interface JoinMaterial {
  token: string;
  /** ms since epoch. */
  tokenCreatedAt: number;
  certificateKey: string;
  /** When the control-plane certificates were last uploaded with this key (ms since epoch). */
  certsUploadedAt?: number;
  /** sha256:<hex> of the cluster CA's public key. */
  caCertHash?: string;
}

const FILE = 'join.json';
/** kubeadm's default token TTL is 24 h; refresh a little before. */
export const TOKEN_MAX_AGE_MS = 23 * 3600_000;
/** The kubeadm-certs Secret and its key expire after 2 h; re-upload a little before. */
export const CERTS_MAX_AGE_MS = 110 * 60_000;

export async function loadJoinMaterial(dir: ClusterDir): Promise<JoinMaterial | undefined> {
  const text = await dir.readSecret(FILE);
  return text ? (JSON.parse(text) as JoinMaterial) : undefined;
}

export async function saveJoinMaterial(dir: ClusterDir, material: JoinMaterial): Promise<void> {
  await dir.writeSecret(FILE, `${JSON.stringify(material, null, 2)}\n`);
}

export function tokenIsFresh(material: JoinMaterial, now = Date.now()): boolean {
  return now - material.tokenCreatedAt < TOKEN_MAX_AGE_MS;
}

export function certsAreFresh(material: JoinMaterial, now = Date.now()): boolean {
  return material.certsUploadedAt !== undefined && now - material.certsUploadedAt < CERTS_MAX_AGE_MS;
}
