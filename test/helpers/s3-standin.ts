/**
 * A loopback S3 stand-in (node:http on 127.0.0.1, random port), path style (/<bucket>/<key>).
 * It verifies every request's SigV4 signature with its own implementation written from the spec
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html), NOT by importing
 * src/tools/s3: canonical URI re-encoded from the decoded request path as S3 does, signed headers from the
 * Authorization header, payload checked against x-amz-content-sha256 (XAmzContentSHA256Mismatch).
 * Errors are S3's XML error documents
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html): SignatureDoesNotMatch 403,
 * InvalidAccessKeyId 403, NoSuchBucket 404, AccessDenied 403, InternalError 500.
 */
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandinObject {
  body: Buffer;
  contentType?: string;
  etag: string;
}

export interface S3Standin {
  endpoint: string;
  region: string;
  buckets: Map<string, Map<string, StandinObject>>;
  /** Keys (access key id → secret) the stand-in accepts. */
  keys: Map<string, string>;
  /** Access key ids refused with AccessDenied. */
  denied: Set<string>;
  /** Fail the next N requests with 500 InternalError (after reading the body). */
  failNext(n: number): void;
  /** Delay each response by ms (for abort tests). */
  delayMs: number;
  requests: { method: string; url: string; headers: IncomingMessage['headers']; status: number }[];
  close(): Promise<void>;
}

function hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function errorXml(code: string, message: string, resource: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><Resource>${resource}</Resource><RequestId>4442587FB7D0A2F9</RequestId></Error>`;
}

/** SigV4 verification by the spec: returns the expected signature for the request. */
function expectedSignature(req: IncomingMessage, body: Buffer | undefined, secret: string, credential: string, signedHeaders: string[]): string {
  const [, date, region, service] = credential.split('/');
  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  // As S3 does: decode the path as sent and re-encode each segment by the spec (RFC 3986 unreserved kept),
  // so a client that signed a differently encoded path than S3's canonical one gets SignatureDoesNotMatch.
  const path = (q < 0 ? rawUrl : rawUrl.slice(0, q))
    .split('/')
    .map((segment) => Array.from(Buffer.from(decodeURIComponent(segment), 'utf8'), (b) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : '%' + b.toString(16).toUpperCase().padStart(2, '0'))).join(''))
    .join('/');
  const query = q < 0 ? '' : rawUrl.slice(q + 1).split('&').filter(Boolean).sort().join('&');
  const canonicalHeaders = signedHeaders
    .map((name) => {
      const value = req.headers[name];
      const text = Array.isArray(value) ? value.join(',') : (value ?? '');
      return `${name}:${text.trim().replace(/ +/g, ' ')}\n`;
    })
    .join('');
  const payload = String(req.headers['x-amz-content-sha256'] ?? (body ? hex(body) : ''));
  const canonical = `${req.method}\n${path}\n${query}\n${canonicalHeaders}\n${signedHeaders.join(';')}\n${payload}`;
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const toSign = `AWS4-HMAC-SHA256\n${amzDate}\n${date}/${region}/${service}/aws4_request\n${hex(canonical)}`;
  let k: Buffer = createHmac('sha256', 'AWS4' + secret).update(date!).digest();
  for (const part of [region!, service!, 'aws4_request']) k = createHmac('sha256', k).update(part).digest();
  return createHmac('sha256', k).update(toSign).digest('hex');
}

export async function startS3Standin(options: { region?: string; keys?: Record<string, string>; buckets?: string[] } = {}): Promise<S3Standin> {
  let failures = 0;
  const standin: S3Standin = {
    endpoint: '',
    region: options.region ?? 'us-east-1',
    buckets: new Map((options.buckets ?? ['backups']).map((b) => [b, new Map()])),
    keys: new Map(Object.entries(options.keys ?? { AKIASTANDIN: 'standin-secret/abc+def' })),
    denied: new Set(),
    failNext: (n) => {
      failures = n;
    },
    delayMs: 0,
    requests: [],
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const rawPath = (req.url ?? '/').split('?')[0]!;
    const send = (status: number, xml?: string, headers: Record<string, string> = {}): void => {
      standin.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, status });
      const write = (): void => {
        res.writeHead(status, { ...(xml ? { 'content-type': 'application/xml' } : {}), ...headers });
        res.end(xml);
      };
      if (standin.delayMs) setTimeout(write, standin.delayMs);
      else write();
    };
    const fail = (status: number, code: string, message: string): void => send(status, errorXml(code, message, rawPath));

    const auth = /^AWS4-HMAC-SHA256 Credential=([^,]+),\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})$/.exec(String(req.headers.authorization ?? ''));
    if (!auth) return fail(403, 'AccessDenied', 'Access Denied');
    const [, credential, signed, signature] = auth;
    const accessKey = credential!.split('/')[0]!;
    const secret = standin.keys.get(accessKey);
    if (secret === undefined) return fail(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
    const signedHeaders = signed!.split(';');
    if (!signedHeaders.includes('host') || !signedHeaders.includes('x-amz-date')) return fail(403, 'AccessDenied', 'Access Denied');
    if (expectedSignature(req, body, secret, credential!, signedHeaders) !== signature) {
      return fail(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
    }
    const declared = String(req.headers['x-amz-content-sha256'] ?? '');
    if (declared !== 'UNSIGNED-PAYLOAD' && declared !== hex(body)) {
      return fail(400, 'XAmzContentSHA256Mismatch', 'The provided \'x-amz-content-sha256\' header does not match what was computed.');
    }
    if (standin.denied.has(accessKey)) return fail(403, 'AccessDenied', 'Access Denied');
    if (failures > 0) {
      failures--;
      return fail(500, 'InternalError', 'We encountered an internal error. Please try again.');
    }
    const [, bucketEnc, ...keyParts] = rawPath.split('/');
    const bucketName = decodeURIComponent(bucketEnc ?? '');
    const key = keyParts.map(decodeURIComponent).join('/');
    const bucket = standin.buckets.get(bucketName);
    if (!bucket) return fail(404, 'NoSuchBucket', 'The specified bucket does not exist');
    if (req.method === 'PUT') {
      const etag = `"${createHash('md5').update(body).digest('hex')}"`;
      bucket.set(key, { body, contentType: req.headers['content-type'], etag });
      return send(200, undefined, { etag });
    }
    return fail(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  standin.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return standin;
}
