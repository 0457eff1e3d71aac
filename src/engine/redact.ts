/**
 * The ONE place secrets are removed: an EventBus transform that every event passes before any
 * renderer or the log file sees it, plus `redactText` for text outside events (error messages).
 *
 * Two layers: exact values the run knows (credentials from env, a token it generated, learned
 * mid-run), and patterns for secrets whose value arrives in tool output before anyone could
 * register it (kubeadm prints the certificate key it just generated).
 */
import type { EngineEvent } from './events.js';

export const REDACTED = '[REDACTED]';
/** Shorter values would redact ordinary words ("admin", "true"). */
export const MIN_SECRET_LENGTH = 6;

const PRIVATE_KEY_BLOCK = /-----BEGIN ([A-Z0-9 ]+ )?PRIVATE KEY-----[\s\S]*?(-----END ([A-Z0-9 ]+ )?PRIVATE KEY-----|$)/g;
const PRIVATE_KEY_BEGIN = /-----BEGIN ([A-Z0-9 ]+ )?PRIVATE KEY-----/;
const PRIVATE_KEY_END = /-----END ([A-Z0-9 ]+ )?PRIVATE KEY-----/;

const PATTERNS: Array<[RegExp, string]> = [
  // kubeadm bootstrap token: [a-z0-9]{6}.[a-z0-9]{16}
  [/\b[a-z0-9]{6}\.[a-z0-9]{16}\b/g, REDACTED],
  // --certificate-key <hex>, certificateKey: "<hex>", "Using certificate key:\n<hex>"
  [/(certificate[-_ ]?key["']?\s*[:=]?\s*["']?)[0-9a-f]{32,}/gi, `$1${REDACTED}`],
  // kubeconfig credentials and any "token:" value (YAML or JSON); not a dotted field path such as
  // "workers.token: credentials never go in cluster.yaml" (a validation message, which never holds the value)
  [/((?<![A-Za-z.])(?:client-key-data|client-certificate-data|token)["']?\s*:\s*)("[^"]*"|'[^']*'|[^\s,}]+)/gi, `$1${REDACTED}`],
  // A line that is only 64 hex characters: kubeadm prints the certificate key alone on the line after
  // "Using certificate key:". CA hashes keep their "sha256:" prefix and are not secret.
  [/^(\s*)[0-9a-f]{64}(\s*)$/gm, `$1${REDACTED}$2`],
];

/** Removes every known secret value and every secret-shaped pattern from `text`. */
export function redactText(text: string, secrets: Iterable<string> = []): string {
  let result = text;
  for (const secret of usableSecrets(secrets)) result = result.split(secret).join(REDACTED);
  result = result.replace(PRIVATE_KEY_BLOCK, REDACTED);
  for (const [pattern, replacement] of PATTERNS) result = result.replace(pattern, replacement);
  return result;
}

/** Longest first, so a secret containing another is removed whole. */
function usableSecrets(secrets: Iterable<string>): string[] {
  const unique = new Set<string>();
  for (const secret of secrets) {
    if (typeof secret === 'string' && secret.length >= MIN_SECRET_LENGTH) unique.add(secret);
  }
  return [...unique].sort((a, b) => b.length - a.length);
}

/**
 * A transform for EventBus.addTransform. `secrets` is read on every event, so values learned
 * mid-run (a token created by kubeadm) are covered from the moment they are added.
 * Output arrives line by line, so a PEM block spans events: lines between BEGIN and END of a
 * private key are redacted per step.
 */
export function createRedactor(secrets: () => Iterable<string>): (event: EngineEvent) => EngineEvent {
  const insidePrivateKey = new Set<string>();
  return (event) => {
    const known = [...secrets()];
    if (event.type === 'output') {
      const key = `${event.stepId}\u0000${event.stream}`;
      if (insidePrivateKey.has(key)) {
        if (PRIVATE_KEY_END.test(event.line)) insidePrivateKey.delete(key);
        return { ...event, line: REDACTED };
      }
      if (PRIVATE_KEY_BEGIN.test(event.line) && !PRIVATE_KEY_END.test(event.line)) {
        insidePrivateKey.add(key);
      }
    }
    return redactStrings(event, known);
  };
}

/** One event outside a stream (a plan, a note), every string of it redacted. */
export function redactEvent(event: EngineEvent, secrets: Iterable<string>): EngineEvent {
  return redactStrings(event, [...secrets]);
}

function redactStrings<T>(value: T, secrets: string[]): T {
  if (typeof value === 'string') return redactText(value, secrets) as T;
  if (Array.isArray(value)) return value.map((item) => redactStrings(item, secrets)) as T;
  if (value && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) copy[key] = key === 'type' ? item : redactStrings(item, secrets);
    return copy as T;
  }
  return value;
}

/** A growing set of secret values to feed createRedactor: `redactor = createRedactor(() => set.values())`. */
/**
 * Every secret value a run knows (cloud keys from env, join token, certificate key, private key,
 * kubeconfig data). The redactor reads it on each event, so values learned mid-run count.
 * Multi-line secrets (PEM, kubeconfig) are also kept line by line, as output arrives in lines.
 */
export class SecretSet {
  private readonly values_ = new Set<string>();

  add(...values: Array<string | undefined>): void {
    for (const value of values) {
      const trimmed = value?.trim();
      if (!trimmed || trimmed.length < MIN_SECRET_LENGTH) continue;
      this.values_.add(trimmed);
      for (const line of trimmed.split('\n')) if (line.trim().length >= 16) this.values_.add(line.trim());
    }
  }

  values(): Iterable<string> {
    return this.values_;
  }
}
