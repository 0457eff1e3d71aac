/**
 * Every environment variable k8s-bootstrap reads for its own settings, in one typed place.
 * Precedence everywhere: flag > --config file > environment variable > schema default.
 * Provider credentials (EXOSCALE_*, OS_*, AWS_*) are the providers' own; see providers/credentials.ts.
 */
import { INIT_FIELDS, type InitFieldRow } from './init-fields.js';

export interface EnvVarInfo {
  /** The spec field it fills, when it fills one. */
  field?: string;
  /** The flag that gives the same value. */
  flag?: string;
  description: string;
}

type InitEnvRow = Extract<InitFieldRow, { env: object }>;
type InitEnvVars = { readonly [Row in InitEnvRow as Row['env']['name']]: { field: Row['field']; flag: Row['flag']; description: string } };

/** The variables of init's spec flags: their flag and field come from INIT_FIELDS. */
const INIT_ENV_VARS = Object.fromEntries(
  INIT_FIELDS.flatMap((row) => ('env' in row ? [[row.env.name, { field: row.field, flag: row.flag, description: row.env.description }]] : [])),
) as InitEnvVars;

export const ENV_VARS = {
  ...INIT_ENV_VARS,
  /** The cluster.yaml to read (global --config). */
  K8SB_CONFIG: { flag: '--config', description: 'cluster.yaml to read.' },
  /** The cluster folder (global --dir). */
  K8SB_DIR: { flag: '--dir', description: 'Cluster folder; default ./clusters/<name>.' },
  /** terraform or tofu, when both are on PATH (spec `terraform.binary`). */
  K8SB_TERRAFORM_BINARY: { field: 'terraform.binary', description: 'terraform or tofu.' },
  /** Terraform's -parallelism (spec `terraform.parallelism`); unset: one per machine, 10 to 50. */
  K8SB_TERRAFORM_PARALLELISM: { field: 'terraform.parallelism', description: 'Operations Terraform runs at once (-parallelism), 1 to 256; unset: one per machine, at least 10, at most 50.' },
  /** A Terraform module to use instead of the built-in one; it must take the same variables and give the Inventory outputs. */
  K8SB_TERRAFORM_MODULE_DIR: { description: 'Folder of a Terraform module with the same inputs and Inventory outputs, used instead of the built-in one.' },
  /** Local provider mirror for `terraform init -plugin-dir` (offline machines). */
  K8SB_TF_PLUGIN_DIR: { description: 'Provider plugin folder for terraform init -plugin-dir (offline use).' },
  /**
   * Velero's S3 keys (addons.velero), read by init, upgrade and addons apply (config/addons.ts
   * readVeleroS3Credentials). No fallback to AWS_ACCESS_KEY_ID: those are often the operator's own
   * broad keys, which must not end up in the cluster. They go
   * only into the cluster's Secret velero/velero-s3, never into a file here.
   */
  K8SB_VELERO_S3_ACCESS_KEY_ID: { description: 'Access key id of Velero\'s S3 bucket (addons.velero). Stored only in the cluster (Secret velero/velero-s3).' },
  K8SB_VELERO_S3_SECRET_ACCESS_KEY: { description: 'Secret access key of Velero\'s S3 bucket (addons.velero). Stored only in the cluster (Secret velero/velero-s3).' },
} as const satisfies Record<string, EnvVarInfo>;

export type EnvVarName = keyof typeof ENV_VARS;

/** The variable's value, or undefined when unset or empty (an empty variable means "not given"). */
export function envValue(env: NodeJS.ProcessEnv, name: EnvVarName): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
