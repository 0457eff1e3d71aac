/**
 * The S3 upload of a backup goes through src/tools/s3/upload.ts (uploadFileToS3,
 * s3CredentialsFromEnv: SigV4 over fetch, no SDK). Loaded only when spec.backup.s3 is set, so a
 * cluster without a bucket never loads it. The shapes below are that module's interface.
 */
import type { ClusterSpec } from '../../config/schema.js';

export interface S3Target { endpoint?: string; bucket: string; region: string; prefix?: string; pathStyle?: boolean }
export interface S3Credentials { accessKeyId: string; secretAccessKey: string; sessionToken?: string }
interface S3Module {
  uploadFileToS3(target: S3Target, key: string, file: string, credentials: S3Credentials, options?: { signal?: AbortSignal; contentType?: string }): Promise<{ key: string; etag?: string; bytes: number }>;
  s3CredentialsFromEnv(env: NodeJS.ProcessEnv): S3Credentials | undefined;
}

const MODULE = '../../tools/s3/upload.js';

export async function s3Module(): Promise<S3Module> {
  return (await import(MODULE)) as S3Module;
}

export function s3TargetOf(spec: ClusterSpec): S3Target | undefined {
  const s3 = spec.backup.s3;
  if (!s3) return undefined;
  return { bucket: s3.bucket, region: s3.region, ...(s3.endpoint ? { endpoint: s3.endpoint } : {}), ...(s3.prefix ? { prefix: s3.prefix } : {}), ...(s3.pathStyle !== undefined ? { pathStyle: s3.pathStyle } : {}) };
}
