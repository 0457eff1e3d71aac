/**
 * The built binary in a real terminal: tmux gives it a TTY, and the test answers the wizard
 * keystroke by keystroke, waiting (bounded) for each question on the screen before typing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validators } from '../../../src/wizard/validators.js';
import { hasCommand, missingRequirement } from '../../helpers/require-tool.js';
import { BIN, ensureBuilt } from '../../helpers/built-cli.js';

const skip = missingRequirement(hasCommand('tmux'), 'tmux is not installed: the terminal test of the wizard needs it');
const SOCKET = `k8sb-test-${process.pid}`;
const SESSION = 'wizard';

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
}

function screen(): string {
  // The whole scrollback, not just the visible 50 lines.
  return tmux('capture-pane', '-p', '-J', '-S', '-', '-t', SESSION);
}

async function waitForScreen(text: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!screen().includes(text)) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for "${text}" in the terminal:\n${screen()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Key names (Enter, Down, C-u) as tmux knows them, or literal text. */
type Key = { text: string } | string;

function press(...keys: Key[]): void {
  for (const key of keys) {
    if (typeof key === 'string') tmux('send-keys', '-t', SESSION, key);
    else tmux('send-keys', '-t', SESSION, '-l', key.text);
  }
}

/**
 * Inquirer draws an open question as "? message" and an answered one as "✔ message". Waiting for
 * the open form before typing, and for the answered form after, keeps keys in their prompt.
 */
async function answer(question: string, ...keys: Key[]): Promise<void> {
  await waitForScreen(`? ${question}`);
  press(...keys);
  await waitForScreen(`✔ ${question}`);
}

describe.skipIf(skip)('wizard in a real terminal (tmux)', () => {
  let work: string;

  beforeAll(async () => {
    await ensureBuilt();
    work = mkdtempSync(join(tmpdir(), 'k8sb-tmux-'));
  }, 180_000);

  afterAll(() => {
    try {
      tmux('kill-server');
    } catch {
      /* never started */
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('answers the wizard keystroke by keystroke and gets the plan and cluster.yaml', async () => {
    const dir = join(work, 'cluster');
    // env -i: a CI=true or K8SB_* from the test's own environment must not change the wizard.
    const command = [
      'env', '-i', `PATH=${process.env.PATH}`, `HOME=${work}`, 'TERM=xterm-256color', 'LANG=C.UTF-8',
      process.execPath, BIN, 'init', '--dry-run', '--dir', dir,
    ].join(' ');
    tmux('new-session', '-d', '-x', '200', '-y', '50', '-s', SESSION, `${command}; echo "EXIT=$?"; sleep 600`);

    await answer('Where should the nodes come from?', 'Down', 'Down', 'Down', 'Enter');
    await answer('Cluster name', { text: 'tmux-lab' }, 'Enter');
    await answer('Host 1 address', { text: '192.0.2.10' }, 'Enter');
    await answer('Role of 192.0.2.10', 'Enter');
    await answer('Add another host?', 'Enter');
    await answer('API endpoint', 'Enter');
    await answer('Kubernetes version', 'Enter');
    await answer('Container runtime', 'Enter');
    await answer('Pod network (CNI)', 'Down', 'Enter');
    await waitForScreen('? Pod network CIDR');
    press({ text: '10.32.0.0/33' }, 'Enter');
    await waitForScreen(`> ${String(validators.cidr('10.32.0.0/33')).slice(0, 40)}`); // drawn under the question
    await answer('Pod network CIDR', 'C-u', { text: '10.32.0.0/16' }, 'Enter');
    await answer('Service network CIDR', 'Enter');
    await answer('SSH user on the nodes', { text: 'admin' }, 'Enter');
    await answer('SSH key', 'Enter');
    await waitForScreen('EXIT=', 30_000);

    const text = screen();
    expect(text).toContain('EXIT=0');
    expect(text).toContain('kubeadm init on cp-1');
    expect(text).toContain('Install flannel (pool 10.32.0.0/16)');
    expect(existsSync(join(dir, 'state.json'))).toBe(true);
    const yaml = readFileSync(join(dir, 'cluster.yaml'), 'utf8');
    expect(yaml.startsWith('# yaml-language-server: $schema=')).toBe(true);
    expect(parse(yaml)).toMatchObject({
      name: 'tmux-lab',
      provider: { name: 'static', hosts: [{ address: '192.0.2.10', role: 'control-plane' }] },
      kubernetes: { cni: 'flannel' },
      network: { podCidr: '10.32.0.0/16' },
      ssh: { user: 'admin' },
    });
  }, 120_000);
});
