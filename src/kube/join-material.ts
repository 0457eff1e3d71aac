/**
 * Join material: bootstrap token, certificate key, CA cert hash, and the rules for when each must
 * be renewed. Tokens live 24h (kubeadm's default TTL), the uploaded certificates and their key 2h.
 */
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { ExternalToolError } from '../errors.js';

export const TOKEN_PATTERN = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;
export const CERTIFICATE_KEY_PATTERN = /^[0-9a-f]{64}$/;
export const CA_HASH_PATTERN = /^sha256:[0-9a-f]{64}$/;

/** kubeadm's TTL is 24h; renew an hour early so a join never races the expiry. */
export const TOKEN_MAX_AGE_MS = 23 * 60 * 60 * 1000;
/** kubeadm-certs expires after 2h; re-upload 10 minutes early for the same reason. */
export const CERTIFICATE_KEY_MAX_AGE_MS = 110 * 60 * 1000;

const TOKEN_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomFromAlphabet(length: number): string {
  let result = '';
  while (result.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 252 = 7 * 36: rejecting higher bytes keeps every character equally likely.
      if (byte < 252 && result.length < length) result += TOKEN_ALPHABET[byte % 36];
    }
  }
  return result;
}

/** A bootstrap token "abcdef.0123456789abcdef" (what `kubeadm token generate` prints). */
export function generateBootstrapToken(): string {
  return `${randomFromAlphabet(6)}.${randomFromAlphabet(16)}`;
}

/** 32 random bytes as hex: the AES key kubeadm uses for kubeadm-certs (`kubeadm certs certificate-key`). */
export function generateCertificateKey(): string {
  return randomBytes(32).toString('hex');
}

/**
 * "sha256:<hex>" of the CA certificate's DER SubjectPublicKeyInfo — what
 * --discovery-token-ca-cert-hash expects (same as `openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256`).
 */
export function caCertHash(caCertPem: string): string {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(caCertPem);
  } catch (error) {
    throw new ExternalToolError('InvalidCaCertificate', `The cluster CA certificate could not be parsed: ${(error as Error).message}`, {
      details: caCertPem.split('\n').slice(0, 3),
    });
  }
  const spki = certificate.publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

export interface JoinCommand {
  /** host:port of the API endpoint. */
  endpoint: string;
  token: string;
  caCertHashes: string[];
  controlPlane: boolean;
  certificateKey?: string;
}

/** Hides token- and key-shaped strings in output shown in an error. */
export function maskJoinSecrets(text: string): string {
  return text.replace(/\b[a-z0-9]{6}\.[a-z0-9]{16}\b/g, '***').replace(/\b[0-9a-f]{64}\b/g, '***');
}

/**
 * Parses `kubeadm token create --print-join-command` output (or the join lines of `kubeadm init`),
 * e.g. "kubeadm join 10.0.0.5:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:…".
 */
export function parseJoinCommand(text: string): JoinCommand {
  const unexpected = (why: string): never => {
    throw new ExternalToolError('UnexpectedJoinCommand', `Could not read a join command from kubeadm's output: ${why}.`, {
      details: maskJoinSecrets(text).split('\n').slice(-20),
    });
  };
  // Join backslash-continued lines, then take the last line that is a kubeadm join.
  const lines = text.replace(/\\\r?\n/g, ' ').split('\n').map((line) => line.trim());
  const line = lines.filter((l) => l.startsWith('kubeadm join ')).pop();
  if (!line) return unexpected('no line starts with "kubeadm join"');
  const words = line.split(/\s+/).slice(2);
  const result: JoinCommand = { endpoint: '', token: '', caCertHashes: [], controlPlane: false };
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const [flag, inline] = word.includes('=') && word.startsWith('--') ? [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)] : [word, undefined];
    const value = () => inline ?? words[++i] ?? unexpected(`${flag} has no value`);
    switch (flag) {
      case '--token':
        result.token = value();
        break;
      case '--discovery-token-ca-cert-hash':
        result.caCertHashes.push(value());
        break;
      case '--certificate-key':
        result.certificateKey = value();
        break;
      case '--control-plane':
        result.controlPlane = true;
        break;
      default:
        if (flag.startsWith('--')) return unexpected(`unknown flag ${flag}`);
        if (result.endpoint) return unexpected(`unexpected argument ${word}`);
        result.endpoint = word;
    }
  }
  if (!/^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:.]+\]:\d{1,5}$/.test(result.endpoint)) unexpected('the API endpoint is not HOST:PORT');
  if (!TOKEN_PATTERN.test(result.token)) unexpected('the token does not look like a bootstrap token');
  if (result.caCertHashes.length === 0 || !result.caCertHashes.every((h) => CA_HASH_PATTERN.test(h))) unexpected('no valid sha256 CA hash');
  if (result.certificateKey !== undefined && !CERTIFICATE_KEY_PATTERN.test(result.certificateKey)) unexpected('the certificate key is not 64 hex characters');
  return result;
}

/** What the cluster folder's secrets keep about joining (never logged). */
export interface JoinMaterial {
  token: string;
  /** ISO time the token was created. */
  tokenCreatedAt: string;
  caCertHash: string;
  certificateKey: string;
  /** ISO time the certificates were last uploaded with this key. */
  certificateKeyUploadedAt: string;
}

function ageMs(isoTime: string | undefined, now: Date): number {
  const time = isoTime ? Date.parse(isoTime) : Number.NaN;
  return Number.isNaN(time) ? Number.POSITIVE_INFINITY : now.getTime() - time;
}

/** A saved token is usable if present, well-formed and younger than ~23h. */
export function tokenIsFresh(material: Partial<JoinMaterial> | undefined, now = new Date()): boolean {
  return !!material?.token && TOKEN_PATTERN.test(material.token) && ageMs(material.tokenCreatedAt, now) < TOKEN_MAX_AGE_MS;
}

/** Control-plane joins need certificates uploaded less than 2h ago with this key. */
export function certificateKeyIsFresh(material: Partial<JoinMaterial> | undefined, now = new Date()): boolean {
  return (
    !!material?.certificateKey &&
    CERTIFICATE_KEY_PATTERN.test(material.certificateKey) &&
    ageMs(material.certificateKeyUploadedAt, now) < CERTIFICATE_KEY_MAX_AGE_MS
  );
}

export interface JoinRenewal {
  /** Run `kubeadm token create --print-join-command` first. */
  newToken: boolean;
  /** Run `kubeadm init phase upload-certs --upload-certs --certificate-key K` first. */
  uploadCertificates: boolean;
}

export function joinRenewal(material: Partial<JoinMaterial> | undefined, controlPlane: boolean, now = new Date()): JoinRenewal {
  return { newToken: !tokenIsFresh(material, now), uploadCertificates: controlPlane && !certificateKeyIsFresh(material, now) };
}
