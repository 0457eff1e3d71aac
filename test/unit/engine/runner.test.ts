import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AbortError, BootstrapError, UsageError } from '../../../src/errors.js';
import { runPhases, RunFailedError, RunInterruptedError, toleratedNodes } from '../../../src/engine/runner.js';
import { TimeoutError } from '../../../src/engine/timeouts.js';
import { StateStore } from '../../../src/state/state-store.js';
import type { Step } from '../../../src/engine/step.js';
import { deferred, fakeStep, Recorder, work } from '../../helpers/fake-steps.js';

const never = new AbortController().signal;
const fast = { retryBaseDelayMs: 1, timeoutGraceMs: 50, cancelGraceMs: 2_000 };

describe('runPhases', () => {
  it('runs phases in order and steps of a sequential phase in order', async () => {
    const order: string[] = [];
    const step = (id: string) => fakeStep(id, async () => void order.push(id));
    const events = new Recorder();
    const summary = await runPhases(
      [
        { title: 'Preflight', steps: [step('a'), step('b')] },
        { title: 'Workers', steps: [step('c')] },
      ],
      { events, signal: never, ...fast },
    );
    expect(order).toEqual(['a', 'b', 'c']);
    expect(summary.succeeded).toEqual(['a', 'b', 'c']);
    expect(events.types()).toEqual([
      'phase-started', 'started', 'succeeded', 'started', 'succeeded', 'phase-finished',
      'phase-started', 'started', 'succeeded', 'phase-finished',
    ]);
    const started = events.of('started')[2]!;
    expect(started).toMatchObject({ group: 'Workers', stepId: 'c', title: 'do c' });
    expect(typeof started.time).toBe('number');
    expect(events.of('succeeded')[0]!.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('honours the concurrency limit of a phase', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const steps = Array.from({ length: 20 }, (_, i) =>
      fakeStep(`w${i}`, async () => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
      }),
    );
    const summary = await runPhases([{ title: 'Workers', steps, concurrency: 3 }], { events: new Recorder(), signal: never });
    expect(maxInFlight).toBe(3);
    expect(maxInFlight).toBeGreaterThanOrEqual(2);
    expect(summary.succeeded).toHaveLength(20);
  });

  it('retries with backoff and then succeeds, emitting retrying', async () => {
    let calls = 0;
    const attempts: number[] = [];
    const step = fakeStep('join:w1', async (ctx) => {
      attempts.push(ctx.attempt);
      if (++calls < 3) throw new Error(`connection reset ${calls}`);
    }, { retries: 3, node: 'w1' });
    const events = new Recorder();
    await runPhases([{ title: 'Workers', steps: [step] }], { events, signal: never, retryBaseDelayMs: 5 });
    expect(attempts).toEqual([1, 2, 3]);
    expect(events.types('join:w1')).toEqual(['started', 'retrying', 'retrying', 'succeeded']);
    const [first, second] = events.of('retrying');
    expect(first).toMatchObject({ attempt: 2, reason: 'connection reset 1', node: 'w1' });
    expect(second).toMatchObject({ attempt: 3, reason: 'connection reset 2' });
    // base 5 ms, factor 2, jitter at most 20 %
    expect(first!.delayMs).toBeGreaterThanOrEqual(4);
    expect(first!.delayMs).toBeLessThanOrEqual(6);
    expect(second!.delayMs).toBeGreaterThanOrEqual(8);
    expect(second!.delayMs).toBeLessThanOrEqual(12);
  });

  it('does not retry a UsageError, nor an error the step calls non-retryable', async () => {
    let usageCalls = 0;
    let customCalls = 0;
    const events = new Recorder();
    const run = runPhases(
      [{
        title: 'Preflight',
        continueOnError: true,
        steps: [
          fakeStep('usage', async () => { usageCalls++; throw new UsageError('BadFlag', '--workers: -1 is not a count'); }, { retries: 3 }),
          fakeStep('custom', async () => { customCalls++; throw new Error('host key mismatch'); }, { retries: 3, retryable: () => false }),
        ],
      }],
      { events, signal: never, ...fast },
    );
    await expect(run).rejects.toBeInstanceOf(RunFailedError);
    expect(usageCalls).toBe(1);
    expect(customCalls).toBe(1);
    expect(events.of('retrying')).toHaveLength(0);
    expect(events.of('failed')[0]!.error).toMatchObject({ code: 'BadFlag', message: '--workers: -1 is not a count' });
  });

  it('times out a step and names the step, the node and the limit', async () => {
    const events = new Recorder();
    const step = fakeStep('init:cp1', (ctx) => work(10_000, ctx.signal), { node: 'cp-1', timeoutMs: 30, title: 'kubeadm init' });
    const error = await runPhases([{ title: 'Control plane', steps: [step] }], { events, signal: never, ...fast }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunFailedError);
    const failure = (error as RunFailedError).summary.failed[0]!;
    expect(failure.error).toBeInstanceOf(TimeoutError);
    expect((failure.error as TimeoutError).code).toBe('StepTimedOut');
    const failed = events.of('failed')[0]!;
    expect(failed.error.code).toBe('StepTimedOut');
    expect(failed.error.message).toContain('kubeadm init');
    expect(failed.error.message).toContain('init:cp1');
    expect(failed.error.message).toContain('cp-1');
    expect(failed.error.message).toContain('30ms');
    expect((error as Error).message).toContain('cp-1');
  });

  it('uses defaultTimeoutMs when the step sets none', async () => {
    const events = new Recorder();
    const step = fakeStep('slow', (ctx) => work(10_000, ctx.signal));
    await expect(runPhases([{ title: 'Verify', steps: [step] }], { events, signal: never, defaultTimeoutMs: 20, ...fast })).rejects.toThrow(/slow/);
    expect(events.of('failed')[0]!.error.code).toBe('StepTimedOut');
  });

  it('abandons a step that ignores its signal after timeout + grace and moves on', async () => {
    const events = new Recorder();
    const stuck = deferred();
    const step = fakeStep('stuck', () => stuck.promise, { node: 'w9', timeoutMs: 20 });
    const error = await runPhases([{ title: 'Workers', steps: [step] }], { events, signal: never, ...fast, timeoutGraceMs: 30 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunFailedError);
    expect(events.of('failed')[0]!.error.message).toMatch(/abandoned/);
    stuck.resolve();
  });

  it('on abort stops new steps, lets running ones settle, throws AbortError with exit 130', async () => {
    const controller = new AbortController();
    const started: string[] = [];
    const settled: string[] = [];
    const bothRunning = deferred();
    const steps = ['w1', 'w2', 'w3', 'w4'].map((id) =>
      fakeStep(id, async (ctx) => {
        started.push(id);
        if (started.length === 2) bothRunning.resolve();
        try {
          await work(10_000, ctx.signal);
        } finally {
          // A well-behaved step cleans up (Terraform saves its state) before it settles.
          await new Promise((r) => setTimeout(r, 10));
          settled.push(id);
        }
      }, { retries: 5 }),
    );
    const events = new Recorder();
    const run = runPhases([{ title: 'Workers', steps, concurrency: 2 }, { title: 'Verify', steps: [fakeStep('v')] }], { events, signal: controller.signal, ...fast });
    await bothRunning.promise;
    controller.abort(new Error('SIGINT'));
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect(error).toBeInstanceOf(RunInterruptedError);
    expect((error as AbortError).exitCode).toBe(130);
    expect((error as AbortError).hint).toMatch(/run the same command again/i);
    expect(started).toEqual(['w1', 'w2']);
    expect(settled.sort()).toEqual(['w1', 'w2']);
    expect(events.of('retrying')).toHaveLength(0);
    expect(events.of('failed').map((e) => e.error.code)).toEqual(['Interrupted', 'Interrupted']);
    expect(events.of('phase-finished')[0]!.outcome).toBe('interrupted');
    expect((error as RunInterruptedError).summary.notStarted).toEqual(['w3', 'w4', 'v']);
  });

  it('on abort abandons a running step that ignores its signal after the cancel grace', async () => {
    const controller = new AbortController();
    const stuck = deferred();
    const running = deferred();
    const step = fakeStep('apply', async () => { running.resolve(); await stuck.promise; });
    const run = runPhases([{ title: 'Infrastructure', steps: [step] }], { events: new Recorder(), signal: controller.signal, ...fast, cancelGraceMs: 30 });
    await running.promise;
    controller.abort();
    await expect(run).rejects.toBeInstanceOf(RunInterruptedError);
    stuck.resolve();
  });

  it('on abort waits up to the step\'s stopGraceMs (a tool writing state), past the default cancel grace', async () => {
    const running = new Map([['apply', deferred()], ['ssh', deferred()]]);
    const stopped: string[] = [];
    // The step keeps working 150 ms after its signal aborts: longer than the run's cancel grace (30 ms).
    const slowStop = (id: string) => async (ctx: { signal: AbortSignal }) => {
      running.get(id)!.resolve();
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
      await new Promise((r) => setTimeout(r, 150));
      stopped.push(id);
      throw new Error('terraform: interrupted, state saved');
    };
    const runOne = async (id: string, extra: Partial<Step>) => {
      const controller = new AbortController();
      const events = new Recorder();
      const run = runPhases([{ title: 'Infrastructure', steps: [fakeStep(id, slowStop(id), extra)] }], { events, signal: controller.signal, ...fast, cancelGraceMs: 30 });
      await running.get(id)!.promise;
      controller.abort(new Error('SIGINT'));
      const error = await run.catch((e: unknown) => e);
      return { error, events, stoppedAtEnd: stopped.includes(id) };
    };

    const graced = await runOne('apply', { tool: 'terraform', stopGraceMs: 5_000 });
    expect(graced.error).toBeInstanceOf(RunInterruptedError);
    expect(graced.stoppedAtEnd).toBe(true);
    expect(graced.events.of('failed').map((e) => e.error.code)).toEqual(['Interrupted']);

    // Without stopGraceMs the run's cancel grace applies: the step is abandoned while still stopping.
    const plain = await runOne('ssh', {});
    expect(plain.error).toBeInstanceOf(RunInterruptedError);
    expect(plain.stoppedAtEnd).toBe(false);
    // Let the abandoned attempt end inside this test.
    await new Promise((r) => setTimeout(r, 200));
    expect(stopped).toEqual(['apply', 'ssh']);
  });

  it('after a step timeout waits up to the step\'s stopGraceMs before abandoning it', async () => {
    const events = new Recorder();
    let stopped = false;
    const step = fakeStep('apply', async (ctx) => {
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
      await new Promise((r) => setTimeout(r, 150));
      stopped = true;
      throw ctx.signal.reason;
    }, { tool: 'terraform', timeoutMs: 20, stopGraceMs: 5_000 });
    const error = await runPhases([{ title: 'Infrastructure', steps: [step] }], { events, signal: never, ...fast, timeoutGraceMs: 30 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunFailedError);
    expect(stopped).toBe(true);
    const failed = events.of('failed')[0]!;
    expect(failed.error.code).toBe('StepTimedOut');
    expect(failed.error.message).not.toMatch(/abandoned/);
  });

  it('throws AbortError without running anything when aborted before start', async () => {
    const controller = new AbortController();
    controller.abort();
    let ran = false;
    const error = await runPhases([{ title: 'A', steps: [fakeStep('a', async () => void (ran = true))] }], { events: new Recorder(), signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect(ran).toBe(false);
  });

  it('skips a step recorded in the state ("already done") and one whose check() says so', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'k8sb-runner-'));
    const state = await StateStore.open(join(dir, 'state.json'), 'demo');
    await state.markDone('init:cp1', { inputs: 'v1' });
    let ran = 0;
    const events = new Recorder();
    const summary = await runPhases(
      [{
        title: 'Control plane',
        steps: [
          fakeStep('init:cp1', async () => void ran++, { inputs: 'v1' }),
          fakeStep('join:cp2', async () => void ran++, { check: async () => 'node already registered', node: 'cp2' }),
          fakeStep('join:cp3', async () => void ran++, { inputs: 'v2', node: 'cp3' }),
        ],
      }],
      { events, signal: never, state },
    );
    expect(ran).toBe(1);
    expect(summary.skipped).toEqual(['init:cp1', 'join:cp2']);
    expect(events.of('skipped').map((e) => e.reason)).toEqual(['already done', 'node already registered']);
    expect(state.isDone('join:cp2')).toBe(true);
    expect(state.current.steps['join:cp3']).toMatchObject({ inputs: 'v2', node: 'cp3' });
    // A changed input fingerprint does not count as done.
    expect(state.isDone('init:cp1', 'v9')).toBe(false);
  });

  it('stops a phase at the first failure unless continueOnError, and never runs later phases', async () => {
    const ran: string[] = [];
    const ok = (id: string) => fakeStep(id, async () => void ran.push(id));
    const bad = fakeStep('bad', async () => { ran.push('bad'); throw new Error('boom'); });
    const error = await runPhases([{ title: 'A', steps: [ok('a1'), bad, ok('a3')] }, { title: 'B', steps: [ok('b1')] }], { events: new Recorder(), signal: never, ...fast }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunFailedError);
    expect(ran).toEqual(['a1', 'bad']);
    expect((error as RunFailedError).summary.notStarted).toEqual(['a3']);
  });

  it('with continueOnError runs every step and reports every failure', async () => {
    const ran: string[] = [];
    const steps = ['w1', 'w2', 'w3', 'w4'].map((id) =>
      fakeStep(`join:${id}`, async () => {
        ran.push(id);
        if (id === 'w2' || id === 'w4') throw new BootstrapError('JoinFailed', `kubeadm join failed on ${id}`, { details: ['line a', 'line b'] });
      }, { node: id }),
    );
    const events = new Recorder();
    const error = await runPhases([{ title: 'Workers', steps, concurrency: 2, continueOnError: true }, { title: 'Verify', steps: [fakeStep('v')] }], { events, signal: never, logFile: '/tmp/x.log', ...fast }).catch((e: unknown) => e);
    expect(ran.sort()).toEqual(['w1', 'w2', 'w3', 'w4']);
    expect(error).toBeInstanceOf(RunFailedError);
    const failure = error as RunFailedError;
    expect(failure.code).toBe('RunFailed');
    expect(failure.message).toContain('w2: kubeadm join failed on w2');
    expect(failure.message).toContain('w4: kubeadm join failed on w4');
    expect(failure.hint).toContain('/tmp/x.log');
    expect(failure.summary.succeeded.sort()).toEqual(['join:w1', 'join:w3']);
    expect(events.of('failed')[0]!.error.details).toEqual(['line a', 'line b']);
    expect(events.types('v')).toEqual([]);
  });

  it('puts the last output lines into a generic failure, and drops output of abandoned attempts', async () => {
    const events = new Recorder();
    const step = fakeStep('apply', async (ctx) => {
      ctx.output('Plan: 3 to add');
      ctx.progress(1, 3, 'creating');
      ctx.output('Error: quota exceeded', 'stderr');
      throw new Error('terraform apply exited with 1');
    });
    await expect(runPhases([{ title: 'Infrastructure', steps: [step] }], { events, signal: never })).rejects.toThrow(RunFailedError);
    expect(events.of('failed')[0]!.error).toEqual({ code: 'StepFailed', message: 'terraform apply exited with 1', details: ['Plan: 3 to add', 'Error: quota exceeded'] });
    expect(events.of('progress')[0]).toMatchObject({ done: 1, total: 3, message: 'creating' });
  });
});

describe('background phases and tolerated nodes', () => {
  it('a background phase runs alongside the next phases, and the phase that waits for it starts after it', async () => {
    const order: string[] = [];
    const slow = deferred();
    const step = (id: string, body: () => Promise<void> = async () => {}) => fakeStep(id, async () => {
      order.push(`start ${id}`);
      await body();
      order.push(`end ${id}`);
    });
    await runPhases(
      [
        { title: 'Prepare workers', background: true, steps: [step('prep', () => slow.promise)] },
        { title: 'Control plane', steps: [step('init', async () => slow.resolve())] },
        { title: 'Join workers', waitsForBackground: true, steps: [step('join')] },
      ],
      { events: new Recorder(), signal: never, ...fast },
    );
    // init started while prep was still waiting (for init itself); join only after both ended.
    expect(order.slice(0, 2)).toEqual(['start prep', 'start init']);
    expect(order.slice(2, 4).sort()).toEqual(['end init', 'end prep']);
    expect(order.slice(4)).toEqual(['start join', 'end join']);
  });

  it('goes on without a tolerated node: its later steps are left out, its failure is returned, not thrown', async () => {
    const ran: string[] = [];
    const step = (id: string, node: string, fails = false) => fakeStep(id, async () => {
      ran.push(id);
      if (fails) throw new Error(`${id} broke`);
    }, { node });
    const summary = await runPhases(
      [
        { title: 'Prepare', continueOnError: true, steps: [step('prepare:w1', 'w1', true), step('prepare:w2', 'w2')] },
        { title: 'Join', continueOnError: true, steps: [step('join:w1', 'w1'), step('join:w2', 'w2')] },
      ],
      { events: new Recorder(), signal: never, ...fast, tolerate: new Set(['w1', 'w2']) },
    );
    expect(ran).toEqual(['prepare:w1', 'prepare:w2', 'join:w2']);
    expect(summary.failed).toEqual([]);
    expect(summary.tolerated.map((f) => f.stepId)).toEqual(['prepare:w1']);
    expect(summary.notStarted).toEqual(['join:w1']);
    expect(toleratedNodes(summary)).toEqual(new Set(['w1']));
    // The caller fails at its end with the same summary: the message names the tolerated failure.
    expect(new RunFailedError(summary).message).toContain('w1: prepare:w1 broke');
  });

  it('tolerates only a continueOnError phase whose every failure is a tolerated node', async () => {
    const failing = (id: string, node: string) => fakeStep(id, async () => { throw new Error('no'); }, { node });
    const events = { events: new Recorder(), signal: never, ...fast, tolerate: new Set(['w1']) };
    await expect(runPhases([{ title: 'Join', steps: [failing('join:w1', 'w1')] }], events)).rejects.toBeInstanceOf(RunFailedError);
    const mixed = await runPhases([{ title: 'Join', continueOnError: true, steps: [failing('join:w1', 'w1'), failing('join:cp2', 'cp2')] }], events).catch((e: unknown) => e);
    expect((mixed as RunFailedError).summary.failed.map((f) => f.node)).toEqual(['w1', 'cp2']);
  });

  it('a failure in the foreground lets a running background phase finish before the run rejects', async () => {
    const release = deferred();
    let finished = false;
    const run = runPhases(
      [
        { title: 'Prepare workers', background: true, steps: [fakeStep('prep', async () => { await release.promise; finished = true; })] },
        { title: 'Control plane', steps: [fakeStep('init', async () => { setTimeout(() => release.resolve(), 20); throw new Error('init failed'); })] },
        { title: 'Join workers', waitsForBackground: true, steps: [fakeStep('join')] },
      ],
      { events: new Recorder(), signal: never, ...fast },
    );
    const error = await run.catch((e: unknown) => e);
    expect(finished).toBe(true);
    expect((error as RunFailedError).summary.succeeded).toEqual(['prep']);
    expect((error as RunFailedError).summary.failed.map((f) => f.stepId)).toEqual(['init']);
  });
});
