/**
 * What a newcomer meets first (issue #13, review P5, P6, P7, P17): every hint is a command that
 * works, and each test RUNS the hint it got; warnings before the question; a "no" that is not an
 * error; a reader that goes away (`| head`); help that lists the global options.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../src/cli/commands/index.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, main } from '../../../src/cli/main.js';
import { API_VERSION } from '../../../src/config/schema.js';
import { createHost } from '../../../src/engine/script-host.js';
import { validateSpec } from '../../../src/config/validate/index.js';
import { DeclinedError } from '../../../src/errors.js';
import { KUBERNETES_PATCHES } from '../../../src/kube/pins.js';
import { StateStore } from '../../../src/state/state-store.js';
import { initCluster } from '../../../src/workflows/init/index.js';
import { Capture, runCli, type FakeIoOptions } from '../../helpers/fake-io.js';
import { FakeTerminal } from '../../helpers/fake-terminal.js';
import { makeCluster } from '../../helpers/cluster-fixture.js';

let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'k8sb-first-'));
});
afterEach(() => {
  rmSync(cwd, { recursive: true, force: true });
});

const AWS = ['--provider', 'aws', '--admin-cidr', '203.0.113.0/24'];

/** The first `k8s-bootstrap …` command quoted in a hint, as argv (the tests' paths have no spaces). */
function hintedCommand(stderr: string): string[] {
  const hint = /^Hint: (.*)$/m.exec(stderr)?.[1];
  expect(hint, `no hint in:\n${stderr}`).toBeDefined();
  const quoted = /"k8s-bootstrap ([^"]+)"/.exec(hint!)?.[1];
  expect(quoted, `no quoted command in the hint: ${hint}`).toBeDefined();
  return quoted!.split(' ');
}

describe('P5: hints that name init --dir work as written', () => {
  it('status after a dry run hints "init --dir X", which reads X/cluster.yaml', async () => {
    expect((await runCli(['init', '--dry-run', '--yes', ...AWS, '--name', 'lab'], { cwd })).code).toBe(EXIT_OK);
    const status = await runCli(['status'], { cwd });
    expect(status.code).toBe(EXIT_USAGE);
    const hinted = hintedCommand(status.stderr);
    expect(hinted).toEqual(['init', '--dir', join(cwd, 'clusters', 'lab')]);

    // As written, in CI: refused only for want of --yes, not for "missing name, provider".
    const asWritten = await runCli(hinted, { cwd, env: { AWS_ACCESS_KEY_ID: 'AKIAFAKE', AWS_SECRET_ACCESS_KEY: 'fake-secret' } });
    expect(asWritten.stderr).not.toContain('Missing values');
    expect(asWritten.stderr).toContain('--yes');
    // And the same command previews the cluster of that folder.
    const preview = await runCli([...hinted, '--dry-run'], { cwd });
    expect(preview.stderr).toBe('');
    expect(preview.code).toBe(EXIT_OK);
    expect(preview.stdout).toContain('Plan for cluster lab (aws)');
  });

  it('kubeconfig before the cluster is built hints the same working init --dir', async () => {
    expect((await runCli(['init', '--dry-run', '--yes', ...AWS, '--name', 'lab'], { cwd })).code).toBe(EXIT_OK);
    const kubeconfig = await runCli(['kubeconfig'], { cwd });
    expect(kubeconfig.code).not.toBe(EXIT_OK);
    const preview = await runCli([...hintedCommand(kubeconfig.stderr), '--dry-run'], { cwd });
    expect(preview.code).toBe(EXIT_OK);
    expect(preview.stdout).toContain('Plan for cluster lab (aws)');
  });

  it('--config still wins over the folder, and flags still override the file', async () => {
    expect((await runCli(['init', '--dry-run', '--yes', ...AWS, '--name', 'lab', '--workers', '3'], { cwd })).code).toBe(EXIT_OK);
    const dir = join(cwd, 'clusters', 'lab');
    const run = await runCli(['--dir', dir, 'init', '--dry-run', '--yes', '--workers', '3'], { cwd });
    expect(run.code).toBe(EXIT_OK);
    expect(run.stdout).toContain('lab-worker-3');
  });
});

