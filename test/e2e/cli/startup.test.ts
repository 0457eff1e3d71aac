/**
 * Start-up stays fast: --version and --help load only commander and the command declarations,
 * never the heavy modules that the commands themselves need (prompts, task tree, SSH, spawning).
 * Proven by tracing every module the real binary resolves.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ensureBuilt, PROJECT_ROOT } from '../../helpers/built-cli.js';

const HEAVY = ['@inquirer', 'listr2', 'node-ssh', 'ssh2', 'execa', 'ora'];
const HOOK = join(PROJECT_ROOT, 'test', 'fixtures', 'startup', 'trace-imports.mjs');

let work: string;

beforeAll(async () => {
  await ensureBuilt();
  work = mkdtempSync(join(tmpdir(), 'k8sb-startup-'));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function traceRun(args: string[], name: string): { stdout: string; modules: string[] } {
  const file = join(work, `${name}.txt`);
  const stdout = execFileSync(process.execPath, ['--import', HOOK, BIN, ...args], {
    env: { PATH: process.env.PATH, K8SB_TRACE_IMPORTS: file, NO_COLOR: '1' },
    encoding: 'utf8',
  });
  return { stdout, modules: readFileSync(file, 'utf8').split('\n').filter(Boolean) };
}

describe('start-up loads no heavy module', () => {
  it('the tracer sees the modules a run resolves', () => {
    const { modules } = traceRun(['--version'], 'sanity');
    // Proves the hook works: without this, an empty trace would pass the checks below.
    expect(modules.some((url) => url.endsWith('/dist/cli/main.js'))).toBe(true);
    expect(modules.some((url) => url.includes('/node_modules/commander/'))).toBe(true);
  });

  it.each([[['--version']], [['--help']], [['init', '--help']]])('%j', (args) => {
    const { stdout, modules } = traceRun(args, args.join('_'));
    expect(stdout.length).toBeGreaterThan(0);
    const heavy = modules.filter((url) => HEAVY.some((name) => url.includes(`/node_modules/${name}`)));
    expect(heavy).toEqual([]);
  });

  it('the tracer would catch a heavy import', () => {
    const file = join(work, 'control.txt');
    execFileSync(process.execPath, ['--import', HOOK, '-e', 'await import("execa")', '--input-type=module'], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH, K8SB_TRACE_IMPORTS: file },
    });
    expect(readFileSync(file, 'utf8')).toContain('/node_modules/execa/');
  });
});
