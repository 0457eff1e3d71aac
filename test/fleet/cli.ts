/**
 * `npm run fleet -- up [--nodes N] [--control-planes N] [--distro D] [--id N] [--prepared VERSION]`:
 * starts the simulated fleet by hand (root), prints each node's address, the SSH user, the key
 * and a known_hosts file, and keeps it up until Ctrl-C or SIGTERM, which stop every node and
 * remove what the fleet put on the machine (as a test run's teardown does).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { removeFootprint, recordFootprint } from '../helpers/host-footprint.js';
import { fleetAvailability, startFleet, type Fleet, type FleetDistro, type FleetNodeSpec } from './fleet.js';

const USAGE = `Usage: npm run fleet -- up [--nodes N] [--control-planes N] [--distro D] [--id N] [--prepared VERSION]

  --nodes N            nodes in all (default 3)
  --control-planes N   how many of them are control planes, named cp-1.. (default 1); the rest are worker-1..
  --distro D           ubuntu-24.04 (default), ubuntu-22.04, debian-12 or debian-13
  --id N               fleet id 1..250: nodes listen on 127.0.N.1.. (default: a free one)
  --prepared VERSION   boot the nodes as the Packer image leaves them, with Kubernetes VERSION (e.g. 1.37.1)

Needs root. Stays up until Ctrl-C or SIGTERM.`;

const DISTROS: readonly FleetDistro[] = ['ubuntu-24.04', 'ubuntu-22.04', 'debian-12', 'debian-13'];

class UsageError extends Error {}

function count(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max} (got "${value}")`);
  return n;
}

export function parseUp(argv: string[]): { nodes: FleetNodeSpec[]; id?: number } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      nodes: { type: 'string' },
      'control-planes': { type: 'string' },
      distro: { type: 'string' },
      id: { type: 'string' },
      prepared: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) throw new UsageError('');
  if (positionals[0] !== 'up' || positionals.length > 1) throw new UsageError(`unknown command "${positionals.join(' ')}": the only command is "up"`);
  const total = count(values.nodes, 'nodes', 3, 1, 200);
  const controlPlanes = count(values['control-planes'], 'control-planes', 1, 0, total);
  const distro = values.distro as FleetDistro | undefined;
  if (distro !== undefined && !DISTROS.includes(distro)) throw new UsageError(`--distro must be one of ${DISTROS.join(', ')} (got "${distro}")`);
  if (values.prepared !== undefined && !/^\d+\.\d+\.\d+$/.test(values.prepared)) throw new UsageError(`--prepared must be a Kubernetes version like 1.37.1 (got "${values.prepared}")`);
  const nodes = Array.from({ length: total }, (_, index): FleetNodeSpec => {
    const controlPlane = index < controlPlanes;
    return {
      name: controlPlane ? `cp-${index + 1}` : `worker-${index - controlPlanes + 1}`,
      role: controlPlane ? 'control-plane' : 'worker',
      ...(distro ? { distro } : {}),
      ...(values.prepared ? { image: { kubernetes: values.prepared } } : {}),
    };
  });
  return { nodes, ...(values.id !== undefined ? { id: count(values.id, 'id', 0, 1, 250) } : {}) };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function parentOf(pid: number): number {
  try {
    // /proc/PID/stat: "pid (comm) state ppid …"; comm may hold spaces, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return 0;
  }
}

/**
 * The processes between this one and the \`npm run\` that started it (tsx, sh, npm). npm ≥ 9.8 no
 * longer forwards a SIGTERM sent to npm alone to its script (npm/cli#6684, npm/run-script#142):
 * when one of them is gone, the fleet stops as if signalled. Empty when not started by npm.
 */
function npmAncestors(): number[] {
  const chain: number[] = [];
  for (let pid = process.ppid; pid > 1; pid = parentOf(pid)) {
    chain.push(pid);
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      return [];
    }
    // npm sets its title to "npm run fleet …", so its argv[0] reads "npm run …"; npx and older npm show npm-cli.js.
    if (/^(\S*\/)?npm( |$)/.test(cmdline.split('\0')[0] ?? '') || cmdline.includes('npm-cli.js\0')) return chain;
  }
  return [];
}

function describeFleet(fleet: Fleet, knownHosts: string): string {
  const first = fleet.nodes[0]!;
  const controlPlanes = fleet.nodes.filter((node) => node.role === 'control-plane');
  const hosts = fleet.nodes.map((node) => `${node.role === 'control-plane' ? '--control-plane-host' : '--worker-host'} ${node.address}`).join(' ');
  return [
    `fleet ${fleet.id} is up (${fleet.nodes.length} nodes):`,
    ...fleet.nodes.map((node) => `  ${node.name.padEnd(12)} ${node.address}:${node.port}  ${node.role}`),
    `ssh user:    ${fleet.sshUser}`,
    `ssh key:     ${fleet.privateKeyPath}`,
    `known_hosts: ${knownHosts}`,
    `try:         ssh -i ${fleet.privateKeyPath} -o UserKnownHostsFile=${knownHosts} ${fleet.sshUser}@${first.address} hostname`,
    ...(controlPlanes.length === 1
      ? [`init:        node bin/k8s-bootstrap.js init --yes --name lab --provider static ${hosts} --ssh-user ${fleet.sshUser} --ssh-key ${fleet.privateKeyPath}`]
      : []),
    'Press Ctrl-C (or send SIGTERM) to stop the fleet.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  let options: ReturnType<typeof parseUp>;
  try {
    options = parseUp(argv);
  } catch (error) {
    if (!(error instanceof UsageError) && !(error instanceof TypeError)) throw error;
    if (error.message) console.error(`fleet: ${error.message}`);
    console.error(USAGE);
    return 2;
  }
  const availability = fleetAvailability();
  if (!availability.ok) {
    console.error(`fleet: cannot start here: ${availability.reason}`);
    return 1;
  }
  const footprint = recordFootprint();
  const fleet = await startFleet(options);
  const knownHosts = join(fleet.root, 'known_hosts');
  writeFileSync(knownHosts, `${fleet.nodes.map((node) => fleet.knownHostsLine(node.name)).join('\n')}\n`);
  console.log(describeFleet(fleet, knownHosts));
  // `on`, not `once`: fleet.ts's own exit hook stops the fleet and raises the signal again, which
  // must find a listener here rather than kill the process before the footprint is removed.
  const launcher = npmAncestors();
  let watch: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => resolve());
    // The timer also keeps Node running: signal listeners alone do not (the nodes' sshds are detached).
    watch = setInterval(() => {
      if (launcher.some((pid) => !alive(pid))) resolve();
    }, 1000);
  });
  clearInterval(watch);
  fleet.stop();
  const report = removeFootprint(footprint);
  console.log(`fleet ${fleet.id} stopped${report.removed.length > 0 ? `; removed ${report.removed.join(', ')}` : ''}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`fleet: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
