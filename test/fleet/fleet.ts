/**
 * The simulated fleet: one real OpenSSH sshd per node, each in its own mount+UTS+PID namespaces, with
 * node-side stand-ins for kubeadm, kubectl, apt, systemctl… shadowing the host's tools. Test code
 * only (never shipped). The behaviour spec is README.md next to this file.
 */
import { execFile, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildSync } from 'esbuild';
import type { ApiState, Catalogue, Fault, FleetEvent, FleetNode, FleetNodeSpec, NodeRole, StartFleetOptions } from './fleet-types.js';
import { nodeImage } from './node-image.js';
import { readJson, updateJson, writeJsonAtomic } from './fs-lock.js';
import { ensureFleetUser, FLEET_USER, fleetAvailability, userIds } from './host-setup.js';

export type * from './fleet-types.js';
export { fleetAvailability } from './host-setup.js';

const execFileAsync = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));
/** Not under /tmp (each node gets a private /tmp) and not world-writable (sshd StrictModes). */
const FLEET_BASE = process.env.K8SB_FLEET_BASE ?? '/run/k8sb-fleet';
/** Where a node sees its own fleet state (package db, services, faults) inside its namespace. */
const NODE_STATE_MOUNT = '/var/lib/k8sb-fleet-node';
const SSH_PORT = 22;
const START_TIMEOUT_MS = 15_000;

export const STANDIN_TOOLS = [
  'apt-get', 'apt-mark', 'apt-cache', 'dpkg-query', 'curl', 'gpg', 'modprobe', 'sysctl', 'swapoff',
  'systemctl', 'journalctl', 'containerd', 'kubeadm', 'kubectl', 'kubelet', 'cilium', 'lsblk', 'helm', 'sha256sum', 'crictl',
] as const;

/** Host paths every node gets a private, initially empty copy of. */
const PRIVATE_DIRS = [
  '/etc/kubernetes', '/var/lib/kubelet', '/var/lib/etcd', '/tmp', '/etc/apt/sources.list.d', '/etc/apt/keyrings',
  '/etc/k8s-bootstrap', '/etc/containerd', '/etc/crio', '/etc/cni', '/etc/modules-load.d', '/etc/sysctl.d',
  '/etc/haproxy', '/etc/keepalived', '/usr/local/bin', '/opt/cni',
];
/** Mountpoints startFleet creates on the host when missing (empty there; test/helpers/host-footprint.ts removes them). */
export const HOST_MOUNTPOINTS: readonly string[] = [...PRIVATE_DIRS.filter((dir) => dir !== '/tmp'), NODE_STATE_MOUNT];
export { FLEET_BASE };

export const DEFAULT_CATALOGUE: Catalogue = {
  '1.35': ['1.35.0', '1.35.1', '1.35.2', '1.35.3', '1.35.8', '1.35.9'],
  '1.36': ['1.36.0', '1.36.1', '1.36.2', '1.36.3', '1.36.4'],
  '1.37': ['1.37.0', '1.37.1'],
};

interface NodeRuntime extends FleetNode {
  dir: string;
  spec?: FleetNodeSpec;
  pid?: number;
  mountNs?: string;
  blackhole: boolean;
}

const activeFleets = new Set<Fleet>();
let exitHooksInstalled = false;

export class Fleet {
  readonly sshUser = FLEET_USER;
  readonly privateKeyPath: string;
  private readonly runtimes = new Map<string, NodeRuntime>();
  private stopped = false;

  constructor(
    readonly id: number,
    readonly root: string,
  ) {
    this.privateKeyPath = join(root, 'auth', 'id_ed25519');
  }

  get nodes(): FleetNode[] {
    return [...this.runtimes.values()].map(({ name, address, port, role }) => ({ name, address, port, role }));
  }

  node(name: string): FleetNode {
    const { address, port, role } = this.runtime(name);
    return { name, address, port, role };
  }

  /** An OpenSSH known_hosts line for the node's current host key. */
  knownHostsLine(name: string): string {
    const runtime = this.runtime(name);
    const [type, key] = readFileSync(join(runtime.dir, 'ssh_host_ed25519_key.pub'), 'utf8').trim().split(/\s+/);
    return `${runtime.address} ${type} ${key}`;
  }

