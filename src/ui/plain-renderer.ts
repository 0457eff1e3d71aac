/**
 * CI and non-TTY output: one timestamped line per event on stderr,
 * `2026-11-23T10:00:00.000Z [Workers] worker-1: join the cluster: succeeded in 21s`.
 * Tool output lines only with --verbose (the log file has them all); a failure always shows its tail.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { EngineEvent, EventSink } from '../engine/events.js';
import { describeEvent, isoTime } from '../engine/event-text.js';

export interface PlainRendererOptions {
  color: boolean;
  verbose: boolean;
}

export class PlainRenderer implements EventSink {
  private readonly paint: ChalkInstance;

  constructor(private readonly stream: NodeJS.WritableStream, private readonly options: PlainRendererOptions) {
    this.paint = new Chalk({ level: options.color ? 1 : 0 });
  }

  emit(event: EngineEvent): void {
    if (event.type === 'output' && !this.options.verbose) return;
    if (event.type === 'note' || event.type === 'plan') {
      // Words for the person, not progress: as they are, without a timestamp.
      this.stream.write(`${event.type === 'note' && event.level === 'warning' ? this.paint.yellow(describeEvent(event)) : describeEvent(event)}\n`);
      return;
    }
    const lines = [`${this.paint.dim(isoTime(event.time))} ${this.colour(event, describeEvent(event))}`];
    if (event.type === 'failed') {
      for (const detail of event.error.details ?? []) lines.push(`    ${this.paint.dim('|')} ${detail}`);
    }
    this.stream.write(`${lines.join('\n')}\n`);
  }

  private colour(event: EngineEvent, text: string): string {
    switch (event.type) {
      case 'failed':
        return this.paint.red(text);
      case 'succeeded':
        return this.paint.green(text);
      case 'retrying':
        return this.paint.yellow(text);
      case 'skipped':
      case 'output':
        return this.paint.dim(text);
      default:
        return text;
    }
  }
}
