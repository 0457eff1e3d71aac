/**
 * S3-compatible upload of one backup file: a single signed PUT Object (AWS Signature Version 4),
 * with node:crypto + node:http(s) only (no SDK dependency). Files up to 5 GiB (the single-PUT limit,
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/upload-objects.html); the file is streamed,
 * never read into memory.
 *
 * Signing follows https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 * ("Signature Calculations for the Authorization Header: Transferring Payload in a Single Chunk").
 * Payload: the hex sha256 of the file (computed by streaming it once before the PUT) goes in
 * x-amz-content-sha256 rather than UNSIGNED-PAYLOAD: S3 then checks the body it received against it
 * and refuses a mismatch (XAmzContentSHA256Mismatch), so a backup changed or corrupted on the way is
 * never stored under the key; the same page documents UNSIGNED-PAYLOAD as the opt-out.
 *
 * Addressing:
 *  - AWS (no endpoint): virtual-hosted style https://<bucket>.s3.<region>.amazonaws.com/<key>
 *    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html); a bucket name with
 *    dots falls back to path style (the wildcard certificate does not cover it, same page).
 *  - A custom endpoint: path style <endpoint>/<bucket>/<key> unless pathStyle is false, because that is
 *    what every one of these serves without extra DNS setup:
 *    MinIO (http://host:9000): "By default only path-style requests are allowed", virtual hosts need
 *      MINIO_DOMAIN (minio/minio PR #5705, the MINIO_DOMAIN env doc);
 *    Ceph RGW: path style always works; virtual-hosted needs rgw_dns_name / zonegroup hostnames
 *      (https://docs.ceph.com/en/tentacle/radosgw/s3/commons/ "Bucket and Host Name");
 *    OpenStack Swift: the s3api (formerly swift3) middleware in the proxy-server pipeline, so the
 *      endpoint is the Swift proxy's URL (https://docs.openstack.org/kilo/config-reference/content/configuring-openstack-object-storage-with-s3_api.html);
 *    Exoscale SOS: https://sos-<zone>.exo.io used as the client's ServiceURL / endpoint
 *      (gist bcachet/0801f899284f6f85e03d81560a5c0e67 with AmazonS3Config ServiceURL https://sos-ch-dk-2.exo.io).
 *    The region is part of the signature's scope: for Exoscale the zone (ch-gva-2), for MinIO/Ceph
 *    usually us-east-1 unless configured otherwise.
 */
import { createHash, createHmac } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AbortError, S3UploadError, UsageError } from '../../errors.js';

export interface S3Target {
  endpoint?: string;
  bucket: string;
  region: string;
  prefix?: string;
  pathStyle?: boolean;
}

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface S3UploadOptions {
  signal?: AbortSignal;
  contentType?: string;
  /** Attempts in all for 5xx / network errors (default 4). */
  attempts?: number;
  /** First backoff delay in ms, doubled each retry (default 500). */
  retryDelayMs?: number;
  /** Clock for x-amz-date (tests). */
  now?: () => Date;
}

export interface S3UploadResult {
  key: string;
  etag?: string;
  bytes: number;
}

export const S3_ENV = {
  accessKeyId: 'K8SB_BACKUP_S3_ACCESS_KEY_ID',
  secretAccessKey: 'K8SB_BACKUP_S3_SECRET_ACCESS_KEY',
  sessionToken: 'K8SB_BACKUP_S3_SESSION_TOKEN',
} as const;

/** The single-PUT size limit (5 GiB). */
export const MAX_SINGLE_PUT_BYTES = 5 * 1024 ** 3;

/** Credentials from the environment only (never flags or cluster.yaml); undefined when either key is unset. */
export function s3CredentialsFromEnv(env: NodeJS.ProcessEnv): S3Credentials | undefined {
  const accessKeyId = env[S3_ENV.accessKeyId]?.trim();
  const secretAccessKey = env[S3_ENV.secretAccessKey]?.trim();
  if (!accessKeyId || !secretAccessKey) return undefined;
  const sessionToken = env[S3_ENV.sessionToken]?.trim();
  return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
}

/** The values to add to a run's secrets (redacted from logs and output): the secret key and session token. */
export function s3SecretValues(credentials: S3Credentials | undefined): string[] {
  if (!credentials) return [];
  return [credentials.secretAccessKey, ...(credentials.sessionToken ? [credentials.sessionToken] : [])];
}

// ---------------------------------------------------------------- SigV4 primitives

const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

/** URI-encode per SigV4: every byte except A-Z a-z 0-9 - _ . ~ as %XY (upper-case hex); '/' kept when encodeSlash is false. */
export function uriEncode(value: string, encodeSlash = true): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(ch) || (ch === '/' && !encodeSlash)) out += ch;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"). */
export function signingKey(secretAccessKey: string, date: string, region: string, service = 's3'): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, date), region), service), 'aws4_request');
}