describe('P5: upgrade without --to names a version newer than the cluster\'s', () => {
  it('hints the newest offer above the recorded 1.36.2, and that command gets past the check', async () => {
    const fixture = await makeCluster('old');
    const options: FakeIoOptions = { cwd: fixture.cwd, env: { HOME: fixture.home } };
    const run = await runCli(['--yes', '--dir', fixture.dir.root, 'upgrade'], options);
    expect(run.code).toBe(EXIT_USAGE);
    expect(run.stderr).toContain('cluster old runs v1.36.2');
    const target = /--to (\d+\.\d+\.\d+)/.exec(/^Hint: (.*)$/m.exec(run.stderr)![1]!)![1]!;
    expect(target).toBe(KUBERNETES_PATCHES['1.37']);
    expect(run.stderr).toContain(`--to ${KUBERNETES_PATCHES['1.36']}`);
    // Running it: no TargetRequired any more; it goes on to the nodes (which refuse connections here).
    const again = await runCli(['--yes', '--dir', fixture.dir.root, 'upgrade', '--to', target, '--timeout', '2s'], options);
    expect(again.stderr).not.toContain('needs --to');
    expect(again.code).not.toBe(EXIT_OK);
  });

  it('says the cluster is up to date when it records the newest version this tool knows', async () => {
    const fixture = await makeCluster('new');
    const state = await StateStore.open(fixture.dir.stateFile, 'new');
    await state.update((current) => {
      current.kubernetesVersion = KUBERNETES_PATCHES['1.37'];
    });
    const run = await runCli(['--yes', '--dir', fixture.dir.root, 'upgrade'], { cwd: fixture.cwd, env: { HOME: fixture.home } });
    expect(run.code).toBe(EXIT_USAGE);
    expect(run.stderr).toContain(`Cluster new runs v${KUBERNETES_PATCHES['1.37']}, the newest version this k8s-bootstrap knows: it is up to date`);
    expect(run.stderr).not.toMatch(/--to \d/);
  });
});

describe('P6: init shows the spec\'s warnings on stderr', () => {
  it('init --dry-run with --admin-cidr 0.0.0.0/0 warns, and stdout stays the plan', async () => {
    const run = await runCli(['init', '--dry-run', '--yes', '--provider', 'aws', '--admin-cidr', '0.0.0.0/0', '--name', 'open'], { cwd });
    expect(run.code).toBe(EXIT_OK);
    expect(run.stderr).toContain('Warning: ssh.adminCidrs: lets the whole internet reach SSH and the Kubernetes API (got "0.0.0.0/0")');
    expect(run.stdout).not.toContain('Warning');
  });

  it('init on a terminal shows the warning after the summary, before the question', async () => {
    const file = join(cwd, 'open.yaml');
    writeFileSync(file, `apiVersion: ${API_VERSION}\nkind: Cluster\nname: open\nprovider:\n  name: aws\nssh:\n  adminCidrs: [0.0.0.0/0]\n`);
    const { code, screen } = await declineAtTerminal(['init', '--config', file], 'Create cluster open now?');
    expect(code).toBe(EXIT_FAILURE);
    const warning = screen.indexOf('Warning: ssh.adminCidrs: lets the whole internet reach SSH');
    expect(warning).toBeGreaterThan(screen.indexOf('Cluster open (saved to'));
    expect(warning).toBeLessThan(screen.indexOf('Create cluster open now?'));
  });
});

/** A person at a terminal who answers No to `question`. */
async function declineAtTerminal(args: string[], question: string): Promise<{ code: number; screen: string; stdout: string }> {
  const terminal = new FakeTerminal();
  const stdout = new Capture();
  stdout.isTTY = terminal.stderr.isTTY = terminal.stdin.isTTY = true;
  const env = { PATH: process.env.PATH, HOME: cwd, AWS_ACCESS_KEY_ID: 'AKIAFAKE', AWS_SECRET_ACCESS_KEY: 'fake-secret' };
  const exit = main(['node', 'k8s-bootstrap', ...args], { stdout, stderr: terminal.stderr, stdin: terminal.stdin, env, cwd });
  await terminal.answer(question, 'n');
  return { code: await exit, screen: terminal.screen, stdout: stdout.text };
}

