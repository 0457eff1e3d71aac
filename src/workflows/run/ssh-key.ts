/**
 * The cluster's SSH key for cloud nodes: the person's (spec.ssh.privateKey, with its .pub), or an
 * ed25519 key generated once into secrets/ (0600) and reused by every later run.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { PreflightError } from '../../errors.js';
import type { ClusterSpec } from '../../config/schema.js';
import type { ClusterDir } from '../../state/cluster-dir.js';
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
  // ssh2 (under node-ssh) writes OpenSSH-format keys; loaded lazily like every SSH module.
  const require = createRequire(import.meta.url);
  const { utils } = require('ssh2') as { utils: { generateKeyPairSync(type: 'ed25519', options: { comment: string }): { private: string; public: string } } };
  const pair = utils.generateKeyPairSync('ed25519', { comment: `k8s-bootstrap-${spec.name}` });
  await dir.writeSecret(publicName, `${pair.public}\n`);
  await dir.writeSecret(GENERATED_KEY, pair.private);
  return { privateKeyPath, publicKey: pair.public.trim() };
}
