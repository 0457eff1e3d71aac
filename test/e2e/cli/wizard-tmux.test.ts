/**
 * The built binary in a real terminal: tmux gives it a TTY, and the test answers the wizard
 * keystroke by keystroke, waiting (bounded) for each question on the screen before typing.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validators } from '../../../src/wizard/validators.js';
import { KUBERNETES_PATCHES } from '../../../src/kube/pins.js';
import { SUPPORTED_MINORS } from '../../../src/kube/versions.js';
import { hasCommand, missingRequirement } from '../../helpers/require-tool.js';
import { BIN, ensureBuilt } from '../../helpers/built-cli.js';

const skip = missingRequirement(
  hasCommand('tmux') && hasCommand('ssh-agent') && hasCommand('ssh-add') && hasCommand('ssh-keygen'),
  'tmux or OpenSSH (ssh-agent, ssh-add, ssh-keygen) is not installed: the terminal test of the wizard needs them',
);
const SOCKET = `k8sb-test-${process.pid}`;
/** One session per test (the last one killed would stop the server under the next test's feet). */
let SESSION = 'wizard';
let sessions = 0;

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
  let agentPid: string | undefined;

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
    // The agent this file started, by its pid (ssh-agent -k reads SSH_AGENT_PID).
    if (agentPid) execFileSync('ssh-agent', ['-k'], { env: { ...process.env, SSH_AGENT_PID: agentPid }, stdio: 'ignore' });
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** The built CLI in a fresh tmux session; env -i: a CI=true or K8SB_* of the test's own environment must not change the wizard. */
  function launch(env: Record<string, string>, ...args: string[]): void {
    const vars = Object.entries({ PATH: process.env.PATH!, TERM: 'xterm-256color', LANG: 'C.UTF-8', ...env }).map(([k, v]) => `${k}=${v}`);
    const command = ['env', '-i', ...vars, process.execPath, BIN, 'init', ...args].join(' ');
    sessions += 1;
    SESSION = `wizard-${sessions}`;
    tmux('new-session', '-d', '-x', '200', '-y', '50', '-s', SESSION, `${command}; echo "EXIT=$?"; sleep 600`);
  }

  /** A real ed25519 key pair, 0600 as ssh-keygen leaves it. */
  function keygen(path: string, type = 'ed25519'): void {
    execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', 'k8sb-tmux-test', '-f', path], { stdio: 'ignore' });
  }

  /** A real ssh-agent holding one key: the socket path. */
  function startAgent(): string {
    const socket = join(work, 'agent.sock');
    const out = execFileSync('ssh-agent', ['-s', '-a', socket], { encoding: 'utf8' });
    agentPid = /SSH_AGENT_PID=(\d+)/.exec(out)?.[1];
    const key = join(work, 'agent-key');
    keygen(key);
    execFileSync('ssh-add', [key], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
    return socket;
  }

  it('static with an ssh-agent: the agent is offered (never "Generate"), and the plan and cluster.yaml follow', async () => {
    const socket = startAgent();
    const home = join(work, 'home-agent');
    mkdirSync(home);
    const dir = join(work, 'cluster');
    launch({ HOME: home, SSH_AUTH_SOCK: socket }, '--dry-run', '--dir', dir);

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
    await answer('SSH user on the hosts', { text: 'admin' }, 'Enter');
    await waitForScreen('? SSH key');
    const choices = screen();
    expect(choices).toContain(`The ssh-agent (SSH_AUTH_SOCK=${socket})`);
    expect(choices).toContain('Another private key file…');
    expect(choices).not.toContain('Generate');
    await answer('SSH key', 'Enter');
    await answer('Default StorageClass', 'Enter'); // local-path
    await answer('MetalLB addresses', 'Enter'); // none
    await answer('Add-ons', 'Enter'); // the default set
    await waitForScreen('EXIT=', 30_000);

    const text = screen();
    expect(text).toContain('EXIT=0');
    expect(text).toMatch(/SSH +admin, ssh-agent \(SSH_AUTH_SOCK\)/);
    expect(text).toMatch(/API endpoint +192\.0\.2\.10:6443/);
    expect(text).toContain('kubeadm init on cp-1');
    expect(text).toContain('Install flannel (pool 10.32.0.0/16)');
    expect(existsSync(join(dir, 'state.json'))).toBe(true);
    const yaml = readFileSync(join(dir, 'cluster.yaml'), 'utf8');
    expect(yaml.startsWith('# yaml-language-server: $schema=')).toBe(true);
    const doc = parse(yaml);
    expect(doc).toMatchObject({
      name: 'tmux-lab',
      provider: { name: 'static', hosts: [{ address: '192.0.2.10', role: 'control-plane' }] },
      kubernetes: { cni: 'flannel' },
      network: { podCidr: '10.32.0.0/16' },
      ssh: { user: 'admin' },
    });
    expect(doc.ssh.privateKey).toBeUndefined(); // the agent
  }, 120_000);

  it('static HA with a key from ~/.ssh: the key is offered and checked, the summary shows the virtual IP and endpoint', async () => {
    const home = join(work, 'home-keys');
    mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
    const key = join(home, '.ssh', 'id_ecdsa');
    keygen(key, 'ecdsa');
    const open = join(home, '.ssh', 'id_ed25519');
    keygen(open);
    chmodSync(open, 0o644); // refused when chosen, as the run would refuse it
    const dir = join(work, 'cluster-ha');
    launch({ HOME: home }, '--dry-run', '--dir', dir, '--name', 'tmux-ha', '--provider', 'static');

    await answer('Host 1 address', { text: '192.0.2.11' }, 'Enter');
    await answer('Role of 192.0.2.11', 'Enter');
    await answer('Add another host?', { text: 'y' }, 'Enter');
    await answer('Host 2 address', { text: '192.0.2.12' }, 'Enter');
    await answer('Role of 192.0.2.12', 'Up', 'Enter'); // worker is the default once a control plane exists
    await answer('Add another host?', { text: 'y' }, 'Enter');
    await answer('Host 3 address', { text: '192.0.2.13' }, 'Enter');
    await answer('Role of 192.0.2.13', 'Up', 'Enter');
    await answer('Add another host?', 'Enter');
    await answer('API endpoint of an external load balancer', 'Enter'); // none: keepalived + haproxy
    await answer('Virtual IP for the API', { text: '192.0.2.100' }, 'Enter');
    await answer('Kubernetes version', 'Enter');
    await answer('Container runtime', 'Enter');
    await answer('Pod network (CNI)', 'Enter');
    await answer('Pod network CIDR', 'Enter');
    await answer('Service network CIDR', 'Enter');
    await answer('SSH user on the hosts', 'Enter');
    await waitForScreen('? SSH key');
    const choices = screen();
    expect(choices).toContain(`Use ${open}`);
    expect(choices).toContain(`Use ${key}`);
    expect(choices).toContain('no ssh-agent (SSH_AUTH_SOCK is not set)');
    expect(choices).not.toContain('The ssh-agent (SSH_AUTH_SOCK=');
    expect(choices).not.toContain('Generate');
    press('Enter'); // id_ed25519 first: mode 0644
    await waitForScreen('readable by group or others (mode 0644)');
    press('Down', 'Enter'); // asked again: id_ecdsa
    await answer('Default StorageClass', 'Enter');
    await answer('MetalLB addresses', 'Enter');
    await answer('Add-ons', 'Enter');
    await waitForScreen('EXIT=', 30_000);

    const text = screen();
    expect(text).toContain('EXIT=0');
    expect(text).toMatch(/Virtual IP +192\.0\.2\.100 \(keepalived/);
    expect(text).toMatch(/API endpoint +192\.0\.2\.100:8443 \(haproxy/);
    expect(text).toMatch(new RegExp(`SSH +ubuntu, key ${key}`));
    expect(parse(readFileSync(join(dir, 'cluster.yaml'), 'utf8'))).toMatchObject({
      provider: { name: 'static', virtualIp: '192.0.2.100' },
      ssh: { privateKey: key },
    });
  }, 120_000);

  it('aws without credentials: typed key id shown, secret and session token masked, warnings and the cloud wording before the question', async () => {
    const home = join(work, 'home-aws');
    mkdirSync(home);
    const dir = join(work, 'cluster-aws');
    launch({ HOME: home }, '--dir', dir, '--name', 'tmux-aws', '--provider', 'aws', '--region', 'eu-west-3', '--workers', '0');

    await answer('AWS credentials', 'Enter'); // no shared files: the profile choice is disabled, typed is selected
    await answer('AWS access key id', { text: 'AKIAIOSFODNN7EXAMPLE' }, 'Enter');
    await answer('AWS secret access key', { text: 'wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY' }, 'Enter');
    await answer('AWS session token', { text: 'IQoJb3JpZ2luX2VjEXAMPLETOKEN' }, 'Enter');
    await answer('Control plane', 'Enter');
    await answer('Control-plane instance type', 'Enter');
    await waitForScreen('? Kubernetes version');
    for (const minor of SUPPORTED_MINORS) expect(screen()).toContain(KUBERNETES_PATCHES[minor]);
    await answer('Kubernetes version', 'Enter');
    await answer('Container runtime', 'Enter');
    await answer('Pod network (CNI)', 'Enter');
    await answer('Node network CIDR', 'Enter');
    await answer('Pod network CIDR', 'Enter');
    await answer('Service network CIDR', 'Enter');
    await answer('Admin CIDRs', { text: '0.0.0.0/0' }, 'Enter');
    await answer('SSH key', 'Enter'); // no key in ~/.ssh: generate one
    await answer("LoadBalancer Services and volumes through the cloud's CCM and CSI?", 'Enter'); // yes
    await answer('Add-ons', 'Enter'); // the default set
    await waitForScreen('? Create cluster tmux-aws now?');
    const before = screen();
    expect(before).toContain('This creates cloud resources in aws');
    expect(before).toMatch(/Credentials +typed in the wizard \(not saved\)/);
    // specWarnings, before the question (printed once, by init).
    expect(before).toContain('ssh.adminCidrs: lets the whole internet reach SSH and the Kubernetes API');
    expect(before.indexOf('lets the whole internet')).toBeLessThan(before.indexOf('? Create cluster tmux-aws now?'));
    press({ text: 'n' }, 'Enter');
    await waitForScreen('EXIT=', 30_000);

    const text = screen();
    expect(text).not.toContain('EXIT=0');
    expect(text).toContain('Nothing was created');
    expect(text).toContain('AKIAIOSFODNN7EXAMPLE'); // shown as typed
    expect(text).not.toContain('wJalrXUtnFEMI');
    expect(text).not.toContain('IQoJb3JpZ2luX2Vj');
    expect(text).not.toContain('SSH user');
    const yaml = readFileSync(join(dir, 'cluster.yaml'), 'utf8');
    expect(yaml).not.toContain('EXAMPLE');
  }, 120_000);
});
