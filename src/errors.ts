/**
 * One small error taxonomy. Only the CLI entry point turns these into output and exit codes.
 * `code` is a stable PascalCase identifier; `hint` tells the person what to do next.
 */
export type ErrorSource = 'user' | 'tool' | 'internal';

export interface BootstrapErrorOptions {
  hint?: string;
  cause?: unknown;
  /** Last lines of the failing tool's output, shown under the error. */
  details?: string[];
}

export class BootstrapError extends Error {
  readonly code: string;
  readonly hint?: string;
  readonly details: string[];
  readonly source: ErrorSource = 'internal';
  /** Process exit code this error maps to. */
  readonly exitCode: number = 1;

  constructor(code: string, message: string, options: BootstrapErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
    this.details = options.details ?? [];
  }
}

/** Bad flags, bad configuration: exit 2, nothing was changed. */
export class UsageError extends BootstrapError {
  override readonly source = 'user' as const;
  override readonly exitCode = 2;
}

/** One problem found while validating a spec; `path` is the dotted field name. */
export interface ValidationIssue {
  path: string;
  message: string;
  value?: unknown;
  fix?: string;
}

/** All problems of a configuration at once, grouped, exit 2. */
export class ValidationError extends UsageError {
  readonly issues: ValidationIssue[];
  constructor(issues: ValidationIssue[], heading = 'The cluster configuration is invalid') {
    super('InvalidConfig', `${heading}:\n${issues.map((i) => `  - ${formatIssue(i)}`).join('\n')}`);
    this.issues = issues;
  }
}

export function formatIssue(issue: ValidationIssue): string {
  const value = issue.value === undefined ? '' : ` (got ${JSON.stringify(issue.value)})`;
  const fix = issue.fix ? `: ${issue.fix}` : '';
  return `${issue.path}: ${issue.message}${value}${fix}`;
}

/** A precondition on this machine or the nodes is not met (missing binary, unreachable node). */
export class PreflightError extends BootstrapError {
  override readonly source = 'user' as const;
}

/** An external tool (terraform, packer, kubeadm over SSH) failed. */
export class ExternalToolError extends BootstrapError {
  override readonly source = 'tool' as const;
}

/** Another run holds the cluster lock. */
export class LockedError extends BootstrapError {
  override readonly source = 'user' as const;
}

/** The run was interrupted (Ctrl-C, SIGTERM): exit 130, and the same command resumes it. */
export class AbortError extends BootstrapError {
  override readonly source = 'user' as const;
  override readonly exitCode = 130;
}

/**
 * The person answered No at a confirmation: nothing went wrong, so the CLI prints the message and
 * hint as they are, without "Error:", and exits 1 (the command did not do its job) rather than
 * 130, which means "interrupted, run it again to resume".
 */
export class DeclinedError extends BootstrapError {
  override readonly source = 'user' as const;
  constructor(message: string, options: BootstrapErrorOptions = {}) {
    super('Declined', message, options);
  }
}

/**
 * A broken invariant of the tool itself (a caller passed what it must not, the installed package
 * lacks a file): exit 1, printed like every other error, with a hint to report it.
 */
export class InternalError extends BootstrapError {
  override readonly source = 'internal' as const;

  constructor(code: string, message: string, options: BootstrapErrorOptions = {}) {
    super(code, message, { hint: 'This is a bug in k8s-bootstrap: please report it with the command and its --verbose output.', ...options });
  }
}

export function isBootstrapError(error: unknown): error is BootstrapError {
  return error instanceof BootstrapError;
}

/**
 * No verified backup could be taken before a change that needs one (upgrade, a control-plane
 * change): nothing was changed; the hint names --skip-backup.
 */
export class BackupRequiredError extends BootstrapError {
  override readonly source = 'tool' as const;
}

/**
 * An S3-compatible upload failed (src/tools/s3/upload.ts). The message names the endpoint host,
 * bucket, key, HTTP status and the S3 error Code; never the secret key, session token or signature.
 */
export class S3UploadError extends ExternalToolError {
  readonly host: string;
  readonly bucket: string;
  readonly key: string;
  readonly status?: number;
  readonly s3Code?: string;
  constructor(message: string, fields: { host: string; bucket: string; key: string; status?: number; s3Code?: string }, options: BootstrapErrorOptions = {}) {
    super('S3UploadFailed', message, options);
    this.host = fields.host;
    this.bucket = fields.bucket;
    this.key = fields.key;
    this.status = fields.status;
    this.s3Code = fields.s3Code;
  }
}
