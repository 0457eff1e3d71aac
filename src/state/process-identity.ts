/**
 * What /proc says about this machine and its processes, for telling whether a lock holder still
 * runs. A pid alone cannot say that: pids are reused, start again from 1 after a reboot, and
 * mean something else in another container. Every reader returns undefined when the kernel does
 * not offer the value (not Linux, /proc not mounted, hidepid), so callers fall back, never fail.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename } from 'node:path';

export interface SystemProbe {
  hostname(): string;
  /** systemd's machine id: stable across reboots, different on every machine (and many containers). */
  machineId(): string | undefined;
  /** A random id the kernel draws at every boot. */
  bootId(): string | undefined;
  /** The pid namespace of this process, e.g. "pid:[4026531836]": pids mean the same thing only inside one. */
  pidNamespace(): string | undefined;
  processExists(pid: number): boolean;
  /** Field 22 of /proc/<pid>/stat: clock ticks from boot to the start of that process. */
  processStartTime(pid: number): number | undefined;
  /** /proc/<pid>/cmdline split into its arguments. */
  processCommandLine(pid: number): string[] | undefined;
}

// Only systemd's file: images with dbus often carry a baked-in /var/lib/dbus/machine-id, which
// would make two containers of one image on two hosts look like one machine that rebooted.
const MACHINE_ID_FILES = ['/etc/machine-id'];

export const localSystem: SystemProbe = {
  hostname,
  machineId() {
    for (const file of MACHINE_ID_FILES) {
      const id = readSmallFile(file)?.trim();
      // An empty file or systemd's "uninitialized" placeholder identifies nothing.
      if (id && /^[0-9a-f]{32}$/i.test(id)) return id.toLowerCase();
    }
    return undefined;
  },
  bootId() {
    const id = readSmallFile('/proc/sys/kernel/random/boot_id')?.trim();
    return id && /^[0-9a-f-]{36}$/i.test(id) ? id.toLowerCase() : undefined;
  },
  pidNamespace() {
    try {
      return readlinkSync('/proc/self/ns/pid');
    } catch {
      return undefined;
    }
  },
  processExists,
  processStartTime(pid) {
    if (!isProcessId(pid)) return undefined;
    const stat = readSmallFile(`/proc/${pid}/stat`);
    return stat === undefined ? undefined : parseStartTime(stat);
  },
  processCommandLine(pid) {
    if (!isProcessId(pid)) return undefined;
    const text = readSmallFile(`/proc/${pid}/cmdline`);
    // A kernel thread or a zombie has an empty command line: nothing to recognise.
    if (!text) return undefined;
    return text.replace(/\0+$/, '').split('\0');
  },
};

export function processExists(pid: number): boolean {
  // kill(0) and kill(-n) signal whole process groups: never ask about those.
  if (!isProcessId(pid)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it just belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The start time out of a /proc/<pid>/stat line. Field 2 is the command name in parentheses and
 * may itself hold spaces and ')' (any process can rename itself), so the fields are counted from
 * the last ')': after it come field 3 (state) onwards, which makes field 22 the 20th.
 */
export function parseStartTime(stat: string): number | undefined {
  const end = stat.lastIndexOf(')');
  if (end < 0) return undefined;
  const field22 = stat.slice(end + 1).trim().split(/\s+/)[19];
  if (field22 === undefined || !/^\d+$/.test(field22)) return undefined;
  const ticks = Number(field22);
  return Number.isSafeInteger(ticks) ? ticks : undefined;
}

/**
 * Whether a command line is Node running this tool's bin script: `k8s-bootstrap` (npm's link) or
 * `k8s-bootstrap.js`. Only the script's own name counts, not a folder: a checkout named
 * k8s-bootstrap also runs vitest, tsc and editors.
 */
export function isK8sBootstrapCommandLine(argv: readonly string[]): boolean {
  const [executable, ...args] = argv;
  if (executable === undefined) return false;
  const program = basename(executable);
  if (!/^node(js)?[\d.]*$/.test(program) && program !== basename(process.execPath)) return false;
  return args.some((arg) => /^k8s-bootstrap(\.js)?$/.test(basename(arg)));
}

export function isProcessId(pid: number): boolean {
  return Number.isSafeInteger(pid) && pid > 0;
}

function readSmallFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