  /** Every event (SSH session commands and stand-in invocations), in log order. */
  events(): FleetEvent[] {
    const file = join(this.root, 'shared', 'events.jsonl');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as FleetEvent);
  }

  /** SSH session events of all nodes. */
  allCommands(): FleetEvent[] {
    return this.events().filter((event) => event.kind === 'ssh');
  }

  /** The command lines SSH sessions ran on this node, in order ("sftp" for an SFTP session). */
  commandsOn(name: string): string[] {
    return this.allCommands()
      .filter((event) => event.node === name)
      .map((event) => event.command);
  }

  /** Stand-in invocations on this node ("kubeadm join …"), including those run by scripts. */
  toolCallsOn(name: string): string[] {
    return this.events()
      .filter((event) => event.kind === 'tool' && event.node === name)
      .map((event) => event.command);
  }

  /** The shared state standing in for the API server. */
  api(): ApiState {
    return readJson<ApiState>(join(this.root, 'shared', 'apiserver.json'), emptyApiState());
  }

  /** Replaces the node's faults (an empty object clears them). Takes effect on the next tool call. */
  setFault(name: string, fault: Fault): void {
    const file = join(this.runtime(name).dir, 'state', 'faults.json');
    updateJson<Fault>(file, {}, () => fault);
  }

  /** Moves the fleet clock forward (tokens, certificate keys and timestamps follow it). */
  advanceClock(hours: number): void {
    updateJson<ApiState>(join(this.root, 'shared', 'apiserver.json'), emptyApiState(), (state) => {
      state.clock.offsetHours += hours;
    });
  }

  /** New host key for the node; its sshd restarts (existing sessions are cut). */
  async rotateHostKey(name: string): Promise<void> {
    const runtime = this.runtime(name);
    killNode(runtime);
    await generateHostKey(runtime.dir);
    await startNodeProcess(runtime);
  }

  /** Kills the node's sshd and everything running in its namespace: connections are refused. */
  stopNode(name: string): void {
    killNode(this.runtime(name));
  }

  /**
   * The machine dies: as stopNode (SSH refused), and the rest of the fleet sees it down: its
   * kubelet stops posting status (Node NotReady, Unknown), `kubectl exec` into its pods fails,
   * its etcd member stays in the member list but is unhealthy, and etcd keeps working while a
   * majority of the voting members is alive. startNode brings it back.
   */
  kill(name: string): void {
    const runtime = this.runtime(name);
    killNode(runtime);
    writeFileSync(join(runtime.dir, 'state', 'down'), `${new Date().toISOString()}\n`);
  }

  /** Starts a stopped node again (its files and state are kept). */
  async startNode(name: string): Promise<void> {
    const runtime = this.runtime(name);
    if (runtime.blackhole) throw new Error(`fleet: ${name} is a blackhole, not a node`);
    killNode(runtime);
    rmSync(join(runtime.dir, 'state', 'down'), { force: true });
    await startNodeProcess(runtime);
  }

  /** A host that accepts TCP connections on port 22 and never sends an SSH banner. */
  async addBlackhole(name: string): Promise<FleetNode> {
    if (this.runtimes.has(name)) throw new Error(`fleet: duplicate node name ${name}`);
    const address = nodeAddress(this.id, this.runtimes.size);
    const runtime: NodeRuntime = { name, address, port: SSH_PORT, role: 'worker', dir: join(this.root, 'nodes', name), blackhole: true };
    mkdirSync(runtime.dir, { recursive: true });
    this.runtimes.set(name, runtime);
    const script = `const s=[];require('node:net').createServer((c)=>{s.push(c)}).listen(${SSH_PORT},${JSON.stringify(address)});`;
    const child = spawn(process.execPath, ['-e', script], { detached: true, stdio: 'ignore' });
    child.unref();
    runtime.pid = child.pid;
    await waitFor(() => tcpAccepts(address, SSH_PORT), START_TIMEOUT_MS, `blackhole ${name} did not listen on ${address}:22`);
    return this.node(name);
  }

  /** Kills every sshd and namespace process, then removes the fleet's files. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const runtime of this.runtimes.values()) killNode(runtime);
    rmSync(this.root, { recursive: true, force: true });
    activeFleets.delete(this);
  }

  private runtime(name: string): NodeRuntime {
    const runtime = this.runtimes.get(name);
    if (!runtime) throw new Error(`fleet: no node named ${name}`);
    return runtime;
  }

  /** @internal used by startFleet */
  addRuntime(runtime: NodeRuntime): void {
    this.runtimes.set(runtime.name, runtime);
  }
}

