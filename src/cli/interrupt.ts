/**
 * Ctrl-C policy: the first SIGINT aborts the run's signal so that every tool stops cleanly
 * (Terraform releases its lock, Packer deletes its instance, state is saved); the second forces exit.
 */
import type { CliIo } from './context.js';

export interface InterruptController {
  signal: AbortSignal;
  dispose(): void;
}

export function createInterruptController(io: CliIo, processRef: NodeJS.Process = process): InterruptController {
  const controller = new AbortController();
  let count = 0;
  const onSignal = (name: NodeJS.Signals) => {
    count += 1;
    if (count === 1) {
      io.stderr.write(`\nReceived ${name}: stopping cleanly (waiting for running tools to save their state). Press Ctrl-C again to force.\n`);
      controller.abort(new Error('interrupted'));
    } else {
      io.stderr.write('\nForced exit. Run the same command again to resume.\n');
      processRef.exit(130);
    }
  };
  processRef.on('SIGINT', onSignal);
  processRef.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose() {
      processRef.off('SIGINT', onSignal);
      processRef.off('SIGTERM', onSignal);
    },
  };
}
