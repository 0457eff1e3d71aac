/**
 * Ctrl-C policy. Tools that save state on an interrupt (Terraform, Packer) run in process groups
 * of their own (subprocess.ts), so a terminal's Ctrl-C reaches only this process, and each press
 * is passed on to them exactly once:
 * - first SIGINT/SIGTERM: the run's signal aborts; every tool gets one SIGINT and time to stop
 *   cleanly (Terraform finishes the operations in flight, writes its state, releases its lock;
 *   Packer deletes its instance).
 * - second: the tools get their second SIGINT (Terraform's "Two interrupts received": it cancels
 *   and exits within about 5 s, possibly without recording resources in flight) and we wait for
 *   them to exit, at most FORCED_STOP_WAIT_MS, then exit 130. Exiting first would leave them
 *   writing into closed pipes, which kills a Go program mid-write.
 * - third: exit 130 at once.
 */
import type { CliIo } from './context.js';
import { signalToolGroupsAgain } from '../tools/subprocess.js';

/** How long a second Ctrl-C waits for the tools to exit (Terraform gives up after 5 s). */
export const FORCED_STOP_WAIT_MS = 15_000;

export interface InterruptController {
  signal: AbortSignal;
  dispose(): void;
}

export function createInterruptController(io: CliIo, processRef: NodeJS.Process = process): InterruptController {
  const controller = new AbortController();
  let count = 0;
  const forcedExit = () => {
    io.stderr.write('\nForced exit. Run the same command again to resume.\n');
    processRef.exit(130);
  };
  const onSignal = (name: NodeJS.Signals) => {
    count += 1;
    if (count === 1) {
      io.stderr.write(`\nReceived ${name}: stopping cleanly (waiting for running tools to save their state). Press Ctrl-C again to force.\n`);
      controller.abort(new Error('interrupted'));
    } else if (count === 2) {
      io.stderr.write('\nForcing: running tools are told to stop now (Terraform may not record resources it was creating). Press Ctrl-C again to exit at once.\n');
      void signalToolGroupsAgain('SIGINT', FORCED_STOP_WAIT_MS).then(forcedExit);
    } else {
      forcedExit();
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