export async function startFleet(options: StartFleetOptions): Promise<Fleet> {
  const availability = fleetAvailability();
  if (!availability.ok) throw new Error(`fleet: not available: ${availability.reason}`);
  validateNames(options.nodes.map((node) => node.name));
  if (options.nodes.length > 200) throw new Error('fleet: at most 200 nodes');
  ensureFleetUser();
  installExitHooks();
  mkdirSync(FLEET_BASE, { recursive: true, mode: 0o755 });
  chmodSync(FLEET_BASE, 0o755);
  reapStaleFleets();
  const id = claimFleetId(options.id);
  const root = join(FLEET_BASE, `fleet-${id}`);
  const fleet = new Fleet(id, root);
  activeFleets.add(fleet);
  try {
    await layOutFleet(fleet, options);
    const runtimes = options.nodes.map((spec, index): NodeRuntime => ({
      name: spec.name,
      address: nodeAddress(id, index),
      port: SSH_PORT,
      role: spec.role ?? 'worker',
      dir: join(root, 'nodes', spec.name),
      blackhole: false,
      spec,
    }));
    const { uid, gid } = userIds();
    await Promise.all(runtimes.map((runtime) => layOutNode(fleet, runtime, uid, gid)));
    await Promise.all(
      runtimes.map(async (runtime) => {
        fleet.addRuntime(runtime);
        await startNodeProcess(runtime);
      }),
    );
    return fleet;
  } catch (error) {
    fleet.stop();
    throw error;
  }
}

function nodeAddress(id: number, index: number): string {
  if (index > 253) throw new Error('fleet: too many nodes for one fleet id');
  return `127.0.${id}.${index + 1}`;
}

function validateNames(names: string[]): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(name)) throw new Error(`fleet: invalid node name ${JSON.stringify(name)}`);
    if (seen.has(name)) throw new Error(`fleet: duplicate node name ${name}`);
    seen.add(name);
  }
}

let bundled: string | undefined;

/**
 * The stand-ins as one CommonJS file (their ES modules and the `yaml` package they parse with),
 * built once per test process. A stand-in runs for every tool call a node makes (about a hundred
 * per init); loading twenty ES modules cost ~45 ms on each start, one script ~10 ms (measured in a node). The
 * bundle also carries `yaml` into the nodes, whose private /tmp hides a checkout under /tmp.
 */
