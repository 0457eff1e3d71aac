/**
 * Where each provider's credentials come from. Only the environment and well-known files are
 * looked at (the same places Terraform's providers and Packer's builders look), and values are
 * only ever handed to those tools or to log redaction: never printed, never written to a file.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import type { ValidationIssue } from '../errors.js';
import type { ClusterSpec, ProviderName } from '../config/schema.js';
import { cloudCredentialSecretValues } from './cloud-credentials.js';

export interface CredentialDiscovery {
  ok: boolean;
  /** Where they were found, for a message such as "using credentials from OS_CLOUD=prod (clouds.yaml)". */
  source: string;
  /** Variables (or files) that would complete the credentials; empty when ok. */
  missing: string[];
  /** The credential variables present, to pass to Terraform/Packer. Never print these. */
  values: Record<string, string>;
  /** AWS: the shared-file profile the SDK would use, when that is where the credentials come from. */
  profile?: string;
}

type FsCheck = (path: string) => boolean;

/** Secret-bearing variables per provider: what log redaction hides. */
const SECRET_VARIABLES: Record<ProviderName, string[]> = {
  exoscale: ['EXOSCALE_API_KEY', 'EXOSCALE_API_SECRET'],
  openstack: ['OS_PASSWORD', 'OS_APPLICATION_CREDENTIAL_SECRET', 'OS_TOKEN', 'OS_AUTH_TOKEN'],
  aws: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_CONTAINER_AUTHORIZATION_TOKEN'],
  static: [],
};

function set(env: NodeJS.ProcessEnv, name: string): boolean {
  const value = env[name];
  return value !== undefined && value !== '';
}

function pick(env: NodeJS.ProcessEnv, matcher: (name: string) => boolean): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined && value !== '' && matcher(name)) values[name] = value;
  return values;
}

function home(env: NodeJS.ProcessEnv): string {
  return env.HOME !== undefined && env.HOME !== '' ? env.HOME : homedir();
}

export function discoverCredentials(provider: ProviderName, env: NodeJS.ProcessEnv, fsCheck: FsCheck = existsSync): CredentialDiscovery {
  switch (provider) {
    case 'static':
      return { ok: true, source: 'none needed (static hosts)', missing: [], values: {} };
    case 'exoscale':
      return discoverExoscale(env);
    case 'openstack':
      return discoverOpenstack(env, fsCheck);
    case 'aws':
      return discoverAws(env, fsCheck);
  }
}

function discoverExoscale(env: NodeJS.ProcessEnv): CredentialDiscovery {
  const names = ['EXOSCALE_API_KEY', 'EXOSCALE_API_SECRET'];
  const missing = names.filter((name) => !set(env, name));
  return {
    ok: missing.length === 0,
    source: missing.length === 0 ? 'environment (EXOSCALE_API_KEY, EXOSCALE_API_SECRET)' : 'not found',
    missing,
    values: missing.length === 0 ? pick(env, (name) => names.includes(name)) : {},
  };
}

/** clouds.yaml locations, in the order the OpenStack SDK searches them. */
export function cloudsYamlPaths(env: NodeJS.ProcessEnv, cwd = process.cwd()): string[] {
  const explicit = set(env, 'OS_CLIENT_CONFIG_FILE') ? [env.OS_CLIENT_CONFIG_FILE!] : [];
  return [...explicit, join(cwd, 'clouds.yaml'), join(home(env), '.config', 'openstack', 'clouds.yaml'), '/etc/openstack/clouds.yaml'];
}

function discoverOpenstack(env: NodeJS.ProcessEnv, fsCheck: FsCheck): CredentialDiscovery {
  const values = pick(env, (name) => name.startsWith('OS_'));
  if (set(env, 'OS_CLOUD')) {
    const file = cloudsYamlPaths(env).find((path) => fsCheck(path));
    if (file) return { ok: true, source: `clouds.yaml entry OS_CLOUD=${env.OS_CLOUD} (${file})`, missing: [], values };
    return { ok: false, source: 'not found', missing: ['clouds.yaml (./, ~/.config/openstack/ or /etc/openstack/)'], values: {} };
  }
  if (!set(env, 'OS_AUTH_URL')) {
    return { ok: false, source: 'not found', missing: ['OS_CLOUD', 'OS_AUTH_URL'], values: {} };
  }
  const password = (set(env, 'OS_USERNAME') || set(env, 'OS_USER_ID')) && set(env, 'OS_PASSWORD');
  const appCredential = set(env, 'OS_APPLICATION_CREDENTIAL_ID') && set(env, 'OS_APPLICATION_CREDENTIAL_SECRET');
  const token = set(env, 'OS_TOKEN') || set(env, 'OS_AUTH_TOKEN');
  if (password) return { ok: true, source: 'environment (OS_AUTH_URL with user and password)', missing: [], values };
  if (appCredential) return { ok: true, source: 'environment (OS_AUTH_URL with application credential)', missing: [], values };
  if (token) return { ok: true, source: 'environment (OS_AUTH_URL with token)', missing: [], values };
  const missing: string[] = [];
  if (set(env, 'OS_APPLICATION_CREDENTIAL_ID')) missing.push('OS_APPLICATION_CREDENTIAL_SECRET');
  else if (set(env, 'OS_USERNAME') || set(env, 'OS_USER_ID')) missing.push('OS_PASSWORD');
  else missing.push('OS_USERNAME', 'OS_PASSWORD');
  return { ok: false, source: 'not found', missing, values: {} };
}

