/**
 * Who holds lock.json, and whether that run still runs. A holder is recognised by its machine
 * (machine id), its boot (boot id), its pid namespace and its pid with that process's start
 * time: a pid alone is reused, starts again at 1 after a reboot, and is meaningless in another
 * container. Lock files written before these fields existed are judged by hostname and pid.
 */
import type { SystemProbe } from './process-identity.js';
import { isProcessId } from './process-identity.js';

export interface LockInfo {
  pid: number;
  /** For the messages only: hostnames repeat across machines, so they decide nothing when machine ids exist. */
  host: string;
  command: string;
  startedAt: string;
  machineId?: string;
  bootId?: string;
  pidNamespace?: string;
  /** Clock ticks since boot at which `pid` started (/proc/<pid>/stat field 22). */
  processStartTime?: number;
  /** Random per acquisition: a run removes lock.json only while it still carries its own token. */
  token?: string;
}

/** Where this process runs, read once per lock attempt. */
export interface HostIdentity {
  hostname: string;
  machineId?: string;
  bootId?: string;
  pidNamespace?: string;
}

export type HolderVerdict =
  | { state: 'running' }
  | { state: 'gone'; reason: string }
  /** `where` completes "That run is …, so it cannot be checked from here". */
  | { state: 'unverifiable'; where: string };

export function readHostIdentity(system: SystemProbe): HostIdentity {
  return withoutUndefined({
    hostname: system.hostname(),
    machineId: system.machineId(),
    bootId: system.bootId(),
    pidNamespace: system.pidNamespace(),
  });
}

/** The lock content for process `pid` of this host. */
export function ownLockInfo(pid: number, command: string, here: HostIdentity, system: SystemProbe, token: string): LockInfo {
  return withoutUndefined({
    pid,
    host: here.hostname,
    command,
    startedAt: new Date().toISOString(),
    machineId: here.machineId,
    bootId: here.bootId,
    pidNamespace: here.pidNamespace,
    processStartTime: system.processStartTime(pid),
    token,
  });
}

const ANOTHER_MACHINE: HolderVerdict = { state: 'unverifiable', where: 'on another machine' };

export function judgeHolder(holder: LockInfo, here: HostIdentity, system: SystemProbe): HolderVerdict {
  const differs = (a: string | undefined, b: string | undefined) => a !== undefined && b !== undefined && a !== b;
  if (holder.machineId !== undefined && here.machineId !== undefined) {
    // Machine ids, not hostnames: cloned VMs, containers and NFS clients share hostnames. (A clone
    // that kept its image's machine id would look restarted; systemd requires the id to be unique.)
    if (holder.machineId !== here.machineId) return ANOTHER_MACHINE;
    if (differs(holder.bootId, here.bootId)) return { state: 'gone', reason: 'this machine has restarted since (its boot id changed)' };
  } else {
    // No machine id on one side: a lock file from an older version, or a container without
    // /etc/machine-id. Then hostname and boot id are all there is. An equal boot id is the same
    // kernel, so the same machine; a different one is either a restart or another machine of
    // the same name, and only a restart would be safe to take over.
    if (holder.host !== here.hostname) return ANOTHER_MACHINE;
    if (differs(holder.bootId, here.bootId)) {
      return { state: 'unverifiable', where: 'on another machine with the same hostname or on this one before it restarted (without a machine id the two look alike)' };
    }
  }
  if (differs(holder.pidNamespace, here.pidNamespace)) {
    return { state: 'unverifiable', where: 'in another container on this machine (another pid namespace)' };
  }
  if (!system.processExists(holder.pid)) return { state: 'gone', reason: 'that process no longer exists' };
  if (holder.processStartTime !== undefined) {
    const startTime = system.processStartTime(holder.pid);
    // Unreadable (hidepid, or it exited this instant) proves nothing, so the holder counts as running.
    if (startTime !== undefined && startTime !== holder.processStartTime) {
      return { state: 'gone', reason: `pid ${holder.pid} is now another process (it started at a different time), so that run has ended` };
    }
  }
  return { state: 'running' };
}

export function describeHolder(holder: LockInfo): string {
  return `"${holder.command}" (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt})`;
}

export function serializeHolder(info: LockInfo): string {
  return `${JSON.stringify(info, null, 2)}\n`;
}

/** undefined when the text is not a lock: the caller says so rather than guessing. */
export function parseHolder(text: string): LockInfo | undefined {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  if (typeof raw.pid !== 'number' || !isProcessId(raw.pid) || typeof raw.host !== 'string') return undefined;
  const stringField = (key: string) => (typeof raw[key] === 'string' ? (raw[key] as string) : undefined);
  const startTime = raw.processStartTime;
  return withoutUndefined({
    pid: raw.pid,
    host: raw.host,
    command: String(raw.command ?? 'unknown command'),
    startedAt: String(raw.startedAt ?? 'unknown time'),
    machineId: stringField('machineId'),
    bootId: stringField('bootId'),
    pidNamespace: stringField('pidNamespace'),
    processStartTime: typeof startTime === 'number' && Number.isSafeInteger(startTime) ? startTime : undefined,
    token: stringField('token'),
  });
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
