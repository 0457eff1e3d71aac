/** In-process CLI runs: captured stdout/stderr, a fixed env and cwd, no TTY unless asked. */
import { PassThrough, Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/context.js';

export class Capture extends Writable {
  text = '';
  isTTY?: boolean;
  columns?: number;
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

export interface FakeRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface FakeIoOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  tty?: boolean;
}

export function fakeIo(options: FakeIoOptions = {}): CliIo & { stdout: Capture; stderr: Capture; stdin: PassThrough & { isTTY?: boolean } } {
  const stdout = new Capture();
  const stderr = new Capture();
  const stdin = new PassThrough() as PassThrough & { isTTY?: boolean };
  if (options.tty) stdout.isTTY = stderr.isTTY = stdin.isTTY = true;
  return {
    stdout,
    stderr,
    stdin,
    // Only what the test gives: the developer's own credentials or K8SB_* never leak in. An
    // ssh-agent socket path stands for the person's agent, so a static spec without a key file
    // validates (no test here connects); a test of the no-agent case passes SSH_AUTH_SOCK: undefined.
    env: { CI: 'true', PATH: process.env.PATH, HOME: options.cwd ?? process.env.HOME, SSH_AUTH_SOCK: '/nonexistent/k8sb-test-agent.sock', ...options.env },
    cwd: options.cwd ?? process.cwd(),
  };
}

/** Runs `k8s-bootstrap <args>` in-process. */
export async function runCli(args: string[], options: FakeIoOptions = {}): Promise<FakeRun> {
  const io = fakeIo(options);
  const code = await main(['node', 'k8s-bootstrap', ...args], io);
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
}