describe('P7: No at a confirmation', () => {
  it('exits 1 with "Nothing was created", no "Error:", and the resume command', async () => {
    const file = join(cwd, 'asked.yaml');
    writeFileSync(file, `apiVersion: ${API_VERSION}\nkind: Cluster\nname: asked\nprovider:\n  name: aws\nssh:\n  adminCidrs: [198.51.100.0/24]\n`);
    const { code, screen } = await declineAtTerminal(['init', '--config', file], 'Create cluster asked now?');
    expect(code).toBe(EXIT_FAILURE);
    expect(screen).toContain('Nothing was created.');
    expect(screen).not.toContain('Error:');
    expect(screen).not.toContain('Hint:');
    expect(screen).toContain(`run "k8s-bootstrap init --config ${join(cwd, 'clusters', 'asked', 'cluster.yaml')}" to continue later`);
  });

  it('when the wizard took credentials, says they are not saved and which variables to export', async () => {
    const spec = validateSpec({ apiVersion: API_VERSION, kind: 'Cluster', name: 'typed', provider: { name: 'aws' }, ssh: { adminCidrs: ['198.51.100.0/24'] } });
    const host = createHost({ cwd, env: { PATH: process.env.PATH }, confirm: () => false });
    const credentials = { AWS_ACCESS_KEY_ID: 'AKIATYPED', AWS_SECRET_ACCESS_KEY: 'typed-secret', AWS_SESSION_TOKEN: '' };
    const error = await initCluster(host, { spec, credentials, credentialsSource: 'typed in the wizard' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DeclinedError);
    expect((error as DeclinedError).hint).toBe(
      `The spec is saved; export AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (the values given in the wizard are not saved), then run "k8s-bootstrap init --config ${join(cwd, 'clusters', 'typed', 'cluster.yaml')}" to continue later.`,
    );
    expect(JSON.stringify(error)).not.toContain('typed-secret');
    expect(existsSync(join(cwd, 'clusters', 'typed', 'inventory.json'))).toBe(false);
  });

  it('a profile chosen in the wizard is named in full: its name is no secret', async () => {
    const spec = validateSpec({ apiVersion: API_VERSION, kind: 'Cluster', name: 'profiled', provider: { name: 'aws' }, ssh: { adminCidrs: ['198.51.100.0/24'] } });
    // The profile exists, as the wizard only offers profiles it found in ~/.aws.
    mkdirSync(join(cwd, '.aws'), { recursive: true });
    writeFileSync(join(cwd, '.aws', 'config'), '[profile staging]\nregion = eu-central-1\n');
    const host = createHost({ cwd, env: { PATH: process.env.PATH, HOME: cwd }, confirm: () => false });
    const error = await initCluster(host, { spec, credentials: { AWS_PROFILE: 'staging' }, credentialsSource: 'typed in the wizard' }).catch((caught: unknown) => caught);
    expect((error as DeclinedError).hint).toBe(
      `The spec is saved; export AWS_PROFILE=staging, then run "k8s-bootstrap init --config ${join(cwd, 'clusters', 'profiled', 'cluster.yaml')}" to continue later.`,
    );
  });
});

/** A stdout whose reader leaves after the first write, as `| head -1` does. */
class ClosedAfterFirstWrite extends Writable {
  text = '';
  private writes = 0;
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.writes += 1;
    if (this.writes === 1) {
      this.text += chunk.toString();
      done();
      return;
    }
    done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE', errno: -32, syscall: 'write' }));
  }
}

