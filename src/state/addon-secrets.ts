/**
 * The secrets the tool generates for add-ons, one JSON file per add-on in
 * secrets/addons/<name>.json (the file 0600, the folder 0700, like the rest of secrets/): the
 * monitoring Ingress's basic-auth password, Grafana's admin password and the htpasswd salt. Each
 * is created once, before the add-on's first apply, and read again by every later run, so the
 * Secret rendered from it (and its content sha) stays the same. Nothing here ever reaches
 * cluster.yaml, state.json or a log: the caller registers every value for redaction before use.
 *
 * S3 keys of Velero are not kept here: they come from the environment on each run and live only
 * in the cluster's Secret (workflows/addons/material.ts).
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { randomApr1Salt } from '../kube/addons/htpasswd.js';
import type { ClusterDir } from './cluster-dir.js';
import { SECRET_DIR_MODE } from './cluster-dir.js';

/** The folder under secrets/ (relative, as ClusterDir.secretFile takes names). */
export const ADDON_SECRETS_FOLDER = 'addons';

export interface MonitoringSecrets {
  /** Password of user `admin` on the monitoring Ingresses (Traefik basic auth). */
  basicAuthPassword: string;
  /** Grafana's admin password (Secret grafana-admin). */
  grafanaPassword: string;
  /** The apr1 salt of the htpasswd line: fixed, so the rendered Secret hashes the same each run. */
  htpasswdSalt: string;
  createdAt: string;
}

export const addonSecretName = (addon: string): string => `${ADDON_SECRETS_FOLDER}/${addon}.json`;

/** The absolute path of an add-on's secrets file. */
export function addonSecretPath(dir: ClusterDir, addon: string): string {
  return dir.secretFile(addonSecretName(addon));
}

/** 32 random bytes as URL-safe base64 (43 characters): no quoting trouble in YAML or htpasswd. */
export function generatePassword(): string {
  return randomBytes(32).toString('base64url');
}

async function readAddonSecret<T>(dir: ClusterDir, addon: string): Promise<T | undefined> {
  const text = await dir.readSecret(addonSecretName(addon));
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    // A truncated or hand-edited file: treated as absent is wrong (new passwords would replace
    // the ones people use), so the caller is told.
    throw new SyntaxError(`${addonSecretPath(dir, addon)} is not valid JSON`);
  }
}

async function writeAddonSecret(dir: ClusterDir, addon: string, value: unknown): Promise<string> {
  await dir.ensure();
  const folder = join(dir.secretsDir, ADDON_SECRETS_FOLDER);
  await mkdir(folder, { recursive: true, mode: SECRET_DIR_MODE });
  await chmod(folder, SECRET_DIR_MODE);
  return dir.writeSecret(addonSecretName(addon), `${JSON.stringify(value, null, 2)}\n`);
}

function isMonitoringSecrets(value: unknown): value is MonitoringSecrets {
  const v = value as Partial<MonitoringSecrets> | undefined;
  return typeof v?.basicAuthPassword === 'string' && v.basicAuthPassword !== '' && typeof v.grafanaPassword === 'string' && v.grafanaPassword !== '' && typeof v.htpasswdSalt === 'string' && /^[./0-9A-Za-z]{1,8}$/.test(v.htpasswdSalt);
}

export interface LoadedMonitoringSecrets {
  secrets: MonitoringSecrets;
  path: string;
  /** Made by this call (and written, unless `save` was false). */
  created: boolean;
}

/**
 * The monitoring secrets of the cluster: the saved ones, else new ones, written (0600) before
 * they are returned when `save` is true. `save: false` (a read-only diff) makes new ones in memory
 * only. A file that exists but does not hold them is an error, never silently replaced.
 */
export async function monitoringSecrets(dir: ClusterDir, options: { save: boolean; now?: () => Date }): Promise<LoadedMonitoringSecrets> {
  const addon = 'kube-prometheus-stack';
  const path = addonSecretPath(dir, addon);
  const saved = await readAddonSecret<unknown>(dir, addon);
  if (saved !== undefined) {
    if (!isMonitoringSecrets(saved)) throw new SyntaxError(`${path} does not hold basicAuthPassword, grafanaPassword and htpasswdSalt`);
    return { secrets: saved, path, created: false };
  }
  const secrets: MonitoringSecrets = {
    basicAuthPassword: generatePassword(),
    grafanaPassword: generatePassword(),
    htpasswdSalt: randomApr1Salt(),
    createdAt: (options.now ?? (() => new Date()))().toISOString(),
  };
  if (options.save) await writeAddonSecret(dir, addon, secrets);
  return { secrets, path, created: true };
}
