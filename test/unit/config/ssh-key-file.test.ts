/**
 * The SSH private key file rule (config/ssh-key-file.ts): one rule for validation and the run.
 * A missing, unreadable or too-open ssh.privateKey is a configuration error (exit 2) that
 * `config validate` and `init --dry-run` report with the field, the value and the fix.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sshKeyFileIssue, sshKeyFileProblem } from '../../../src/config/ssh-key-file.js';
import { validateSpec } from '../../../src/config/validate/index.js';
import { ValidationError } from '../../../src/errors.js';
import { checkPrivateKeyFile } from '../../../src/tools/ssh/keys.js';
import { patched, staticDoc } from '../../helpers/config-fixtures.js';
import { runCli } from '../../helpers/fake-io.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'k8sb-keyfile-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function keyFile(name: string, mode: number): string {
  const path = join(dir, name);
  writeFileSync(path, '-----BEGIN OPENSSH PRIVATE KEY-----\nnot a real key\n-----END OPENSSH PRIVATE KEY-----\n');
  chmodSync(path, mode);
  return path;
}

const isRoot = process.getuid?.() === 0;

describe('sshKeyFileProblem', () => {
  it('accepts a 0600 file', () => {
    expect(sshKeyFileProblem(keyFile('ok', 0o600))).toBeUndefined();
  });

  it('names a missing file', () => {
    const path = join(dir, 'nope');
    expect(sshKeyFileProblem(path)).toBe(`There is no SSH private key at ${path}. Give the path of an existing private key file`);
  });

  it('refuses a key others can read, with the chmod that fixes it', () => {
    const path = keyFile('open', 0o644);
    expect(sshKeyFileProblem(path)).toBe(
      `The SSH private key ${path} is readable by group or others (mode 0644), and SSH refuses such a key. Restrict it: chmod 600 ${path}`,
    );
  });

  it('refuses a folder', () => {
    mkdirSync(join(dir, 'folder'));
    expect(sshKeyFileIssue(join(dir, 'folder'))?.kind).toBe('not-a-file');
  });

  it.skipIf(isRoot)('refuses a file this user cannot read (root reads every file)', () => {
    expect(sshKeyFileIssue(keyFile('locked', 0o000))?.kind).toBe('unreadable');
  });

  it('expands ~/ with HOME, as the run does', () => {
    const before = process.env.HOME;
    process.env.HOME = dir;
    try {
      keyFile('id_test', 0o600);
      expect(sshKeyFileProblem('~/id_test')).toBeUndefined();
      expect(sshKeyFileProblem('~/id_other')).toBe(`There is no SSH private key at ~/id_other (${join(dir, 'id_other')}). Give the path of an existing private key file`);
    } finally {
      process.env.HOME = before;
    }
  });

  it('is the rule the run applies too', () => {
    const path = keyFile('open2', 0o640);
    expect(() => checkPrivateKeyFile(path)).toThrow(expect.objectContaining({ code: 'UnprotectedPrivateKey', message: expect.stringContaining('(mode 0640)') }));
    expect(() => checkPrivateKeyFile(join(dir, 'gone'))).toThrow(expect.objectContaining({ code: 'PrivateKeyNotFound', message: `There is no SSH private key at ${join(dir, 'gone')}.` }));
  });
});

describe('validateSpec with local files checked', () => {
  const withKey = (privateKey: string) => patched(staticDoc(), { ssh: { privateKey } });

  it('reports ssh.privateKey with the value and the fix, next to the other problems', () => {
    const path = keyFile('open3', 0o644);
    try {
      validateSpec(patched(withKey(path), { name: 'Bad_Name' }), { localFiles: true });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      const issues = (error as ValidationError).issues;
      expect(issues.map((i) => i.path)).toEqual(['name', 'ssh.privateKey']);
      expect(issues[1]).toEqual({
        path: 'ssh.privateKey',
        message: 'is readable by group or others (mode 0644), and SSH refuses such a key',
        value: path,
        fix: `restrict it: chmod 600 ${path}`,
      });
      expect((error as ValidationError).exitCode).toBe(2);
    }
  });

  it('leaves files alone unless asked (a recorded spec, an example)', () => {
    expect(validateSpec(withKey(join(dir, 'missing'))).ssh.privateKey).toBe(join(dir, 'missing'));
  });
});

describe('the commands', () => {
  const specFile = (privateKey: string) => {
    const path = join(dir, 'cluster.yaml');
    writeFileSync(
      path,
      [
        'apiVersion: k8s-bootstrap.io/v1alpha1',
        'kind: Cluster',
        'name: lab',
        'provider:',
        '  name: static',
        '  hosts:',
        '    - { address: 192.0.2.10, role: control-plane }',
        'ssh:',
        `  privateKey: ${privateKey}`,
        '',
      ].join('\n'),
    );
    return path;
  };

  it('config validate exits 2 for a missing key file, naming field, value and fix', async () => {
    const missing = join(dir, 'nokey');
    const run = await runCli(['config', 'validate', '-c', specFile(missing)], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`ssh.privateKey: names no existing file (got "${missing}"): give the path of an existing private key file`);
    expect(run.stdout).not.toContain('valid cluster configuration');
  });

  it('init --dry-run exits 2 for a key others can read, before any plan or folder', async () => {
    const open = keyFile('id_open', 0o644);
    const run = await runCli(['init', '--dry-run', '--yes', '-c', specFile(open)], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`ssh.privateKey: is readable by group or others (mode 0644), and SSH refuses such a key (got "${open}"): restrict it: chmod 600 ${open}`);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('init with --ssh-key of a missing file exits 2 before the summary', async () => {
    const missing = join(dir, 'absent_key');
    const run = await runCli(['init', '--yes', '--name', 'lab', '--provider', 'static', '--control-plane-host', '192.0.2.10', '--ssh-key', missing], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`ssh.privateKey: names no existing file (got "${missing}")`);
    expect(run.stderr).not.toContain('Create cluster');
  });

  it('static init with no key file and no ssh-agent exits 2 before the summary, naming both ways', async () => {
    const run = await runCli(['init', '--yes', '--name', 'lab', '--provider', 'static', '--control-plane-host', '192.0.2.10'], { cwd: dir, env: { SSH_AUTH_SOCK: undefined } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('ssh.privateKey: is not set and no ssh-agent runs (SSH_AUTH_SOCK is unset)');
    expect(run.stderr).toContain('start ssh-agent');
    expect(run.stderr).not.toContain('Create cluster');
    expect(existsSync(join(dir, 'clusters', 'lab'))).toBe(false);
  });

  it('with SSH_AUTH_SOCK set, a static dry run without a key file goes through the agent', async () => {
    const run = await runCli(['init', '--dry-run', '--yes', '--name', 'lab', '--provider', 'static', '--control-plane-host', '192.0.2.10'], { cwd: dir, env: { SSH_AUTH_SOCK: join(dir, 'agent.sock') } });
    expect(run.code).toBe(0);
  });

  it('a relative --ssh-key is saved absolute, so `init --dir X` (the hints) finds it from another folder', async () => {
    keyFile('rel_key', 0o600);
    const run = await runCli(['init', '--dry-run', '--yes', '--name', 'rel', '--provider', 'static', '--control-plane-host', '192.0.2.10', '--ssh-key', './rel_key'], { cwd: dir });
    expect(run.code).toBe(0);
    const saved = readFileSync(join(dir, 'clusters', 'rel', 'cluster.yaml'), 'utf8');
    expect(saved).toContain(`privateKey: ${join(dir, 'rel_key')}`);
    mkdirSync(join(dir, 'elsewhere'));
    const again = await runCli(['--dir', join(dir, 'clusters', 'rel'), 'init', '--dry-run', '--yes'], { cwd: join(dir, 'elsewhere') });
    expect(again.code).toBe(0);
  });
});