/** The default credential chain of the AWS SDKs, minus instance metadata (IMDS is not probed). */
function discoverAws(env: NodeJS.ProcessEnv, fsCheck: FsCheck): CredentialDiscovery {
  const values = pick(env, (name) => name.startsWith('AWS_'));
  const found = (source: string): CredentialDiscovery => ({ ok: true, source, missing: [], values });
  if (set(env, 'AWS_ACCESS_KEY_ID') && set(env, 'AWS_SECRET_ACCESS_KEY')) return found('environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)');
  if (set(env, 'AWS_WEB_IDENTITY_TOKEN_FILE') && set(env, 'AWS_ROLE_ARN')) return found('web identity (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN)');
  if (set(env, 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI') || set(env, 'AWS_CONTAINER_CREDENTIALS_FULL_URI')) {
    return found('container credentials (AWS_CONTAINER_CREDENTIALS_*)');
  }
  const file = awsSharedFiles(env).find((path) => fsCheck(path));
  const profile = set(env, 'AWS_PROFILE') ? env.AWS_PROFILE! : 'default';
  if (file) return { ...found(`profile ${profile} (${file})`), profile };
  if (set(env, 'AWS_ACCESS_KEY_ID')) return { ok: false, source: 'not found', missing: ['AWS_SECRET_ACCESS_KEY'], values: {} };
  return { ok: false, source: 'not found', missing: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'], values: {} };
}

/** The AWS SDK's shared credentials file, then its config file (both honour their override variables). */
export function awsSharedFiles(env: NodeJS.ProcessEnv): [credentials: string, config: string] {
  return [
    set(env, 'AWS_SHARED_CREDENTIALS_FILE') ? env.AWS_SHARED_CREDENTIALS_FILE! : join(home(env), '.aws', 'credentials'),
    set(env, 'AWS_CONFIG_FILE') ? env.AWS_CONFIG_FILE! : join(home(env), '.aws', 'config'),
  ];
}

export interface AwsProfile {
  name: string;
  /** The first shared file that names it. */
  file: string;
}

/**
 * The named profiles of the shared files, for the wizard's AWS_PROFILE choice: "[name]" in the
 * credentials file, "[profile name]" (and "[default]") in the config file, as the AWS CLI
 * documents them (docs.aws.amazon.com/cli/latest/userguide/cli-configure-files.html).
 * "[sso-session …]" and "[services …]" sections of the config file are not profiles.
 */
export function awsProfiles(env: NodeJS.ProcessEnv, readText: (path: string) => string | undefined = readIfFile): AwsProfile[] {
  const [credentialsFile, configFile] = awsSharedFiles(env);
  const profiles: AwsProfile[] = [];
  const add = (name: string, file: string) => {
    if (name && !profiles.some((p) => p.name === name)) profiles.push({ name, file });
  };
  for (const [, section] of (readText(credentialsFile) ?? '').matchAll(/^\s*\[\s*([^\]]+?)\s*\]\s*$/gm)) add(section!, credentialsFile);
  for (const [, section] of (readText(configFile) ?? '').matchAll(/^\s*\[\s*([^\]]+?)\s*\]\s*$/gm)) {
    if (section === 'default') add('default', configFile);
    else if (section!.startsWith('profile ')) add(section!.slice('profile '.length).trim(), configFile);
  }
  return profiles;
}

