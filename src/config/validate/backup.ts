/**
 * spec.backup: the bucket's name, region, endpoint and prefix have the shapes S3 accepts. The
 * endpoint is https (the snapshot holds every Secret of the cluster); plain http only to this
 * machine (a local MinIO or test store on 127.0.0.1/localhost), where nothing crosses a network.
 */
import type { ValidationIssue } from '../../errors.js';
import { HTTPS_URL, OBJECT_PREFIX } from '../patterns.js';
import type { ClusterSpec } from '../schema.js';
import { at, matches } from './issues.js';
import { bucketRegionProblem, s3BucketProblem } from './addons.js';

const LOOPBACK_HTTP = /^http:\/\/(?:127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\])(?::\d{1,5})?(?:\/[A-Za-z0-9._~/-]*)?$/;

export function backupEndpointProblem(text: string): { message: string; fix: string } | undefined {
  if (HTTPS_URL.test(text) || LOOPBACK_HTTP.test(text)) return undefined;
  return {
    message: 'must be an https:// URL (host, optional port and path): a backup holds every Secret of the cluster, and http would send it in clear text (http only to 127.0.0.1 or localhost)',
    fix: 'e.g. https://sos-ch-gva-2.exo.io or https://minio.example.com:9000',
  };
}

export function checkBackup(spec: ClusterSpec): ValidationIssue[] {
  const s3 = spec.backup.s3;
  if (!s3) return [];
  return [
    ...at('backup.s3.bucket', s3.bucket, s3BucketProblem(s3.bucket)),
    ...at('backup.s3.region', s3.region, bucketRegionProblem(s3.region)),
    ...(s3.endpoint === undefined ? [] : at('backup.s3.endpoint', s3.endpoint, backupEndpointProblem(s3.endpoint))),
    ...matches('backup.s3.prefix', s3.prefix, OBJECT_PREFIX, 'is not a folder name inside a bucket: parts of letters, digits, ".", "_" and "-" separated by "/", without a leading or trailing "/"', 'e.g. backups/prod'),
  ];
}
