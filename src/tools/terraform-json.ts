/**
 * Terraform's machine-readable UI (`plan -json`, `apply -json`, `destroy -json`): one JSON object
 * per line, schema "1.x" (https://developer.hashicorp.com/terraform/internals/machine-readable-ui).
 * OpenTofu writes the same stream. Unknown message types become plain `message` events; a line
 * that is not JSON at all is passed on as text.
 */

export type ChangeAction = 'noop' | 'create' | 'read' | 'update' | 'replace' | 'delete' | 'move' | 'import' | 'forget' | string;

export interface PlannedChange {
  address: string;
  action: ChangeAction;
  reason?: string;
}

export interface ChangeSummary {
  add: number;
  change: number;
  remove: number;
  operation: 'plan' | 'apply' | 'destroy' | string;
}

export interface TerraformDiagnostic {
  severity: 'error' | 'warning' | string;
  summary: string;
  detail?: string;
  address?: string;
}

export type TerraformEvent =
  | { type: 'version'; tool: 'terraform' | 'tofu'; version: string; ui: string; message: string }
  | ({ type: 'planned_change' } & PlannedChange & { message: string })
  | ({ type: 'change_summary' } & ChangeSummary & { message: string })
  | { type: 'apply_start'; address: string; action: ChangeAction; message: string }
  | { type: 'apply_progress'; address: string; action: ChangeAction; elapsedSeconds: number; message: string }
  | { type: 'apply_complete'; address: string; action: ChangeAction; elapsedSeconds: number; idKey?: string; idValue?: string; message: string }
  | { type: 'apply_errored'; address: string; action: ChangeAction; elapsedSeconds: number; message: string }
  | ({ type: 'diagnostic' } & TerraformDiagnostic & { message: string })
  /** Output names only: values never travel in events. */
  | { type: 'outputs'; names: string[]; message: string }
  /** log, provisioner output, refresh, and any type this version does not know. */
  | { type: 'message'; level: string; kind: string; message: string };

interface RawHook {
  resource?: { addr?: string };
  action?: string;
  elapsed_seconds?: number;
  id_key?: string;
  id_value?: string;
}

type Raw = Record<string, unknown> & { type?: string; '@level'?: string; '@message'?: string };

const VERBS: Record<string, [string, string]> = {
  create: ['Creating', 'Created'],
  update: ['Modifying', 'Modified'],
  replace: ['Replacing', 'Replaced'],
  delete: ['Destroying', 'Destroyed'],
  read: ['Reading', 'Read'],
};

function verb(action: string | undefined, done: boolean): string {
  const pair = VERBS[action ?? ''];
  return pair ? pair[done ? 1 : 0] : done ? 'Done' : 'Working';
}

/** Parses one line of the stream; undefined for blank lines. */
export function parseTerraformLine(line: string): TerraformEvent | undefined {
  const text = line.trim();
  if (text === '') return undefined;
  let raw: Raw;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    raw = parsed as Raw;
  } catch {
    return { type: 'message', level: 'info', kind: 'text', message: text };
  }
  const message = typeof raw['@message'] === 'string' ? raw['@message'] : '';
  const level = typeof raw['@level'] === 'string' ? raw['@level'] : 'info';
  const hook = (raw.hook ?? {}) as RawHook;
  const address = hook.resource?.addr ?? '';
  const elapsed = typeof hook.elapsed_seconds === 'number' ? hook.elapsed_seconds : 0;
  switch (raw.type) {
    case 'version': {
      const tool = typeof raw.tofu === 'string' ? 'tofu' : 'terraform';
      return { type: 'version', tool, version: String(raw.tofu ?? raw.terraform ?? ''), ui: String(raw.ui ?? ''), message };
    }
    case 'planned_change': {
      const change = (raw.change ?? {}) as { resource?: { addr?: string }; action?: string; reason?: string };
      return {
        type: 'planned_change',
        address: change.resource?.addr ?? '',
        action: change.action ?? 'unknown',
        ...(change.reason ? { reason: change.reason } : {}),
        message,
      };
    }
    case 'change_summary': {
      const changes = (raw.changes ?? {}) as Partial<ChangeSummary>;
      return {
        type: 'change_summary',
        add: Number(changes.add ?? 0),
        change: Number(changes.change ?? 0),
        remove: Number(changes.remove ?? 0),
        operation: String(changes.operation ?? 'plan'),
        message,
      };
    }
    case 'apply_start':
      return { type: 'apply_start', address, action: hook.action ?? '', message: `${address}: ${verb(hook.action, false)}…` };
    case 'apply_progress':
      return {
        type: 'apply_progress',
        address,
        action: hook.action ?? '',
        elapsedSeconds: elapsed,
        message: `${address}: ${verb(hook.action, false)}… ${elapsed}s elapsed`,
      };
    case 'apply_complete':
      return {
        type: 'apply_complete',
        address,
        action: hook.action ?? '',
        elapsedSeconds: elapsed,
        ...(hook.id_key ? { idKey: hook.id_key } : {}),
        ...(hook.id_value ? { idValue: hook.id_value } : {}),
        message: `${address}: ${verb(hook.action, true)} after ${elapsed}s`,
      };
    case 'apply_errored':
      return { type: 'apply_errored', address, action: hook.action ?? '', elapsedSeconds: elapsed, message: `${address}: failed after ${elapsed}s` };
    case 'diagnostic': {
      const diagnostic = (raw.diagnostic ?? {}) as Partial<TerraformDiagnostic>;
      return {
        type: 'diagnostic',
        severity: diagnostic.severity ?? level,
        summary: diagnostic.summary ?? message,
        ...(diagnostic.detail ? { detail: diagnostic.detail } : {}),
        ...(diagnostic.address ? { address: diagnostic.address } : {}),
        message,
      };
    }
    case 'outputs': {
      const names = Object.keys((raw.outputs ?? {}) as object);
      return { type: 'outputs', names, message: `Outputs: ${names.join(', ')}` };
    }
    default:
      return { type: 'message', level, kind: String(raw.type ?? 'unknown'), message };
  }
}

/**
 * The line as it may be logged: an `outputs` message carries every output value, sensitive
 * ones in plain text, so those values are replaced before the line leaves the driver.
 */
export function redactTerraformLine(line: string): string {
  if (!line.includes('"outputs"')) return line;
  try {
    const raw = JSON.parse(line) as Raw;
    if (raw.type !== 'outputs' || typeof raw.outputs !== 'object' || raw.outputs === null) return line;
    const outputs = raw.outputs as Record<string, { sensitive?: boolean; value?: unknown }>;
    for (const entry of Object.values(outputs)) {
      if (entry && entry.sensitive && 'value' in entry) entry.value = '(sensitive)';
    }
    return JSON.stringify(raw);
  } catch {
    return line;
  }
}

/** A diagnostic as the lines shown under a failed step. */
export function formatDiagnostic(diagnostic: TerraformDiagnostic): string[] {
  const where = diagnostic.address ? ` (${diagnostic.address})` : '';
  const lines = [`${diagnostic.severity === 'warning' ? 'Warning' : 'Error'}: ${diagnostic.summary}${where}`];
  if (diagnostic.detail) lines.push(...diagnostic.detail.split('\n').map((line) => `  ${line}`));
  return lines;
}
