/**
 * An interactive shell on a node through the system's OpenSSH client: it owns the terminal (raw
 * mode, window size, escapes) far better than a hand-rolled ssh2 shell would. The client is held
 * to what the rest of the tool enforces: only the cluster's known_hosts files count
 * (StrictHostKeyChecking=yes, never updated), only the cluster's key, no prompts, no
 * ~/.ssh/config, and the bastion is reached with the same settings through ProxyCommand
 * (ProxyJump would start the jump connection without them). The settings go into generated
 * ssh_config files (config-file.ts) in a private temporary folder, so that no path reaches
 * OpenSSH unescaped, whatever characters the cluster folder has.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InternalError, UsageError } from '../../errors.js';
import { proxyCommandWord, renderClientConfig, SSH_CONFIG_ENV } from './config-file.js';
import { findExecutable, runTool } from '../subprocess.js';

export interface OpenSshTarget {
  host: string;
  /** @default 22 */
  port?: number;
  user: string;
  /** Without it, ssh-agent (SSH_AUTH_SOCK) supplies the key. */
  privateKeyPath?: string;
  /** Pinned host keys; the cluster's own file first. */
  knownHostsFiles: string[];
  bastion?: { host: string; port?: number; user: string };
}

/** An `ssh` invocation ready to run: its argv, the environment it needs, its config files. */
export interface OpenSshInvocation {
  /** Arguments after the program. */
  argv: string[];
  /** Added to ssh's environment (see SSH_CONFIG_ENV). */
  env: Record<string, string>;
  /** The generated config for the node (and, with a bastion, bastion.conf next to it). */
  configFile: string;
  /** Removes the generated config folder. */
  dispose(): Promise<void>;
}

/**
 * Writes the session's ssh_config files into a new 0700 folder under the system temp folder and
 * returns the argv that uses them; `command` words are joined by OpenSSH as usual. Call dispose()
 * when ssh has exited.
 */
export async function prepareOpenSsh(target: OpenSshTarget, sshPath = 'ssh', command: string[] = [], tempRoot = tmpdir()): Promise<OpenSshInvocation> {
  if (target.knownHostsFiles.length === 0) throw new InternalError('NoKnownHostsFile', 'prepareOpenSsh needs at least one known_hosts file');
  // mkdtemp creates the folder 0700: nobody else can swap the files before ssh reads them.
  const folder = await mkdtemp(join(tempRoot, 'k8sb-ssh-'));
  const dispose = () => rm(folder, { recursive: true, force: true });
  try {
    const common = { knownHostsFiles: target.knownHostsFiles, identityFile: target.privateKeyPath };
    let proxyCommand: string | undefined;
    const bastion = target.bastion;
    if (bastion) {
      const bastionConfig = join(folder, 'bastion.conf');
      await writeFile(bastionConfig, renderClientConfig(common), { mode: 0o600 });
      const hop = [sshPath, '-F', bastionConfig, '-p', String(bastion.port ?? 22), '-l', bastion.user].map((word) => proxyCommandWord(word, 'the bastion hop argument'));
      // ssh fills in %h:%p: the node's address, for the bastion to connect to.
      proxyCommand = [...hop, '-W', '%h:%p', '--', proxyCommandWord(bastion.host, 'the bastion host')].join(' ');
    }
    const configFile = join(folder, 'node.conf');
    await writeFile(configFile, renderClientConfig({ ...common, proxyCommand }), { mode: 0o600 });
    const argv = ['-F', configFile, '-p', String(target.port ?? 22), '-l', target.user, '--', target.host, ...command];
    return { argv, env: { ...SSH_CONFIG_ENV }, configFile, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

export interface InteractiveSshOptions {
  signal?: AbortSignal;
  env?: Record<string, string | undefined>;
}

/** Runs `ssh` on this terminal and returns its exit code (the remote shell's, or 255 for an SSH error). */
export async function runInteractiveSsh(target: OpenSshTarget, options: InteractiveSshOptions = {}): Promise<number> {
  const ssh = await findExecutable('ssh', options.env?.PATH ?? process.env.PATH ?? '');
  if (!ssh) {
    throw new UsageError('SshClientMissing', 'The OpenSSH client (ssh) was not found on PATH; an interactive shell needs it', {
      hint: 'Install openssh-client, or run one command with "k8s-bootstrap ssh NODE -- COMMAND", which does not need it.',
    });
  }
  const invocation = await prepareOpenSsh(target, ssh);
  try {
    const result = await runTool(ssh, invocation.argv, {
      inheritStdio: true,
      allowFailure: true,
      env: { ...options.env, ...invocation.env },
      signal: options.signal,
      killSignal: 'SIGHUP',
      forceKillAfterMs: 5_000,
    });
    return result.exitCode;
  } finally {
    await invocation.dispose();
  }
}
