/** A made-up machine for lock tests: which ids /proc would show and which processes run on it. */
import type { SystemProbe } from '../../../src/state/process-identity.js';

export interface FakeMachine {
  hostname: string;
  machineId?: string;
  bootId?: string;
  pidNamespace?: string;
}

export interface FakeProcess {
  startTime?: number;
  commandLine?: string[];
}

export const MACHINE_A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
export const MACHINE_B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
export const BOOT_1 = '11111111-1111-1111-1111-111111111111';
export const BOOT_2 = '22222222-2222-2222-2222-222222222222';
export const NAMESPACE_1 = 'pid:[4026531836]';
export const NAMESPACE_2 = 'pid:[4026532999]';

export const machineA: FakeMachine = { hostname: 'node-a', machineId: MACHINE_A, bootId: BOOT_1, pidNamespace: NAMESPACE_1 };

/** Every reader answers from the arguments, so nothing of the real machine leaks in. */
export function fakeSystem(machine: FakeMachine, processes: Record<number, FakeProcess> = {}): SystemProbe {
  return {
    hostname: () => machine.hostname,
    machineId: () => machine.machineId,
    bootId: () => machine.bootId,
    pidNamespace: () => machine.pidNamespace,
    processExists: (pid) => processes[pid] !== undefined,
    processStartTime: (pid) => processes[pid]?.startTime,
    processCommandLine: (pid) => processes[pid]?.commandLine,
  };
}
