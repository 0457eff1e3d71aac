/**
 * A newcomer's first minutes: in a fresh clone, the README's set-up commands (the block between
 * `<!-- newcomer:setup` and `<!-- /newcomer:setup -->`) run as written, leave `git status` clean,
 * and the installed `k8s-bootstrap` answers --help.
 *
 * The clone is of the committed HEAD plus this working tree's changes (tracked diffs and new,
 * not ignored files), committed inside the clone: in CI that is exactly the submitted commit,
 * and on a developer's machine it tests what would be committed. `npm install -g` goes to a
 * prefix in the temp folder (npm_config_prefix), never to the machine's global folder; npm's
 * cache is preferred (--prefer-offline) to keep it under a minute.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../helpers/built-cli.js';
import { hasCommand, missingRequirement } from '../../helpers/require-tool.js';

const run = promisify(execFile);

/** The commands of the README's newcomer block, one per line, comments dropped. */
export function newcomerCommands(readme: string): string[] {
  const block = /<!-- newcomer:setup\b[^>]*-->([\s\S]*?)<!-- \/newcomer:setup -->/.exec(readme)?.[1];
  if (!block) throw new Error('README.md has no <!-- newcomer:setup --> … <!-- /newcomer:setup --> block');
  const fenced = [...block.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!).join('\n');
  return fenced
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** Is the npm registry there? `npm ping`, bounded: a machine without network skips, it does not hang. */
async function registryReachable(): Promise<boolean> {
  try {
    await run('npm', ['ping', '--silent'], { timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

const git = (cwd: string, args: string[]) => run('git', ['-C', cwd, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });

/** HEAD plus the working tree's changes, committed in a fresh clone. */
async function freshClone(into: string): Promise<string> {
  const clone = join(into, 'clone');
  await run('git', ['clone', '-q', '--no-hardlinks', PROJECT_ROOT, clone]);
  const { stdout: diff } = await git(PROJECT_ROOT, ['diff', 'HEAD', '--binary']);
  if (diff.trim() !== '') {
    await new Promise<void>((resolve, reject) => {
      const child = execFile('git', ['-C', clone, 'apply', '--binary', '--whitespace=nowarn', '-'], (error) => (error ? reject(error) : resolve()));
      child.stdin!.end(diff);
    });
  }
  const { stdout: untracked } = await git(PROJECT_ROOT, ['ls-files', '--others', '--exclude-standard', '-z']);
  for (const file of untracked.split('\0').filter(Boolean)) {
    mkdirSync(dirname(join(clone, file)), { recursive: true });
    copyFileSync(join(PROJECT_ROOT, file), join(clone, file));
  }
  const { stdout: status } = await git(clone, ['status', '--porcelain']);
  if (status.trim() !== '') {
    await git(clone, ['add', '-A']);
    await git(clone, ['-c', 'user.name=newcomer test', '-c', 'user.email=newcomer@example.invalid', 'commit', '-q', '--no-verify', '-m', 'working tree']);
  }
  return clone;
}

const gitReason = hasCommand('git') ? undefined : 'git is not on PATH';
const npmReason = gitReason ?? ((await registryReachable()) ? undefined : 'the npm registry is unreachable (npm ping failed)');
const skip = missingRequirement(npmReason === undefined, `newcomer set-up: ${npmReason}`);

let work: string | undefined;
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('README set-up commands', () => {
  it('the README marks its set-up block, and the block installs and runs the tool', () => {
    const commands = newcomerCommands(readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8'));
    expect(commands[0]).toBe('npm ci');
    expect(commands.some((command) => / -g /.test(` ${command} `))).toBe(true);
    expect(commands.at(-1)).toBe('k8s-bootstrap --help');
  });

  it.skipIf(skip)('run as written in a fresh clone, leave git status clean, and k8s-bootstrap answers --help', async () => {
    work = mkdtempSync(join(tmpdir(), 'k8sb-newcomer-'));
    const clone = await freshClone(work);
    const prefix = join(work, 'prefix');
    const env = {
      ...process.env,
      npm_config_prefix: prefix,
      npm_config_prefer_offline: 'true',
      npm_config_update_notifier: 'false',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      PATH: `${join(prefix, 'bin')}:${process.env.PATH ?? ''}`,
      NO_COLOR: '1',
    };
    let last = '';
    for (const command of newcomerCommands(readFileSync(join(clone, 'README.md'), 'utf8'))) {
      const result = await run('sh', ['-c', command], { cwd: clone, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).catch((error: { code?: number; stdout?: string; stderr?: string }) => {
        throw new Error(`"${command}" failed (exit ${error.code}):\n${error.stdout}\n${error.stderr}`);
      });
      last = result.stdout;
    }
    const { stdout: status } = await git(clone, ['status', '--porcelain']);
    expect(status).toBe('');
    expect(last).toContain('Usage: k8s-bootstrap');
    // The command on PATH is the global one the README's `npm install -g` made.
    const { stdout: where } = await run('sh', ['-c', 'command -v k8s-bootstrap'], { env, encoding: 'utf8' });
    expect(where.trim()).toBe(join(prefix, 'bin', 'k8s-bootstrap'));
  }, 180_000);
});