const HOW_TO: Record<Exclude<ProviderName, 'static'>, string> = {
  exoscale: 'export EXOSCALE_API_KEY and EXOSCALE_API_SECRET (an API key of your Exoscale organisation)',
  openstack:
    'export OS_CLOUD with a clouds.yaml in ./, ~/.config/openstack/ or /etc/openstack/; or OS_AUTH_URL with ' +
    'OS_USERNAME (or OS_USER_ID) and OS_PASSWORD, or OS_APPLICATION_CREDENTIAL_ID and OS_APPLICATION_CREDENTIAL_SECRET, or OS_TOKEN',
  aws:
    'export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with ~/.aws/credentials or ~/.aws/config, ' +
    'or AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN, or AWS_CONTAINER_CREDENTIALS_*; instance metadata (IMDS) is not checked',
};

/** The "credentials are missing" problem of a spec, naming the variables; undefined when fine. */
export function credentialIssue(provider: ProviderName, env: NodeJS.ProcessEnv, fsCheck: FsCheck = existsSync): ValidationIssue | undefined {
  if (provider === 'static') return undefined;
  const found = discoverCredentials(provider, env, fsCheck);
  if (found.ok) return undefined;
  return {
    path: 'credentials',
    message: `no ${provider} credentials found (missing: ${found.missing.join(', ')})`,
    fix: HOW_TO[provider],
  };
}

/** The secret values present in the environment for this provider, for redacting logs. */
export function secretValues(provider: ProviderName, env: NodeJS.ProcessEnv): string[] {
  return SECRET_VARIABLES[provider].filter((name) => set(env, name)).map((name) => env[name]!);
}

/**
 * Every credential a run of this cluster can meet, for redaction: the provider's variables, the
 * S3 backend's AWS keys (also used for Exoscale SOS), the user's CCM/CSI key variables, and the
 * secrets inside the credential files the tools read (~/.aws/credentials, clouds.yaml and
 * secure.yaml), which Terraform or an SDK may echo in an error.
 */
export function runSecrets(spec: ClusterSpec, env: NodeJS.ProcessEnv, readText: (path: string) => string | undefined = readIfFile): string[] {
  const values = secretValues(spec.provider.name, env);
  if (spec.terraform.backend) values.push(...secretValues('aws', env));
  if (spec.provider.name === 'aws' || spec.terraform.backend) values.push(...awsFileSecrets(env, readText));
  if (spec.provider.name === 'openstack') values.push(...openstackFileSecrets(env, readText));
  // The CCM/CSI key the user brings (cloudIntegration.credentials: environment).
  values.push(...cloudCredentialSecretValues(spec, env));
  // The backup bucket's keys (spec.backup.s3), read by backup, upgrade and the control-plane changes.
  if (spec.backup?.s3) values.push(...['K8SB_BACKUP_S3_SECRET_ACCESS_KEY', 'K8SB_BACKUP_S3_SESSION_TOKEN'].filter((name) => set(env, name)).map((name) => env[name]!));
  return [...new Set(values)];
}

const AWS_FILE_SECRET = /^\s*(?:aws_secret_access_key|aws_session_token|aws_security_token)\s*=\s*(\S+)\s*$/gim;

function awsFileSecrets(env: NodeJS.ProcessEnv, readText: (path: string) => string | undefined): string[] {
  const file = set(env, 'AWS_SHARED_CREDENTIALS_FILE') ? env.AWS_SHARED_CREDENTIALS_FILE! : join(home(env), '.aws', 'credentials');
  const text = readText(file) ?? '';
  return [...text.matchAll(AWS_FILE_SECRET)].map((match) => match[1]!);
}

const OPENSTACK_SECRET_KEYS = new Set(['password', 'application_credential_secret', 'token']);

function openstackFileSecrets(env: NodeJS.ProcessEnv, readText: (path: string) => string | undefined): string[] {
  const found: string[] = [];
  for (const path of cloudsYamlPaths(env).flatMap((file) => [file, join(dirname(file), 'secure.yaml')])) {
    const text = readText(path);
    if (text === undefined) continue;
    try {
      collectValues(parse(text), OPENSTACK_SECRET_KEYS, found);
    } catch {
      // Not YAML: the OpenStack SDK will say so; nothing to redact from it.
    }
  }
  return found;
}

function collectValues(value: unknown, keys: Set<string>, into: string[]): void {
  if (Array.isArray(value)) for (const item of value) collectValues(item, keys, into);
  else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (keys.has(key) && typeof item === 'string') into.push(item);
      else collectValues(item, keys, into);
    }
  }
}

function readIfFile(path: string): string | undefined {
  try {
    return statSync(path).isFile() ? readFileSync(path, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}
