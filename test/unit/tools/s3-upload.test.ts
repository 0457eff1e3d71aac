import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortError, S3UploadError } from '../../../src/errors.js';
import { parseS3Error, s3Address, s3CredentialsFromEnv, s3SecretValues, sigV4Authorization, signingKey, uploadFileToS3, uriEncode } from '../../../src/tools/s3/upload.js';
import { startS3Standin, type S3Standin } from '../../helpers/s3-standin.js';

// AWS's published examples: https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
// ("Signature Calculations for the Authorization Header: Transferring Payload in a Single Chunk"),
// the same vectors asserted by cloudyr/aws.signature tests/testthat/test-v4.R.
const EXAMPLE = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const EMPTY_SHA = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('SigV4 against the AWS S3 examples', () => {
  it('Example: GET Object', () => {
    const { authorization, signature } = sigV4Authorization({
      method: 'GET',
      canonicalUri: '/test.txt',
      headers: { Host: 'examplebucket.s3.amazonaws.com', Range: 'bytes=0-9', 'x-amz-content-sha256': EMPTY_SHA, 'x-amz-date': '20130524T000000Z' },
      payloadHash: EMPTY_SHA,
      region: 'us-east-1',
      amzDate: '20130524T000000Z',
      credentials: EXAMPLE,
    });
    expect(signature).toBe('f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
    expect(authorization).toBe('AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
  });

  it('Example: PUT Object (key test$file.text, body "Welcome to Amazon S3.")', () => {
    const payload = createHash('sha256').update('Welcome to Amazon S3.').digest('hex');
    expect(payload).toBe('44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072');
    const { signature } = sigV4Authorization({
      method: 'PUT',
      canonicalUri: `/${uriEncode('test$file.text', false)}`,
      headers: { Host: 'examplebucket.s3.amazonaws.com', Date: 'Fri, 24 May 2013 00:00:00 GMT', 'x-amz-date': '20130524T000000Z', 'x-amz-storage-class': 'REDUCED_REDUNDANCY', 'x-amz-content-sha256': payload },
      payloadHash: payload,
      region: 'us-east-1',
      amzDate: '20130524T000000Z',
      credentials: EXAMPLE,
    });
    expect(signature).toBe('98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd');
  });

  it('signing key derivation is deterministic per date/region/service', () => {
    expect(signingKey(EXAMPLE.secretAccessKey, '20130524', 'us-east-1').length).toBe(32);
    expect(signingKey(EXAMPLE.secretAccessKey, '20130524', 'us-east-1').equals(signingKey(EXAMPLE.secretAccessKey, '20130524', 'eu-west-1'))).toBe(false);
  });

  it('URI encoding keeps unreserved characters and / only', () => {
    expect(uriEncode("a b/ü!'()*~._-", false)).toBe('a%20b/%C3%BC%21%27%28%29%2A~._-');
    expect(uriEncode('a/b')).toBe('a%2Fb');
  });
});

describe('addressing and env', () => {
  it('AWS is virtual-hosted; a custom endpoint is path style', () => {
    expect(s3Address({ bucket: 'b', region: 'eu-west-1', prefix: 'prod/' }, '20260101T000000Z/etcd-snapshot.db').url.href).toBe('https://b.s3.eu-west-1.amazonaws.com/prod/20260101T000000Z/etcd-snapshot.db');
    expect(s3Address({ bucket: 'my.bucket', region: 'eu-west-1' }, 'k').url.href).toBe('https://s3.eu-west-1.amazonaws.com/my.bucket/k');
    expect(s3Address({ endpoint: 'https://sos-ch-gva-2.exo.io', bucket: 'b', region: 'ch-gva-2' }, 'a b').url.href).toBe('https://sos-ch-gva-2.exo.io/b/a%20b');
    expect(s3Address({ bucket: 'b', region: 'us-east-1', pathStyle: true }, 'k').host).toBe('s3.us-east-1.amazonaws.com');
  });

  it('credentials only from the env; secrets listed for redaction', () => {
    expect(s3CredentialsFromEnv({})).toBeUndefined();
    expect(s3CredentialsFromEnv({ K8SB_BACKUP_S3_ACCESS_KEY_ID: 'A' })).toBeUndefined();
    const c = s3CredentialsFromEnv({ K8SB_BACKUP_S3_ACCESS_KEY_ID: 'A', K8SB_BACKUP_S3_SECRET_ACCESS_KEY: 'S', K8SB_BACKUP_S3_SESSION_TOKEN: 'T' });
    expect(c).toEqual({ accessKeyId: 'A', secretAccessKey: 'S', sessionToken: 'T' });
    expect(s3SecretValues(c)).toEqual(['S', 'T']);
  });

  it('parses S3 error XML as data (control characters stripped)', () => {
    expect(parseS3Error('<Error><Code>NoSuchBucket</Code><Message>The specified\u001b[31m bucket &amp; x</Message></Error>')).toEqual({ code: 'NoSuchBucket', message: 'The specified [31m bucket & x' });
  });
});

describe('upload to the loopback S3 stand-in', () => {
  let s3: S3Standin;
  let dir: string;
  const creds = { accessKeyId: 'AKIASTANDIN', secretAccessKey: 'standin-secret/abc+def' };
  beforeAll(async () => {
    s3 = await startS3Standin();
    dir = mkdtempSync(join(tmpdir(), 's3-up-'));
  });
  afterAll(() => s3.close());
  const target = (): { endpoint: string; bucket: string; region: string; prefix: string } => ({ endpoint: s3.endpoint, bucket: 'backups', region: 'us-east-1', prefix: 'prod' });
  const file = (name: string, data: Buffer): string => {
    const path = join(dir, name);
    writeFileSync(path, data);
    return path;
  };

  it('arrives byte-exact (1 MiB of random-ish bytes) with the etag', async () => {
    const data = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 251;
    const result = await uploadFileToS3(target(), '20260101T000000Z/etcd-snapshot.db', file('snap.db', data), creds);
    expect(result).toMatchObject({ key: 'prod/20260101T000000Z/etcd-snapshot.db', bytes: data.length });
    const stored = s3.buckets.get('backups')!.get('prod/20260101T000000Z/etcd-snapshot.db')!;
    expect(stored.body.equals(data)).toBe(true);
    expect(result.etag).toBe(stored.etag);
  });

  it('a key with spaces and unicode, with a session token', async () => {
    const result = await uploadFileToS3(target(), 'dir with space/snäp shot (1)+€.db', file('u.db', Buffer.from('x')), { ...creds, sessionToken: 'tok/en+==' });
    expect(s3.buckets.get('backups')!.get('prod/dir with space/snäp shot (1)+€.db')!.body.toString()).toBe('x');
    expect(result.key).toBe('prod/dir with space/snäp shot (1)+€.db');
    expect(s3.requests.at(-1)!.headers['x-amz-security-token']).toBe('tok/en+==');
  });

  it('a wrong secret fails at once with SignatureDoesNotMatch, without the secret or signature', async () => {
    const before = s3.requests.length;
    const error = await uploadFileToS3(target(), 'k', file('w.db', Buffer.from('w')), { ...creds, secretAccessKey: 'WRONG-secret-value' }, { retryDelayMs: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(S3UploadError);
    const e = error as S3UploadError;
    expect(e.s3Code).toBe('SignatureDoesNotMatch');
    expect(e.status).toBe(403);
    expect(e.message).toContain('127.0.0.1');
    expect(e.message).toContain('backups');
    expect(e.message).toContain('prod/k');
    expect(e.message).not.toContain('WRONG-secret-value');
    expect(e.message).not.toMatch(/[0-9a-f]{64}/);
    expect(s3.requests.length - before).toBe(1);
  });

  it('500 twice, then success', async () => {
    s3.failNext(2);
    const before = s3.requests.length;
    await uploadFileToS3(target(), 'retry.db', file('r.db', Buffer.from('retry')), creds, { retryDelayMs: 5 });
    expect(s3.requests.slice(before).map((r) => r.status)).toEqual([500, 500, 200]);
    expect(s3.buckets.get('backups')!.get('prod/retry.db')!.body.toString()).toBe('retry');
  });

  it('500 on every attempt fails after the bounded attempts', async () => {
    s3.failNext(10);
    const error = (await uploadFileToS3(target(), 'never.db', file('n.db', Buffer.from('n')), creds, { retryDelayMs: 1, attempts: 3 }).catch((e: unknown) => e)) as S3UploadError;
    s3.failNext(0);
    expect(error).toBeInstanceOf(S3UploadError);
    expect(error.message).toMatch(/after 3 attempts: HTTP 500 InternalError/);
  });

  it('NoSuchBucket fails at once', async () => {
    const before = s3.requests.length;
    const error = (await uploadFileToS3({ ...target(), bucket: 'nope' }, 'k', file('b.db', Buffer.from('b')), creds, { retryDelayMs: 1 }).catch((e: unknown) => e)) as S3UploadError;
    expect(error.s3Code).toBe('NoSuchBucket');
    expect(error.status).toBe(404);
    expect(error.message).toContain('nope');
    expect(s3.requests.length - before).toBe(1);
  });

  it('AccessDenied is a 4xx error with its code', async () => {
    s3.denied.add(creds.accessKeyId);
    const error = (await uploadFileToS3(target(), 'k', file('d.db', Buffer.from('d')), creds).catch((e: unknown) => e)) as S3UploadError;
    s3.denied.clear();
    expect(error.s3Code).toBe('AccessDenied');
  });

  it('an abort stops the upload with AbortError', async () => {
    s3.delayMs = 2000;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    const error = await uploadFileToS3(target(), 'abort.db', file('a.db', Buffer.from('a')), creds, { signal: controller.signal }).catch((e: unknown) => e);
    s3.delayMs = 0;
    expect(error).toBeInstanceOf(AbortError);
    expect(Date.now() - started).toBeLessThan(1500);
  });
});
