/** A fixed event sequence for renderer tests: two groups, a skip, a retry and a failure with a tail. */
import type { EngineEvent } from '../../../src/engine/events.js';

const T0 = Date.parse('2026-11-23T10:00:00.000Z');

export function fixedEvents(): EngineEvent[] {
  const pre = { group: 'Preflight', stepId: 'preflight:tools', title: 'check tools' };
  const cp = { group: 'Control plane', stepId: 'init:cp-1', title: 'kubeadm init', node: 'cp-1' };
  const w1 = { group: 'Workers', stepId: 'join:w-1', title: 'kubeadm join', node: 'w-1' };
  const w2 = { group: 'Workers', stepId: 'join:w-2', title: 'kubeadm join', node: 'w-2' };
  return [
    { type: 'run-started', v: 1, time: T0, command: 'init', cluster: 'demo', logFile: '/tmp/demo.log' },
    { type: 'phase-started', time: T0, group: 'Preflight', concurrency: 1, steps: [{ stepId: pre.stepId, title: pre.title }] },
    { type: 'started', time: T0 + 1, tool: 'terraform', ...pre },
    { type: 'output', time: T0 + 2, line: 'terraform v1.11.0 found', stream: 'stdout', ...pre },
    { type: 'succeeded', time: T0 + 3, durationMs: 2, ...pre },
    { type: 'phase-finished', time: T0 + 3, group: 'Preflight', outcome: 'succeeded', durationMs: 3 },
    { type: 'phase-started', time: T0 + 4, group: 'Control plane', concurrency: 1, steps: [{ stepId: cp.stepId, title: cp.title, node: 'cp-1' }] },
    { type: 'skipped', time: T0 + 5, reason: 'already done', ...cp },
    { type: 'phase-finished', time: T0 + 5, group: 'Control plane', outcome: 'succeeded', durationMs: 1 },
    {
      type: 'phase-started', time: T0 + 6, group: 'Workers', concurrency: 2,
      steps: [{ stepId: w1.stepId, title: w1.title, node: 'w-1' }, { stepId: w2.stepId, title: w2.title, node: 'w-2' }],
    },
    { type: 'started', time: T0 + 7, ...w1 },
    { type: 'started', time: T0 + 7, ...w2 },
    { type: 'output', time: T0 + 8, line: '[preflight] Running pre-flight checks', stream: 'stdout', ...w1 },
    { type: 'progress', time: T0 + 8, done: 1, total: 3, message: 'kubelet', ...w2 },
    { type: 'retrying', time: T0 + 9, attempt: 2, delayMs: 1000, reason: 'connection reset', ...w2 },
    { type: 'succeeded', time: T0 + 20, durationMs: 13, ...w2 },
    {
      type: 'failed', time: T0 + 21, durationMs: 14, ...w1,
      error: { code: 'JoinFailed', message: 'kubeadm join exited with 1', hint: 'Check the node', details: ['error execution phase preflight', 'unable to fetch the kubeadm-config ConfigMap'] },
    },
    { type: 'phase-finished', time: T0 + 21, group: 'Workers', outcome: 'failed', durationMs: 15 },
    { type: 'run-finished', time: T0 + 22, outcome: 'failed', durationMs: 22, message: '1 step failed' },
  ];
}