export interface SignInput {
  method: string;
  /** The canonical URI, already encoded ('/bucket/my%20key'). */
  canonicalUri: string;
  /** Query parameters (raw); empty for PUT Object. */
  query?: Record<string, string>;
  /** Headers to sign (must include host and x-amz-date, x-amz-content-sha256 for S3). */
  headers: Record<string, string>;
  payloadHash: string;
  region: string;
  service?: string;
  amzDate: string;
  credentials: Pick<S3Credentials, 'accessKeyId' | 'secretAccessKey'>;
}

export function canonicalRequest(input: SignInput): { canonical: string; signedHeaders: string } {
  const query = Object.entries(input.query ?? {})
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const headers = Object.entries(input.headers)
    .map(([k, v]) => [k.toLowerCase(), v.trim().replace(/\s+/g, ' ')] as const)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  const signedHeaders = headers.map(([k]) => k).join(';');
  const canonical = [input.method, input.canonicalUri, query, headers.map(([k, v]) => `${k}:${v}\n`).join(''), signedHeaders, input.payloadHash].join('\n');
  return { canonical, signedHeaders };
}

/** The Authorization header value and the signature (hex). */
export function sigV4Authorization(input: SignInput): { authorization: string; signature: string; stringToSign: string } {
  const service = input.service ?? 's3';
  const date = input.amzDate.slice(0, 8);
  const scope = `${date}/${input.region}/${service}/aws4_request`;
  const { canonical, signedHeaders } = canonicalRequest(input);
  const stringToSign = ['AWS4-HMAC-SHA256', input.amzDate, scope, sha256Hex(canonical)].join('\n');
  const signature = createHmac('sha256', signingKey(input.credentials.secretAccessKey, date, input.region, service)).update(stringToSign, 'utf8').digest('hex');
  return { authorization: `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope},SignedHeaders=${signedHeaders},Signature=${signature}`, signature, stringToSign };
}

export function amzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

// ---------------------------------------------------------------- addressing

export interface S3Address {
  url: URL;
  host: string;
  canonicalUri: string;
  objectKey: string;
}

/** The object key under the target's prefix ('backups/prod' + '2026…/etcd-snapshot.db'). */
export function objectKey(target: S3Target, key: string): string {
  const prefix = (target.prefix ?? '').replace(/^\/+|\/+$/g, '');
  const rest = key.replace(/^\/+/, '');
  return prefix ? `${prefix}/${rest}` : rest;
}

export function s3Address(target: S3Target, key: string): S3Address {
  const fullKey = objectKey(target, key);
  if (!fullKey) throw new UsageError('S3EmptyKey', `The S3 object key is empty (bucket ${target.bucket}).`);
  let base: URL;
  let pathStyle: boolean;
  if (target.endpoint) {
    try {
      base = new URL(target.endpoint.includes('://') ? target.endpoint : `https://${target.endpoint}`);
    } catch {
      throw new UsageError('S3BadEndpoint', `backup.s3.endpoint is not a URL (got ${JSON.stringify(target.endpoint)}): use e.g. https://sos-ch-gva-2.exo.io or http://minio.local:9000.`);
    }
    pathStyle = target.pathStyle !== false;
  } else {
    base = new URL(`https://s3.${target.region}.amazonaws.com`);
    pathStyle = target.pathStyle === true || target.bucket.includes('.');
  }
  const basePath = base.pathname.replace(/\/+$/, '');
  const encodedKey = uriEncode(fullKey, false);
  const path = pathStyle ? `${basePath}/${uriEncode(target.bucket)}/${encodedKey}` : `${basePath}/${encodedKey}`;
  const hostname = pathStyle ? base.hostname : `${target.bucket}.${base.hostname}`;
  const host = base.port ? `${hostname}:${base.port}` : hostname;
  const url = new URL(`${base.protocol}//${host}${path}`);
  return { url, host, canonicalUri: path, objectKey: fullKey };
}

// ---------------------------------------------------------------- upload

/** S3 error XML (<Error><Code>…</Code><Message>…</Message></Error>) as data: control characters stripped, bounded. */
export function parseS3Error(body: string): { code?: string; message?: string } {
  const pick = (tag: string): string | undefined => {
    const m = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(body);
    if (!m) return undefined;
    const text = m[1]!
      .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&')
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')
      .trim();
    return text.slice(0, 300) || undefined;
  };
  return { code: pick('Code'), message: pick('Message') };
}

async function fileSha256(file: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { signal })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

interface Attempt {
  status?: number;
  etag?: string;
  body: string;
  networkError?: Error;
}