function standinBundle(): string {
  bundled ??= buildSync({
    entryPoints: [join(HERE, 'standins', 'lib', 'main.mjs')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    logLevel: 'error',
  }).outputFiles[0]!.text;
  return bundled;
}

function emptyApiState(): ApiState {
  return { clock: { offsetHours: 0 }, cluster: null, tokens: [], certificateKey: null, nodes: {}, cni: null, objects: {}, history: [] };
}

async function layOutFleet(fleet: Fleet, options: StartFleetOptions): Promise<void> {
  const { root } = fleet;
  for (const sub of ['auth', 'bin', 'shared', 'nodes']) mkdirSync(join(root, sub), { recursive: true, mode: 0o755 });
  const bundle = join(root, 'standins.cjs');
  writeFileSync(bundle, standinBundle(), { mode: 0o644 });
  cpSync(join(HERE, 'canned'), join(root, 'canned'), { recursive: true });
  await execFileAsync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'k8sb-fleet', '-f', fleet.privateKeyPath]);
  copyFileSync(`${fleet.privateKeyPath}.pub`, join(root, 'auth', 'authorized_keys'));
  chmodSync(join(root, 'auth', 'authorized_keys'), 0o644);
  writeJsonAtomic(join(root, 'fleet.json'), {
    id: fleet.id,
    root,
    catalogue: options.catalogue ?? DEFAULT_CATALOGUE,
    latencies: options.latencies ?? {},
    helmWaitMs: options.helmWaitMs ?? 2000,
    evictRetryMs: options.evictRetryMs ?? 5000,
  });
  writeJsonAtomic(join(root, 'shared', 'apiserver.json'), emptyApiState());
  const events = join(root, 'shared', 'events.jsonl');
  writeFileSync(events, '', { mode: 0o644 });
  const { uid, gid } = userIds();
  // The recorder appends as the login user; root-run stand-ins append too.
  chownSync(events, uid, gid);
  // A real path for the stand-ins' shebang: the node must stay reachable inside the namespaces.
  const nodeBinary = realpathSync(process.execPath);
  for (const tool of STANDIN_TOOLS) {
    const file = join(root, 'bin', tool);
    writeFileSync(file, `#!${nodeBinary}\nrequire(${JSON.stringify(bundle)}).main(${JSON.stringify(tool)});\n`, { mode: 0o755 });
  }
  for (const dir of [...PRIVATE_DIRS, NODE_STATE_MOUNT]) mkdirSync(dir, { recursive: true });
}

async function layOutNode(fleet: Fleet, runtime: NodeRuntime, uid: number, gid: number): Promise<void> {
  const { dir } = runtime;
  mkdirSync(join(dir, 'fs'), { recursive: true, mode: 0o755 });
  mkdirSync(join(dir, 'state'), { recursive: true, mode: 0o755 });
  writeFileSync(join(dir, 'hostname'), `${runtime.name}\n`);
  const mounts: [string, string][] = [];
  for (const target of PRIVATE_DIRS) {
    const source = join(dir, 'fs', slug(target));
    mkdirSync(source, { recursive: true });
    chmodSync(source, target === '/tmp' ? 0o1777 : 0o755);
    mounts.push([source, target]);
  }
  // The stock image: os-release, preinstalled packages and the files they brought.
  const image = nodeImage(runtime.spec ?? { name: runtime.name }, readFileSync(join(HERE, 'canned', 'release-key.asc'), 'utf8'));
  for (const [path, content] of Object.entries(image.files)) {
    if (path === '/etc/os-release') continue;
    const parent = PRIVATE_DIRS.find((privateDir) => path.startsWith(`${privateDir}/`));
    if (!parent) throw new Error(`fleet: ${path} is outside the node's private folders`);
    const target = join(dir, 'fs', slug(parent), path.slice(parent.length + 1));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content, { mode: 0o644 });
  }
  writeFileSync(join(dir, 'fs', 'etc-os-release'), image.files['/etc/os-release']!, { mode: 0o644 });
  mounts.push([join(dir, 'fs', 'etc-os-release'), '/etc/os-release']);
  writeJsonAtomic(join(dir, 'state', 'node-state.json'), image.state);
  const hosts = existsSync('/etc/hosts') ? readFileSync('/etc/hosts', 'utf8') : '127.0.0.1 localhost\n';
  writeFileSync(join(dir, 'fs', 'etc-hosts'), `${hosts.trimEnd()}\n${runtime.address} ${runtime.name}\n`, { mode: 0o644 });
  writeFileSync(join(dir, 'fs', 'etc-fstab'), existsSync('/etc/fstab') ? readFileSync('/etc/fstab') : '', { mode: 0o644 });
  mounts.push([join(dir, 'fs', 'etc-hosts'), '/etc/hosts'], [join(dir, 'fs', 'etc-fstab'), '/etc/fstab']);
  // Stand-ins first on every PATH (/usr/local/sbin leads sudo's secure_path) and over the real
  // binaries, so absolute paths like /usr/bin/apt-get hit them too.
  mounts.push([join(fleet.root, 'bin'), '/usr/local/sbin']);
  for (const tool of STANDIN_TOOLS) {
    for (const prefix of ['/usr/bin', '/usr/sbin']) {
      if (existsSync(`${prefix}/${tool}`)) mounts.push([join(fleet.root, 'bin', tool), `${prefix}/${tool}`]);
    }
  }
  const state = join(dir, 'state');
  mounts.push([state, NODE_STATE_MOUNT]);
  writeFileSync(join(dir, 'mounts.txt'), mounts.map(([source, target]) => `${source}\t${target}`).join('\n') + '\n');
  writeJsonAtomic(join(state, 'node.json'), { name: runtime.name, address: runtime.address, role: runtime.role, fleetRoot: fleet.root, ...(runtime.spec?.cloud ? { cloud: runtime.spec.cloud } : {}), ...(runtime.spec?.disks ? { disks: runtime.spec.disks } : {}) });
  writeJsonAtomic(join(state, 'faults.json'), {});
  // Stand-ins run as the login user too (kubeadm version, fault bookkeeping).
  for (const file of ['', 'node.json', 'faults.json']) chownSync(join(state, file), uid, gid);
  const recorder = readFileSync(join(HERE, 'recorder.sh'), 'utf8')
    .replace('__EVENTS__', shellQuote(join(fleet.root, 'shared', 'events.jsonl')))
    .replace('__NODE__', shellQuote(runtime.name));
  writeFileSync(join(dir, 'record-session'), recorder, { mode: 0o755 });
  writeFileSync(join(dir, 'sshd_config'), sshdConfig(fleet, runtime), { mode: 0o644 });
  await generateHostKey(dir);
}