describe('P7: a reader that goes away (| head)', () => {
  it('ends quietly: exit 0, no stack trace, the dry run still complete on disk', async () => {
    const stdout = new ClosedAfterFirstWrite();
    const stderr = new Capture();
    const crashes: unknown[] = [];
    const onUncaught = (error: unknown) => crashes.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const io = { stdout, stderr, stdin: process.stdin, env: { CI: 'true', PATH: process.env.PATH, HOME: cwd }, cwd };
      const code = await main(['node', 'k8s-bootstrap', 'init', '--dry-run', '--yes', ...AWS, '--name', 'piped'], io);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(code).toBe(EXIT_OK);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(crashes).toEqual([]);
    expect(stdout.text).toContain('Plan for cluster piped');
    expect(stderr.text).not.toMatch(/EPIPE|Unexpected error/);
    expect(existsSync(join(cwd, 'clusters', 'piped', 'terraform', 'terraform.tfvars.json'))).toBe(true);
  });
});

describe('P17: help, config validate FILE, doctor, the dry run\'s words', () => {
  const paths = COMMANDS.flatMap((command) => [[command.name], ...(command.subcommands ?? []).map((sub) => [command.name, sub.name])]);

  it.each(paths.map((path) => [path.join(' '), path] as const))('%s --help lists the global options', async (_label, path) => {
    const run = await runCli([...path, '--help']);
    expect(run.code).toBe(EXIT_OK);
    expect(run.stdout).toContain('Global Options:');
    for (const flag of ['--yes', '--config <file>', '--dir <folder>', '--output <mode>']) expect(run.stdout).toContain(flag);
  });

  it('config validate FILE works like -c FILE, and two different files are refused', async () => {
    const example = await runCli(['config', 'example', '--provider', 'aws']);
    writeFileSync(join(cwd, 'cluster.yaml'), example.stdout);
    const byArgument = await runCli(['config', 'validate', 'cluster.yaml'], { cwd });
    expect(byArgument.stderr).toBe('');
    expect(byArgument.code).toBe(EXIT_OK);
    expect(byArgument.stdout).toContain('ok: cluster.yaml is a valid cluster configuration');
    const both = await runCli(['-c', 'other.yaml', 'config', 'validate', 'cluster.yaml'], { cwd });
    expect(both.code).toBe(EXIT_USAGE);
    expect(both.stderr).toContain('config validate got two files');
    const none = await runCli(['config', 'validate'], { cwd });
    expect(none.code).toBe(EXIT_USAGE);
    // Its hint is a command that works.
    const hinted = /^Hint: k8s-bootstrap (.*)$/m.exec(none.stderr)![1]!.split(' ');
    expect((await runCli(hinted, { cwd })).code).toBe(EXIT_OK);
  });

  it('doctor --provider static says what static hosts need, not "found (none needed …)"', async () => {
    const run = await runCli(['doctor', '--provider', 'static'], { cwd });
    expect(run.stdout).toContain('credentials: none needed; static hosts are reached over SSH (--ssh-key FILE or ssh-agent)');
    expect(run.stdout).not.toContain('found (none needed');
  });

  it('the dry run says what it wrote, and that no tool ran', async () => {
    const run = await runCli(['init', '--dry-run', '--yes', ...AWS, '--name', 'words'], { cwd });
    const dir = join(cwd, 'clusters', 'words');
    expect(run.stdout).toContain(`dry run: nothing was created and no machine touched; it wrote only the files listed at the end, in ${dir}.`);
    expect(run.stdout).toContain(`Written to ${dir}:\n  ${join(dir, 'cluster.yaml')}`);
    expect(run.stdout).not.toContain('nothing was run');
  });

  it('init --dry-run --output json: JSON lines only, ending with exactly one result line', async () => {
    const run = await runCli(['init', '--dry-run', '--yes', '--output', 'json', ...AWS, '--name', 'lines'], { cwd });
    expect(run.code).toBe(EXIT_OK);
    const lines = run.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as { type: string });
    expect(lines.filter((line) => line.type === 'result')).toHaveLength(1);
    expect(lines.at(-1)).toMatchObject({ type: 'result', command: 'init', dryRun: true });
    expect(readFileSync(join(cwd, 'clusters', 'lines', 'cluster.yaml'), 'utf8')).toContain('name: lines');
  });
});
