// modprobe, sysctl and swapoff: recorded in the node state (the host kernel is never touched).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fail, isRoot, nodeState, parseArgs, updateNodeState } from './context.mjs';

const MODULES = ['overlay', 'br_netfilter', 'ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_sh', 'nf_conntrack', 'ip_tables', 'iptable_nat'];
const DEFAULT_SYSCTL = { 'net.ipv4.ip_forward': '0', 'vm.swappiness': '60', 'kernel.hostname': undefined };

export async function run(tool, argv) {
  if (tool === 'modprobe') return modprobe(argv);
  if (tool === 'swapoff') return swapoff(argv);
  return sysctl(argv);
}

function modprobe(argv) {
  const names = argv.filter((arg) => !arg.startsWith('-'));
  if (names.length === 0) fail(1, 'modprobe: ERROR: missing parameters. See -h.');
  for (const name of names) {
    if (!MODULES.includes(name)) fail(1, `modprobe: FATAL: Module ${name} not found in directory /lib/modules/6.8.0-fleet`);
  }
  if (!isRoot()) fail(1, `modprobe: ERROR: could not insert '${names[0]}': Operation not permitted`);
  updateNodeState((state) => {
    for (const name of names) if (!state.modules.includes(name)) state.modules.push(name);
  });
  return 0;
}

function swapoff(argv) {
  if (!isRoot()) fail(1, 'swapoff: Not superuser.');
  if (!argv.includes('-a') && !argv.includes('--all') && argv.length === 0) fail(1, 'swapoff: bad usage\nTry \'swapoff --help\' for more information.');
  updateNodeState((state) => {
    state.swapOff = true;
  });
  return 0;
}

/** Current value of a key, or undefined if /proc/sys has no such file (bridge keys need br_netfilter). */
function currentValue(state, key) {
  if (key.startsWith('net.bridge.') && !state.modules.includes('br_netfilter')) return undefined;
  if (key in state.sysctl) return state.sysctl[key];
  if (key.startsWith('net.bridge.')) return '1';
  if (key === 'kernel.hostname') return readFileSync('/proc/sys/kernel/hostname', 'utf8').trim();
  return DEFAULT_SYSCTL[key] ?? '0';
}

function parseConf(text) {
  const pairs = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const [key, value] = line.split(/=(.*)/).map((part) => part?.trim());
    if (key && value !== undefined) pairs.push([key.replace(/^-/, '').replace(/\//g, '.'), value]);
  }
  return pairs;
}

function setValues(pairs, print) {
  const state = nodeState();
  const out = [];
  for (const [key, value] of pairs) {
    if (currentValue(state, key) === undefined) {
      process.stderr.write(`sysctl: cannot stat /proc/sys/${key.replace(/\./g, '/')}: No such file or directory\n`);
      continue;
    }
    out.push([key, value]);
  }
  updateNodeState((next) => {
    for (const [key, value] of out) next.sysctl[key] = value;
  });
  if (print) process.stdout.write(out.map(([key, value]) => `${key} = ${value}\n`).join(''));
}

function sysctl(argv) {
  const { flags, positional } = parseArgs(argv, { withValue: ['p', 'load'] });
  const state = nodeState();
  if (flags.system) {
    if (!isRoot()) fail(255, 'sysctl: permission denied on key "net.ipv4.ip_forward", ignoring');
    const files = existsSync('/etc/sysctl.d') ? readdirSync('/etc/sysctl.d').filter((name) => name.endsWith('.conf')).sort() : [];
    for (const file of files) {
      process.stdout.write(`* Applying /etc/sysctl.d/${file} ...\n`);
      setValues(parseConf(readFileSync(`/etc/sysctl.d/${file}`, 'utf8')), !flags.q && !flags.quiet);
    }
    return 0;
  }
  if (flags.p || flags.load) {
    if (!isRoot()) fail(255, 'sysctl: permission denied');
    const file = typeof (flags.p ?? flags.load) === 'string' ? flags.p ?? flags.load : '/etc/sysctl.conf';
    if (!existsSync(file)) fail(255, `sysctl: cannot open "${file}": No such file or directory`);
    setValues(parseConf(readFileSync(file, 'utf8')), true);
    return 0;
  }
  const writes = positional.filter((arg) => arg.includes('='));
  if (writes.length > 0 || flags.w) {
    if (!isRoot()) fail(255, `sysctl: permission denied on key "${writes[0]?.split('=')[0]}"`);
    setValues(writes.map((pair) => pair.split(/=(.*)/)), !flags.q);
    return 0;
  }
  let code = 0;
  for (const key of positional) {
    const value = currentValue(state, key);
    if (value === undefined) {
      process.stderr.write(`sysctl: cannot stat /proc/sys/${key.replace(/\./g, '/')}: No such file or directory\n`);
      code = 255;
      continue;
    }
    process.stdout.write(flags.n || flags.values ? `${value}\n` : `${key} = ${value}\n`);
  }
  return code;
}
