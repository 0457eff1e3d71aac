/**
 * What a command needs from whoever runs it: the CLI (src/cli/host.ts), a script using the
 * library, or a test. The core never touches a terminal, a stream or a prompt library itself:
 * it emits events, asks questions through the host, and returns a result object.
 */
import type { EngineEvent, EventSink } from './events.js';
import { redactEvent, type SecretSet } from './redact.js';

/** A yes the command needs before it creates, changes or removes anything. */
export interface ConfirmQuestion {
  /** The command asking ("init", "upgrade"), for a host that must refuse without a person. */
  command: string;
  /** The question, e.g. "Create cluster demo now?". */
  message: string;
  /** What a yes does, for a host that answers by itself: "creating cluster demo". */
  doing: string;
  /**
   * A name the person must type instead of answering yes (destroy types the cluster name).
   * A host that answers by itself answers with this name.
   */
  typeToConfirm?: string;
  /**
   * A question about a side matter that has a safe answer (replace a differing cluster.yaml?).
   * A host that answers by itself answers `safeAnswer`.
   */
  safeAnswer?: boolean;
}

export interface SelectChoice<T> {
  value: T;
  name: string;
}

export interface SelectQuestion<T> {
  message: string;
  choices: Array<SelectChoice<T>>;
  /** The flag that answers this question without asking, named when nobody can answer. */
  flag: string;
  default?: T;
}

export interface Host {
  /** Environment the run reads (credentials, K8SB_*, HOME, KUBECONFIG, SSH_AUTH_SOCK). */
  readonly env: NodeJS.ProcessEnv;
  /** Where relative paths (./clusters/<name>) are resolved. */
  readonly cwd: string;
  /** Aborts the command (Ctrl-C in the CLI). */
  readonly signal: AbortSignal;
  /** Receives every event of the command, already redacted. */
  readonly events: EventSink;
  /**
   * Every secret value known to this command; the core adds the ones it learns (tokens, keys),
   * and the host may use the set to redact what it prints itself (an error message).
   */
  readonly secrets: SecretSet;
  /** True when a person answers `select` (an upgrade without a target asks for one). */
  readonly interactive: boolean;
  /**
   * Throws, before anything is created or locked, when this host could never say yes to
   * `command`'s confirmation (the CLI in CI without --yes). Commands call it first.
   */
  assertCanConfirm(command: string): void;
  confirm(question: ConfirmQuestion): Promise<boolean>;
  select<T>(question: SelectQuestion<T>): Promise<T>;
}

/** What every command returns, besides its own fields: the sentences a person reads at the end. */
export interface ResultBase {
  cluster: string;
  /** "Cluster demo is ready. kubeconfig: …"; the CLI prints these in text modes. */
  summary: string[];
}

/**
 * An event from outside a run (a plan, a note) to the host, through the same redaction a run's
 * bus applies: no host sees a secret, whether or not it redacts on its own.
 */
export function emitTo(host: Pick<Host, 'events' | 'secrets'>, event: EngineEvent): void {
  host.events.emit(redactEvent(event, host.secrets.values()));
}

/** A note for the person, outside any run. */
export function noteTo(host: Pick<Host, 'events' | 'secrets'>, text: string, level: 'info' | 'warning' = 'info'): void {
  emitTo(host, { type: 'note', time: Date.now(), level, text });
}