function sshdConfig(fleet: Fleet, runtime: NodeRuntime): string {
  return [
    `ListenAddress ${runtime.address}:${SSH_PORT}`,
    `HostKey ${join(runtime.dir, 'ssh_host_ed25519_key')}`,
    'PidFile none',
    // PAM sessions (pam_systemd, motd…) add latency and nothing the fleet needs.
    'UsePAM no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PubkeyAuthentication yes',
    'PermitRootLogin no',
    `AllowUsers ${FLEET_USER}`,
    `AuthorizedKeysFile ${join(fleet.root, 'auth', 'authorized_keys')}`,
    'StrictModes yes',
    'UseDNS no',
    'PrintMotd no',
    'PrintLastLog no',
    'X11Forwarding no',
    // A 100-node run opens many sessions at once; sshd's default would drop some at random.
    'MaxStartups 500:30:1000',
    'MaxSessions 100',
    'LogLevel INFO',
    `ForceCommand ${join(runtime.dir, 'record-session')}`,
    'Subsystem sftp /usr/lib/openssh/sftp-server',
    '',
  ].join('\n');
}

async function generateHostKey(dir: string): Promise<void> {
  const key = join(dir, 'ssh_host_ed25519_key');
  rmSync(key, { force: true });
  rmSync(`${key}.pub`, { force: true });
  await execFileAsync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', key]);
}

