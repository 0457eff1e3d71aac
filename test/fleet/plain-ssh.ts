/** The plain OpenSSH client against fleet nodes: how the fleet's own tests talk to it. */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Fleet } from './fleet.js';

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export function sshArgs(fleet: Fleet, knownHosts: string, address: string, command: string, connectTimeout = 5): string[] {
  return [
    '-i', fleet.privateKeyPath,
    '-o', `UserKnownHostsFile=${knownHosts}`,
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes',
    '-o', `ConnectTimeout=${connectTimeout}`,
    '-o', 'LogLevel=ERROR',
    `${fleet.sshUser}@${address}`,
    command,
  ];
}

export function ssh(fleet: Fleet, knownHosts: string, node: string, command: string, input?: string): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile('ssh', sshArgs(fleet, knownHosts, fleet.node(node).address, command), { maxBuffer: 8 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin?.end(input ?? '');
  });
}

export function writeKnownHosts(fleet: Fleet): string {
  const file = join(fleet.root, 'test_known_hosts');
  writeFileSync(file, `${fleet.nodes.map((node) => fleet.knownHostsLine(node.name)).join('\n')}\n`);
  return file;
}

