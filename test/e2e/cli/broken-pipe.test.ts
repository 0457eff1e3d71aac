/**
 * Review P7: `k8s-bootstrap init --dry-run … | head -2` with the built binary. The reader leaves
 * after two lines; the CLI ends quietly (exit 0, no "write EPIPE" stack) and still finishes the
 * dry run's files.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ensureBuilt } from '../../helpers/built-cli.js';

describe('the built CLI piped into head', () => {
  let cwd: string;
  beforeAll(async () => {
    await ensureBuilt();
    cwd = mkdtempSync(join(tmpdir(), 'k8sb-epipe-'));
  }, 180_000);
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  const run = (reader: string, name: string) => {
    // The shell reports the CLI's own status (PIPESTATUS[0]), and its stderr goes to a file.
    const script = `"${process.execPath}" "${BIN}" init --dry-run --yes --name ${name} --provider aws --admin-cidr 203.0.113.0/24 2>err-${name}.txt | ${reader}; echo "cli=\${PIPESTATUS[0]}"; cat err-${name}.txt`;
    return execFileSync('bash', ['-c', script], { cwd, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: cwd, CI: 'true', NO_COLOR: '1' } });
  };

  it('a reader that is gone before the first line (| true): exit 0, no stack trace, the files written', () => {
    // Deterministic: `true` exits at once, so every write of the CLI meets a closed pipe.
    const output = run('true', 'gone');
    expect(output).toContain('cli=0');
    expect(output).not.toMatch(/EPIPE|node:events|Unhandled/);
    expect(existsSync(join(cwd, 'clusters', 'gone', 'terraform', 'terraform.tfvars.json'))).toBe(true);
  });

  it('stderr too: `2>&1 | true` ends with the command\'s own exit code, no stack trace', () => {
    // Prose (the spec warning for 0.0.0.0/0) goes to stderr, which meets the closed pipe as stdout does.
    const script = `"${process.execPath}" "${BIN}" init --dry-run --yes --name both --provider aws --admin-cidr 0.0.0.0/0 2>&1 | true; echo "cli=\${PIPESTATUS[0]}"`;
    const output = execFileSync('bash', ['-c', script], { cwd, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: cwd, CI: 'true', NO_COLOR: '1' } });
    expect(output.trim()).toBe('cli=0');
  });

  it('init --dry-run | head -2 (the review\'s command): the two lines, exit 0, no stack trace', () => {
    const output = run('head -2', 'piped');
    expect(output.split('\n')[0]).toMatch(/^Plan for cluster piped \(aws\), dry run/);
    expect(output).toContain('cli=0');
    expect(output).not.toMatch(/EPIPE|node:events|Unhandled/);
  });
});
