/**
 * The real binary as a child process (`node bin/k8s-bootstrap.js … --output json`), for tests
 * that kill or interrupt it: its NDJSON events are parsed from stdout as they arrive, so a test
 * can wait for "join:cp-2 started" and then send SIGKILL or SIGINT at exactly that moment.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { EngineEvent } from '../../src/engine/events.js';
import { BIN } from './built-cli.js';

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  events: EngineEvent[];
}

export interface CliChild {
  readonly process: ChildProcess;
  readonly events: EngineEvent[];
  stdout(): string;
  stderr(): string;
  /** Resolves with the first event (already seen or still to come) that matches. */
  waitForEvent(match: (event: EngineEvent) => boolean, timeoutMs?: number): Promise<EngineEvent>;
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<void>;
  readonly exited: Promise<ChildResult>;
}

const children = new Set<ChildProcess>();

/** Kills children a failed test left running (afterAll). */
export function killLeftovers(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
}

export function spawnCli(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): CliChild {
  // Only what the test gives: the developer's own credentials or K8SB_* never leak in.
  const env = { CI: 'true', PATH: process.env.PATH, HOME: options.cwd, NO_COLOR: '1', ...options.env };
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  let pending = '';
  const events: EngineEvent[] = [];
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const waiter of [...waiters]) waiter();
  };
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    pending += chunk;
    let index: number;
    while ((index = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, index);
      pending = pending.slice(index + 1);
      try {
        events.push(JSON.parse(line) as EngineEvent);
      } catch {
        // Plain lines (the final "Cluster … is ready") are not events.
      }
    }
    wake();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
    wake();
  });
  const exited = new Promise<ChildResult>((resolve) => {
    child.on('close', (code, signal) => {
      children.delete(child);
      wake();
      resolve({ code, signal, stdout: out, stderr: err, events });
    });
  });

  const waitUntil = <T>(probe: () => T | undefined, what: string, timeoutMs: number): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const found = probe();
        if (found !== undefined) {
          finish();
          resolve(found);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          finish();
          reject(new Error(`the CLI exited (${child.exitCode ?? child.signalCode}) before ${what}\n--- stderr\n${err.slice(-4000)}\n--- stdout tail\n${out.slice(-4000)}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n--- stderr\n${err.slice(-4000)}\n--- stdout tail\n${out.slice(-4000)}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  return {
    process: child,
    events,
    stdout: () => out,
    stderr: () => err,
    waitForEvent: (match, timeoutMs = 180_000) => waitUntil(() => events.find(match), 'the expected event', timeoutMs),
    waitForStderr: (pattern, timeoutMs = 60_000) => waitUntil(() => (pattern.test(err) ? true : undefined), `stderr matching ${pattern}`, timeoutMs).then(() => undefined),
    exited,
  };
}

export async function runCliChild(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<ChildResult> {
  return spawnCli(args, options).exited;
}

export const stepStarted = (stepId: string) => (event: EngineEvent) => event.type === 'started' && 'stepId' in event && event.stepId === stepId;

export const outputMatching = (stepId: string, pattern: RegExp) => (event: EngineEvent) =>
  event.type === 'output' && event.stepId === stepId && pattern.test(event.line);

export function childFailureText(result: ChildResult): string {
  const failed = result.events.filter((e) => e.type === 'failed').map((e) => JSON.stringify(e));
  return `exit ${result.code} signal ${result.signal}\n--- failed events\n${failed.join('\n')}\n--- stderr\n${result.stderr.slice(-6000)}`;
}

export const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
