/**
 * The secret search of the e2e tests: the secrets a run knows or created (the private key's lines,
 * join material, VRRP password, admin client key) and every place none of them may appear (the
 * runs' stdout/stderr and each file of the cluster folder outside secrets/), plus the modes of
 * secrets/ and the kubeconfig.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { FakeRun } from '../../helpers/fake-io.js';
import { publicFiles } from '../cluster/cluster-helpers.js';

export interface Secret {
  what: string;
  value: string;
}

/** Lines of the private key's body: any of them in an output means the key leaked. */
export function keySecrets(path: string): Secret[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.length >= 20 && !line.startsWith('-----'))
    .map((line, i) => ({ what: `private key line ${i + 1}`, value: line }));
}

/** What the runs created and keep in secrets/ (read after each command: tokens get renewed). */
export function runSecrets(dir: string): Secret[] {
  const found: Secret[] = [];
  const read = (name: string) => (existsSync(join(dir, 'secrets', name)) ? readFileSync(join(dir, 'secrets', name), 'utf8') : undefined);
  const join_ = read('join.json');
  if (join_) {
    const material = JSON.parse(join_) as { token?: string; certificateKey?: string };
    if (material.token) {
      found.push({ what: 'bootstrap token', value: material.token });
      found.push({ what: 'bootstrap token secret part', value: material.token.split('.')[1]! });
    }
    if (material.certificateKey) found.push({ what: 'certificate key', value: material.certificateKey });
  }
  const vrrp = read('vrrp_pass')?.trim();
  if (vrrp) found.push({ what: 'VRRP password', value: vrrp });
  const kubeconfig = existsSync(join(dir, 'kubeconfig')) ? readFileSync(join(dir, 'kubeconfig'), 'utf8') : '';
  const clientKey = /client-key-data:\s*(\S+)/.exec(kubeconfig)?.[1];
  if (clientKey) found.push({ what: 'admin client key data', value: clientKey });
  return found;
}

/** Every place a secret must not be: the runs' stdout/stderr and the cluster folder outside secrets/. */
export function leaks(secrets: Secret[], runs: Array<{ name: string; run: FakeRun }>, dir: string): string[] {
  const places = [
    ...runs.flatMap(({ name, run }) => [
      { path: `${name}: stdout`, text: run.stdout },
      { path: `${name}: stderr`, text: run.stderr },
    ]),
    ...publicFiles(dir),
  ];
  const found: string[] = [];
  for (const secret of secrets) {
    for (const place of places) if (place.text.includes(secret.value)) found.push(`${secret.what} in ${place.path}`);
  }
  return found;
}

export function expectSecretModes(dir: string): void {
  expect(statSync(join(dir, 'secrets')).mode & 0o777).toBe(0o700);
  for (const name of readdirSync(join(dir, 'secrets'))) {
    const stat = statSync(join(dir, 'secrets', name));
    if (stat.isFile()) expect(stat.mode & 0o777, `secrets/${name}`).toBe(0o600);
  }
  if (existsSync(join(dir, 'kubeconfig'))) expect(statSync(join(dir, 'kubeconfig')).mode & 0o777).toBe(0o600);
  // Backups carry etcd's data (Secrets, tokens): folders 0700, files 0600, as secrets/.
  const backups = join(dir, 'backups');
  if (!existsSync(backups)) return;
  expect(statSync(backups).mode & 0o777).toBe(0o700);
  for (const stamp of readdirSync(backups)) {
    expect(statSync(join(backups, stamp)).mode & 0o777, `backups/${stamp}`).toBe(0o700);
    for (const name of readdirSync(join(backups, stamp))) expect(statSync(join(backups, stamp, name)).mode & 0o777, `backups/${stamp}/${name}`).toBe(0o600);
  }
}
