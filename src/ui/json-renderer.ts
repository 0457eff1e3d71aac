/** `--output json`: one JSON object per event on stdout (NDJSON), and nothing else there. */
import type { EngineEvent, EventSink } from '../engine/events.js';
import { toSafeJson } from '../engine/inert-text.js';

export class JsonRenderer implements EventSink {
  constructor(private readonly stream: NodeJS.WritableStream) {}

  emit(event: EngineEvent): void {
    this.stream.write(`${toSafeJson(event)}\n`);
  }
}
