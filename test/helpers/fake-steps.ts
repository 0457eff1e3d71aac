/** Fake steps and an event recorder for engine tests: no real tools. */
import type { EngineEvent, EventSink } from '../../src/engine/events.js';
import type { Step, StepContext } from '../../src/engine/step.js';

export class Recorder implements EventSink {
  readonly events: EngineEvent[] = [];
  emit(event: EngineEvent): void {
    this.events.push(event);
  }
  types(stepId?: string): string[] {
    return this.events.filter((e) => !stepId || ('stepId' in e && e.stepId === stepId)).map((e) => e.type);
  }
  of<T extends EngineEvent['type']>(type: T): Array<Extract<EngineEvent, { type: T }>> {
    return this.events.filter((e): e is Extract<EngineEvent, { type: T }> => e.type === type);
  }
}

export function fakeStep(stepId: string, run: (ctx: StepContext) => Promise<void> = async () => {}, extra: Partial<Step> = {}): Step {
  return { stepId, title: `do ${stepId}`, run, ...extra };
}

/** Resolves after `ms`, or rejects with the signal's reason when aborted (a well-behaved step). */
export function work(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    }, { once: true });
  });
}

export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
