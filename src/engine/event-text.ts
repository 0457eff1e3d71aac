/** One-line text for an event, shared by the log file and the plain renderer. */
import type { EngineEvent } from './events.js';
import { formatDuration } from './timeouts.js';

/** "[Workers] worker-1: join the cluster: succeeded in 21s" without the timestamp. */
export function describeEvent(event: EngineEvent): string {
  switch (event.type) {
    case 'run-started':
      return `[run] ${event.command} ${event.cluster}: started${event.logFile ? ` (log: ${event.logFile})` : ''}`;
    case 'run-finished':
      return `[run] ${event.outcome} in ${formatDuration(event.durationMs)}${event.message ? `: ${event.message}` : ''}`;
    case 'phase-started':
      return `[${event.group}] ${event.steps.length} step${event.steps.length === 1 ? '' : 's'}, ${event.concurrency} at a time`;
    case 'phase-finished':
      return `[${event.group}] ${event.outcome} in ${formatDuration(event.durationMs)}`;
    case 'note':
      return event.level === 'warning' ? `Warning: ${event.text}` : event.text;
    case 'plan':
      return event.text;
    default:
      // A step on no node (preflight, terraform) has no "node:" part rather than a placeholder.
      return `[${event.group}] ${event.node ? `${event.node}: ` : ''}${stepMessage(event)}`;
  }
}

type StepEvent = Exclude<EngineEvent, { type: 'run-started' | 'run-finished' | 'phase-started' | 'phase-finished' | 'note' | 'plan' }>;

function stepMessage(event: StepEvent): string {
  switch (event.type) {
    case 'started':
      return `${event.title}: started${event.tool ? ` (${event.tool})` : ''}`;
    case 'output':
      return `${event.title}: ${event.stream === 'stderr' ? '! ' : '| '}${event.line}`;
    case 'progress':
      return `${event.title}: ${event.done}/${event.total}${event.message ? ` ${event.message}` : ''}`;
    case 'retrying':
      return `${event.title}: retrying (attempt ${event.attempt}) in ${formatDuration(event.delayMs)}: ${event.reason}`;
    case 'succeeded':
      return `${event.title}: succeeded in ${formatDuration(event.durationMs)}`;
    case 'failed':
      return `${event.title}: FAILED after ${formatDuration(event.durationMs)} [${event.error.code}] ${event.error.message}${event.error.hint ? ` (hint: ${event.error.hint})` : ''}`;
    case 'skipped':
      return `${event.title}: skipped (${event.reason})`;
  }
}

export function isoTime(time: number): string {
  return new Date(time).toISOString();
}
