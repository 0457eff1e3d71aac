/**
 * The cluster's SSH key for cloud nodes: the person's (spec.ssh.privateKey, with its .pub), or an
 * ed25519 key generated once into secrets/ (0600) and reused by every later run.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { PreflightError } from '../../errors.js';
import type { ClusterSpec } from '../../config/schema.js';
import type { ClusterDir } from '../../state/cluster-dir.js';
import { generateEd25519KeyPair } from '../../tools/ssh/keygen.js';
import { GENERATED_KEY, expandHome } from './ssh-pool.js';

export interface SshKeyPair {
  privateKeyPath: string;
  publicKey: string;
}

export async function ensureSshKey(spec: ClusterSpec, dir: ClusterDir): Promise<SshKeyPair> {
  if (spec.ssh.privateKey) {
    const privateKeyPath = expandHome(spec.ssh.privateKey);
    const publicPath = `${privateKeyPath}.pub`;
    if (!existsSync(publicPath)) {
      throw new PreflightError('SshPublicKeyMissing', `ssh.privateKey is ${spec.ssh.privateKey} but ${publicPath} does not exist`, {
        hint: `Create it with: ssh-keygen -y -f ${spec.ssh.privateKey} > ${publicPath}`,
      });
    }
    return { privateKeyPath, publicKey: (await readFile(publicPath, 'utf8')).trim() };
  }
  const privateKeyPath = dir.secretFile(GENERATED_KEY);
  const publicName = `${GENERATED_KEY}.pub`;
  if (existsSync(privateKeyPath)) {
    return { privateKeyPath, publicKey: ((await dir.readSecret(publicName)) ?? '').trim() };
  }
  const pair = generateEd25519KeyPair(`k8s-bootstrap-${spec.name}`);
  await dir.writeSecret(publicName, `${pair.publicKey}\n`);
  await dir.writeSecret(GENERATED_KEY, pair.privateKey);
  return { privateKeyPath, publicKey: pair.publicKey.trim() };
}
