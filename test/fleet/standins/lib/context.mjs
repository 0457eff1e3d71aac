// What every stand-in needs: which node it runs on, the fleet's shared files, the fleet clock,
// root checks, the event log and fault/latency injection.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { readJson, updateJson } from './lock.mjs';

export const NODE_STATE_DIR = '/var/lib/k8sb-fleet-node';

/** Thrown by a stand-in to end with an exit code and a message on stderr (like the real tool). */
export class ToolExit extends Error {
  constructor(code, stderr = '', stdout = '') {
    super(stderr);
    this.code = code;
    this.stderr = stderr;
    this.stdout = stdout;
  }
}

export function fail(code, stderr) {
  throw new ToolExit(code, stderr.endsWith('\n') || stderr === '' ? stderr : `${stderr}\n`);
}

let nodeCache;
export function thisNode() {
  nodeCache ??= readJson(`${NODE_STATE_DIR}/node.json`, null);
  if (!nodeCache) throw new Error(`fleet stand-in outside a fleet node (no ${NODE_STATE_DIR}/node.json)`);
  return nodeCache;
}

let fleetCache;
export function fleetConfig() {
  fleetCache ??= readJson(`${thisNode().fleetRoot}/fleet.json`, {});
  return fleetCache;
}

export const isRoot = () => process.getuid() === 0;

export function requireRoot(message) {
  if (!isRoot()) fail(1, message);
}

export function userName() {
  if (isRoot()) return 'root';
  try {
    const uid = String(process.getuid());
    const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((entry) => entry.split(':')[2] === uid);
    return line ? line.split(':')[0] : uid;
  } catch {
    return String(process.getuid());
  }
}

// ---- node-local state (package db, services, kernel settings) ----
const NODE_STATE_FILE = `${NODE_STATE_DIR}/node-state.json`;
export function emptyNodeState() {
  return {
    // What a fresh Ubuntu/Debian cloud image already has installed.
    packages: { installed: { 'ca-certificates': '20230311', curl: '7.88.1-10+deb12u12', gpg: '2.2.40-1.1' }, held: [] },
    apt: { lists: { kubernetes: null, crio: null }, updatedAt: null },
    services: {},
    modules: [],
    sysctl: {},
    swapOff: false,
    kubelet: { runningVersion: null, startedAt: null },
  };
}
export function nodeState(dir = NODE_STATE_DIR) {
  return { ...emptyNodeState(), ...readJson(`${dir}/node-state.json`, {}) };
}
export function updateNodeState(change) {
  return updateJson(NODE_STATE_FILE, emptyNodeState(), (state) => {
    for (const [key, value] of Object.entries(emptyNodeState())) state[key] ??= value;
    return change(state);
  });
}

// ---- shared API state ----
export function apiFile() {
  return `${thisNode().fleetRoot}/shared/apiserver.json`;
}
export function emptyApi() {
  return { clock: { offsetHours: 0 }, cluster: null, tokens: [], certificateKey: null, nodes: {}, cni: null, objects: {}, history: [] };
}
export function apiState() {
  return readJson(apiFile(), emptyApi());
}
export function updateApi(change) {
  return updateJson(apiFile(), emptyApi(), change);
}

/** The fleet clock: real time plus the offset tests add with advanceClock(). */
export function fleetNow(api = apiState()) {
  return new Date(Date.now() + (api.clock?.offsetHours ?? 0) * 3_600_000);
}

export function recordHistory(api, op, detail) {
  api.history.push({ time: fleetNow(api).toISOString(), node: thisNode().name, op, ...(detail ? { detail } : {}) });
}

// ---- packages ----
export function installedVersion(pkg) {
  return nodeState().packages.installed[pkg] ?? null;
}
/** "1.36.2-1.1" → "1.36.2" */
export function upstreamVersion(packageVersion) {
  return packageVersion ? packageVersion.replace(/-.*$/, '') : null;
}

/** Like a shell that cannot find the binary (the package is not installed on this node). */
export function commandNotFound(tool) {
  if (process.env.SUDO_COMMAND) fail(1, `sudo: ${tool}: command not found`);
  fail(127, `bash: line 1: ${tool}: command not found`);
}

// ---- event log ----
export function logToolEvent(tool, argv, exitCode, startedAt) {
  try {
    const node = thisNode();
    const event = { kind: 'tool', node: node.name, time: new Date().toISOString(), startedAt: startedAt.toISOString(), user: userName(), command: [tool, ...argv].join(' '), tool, exitCode };
    appendFileSync(`${node.fleetRoot}/shared/events.jsonl`, `${JSON.stringify(event)}\n`);
  } catch {
    // The log is evidence for tests, never a reason for the tool to fail.
  }
}

