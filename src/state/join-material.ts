/**
 * Persistence of the join material (bootstrap token, certificate key, CA hash) in
 * secrets/join.json (0600) — never in state.json or logs. It is written BEFORE kubeadm init uses
 * it, so a run killed mid-init resumes with the same values. Freshness rules live in the kube layer.
 */
import type { JoinMaterial } from '../kube/join-material.js';
import type { ClusterDir } from './cluster-dir.js';

export type SavedJoinMaterial = Partial<JoinMaterial> &
  Pick<JoinMaterial, 'token' | 'certificateKey'> & {
    /** Random id of this cluster, in the marker on its nodes: tells a half-done init of ours from another cluster's. */
    clusterUid?: string;
  };

const FILE = 'join.json';

export async function loadJoinMaterial(dir: ClusterDir): Promise<SavedJoinMaterial | undefined> {
  const text = await dir.readSecret(FILE);
  return text ? (JSON.parse(text) as SavedJoinMaterial) : undefined;
}

export async function saveJoinMaterial(dir: ClusterDir, material: SavedJoinMaterial): Promise<void> {
  await dir.writeSecret(FILE, `${JSON.stringify(material, null, 2)}\n`);
}

export async function forgetJoinMaterial(dir: ClusterDir): Promise<void> {
  const { rm } = await import('node:fs/promises');
  await rm(dir.secretFile(FILE), { force: true });
}
