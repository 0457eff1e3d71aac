/**
 * Picks the renderer for a run. Every renderer is an EventSink fed by the (redacting) EventBus.
 * Progress goes to stderr; only json mode writes events to stdout, as its result.
 */
import type { EventSink } from '../engine/events.js';
import { JsonRenderer } from './json-renderer.js';
import { PlainRenderer } from './plain-renderer.js';
import { TtyRenderer } from './tty-renderer.js';

export type RendererMode = 'tty' | 'plain' | 'json';

export interface RendererIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export interface RendererOptions {
  color: boolean;
  verbose: boolean;
}

export function createRenderer(mode: RendererMode, io: RendererIo, opts: RendererOptions): EventSink {
  switch (mode) {
    case 'tty':
      return new TtyRenderer(io.stderr, opts);
    case 'plain':
      return new PlainRenderer(io.stderr, opts);
    case 'json':
      return new JsonRenderer(io.stdout);
  }
}
