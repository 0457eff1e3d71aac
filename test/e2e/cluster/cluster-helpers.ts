/** Shared set-up of the end-to-end tests: a simulated fleet and the CLI arguments that target it. */
import { mkdtempSync, readFileSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fleetAvailability, startFleet, type Fleet } from '../../fleet/fleet.js';
import type { FleetNodeSpec, StartFleetOptions } from '../../fleet/fleet-types.js';
import { missingRequirement } from '../../helpers/require-tool.js';
import { runCli, type FakeRun } from '../../helpers/fake-io.js';

export function fleetSkipReason(): string | undefined {
  const availability = fleetAvailability();
  return missingRequirement(availability.ok, `simulated fleet unavailable: ${availability.reason ?? 'unknown'}`);
}

export function nodes(controlPlanes: number, workers: number): FleetNodeSpec[] {
  return [
    ...Array.from({ length: controlPlanes }, (_, i) => ({ name: `cp-${i + 1}`, role: 'control-plane' as const })),
    ...Array.from({ length: workers }, (_, i) => ({ name: `worker-${i + 1}`, role: 'worker' as const })),
  ];
}

/** `perNode` sets a node's distribution or preinstalled packages, e.g. { 'worker-1': { distro: 'debian-12' } }. */
export async function fleetOf(
  controlPlanes: number,
  workers: number,
  extra: Partial<StartFleetOptions> = {},
  perNode: Record<string, Partial<FleetNodeSpec>> = {},
): Promise<Fleet> {
  return startFleet({ nodes: nodes(controlPlanes, workers).map((node) => ({ ...node, ...perNode[node.name] })), ...extra });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `k8sb-${prefix}-`));
}

/** `--control-plane-host …` / `--worker-host …` for every fleet node. */
export function hostFlags(fleet: Fleet, names?: string[]): string[] {
  const flags: string[] = [];
  for (const node of fleet.nodes) {
    if (names && !names.includes(node.name)) continue;
    flags.push(node.role === 'control-plane' ? '--control-plane-host' : '--worker-host', `${node.address},name=${node.name}`);
  }
  return flags;
}

export interface InitArgs {
  name: string;
  dir: string;
  extra?: string[];
  names?: string[];
}

export function initArgs(fleet: Fleet, args: InitArgs): string[] {
  return [
    '--dir', args.dir, '--output', 'plain', '--yes',
    'init', '--name', args.name, '--provider', 'static',
    ...hostFlags(fleet, args.names),
    '--ssh-user', fleet.sshUser, '--ssh-key', fleet.privateKeyPath,
    '--cni', 'flannel', '--timeout', '10m', '--ssh-timeout', '20s',
    ...(args.extra ?? []),
  ];
}

export async function cli(args: string[], cwd: string): Promise<FakeRun> {
  return runCli(args, { cwd, env: { HOME: cwd } });
}

/** Every file under the cluster folder outside secrets/, with its content. */
export function publicFiles(dir: string): Array<{ path: string; text: string }> {
  const out: Array<{ path: string; text: string }> = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        // backups/ holds etcd snapshots: what etcd stores, Secrets and tokens too, so it is a secret folder (0700/0600, checked by expectSecretModes).
        if (entry.name !== 'secrets' && !(folder === dir && entry.name === 'backups')) walk(path);
      } else if (entry.name !== 'kubeconfig') {
        out.push({ path, text: readFileSync(path, 'utf8') });
      }
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

export function failureText(run: FakeRun): string {
  return `exit ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr.slice(-6000)}`;
}

/** Runs a command on a fleet node over plain OpenSSH (not the tool's own SSH layer): the test's view. */
export async function onNode(fleet: Fleet, name: string, command: string): Promise<string> {
  const { execFileSync } = await import('node:child_process');
  const node = fleet.node(name);
  return execFileSync(
    'ssh',
    [
      '-i', fleet.privateKeyPath, '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
      '-o', 'LogLevel=ERROR', '-p', String(node.port), `${fleet.sshUser}@${node.address}`, command,
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
}

/** `kubectl get nodes -o json` on a control plane, over plain OpenSSH: the cluster as the API sees it. */
export async function nodesSeenBy(fleet: Fleet, controlPlane = 'cp-1'): Promise<import('../../../src/kube/node-commands.js').NodeStatus[]> {
  const { parseNodesJson } = await import('../../../src/kube/node-commands.js');
  return parseNodesJson(await onNode(fleet, controlPlane, 'sudo -n kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes -o json'));
}

/** The newest run log of a cluster folder (every step's output lines, redacted). */
export function latestLog(dir: string): string {
  const logs = join(dir, 'logs');
  const newest = readdirSync(logs).filter((name) => name.endsWith('.log')).sort().pop();
  return newest ? readFileSync(join(logs, newest), 'utf8') : '';
}

/**
 * A fleet whose nodes boot from an image prepare-node.sh already built for `version` (as Packer
 * bakes one): for tests that are not about node preparation.
 */
export async function preparedFleetOf(controlPlanes: number, workers: number, version: string, extra: Partial<StartFleetOptions> = {}): Promise<Fleet> {
  return startFleet({ nodes: nodes(controlPlanes, workers).map((node) => ({ ...node, image: { kubernetes: version } })), ...extra });
}