function putOnce(address: S3Address, headers: Record<string, string>, file: string, signal?: AbortSignal): Promise<Attempt> {
  return new Promise((resolve, reject) => {
    const request = (address.url.protocol === 'http:' ? httpRequest : httpsRequest)(address.url, { method: 'PUT', headers, signal });
    request.on('error', (error: Error) => {
      if (signal?.aborted) reject(error);
      else resolve({ body: '', networkError: error });
    });
    request.on('response', (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        if (size < 64 * 1024) chunks.push(chunk);
        size += chunk.length;
      });
      response.on('error', (error: Error) => resolve({ body: '', networkError: error }));
      response.on('end', () => {
        const etag = response.headers.etag;
        resolve({ status: response.statusCode, etag: typeof etag === 'string' ? etag : undefined, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    const stream = createReadStream(file);
    stream.on('error', (error) => request.destroy(error));
    stream.pipe(request);
  });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Never lets a credential or signature into a message: removes every given value. */
function scrub(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('[redacted]');
  return out;
}

export async function uploadFileToS3(target: S3Target, key: string, file: string, credentials: S3Credentials, options: S3UploadOptions = {}): Promise<S3UploadResult> {
  const { signal } = options;
  const address = s3Address(target, key);
  const where = { host: address.host, bucket: target.bucket, key: address.objectKey };
  const aborted = (): AbortError => new AbortError('Aborted', `The upload to s3://${target.bucket}/${address.objectKey} (${address.host}) was interrupted.`);
  if (signal?.aborted) throw aborted();
  const bytes = (await stat(file)).size;
  if (bytes > MAX_SINGLE_PUT_BYTES) {
    throw new S3UploadError(`${file} is ${bytes} bytes, over the 5 GiB single-PUT limit of S3 (s3://${target.bucket}/${address.objectKey} on ${address.host}).`, where);
  }
  let payloadHash: string;
  try {
    payloadHash = await fileSha256(file, signal);
  } catch (error) {
    if (signal?.aborted) throw aborted();
    throw error;
  }
  const attempts = Math.max(1, options.attempts ?? 4);
  const delay = options.retryDelayMs ?? 500;
  const secrets: string[] = [credentials.secretAccessKey, credentials.sessionToken ?? ''];
  let last = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    // Signed anew for every attempt: x-amz-date must be within 15 minutes of the server's clock.
    const headers: Record<string, string> = {
      host: address.host,
      'content-length': String(bytes),
      'content-type': options.contentType ?? 'application/octet-stream',
      'x-amz-content-sha256': payloadHash,
      'x-amz-date': amzDate(options.now?.() ?? new Date()),
      ...(credentials.sessionToken ? { 'x-amz-security-token': credentials.sessionToken } : {}),
    };
    const { authorization, signature } = sigV4Authorization({ method: 'PUT', canonicalUri: address.canonicalUri, headers, payloadHash, region: target.region, amzDate: headers['x-amz-date']!, credentials });
    secrets.push(signature);
    let result: Attempt;
    try {
      result = await putOnce(address, { ...headers, authorization }, file, signal);
    } catch (error) {
      if (signal?.aborted) throw aborted();
      throw error;
    }
    if (result.status !== undefined && result.status >= 200 && result.status < 300) {
      return { key: address.objectKey, ...(result.etag ? { etag: result.etag } : {}), bytes };
    }
    if (result.status !== undefined && result.status < 500) {
      const { code, message } = parseS3Error(result.body);
      const text = `S3 refused the upload of s3://${target.bucket}/${address.objectKey} on ${address.host}: HTTP ${result.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`;
      throw new S3UploadError(scrub(text, secrets), { ...where, status: result.status, s3Code: code }, { hint: hintFor(code) });
    }
    const { code, message } = result.status === undefined ? {} : parseS3Error(result.body);
    last = result.status === undefined
      ? `network error: ${scrub(result.networkError?.message ?? 'unknown', secrets)}`
      : `HTTP ${result.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`;
    if (attempt < attempts) {
      try {
        await sleep(delay * 2 ** (attempt - 1), signal);
      } catch {
        throw aborted();
      }
    }
  }
  throw new S3UploadError(scrub(`The upload of s3://${target.bucket}/${address.objectKey} to ${address.host} failed after ${attempts} attempts: ${last}`, secrets), where, {
    hint: 'Check that the S3 endpoint is reachable and healthy, then run the same command again.',
  });
}

function hintFor(code: string | undefined): string | undefined {
  switch (code) {
    case 'SignatureDoesNotMatch':
    case 'InvalidAccessKeyId':
      return `Check ${S3_ENV.accessKeyId} / ${S3_ENV.secretAccessKey} (and backup.s3.region: the signature includes it).`;
    case 'NoSuchBucket':
      return 'Create the bucket first or fix backup.s3.bucket.';
    case 'AccessDenied':
      return 'The key needs s3:PutObject on the bucket (and the prefix).';
    case 'ExpiredToken':
    case 'InvalidToken':
      return `Refresh ${S3_ENV.sessionToken}.`;
    case 'RequestTimeTooSkewed':
      return "Fix this machine's clock (SigV4 allows 15 minutes of skew).";
    default:
      return undefined;
  }
}