// ---- faults and latency ----
const FAULTS_FILE = `${NODE_STATE_DIR}/faults.json`;
const asList = (value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const patternOf = (entry) => (typeof entry === 'string' ? entry : entry.op);
const matches = (op, pattern) => op === pattern || op.startsWith(`${pattern} `) || op.startsWith(pattern);

let currentOperation = '';

export async function injectFaults(tool, argv) {
  const op = [tool, ...argv].join(' ');
  currentOperation = op;
  const faults = readJson(FAULTS_FILE, {});
  const latency = pickLatency(op, faults.latencyMs) ?? pickLatency(op, fleetConfig().latencies);
  if (latency) await sleep(latency);
  if (asList(faults.hang).some((pattern) => matches(op, pattern))) {
    process.stderr.write('');
    await new Promise(() => setInterval(() => {}, 1 << 30));
  }
  if (consumeOnce('dropConnectionOnce', op)) {
    process.stdout.write(`[fleet] ${tool}: working…\n`);
    await sleep(100);
    dropOwnSshSession();
    await sleep(1_000);
    fail(255, '');
  }
  const failure = consumeOnce('failOnce', op);
  if (failure) {
    const message = typeof failure === 'object' && failure.message ? failure.message : `fleet: injected failure of "${patternOf(failure)}"`;
    fail(typeof failure === 'object' && failure.exitCode ? failure.exitCode : 1, message);
  }
}

/** `dropConnectionAfterOnce`: the operation did its work, then the SSH session drops (exit 255 for the client). */
export async function dropAfterIfAsked(tool, argv) {
  if (!consumeOnce('dropConnectionAfterOnce', [tool, ...argv].join(' '))) return;
  dropOwnSshSession();
  await sleep(1_000);
  fail(255, '');
}

/**
 * `interruptOnce`: a tool with a point of no return calls this there (helm: once it stored the
 * pending-install/-upgrade/-rollback release record, before it touches any object). A matching fault
 * drops the SSH session (exit 255), as when the client's connection died mid-operation; the work
 * stops there. Consumed.
 */
export async function interruptIfAsked() {
  if (!consumeOnce('interruptOnce', currentOperation)) return;
  dropOwnSshSession();
  await sleep(1_000);
  fail(255, '');
}

/**
 * A `failInPhase` fault for the running operation and this phase (or its parent phase), consumed:
 * { op: 'kubeadm init', phase: 'wait-control-plane', message? }.
 */
export function consumePhaseFault(phase) {
  if (!existsSync(FAULTS_FILE)) return undefined;
  return updateJson(FAULTS_FILE, {}, (faults) => {
    const entries = asList(faults.failInPhase);
    const index = entries.findIndex((entry) => matches(currentOperation, entry.op) && (phase === entry.phase || phase.startsWith(`${entry.phase}/`)));
    if (index < 0) return undefined;
    const [hit] = entries.splice(index, 1);
    if (entries.length === 0) delete faults.failInPhase;
    else faults.failInPhase = entries;
    return hit;
  });
}

function pickLatency(op, table) {
  if (!table) return undefined;
  const hits = Object.keys(table).filter((pattern) => matches(op, pattern));
  if (hits.length === 0) return undefined;
  hits.sort((a, b) => b.length - a.length);
  return Number(table[hits[0]]);
}

/** Removes and returns the first matching "once" entry, under the node's faults lock. */
function consumeOnce(kind, op) {
  if (!existsSync(FAULTS_FILE)) return undefined;
  return updateJson(FAULTS_FILE, {}, (faults) => {
    const entries = asList(faults[kind]);
    const index = entries.findIndex((entry) => matches(op, patternOf(entry)));
    if (index < 0) return undefined;
    const [hit] = entries.splice(index, 1);
    if (entries.length === 0) delete faults[kind];
    else faults[kind] = entries;
    return hit;
  });
}

/** Kills the sshd session processes this command runs under: the client sees the connection drop. */
function dropOwnSshSession() {
  const victims = [];
  let pid = process.pid;
  for (let depth = 0; depth < 30 && pid > 1; depth++) {
    const parent = parentPid(pid);
    if (!parent) break;
    const cmdline = readProc(`/proc/${parent}/cmdline`).replace(/\0/g, ' ');
    // Session processes are titled "sshd: user [priv]" and "sshd: user@notty"; the listener is not.
    // (OpenSSH 9 titles the listener "sshd: /usr/sbin/sshd … [listener]": never kill that one.)
    if (cmdline.startsWith('sshd:') && !cmdline.includes('[listener]')) victims.push(parent);
    pid = parent;
  }
  for (const victim of victims.reverse()) {
    try {
      process.kill(victim, 'SIGKILL');
    } catch {
      // not ours to kill (non-root): the child kill is enough
    }
  }
}

function parentPid(pid) {
  const stat = readProc(`/proc/${pid}/stat`);
  const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(after[1]) || 0;
}

function readProc(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Minimal argv parsing shared by the stand-ins: flags with values, booleans, positionals. */
export function parseArgs(argv, { withValue = [], aliases = {} } = {}) {
  const flags = {};
  const positional = [];
  const add = (name, value) => {
    if (flags[name] === undefined) flags[name] = value;
    else flags[name] = [].concat(flags[name], value);
  };
  for (let index = 0; index < argv.length; index++) {
    let arg = argv[index];
    if (arg === '--') {
      positional.push(...argv.slice(index + 1));
      break;
    }
    if (aliases[arg]) arg = aliases[arg];
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      if (eq > 0) {
        add(arg.slice(2, eq), arg.slice(eq + 1));
      } else if (withValue.includes(arg.slice(2))) {
        add(arg.slice(2), argv[++index] ?? '');
      } else add(arg.slice(2), true);
    } else if (arg.startsWith('-') && arg.length > 1) {
      const short = arg.slice(1);
      if (withValue.includes(short)) add(short, argv[++index] ?? '');
      else if (withValue.includes(short[0])) add(short[0], short.slice(1).replace(/^=/, ''));
      else for (const letter of short) add(letter, true);
    } else positional.push(arg);
  }
  return { flags, positional };
}

export function flagValue(flags, name) {
  const value = flags[name];
  return Array.isArray(value) ? value[value.length - 1] : value;
}
