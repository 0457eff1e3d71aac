/**
 * One command on one open connection: an SSH exec channel with its timeout, abort, output caps,
 * line streaming and redaction, and how a command is stopped (TERM, then KILL, then close).
 * Retries and reconnects are the session's job (session.ts); this runs exactly once.
 */
import { AbortError } from '../../errors.js';
import { redact, Tail, type BuiltCommand } from './command.js';
import { RemoteCommandError, RemoteCommandTimedOutError, RemoteOutputTooLargeError, RemoteTransferError } from './errors.js';
import { ConnectionDropped, type Link } from './link.js';
import { CappedOutput, DEFAULT_OUTPUT_LIMIT_BYTES, LineSplitter } from './remote-output.js';
import type { ExecChannel } from './types.js';

export type OutputStream = 'stdout' | 'stderr' | 'info';

/** How one run of a command is watched and what is kept of its output. */
export interface ChannelOptions {
  timeoutMs: number;
  /** Each output line, already redacted; 'info' lines come from this layer (reconnects). */
  onLine?: (line: string, stream: OutputStream) => void;
  stdin?: string | Buffer;
  /** Return non-zero exit codes instead of throwing RemoteCommandError. */
  allowFailure?: boolean;
  /** stdout carries secrets (admin.conf, keys): never streamed, never in error details. */
  secretOutput?: boolean;
  /**
   * Bytes of stdout, and separately of stderr, kept for the result; a command that prints more is
   * stopped and fails with RemoteOutputTooLarge. Streamed lines are cut at 64 KiB either way.
   * @default DEFAULT_OUTPUT_LIMIT_BYTES (1 MiB); LARGE_OUTPUT_LIMIT_BYTES (16 MiB) for large reads
   */
  maxOutputBytes?: number;
  /**
   * false: the output only goes to onLine (for output shown to a person, not parsed); the result's
   * stdout and stderr stay empty and no size limit applies. @default true
   */
  captureOutput?: boolean;
  /**
   * Keep only the last maxOutputBytes of each stream instead of failing when a command prints
   * more: for long commands judged by their exit code (a drain that retries evictions for an hour).
   */
  keepOutputTail?: boolean;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
  signal?: string;
}

/**
 * Runs `command` once over `link` on node `node`. Fails with ConnectionDropped when the
 * connection goes away before the command's exit status arrives.
 */
export function runOnce(link: Link, node: string, command: BuiltCommand, options: ChannelOptions, signal?: AbortSignal): Promise<ExecResult> {
  const { line, display, secrets } = command;
  const tail = new Tail(20);
  const lineHandler = (stream: 'stdout' | 'stderr') => (text: string) => {
    if (stream === 'stdout' && options.secretOutput) return;
    const shown = redact(text, secrets);
    tail.push(shown);
    options.onLine?.(shown, stream);
  };
  const lines = { stdout: new LineSplitter(lineHandler('stdout')), stderr: new LineSplitter(lineHandler('stderr')) };
  const limit = options.maxOutputBytes ?? DEFAULT_OUTPUT_LIMIT_BYTES;
  const captured = options.captureOutput === false ? undefined : { stdout: new CappedOutput(limit, options.keepOutputTail), stderr: new CappedOutput(limit, options.keepOutputTail) };

  return new Promise<ExecResult>((resolve, reject) => {
    let channel: ExecChannel | undefined;
    let settled = false;
    let exitCode: number | null | undefined;
    let exitSignal: string | undefined;
    /** Why this side stopped the command, as the error it fails with. */
    let stopError: Error | undefined;

    const finish = (outcome: { error: unknown } | { result: ExecResult }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      removeClose();
      signal?.removeEventListener('abort', onAbort);
      if ('error' in outcome) reject(outcome.error);
      else resolve(outcome.result);
    };
    const stop = (error: Error) => {
      if (stopError) return;
      stopError = error;
      if (channel) {
        // Stop the command: TERM first (sudo relays it to its child), KILL shortly after for
        // what ignores it, then close the channel. Closing alone would leave it running.
        const open = channel;
        sendSignal(open, 'TERM');
        setTimeout(() => {
          sendSignal(open, 'KILL');
          open.close();
        }, 2000).unref();
      }
      // Settle now: the server may only confirm the close once the command exits on its own.
      finish({ error });
    };
    const interrupted = () => new AbortError('Aborted', `Interrupted while running \`${display}\` on node ${node}.`, { cause: signal?.reason });
    const timer = setTimeout(() => stop(new RemoteCommandTimedOutError(node, display, options.timeoutMs, tail.lines())), options.timeoutMs);
    const onAbort = () => stop(interrupted());
    signal?.addEventListener('abort', onAbort, { once: true });
    const removeClose = link.onClose(() => {
      if (exitCode !== undefined || stopError) return;
      finish({ error: new ConnectionDropped(`connection closed while running ${display}`) });
    });
    const receive = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      // After a stop, what is still in flight is dropped.
      if (stopError) return;
      if (captured && !captured[stream].push(chunk)) {
        stop(new RemoteOutputTooLargeError(node, display, stream, limit, tail.lines()));
        return;
      }
      lines[stream].push(chunk);
    };

    try {
      link.client.exec(line, {}, (error, opened) => {
        if (error) {
          finish({ error: link.closed ? new ConnectionDropped(error.message) : new RemoteTransferError(node, `opening a session channel for \`${display}\``, error) });
          return;
        }
        channel = opened;
        if (settled) return opened.close();
        opened.on('data', receive('stdout'));
        opened.stderr.on('data', receive('stderr'));
        opened.on('exit', (code: number | null, sig?: string) => {
          exitCode = code;
          exitSignal = sig ?? undefined;
        });
        opened.on('close', () => {
          if (stopError) return finish({ error: stopError });
          lines.stdout.end();
          lines.stderr.end();
          if (exitCode === undefined) {
            if (link.closed) return finish({ error: new ConnectionDropped(`connection closed while running ${display}`) });
          }
          const code = typeof exitCode === 'number' ? exitCode : -1;
          const result: ExecResult = { code, stdout: captured?.stdout.text ?? '', stderr: captured?.stderr.text ?? '', ...(exitSignal ? { signal: exitSignal } : {}) };
          if (code !== 0 && !options.allowFailure) {
            return finish({ error: new RemoteCommandError({ node, command: display, exitCode: exitCode ?? null, signal: exitSignal, tail: tail.lines() }) });
          }
          finish({ result });
        });
        if (options.stdin !== undefined) opened.end(options.stdin);
        else opened.end();
      });
    } catch (error) {
      finish({ error: link.closed ? new ConnectionDropped(String(error)) : error });
    }
  });
}

/**
 * Sends an SSH "signal" channel request (OpenSSH >= 7.9 delivers it to the session's process
 * group). ssh2's public Channel.signal() silently does nothing once stdin was ended (we always end
 * it, so commands never wait for input), hence the fallback to its protocol object.
 */
export function sendSignal(channel: ExecChannel, name: 'TERM' | 'KILL'): void {
  try {
    const internal = channel as unknown as {
      writable: boolean;
      outgoing?: { id: number; state: string };
      _client?: { _protocol?: { signal?: (id: number, signal: string) => void } };
    };
    if (internal.writable) {
      channel.signal(name);
      return;
    }
    const protocol = internal._client?._protocol;
    if ((internal.outgoing?.state === 'open' || internal.outgoing?.state === 'eof') && typeof protocol?.signal === 'function') protocol.signal(internal.outgoing.id, name);
  } catch {
    // Signal requests are optional in the protocol; the channel is closed regardless.
  }
}
