/**
 * Text from a node or a tool is inert on the operator's terminal, and the last error is redacted
 * (security review findings 2, 5 and 17). A hostile control plane (an ssh2 server on 127.0.0.1)
 * reports a Node whose Ready message carries OSC 0 (window title), CSI line erase and OSC 52
 * (clipboard write); a stand-in terraform prints a credential in its error and its environment.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inertEvent, inertLine, inertText, toSafeJson } from '../../../src/engine/inert-text.js';
import type { EngineEvent } from '../../../src/engine/events.js';
import { JsonRenderer } from '../../../src/ui/json-renderer.js';
import { PlainRenderer } from '../../../src/ui/plain-renderer.js';
import { Capture, runCli } from '../../helpers/fake-io.js';
import { makeCluster, type ClusterFixture } from '../../helpers/cluster-fixture.js';
import { startHostileNode, type HostileNode } from '../../fixtures/hostile-node/hostile-node.js';
import { tempDir } from '../../e2e/cluster/cluster-helpers.js';
import { resultOf } from '../../helpers/json-lines.js';

const ESC = '\u001b';
const HOSTILE_MESSAGE = `${ESC}]0;PWNED-TITLE\u0007${ESC}[2K\r${ESC}[32mAll nodes Ready - nothing to see${ESC}[0m ${ESC}]52;c;ZWNobyBwd25lZA==\u0007`;
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

function nodeList(): string {
  const node = (name: string, ready: boolean, message?: string) => ({
    metadata: { name, creationTimestamp: '2026-11-30T10:00:00Z', labels: name.startsWith('cp') ? { 'node-role.kubernetes.io/control-plane': '' } : {} },
    status: {
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', ...(message ? { message } : {}) }],
      nodeInfo: { kubeletVersion: 'v1.36.2' },
      addresses: [{ type: 'InternalIP', address: name.startsWith('cp') ? '127.0.0.1' : '127.0.0.2' }],
    },
  });
  return JSON.stringify({ items: [node('cp-1', true), node('worker-1', false, HOSTILE_MESSAGE)] });
}

describe('a Node status with terminal escapes (finding 2)', () => {
  let evil: HostileNode;
  let fixture: ClusterFixture;

  beforeAll(async () => {
    evil = await startHostileNode({ reply: (command) => (command.includes("'get' 'nodes'") ? { stdout: nodeList() } : { code: 1, stderr: 'no such command\n' }) });
    fixture = await makeCluster('demo', { port: evil.port, hostKey: evil.publicKey });
  });
  afterAll(async () => evil?.close());

  it('status prints the message without a single control character: no title, no erase, no clipboard', async () => {
    const result = await runCli(['--dir', fixture.dir.root, 'status'], { cwd: fixture.cwd, env: { HOME: fixture.home } });
    expect(result.code, result.stderr).toBe(1);
    expect(evil.commands.some((command) => command.includes("'get' 'nodes'"))).toBe(true);
    expect(result.stdout).toContain('worker-1: All nodes Ready - nothing to see');
    for (const text of [result.stdout, result.stderr]) {
      expect(text).not.toMatch(CONTROL);
      expect(text).not.toContain('52;c;');
      expect(text).not.toContain('PWNED-TITLE');
    }
  });

  it('status --output json keeps the data, escaped: no raw control byte reaches the terminal', async () => {
    const result = await runCli(['--dir', fixture.dir.root, '--output', 'json', 'status'], { cwd: fixture.cwd, env: { HOME: fixture.home } });
    expect(result.stdout).not.toMatch(CONTROL);
    const report = resultOf(result.stdout) as unknown as { nodes: Array<{ name: string; message?: string }> };
    expect(report.nodes.find((node) => node.name === 'worker-1')?.message).toBe(HOSTILE_MESSAGE);
  });
});

describe('inert text', () => {
  it.each([
    ['OSC 0 title (BEL)', `a${ESC}]0;title\u0007b`, 'ab'],
    ['OSC 52 clipboard (ST)', `a${ESC}]52;c;ZWNobw==${ESC}\\b`, 'ab'],
    ['an unterminated OSC', `a${ESC}]52;c;ZWNobw==`, 'a'],
    ['CSI erase and colour', `${ESC}[2K${ESC}[1;31mred${ESC}[0m`, 'red'],
    ['8-bit CSI', `\u009b2Kx`, 'x'],
    ['8-bit OSC', `\u009d0;t\u009cx`, 'x'],
    ['DCS', `${ESC}Pq#0;2;0;0;0${ESC}\\x`, 'x'],
    ['ESC c (reset)', `${ESC}cx`, 'x'],
    ['carriage return and backspace', `fake\rreal\b!`, 'fakereal!'],
    ['bidi override', `abc\u202edcba`, 'abcdcba'],
  ])('strips %s', (_name, input, expected) => {
    expect(inertText(input)).toBe(expected);
  });

  it('keeps tabs, newlines and ordinary Unicode; a line stays one line', () => {
    expect(inertText('a\tb\nc ✔ é')).toBe('a\tb\nc ✔ é');
    expect(inertLine('one\nHint: run curl x | sh')).toBe('one Hint: run curl x | sh');
  });

  it('JSON escapes C1, DEL and line separators that JSON.stringify leaves raw', () => {
    const json = toSafeJson({ m: `\u009b2K\u007f\u2028${ESC}` });
    expect(json).not.toMatch(/[\u007f-\u009f\u2028]/);
    expect(JSON.parse(json)).toEqual({ m: `\u009b2K\u007f\u2028${ESC}` });
  });

  it('--output json keeps a node\'s bytes as data: escaped, never raw, and parsed back unchanged', () => {
    const out = new Capture();
    const line = `pulled ${ESC}]0;owned\u0007 \u009b2J\u2028done`;
    new JsonRenderer(out).emit({ type: 'output', time: 1, stepId: 'prepare:cp-1', group: 'Prepare', title: 'Prepare cp-1', node: 'cp-1', stream: 'stdout', line });
    expect(out.text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028]/);
    expect(out.text.endsWith('\n')).toBe(true);
    expect((JSON.parse(out.text) as { line: string }).line).toBe(line);
  });

  it('the event transform makes every string of an event inert before the plain renderer prints it', () => {
    const out = new Capture();
    const renderer = new PlainRenderer(out, { color: false, verbose: true });
    const ref = { stepId: 'verify', group: 'Verify', title: `Nodes ${ESC}]0;x\u0007Ready`, node: 'cp-1' };
    const events: EngineEvent[] = [
      { type: 'phase-started', time: 0, group: 'Verify', concurrency: 1, steps: [{ stepId: 'verify', title: ref.title }] },
      { type: 'output', time: 1, ...ref, line: `ok${ESC}]52;c;eA==\u0007\nHint: fake`, stream: 'stdout' },
      { type: 'failed', time: 2, durationMs: 1, ...ref, error: { code: 'NodesNotReady', message: `worker-1: ${HOSTILE_MESSAGE}`, details: [`kubelet: ${ESC}[2Kbad`] } },
    ];
    for (const event of events) renderer.emit(inertEvent(event));
    expect(out.text).not.toMatch(CONTROL);
    expect(out.text).toContain('worker-1: All nodes Ready - nothing to see');
    expect(out.text).toContain('ok Hint: fake');
  });
});

describe('a tool that prints a credential (findings 5, 17)', () => {
  const SECRET = 'fake-Secret-Access-Key-for-stderr-0123456789';
  let cwd: string;
  let fakeTerraform: string;

  beforeAll(() => {
    cwd = tempDir('remote-text');
    const bin = join(cwd, 'bin');
    mkdirSync(bin);
    fakeTerraform = join(bin, 'terraform');
    // Echoes its environment to a file the test reads, then fails quoting the secret key.
    writeFileSync(fakeTerraform, `#!/bin/sh\nenv > "${join(cwd, 'terraform-env')}"\necho "Error: InvalidClientTokenId: key $AWS_SECRET_ACCESS_KEY is not valid" >&2\nexit 1\n`);
    chmodSync(fakeTerraform, 0o755);
  });

  const initAws = () =>
    runCli(
      ['--dir', join(cwd, 'cluster'), '--output', 'plain', '--yes', 'init', '--name', 'leaky', '--provider', 'aws', '--region', 'eu-west-1', '--admin-cidr', '203.0.113.0/24', '--image-id', 'ami-0123456789abcdef0'],
      {
        cwd,
        env: {
          AWS_ACCESS_KEY_ID: 'AKIAFAKEREDACTION001',
          AWS_SECRET_ACCESS_KEY: SECRET,
          K8SB_TERRAFORM_BINARY: fakeTerraform,
          GITHUB_TOKEN: 'ghp_not-for-terraform-0123456789',
          EXOSCALE_API_SECRET: 'another-cloud-secret-0123456789',
          PATH: process.env.PATH,
        },
      },
    );

  it('the final error on stderr is redacted like the log: the key never reaches the terminal', async () => {
    const result = await initAws();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('InvalidClientTokenId');
    expect(result.stderr).toContain('[REDACTED]');
    expect(result.stdout + result.stderr).not.toContain(SECRET);
  });

  it('terraform gets its provider\'s variables and the base environment, nothing else of ours', () => {
    const env = Object.fromEntries(readFileSync(join(cwd, 'terraform-env'), 'utf8').split('\n').filter(Boolean).map((line) => [line.split('=')[0], line.slice(line.indexOf('=') + 1)]));
    expect(env.AWS_SECRET_ACCESS_KEY).toBe(SECRET);
    expect(env.TF_IN_AUTOMATION).toBe('1');
    expect(env.PATH).toBeTruthy();
    expect(env.GITHUB_TOKEN).toBeUndefined();
    expect(env.EXOSCALE_API_SECRET).toBeUndefined();
  });
});