async function startNodeProcess(runtime: NodeRuntime): Promise<void> {
  const log = openSync(join(runtime.dir, 'sshd.log'), 'a');
  // A PID namespace of its own too: `pgrep` on a node sees that node's processes only, as on a
  // real machine (the installer asks whether an interrupted run's kubeadm still runs there).
  // --kill-child: the node dies with its unshare process.
  const namespaces = ['--mount', '--uts', '--pid', '--fork', '--mount-proc', '--kill-child', '--propagation', 'private'];
  const child = spawn('unshare', [...namespaces, '--', '/bin/bash', join(HERE, 'node-entry.sh'), runtime.dir], {
    detached: true, // own process group: killable as a whole
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  child.unref();
  runtime.pid = child.pid;
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  await waitFor(
    async () => {
      if (exited) throw new Error(`fleet: sshd of ${runtime.name} exited: ${tail(join(runtime.dir, 'sshd.log'))}`);
      return sshBanner(runtime.address, runtime.port);
    },
    START_TIMEOUT_MS,
    `sshd of ${runtime.name} did not answer on ${runtime.address}:22: ${tail(join(runtime.dir, 'sshd.log'))}`,
  );
  runtime.mountNs = readlinkSync(`/proc/${runtime.pid}/ns/mnt`);
  writeFileSync(join(runtime.dir, 'sshd.pid'), `${runtime.pid} ${runtime.mountNs}\n`);
}

function killNode(runtime: NodeRuntime): void {
  if (runtime.pid !== undefined) {
    try {
      process.kill(-runtime.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  // SSH sessions call setsid(), leaving the group: find them by the node's mount namespace.
  if (runtime.mountNs) killMountNamespace(runtime.mountNs);
  runtime.pid = undefined;
  runtime.mountNs = undefined;
}

function killMountNamespace(namespace: string): void {
  const own = readlinkSync('/proc/self/ns/mnt');
  if (namespace === own) return; // never the host's namespace
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/mnt`) === namespace) process.kill(Number(entry), 'SIGKILL');
    } catch {
      // Exited meanwhile.
    }
  }
}

function sshBanner(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2_000, () => done(false));
    socket.once('data', (data) => done(data.toString('latin1').startsWith('SSH-')));
    socket.once('error', () => done(false));
  });
}

function tcpAccepts(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, message: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`fleet: ${message}`);
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-5).join(' | ');
  } catch {
    return '(no log)';
  }
}

function slug(path: string): string {
  return path.replace(/^\//, '').replace(/\//g, '-');
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A fleet directory is the fleet id's lock: mkdir is atomic; owner.pid says who holds it. */
function claimFleetId(wanted?: number): number {
  if (wanted !== undefined && (!Number.isInteger(wanted) || wanted < 1 || wanted > 250)) {
    throw new Error(`fleet: id must be 1..250, got ${wanted}`);
  }
  const candidates = wanted !== undefined ? [wanted] : shuffledIds();
  for (const id of candidates) {
    const root = join(FLEET_BASE, `fleet-${id}`);
    try {
      mkdirSync(root, { mode: 0o755 });
    } catch {
      continue;
    }
    chmodSync(root, 0o755);
    writeFileSync(join(root, 'owner.pid'), `${process.pid}\n`);
    return id;
  }
  throw new Error(wanted !== undefined ? `fleet: id ${wanted} is in use by another fleet` : 'fleet: no free fleet id');
}

function shuffledIds(): number[] {
  const ids = Array.from({ length: 250 }, (_, index) => index + 1);
  for (let index = ids.length - 1; index > 0; index--) {
    const other = Math.floor(Math.random() * (index + 1));
    [ids[index], ids[other]] = [ids[other]!, ids[index]!];
  }
  return ids;
}

/** Fleets whose owning test process died without cleaning up (SIGKILL, crash). */
function reapStaleFleets(): void {
  for (const entry of readdirSync(FLEET_BASE)) {
    if (!entry.startsWith('fleet-')) continue;
    const root = join(FLEET_BASE, entry);
    const owner = Number(readJson<number>(join(root, 'owner.pid'), NaN));
    const ownerFile = join(root, 'owner.pid');
    const young = (() => {
      try {
        return Date.now() - statSync(root).mtimeMs < 60_000;
      } catch {
        return false;
      }
    })();
    if (Number.isNaN(owner) ? young || existsSync(ownerFile) : pidAlive(owner)) continue;
    const nodesDir = join(root, 'nodes');
    if (existsSync(nodesDir)) {
      for (const node of readdirSync(nodesDir)) {
        const record = readFileSafe(join(nodesDir, node, 'sshd.pid')).trim().split(' ');
        const runtime = { pid: Number(record[0]) || undefined, mountNs: record[1] } as NodeRuntime;
        killNode(runtime);
      }
    }
    rmSync(root, { recursive: true, force: true });
  }
}

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function stopAllFleets(): void {
  for (const fleet of [...activeFleets]) {
    try {
      fleet.stop();
    } catch {
      // Best effort at exit.
    }
  }
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', stopAllFleets);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = () => {
      stopAllFleets();
      process.removeListener(signal, handler);
      process.kill(process.pid, signal);
    };
    process.on(signal, handler);
  }
}

export type { NodeRole };
