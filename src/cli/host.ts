/**
 * The CLI as one host of the core: the only code that knows whether output is a terminal, plain
 * lines or JSON, and the only way the core's questions reach @inquirer (through wizard/prompts).
 *
 * Stream policy (docs/events.md): with --output json, stdout carries JSON lines only (every
 * event, then one result line); prompts, prose and the final error go to stderr. In text modes
 * progress and notes go to stderr and only the result (or a dry run's plan) goes to stdout.
 */
import type { EngineEvent, EventSink } from '../engine/events.js';
import { EVENTS_VERSION } from '../engine/events.js';
import { describeEvent } from '../engine/event-text.js';
import type { ConfirmQuestion, Host, ResultBase, SelectQuestion } from '../engine/host.js';
import { inertSink, inertText, toSafeJson } from '../engine/inert-text.js';
import { createRedactor } from '../engine/redact.js';
import { createRenderer } from '../ui/create-renderer.js';
import { assertCanConfirm, confirm, confirmChange, input, select } from '../wizard/prompts.js';
import type { CliContext } from './context.js';

export interface CliHost extends Host {
  /** Flushes and releases the terminal; the handler calls it once, at the end. */
  close(): Promise<void>;
}

export function cliHost(ctx: CliContext): CliHost {
  const events = new CliEvents(ctx);
  return {
    env: ctx.env,
    cwd: ctx.cwd,
    signal: ctx.signal,
    secrets: ctx.secrets,
    events,
    interactive: ctx.canPrompt,
    assertCanConfirm: (command) => assertCanConfirm(ctx, command),
    confirm: (question) => ask(ctx, question),
    select: <T>(question: SelectQuestion<T>) => select<T>(ctx, question),
    close: () => events.close(),
  };
}

async function ask(ctx: CliContext, question: ConfirmQuestion): Promise<boolean> {
  if (question.typeToConfirm !== undefined) {
    if (ctx.globals.yes) {
      ctx.error(`--yes: ${question.doing} without asking.`);
      return true;
    }
    const answer = await input(ctx, { message: `${question.message} Type the cluster name (${question.typeToConfirm}) to confirm:`, flag: '--yes' });
    return answer.trim() === question.typeToConfirm;
  }
  if (question.safeAnswer !== undefined) {
    // A side question (replace a differing cluster.yaml?): --yes says yes, CI without --yes the safe answer.
    if (ctx.canPrompt) return confirm(ctx, { message: question.message, default: question.safeAnswer, fallback: question.safeAnswer });
    return ctx.globals.yes;
  }
  return confirmChange(ctx, question);
}

/**
 * The host's event sink: redacts (a script's or the CLI's own notes too), then writes JSON lines
 * or hands the run's events to a renderer, created on first use and closed at the end of a run.
 */
class CliEvents implements EventSink {
  private renderer?: EventSink;
  private readonly redact: (event: EngineEvent) => EngineEvent;

  constructor(private readonly ctx: CliContext) {
    this.redact = createRedactor(() => ctx.secrets.values());
  }

  emit(raw: EngineEvent): void {
    const event = this.redact(raw);
    if (this.ctx.outputMode !== 'json' && event.type === 'plan' && event.dryRun) {
      // A dry run's plan is its result: stdout, as text a person reads.
      this.ctx.write(inertText(event.text));
      return;
    }
    if (this.ctx.outputMode === 'json' && event.type === 'note') {
      // Prose goes to stderr: stdout stays JSON lines a program reads.
      this.ctx.error(inertText(describeEvent(event)));
      return;
    }
    this.renderer ??= this.createRenderer();
    this.renderer.emit(event);
  }

  async close(): Promise<void> {
    const renderer = this.renderer;
    this.renderer = undefined;
    await renderer?.close?.();
  }

  private createRenderer(): EventSink {
    const { ctx } = this;
    const renderer = createRenderer(ctx.outputMode, { stdout: ctx.stdout, stderr: ctx.stderr }, { color: ctx.useColor, verbose: ctx.globals.verbose });
    // Text renderers get inert text; the JSON renderer keeps the data and escapes it.
    return ctx.outputMode === 'json' ? renderer : inertSink(renderer);
  }
}

/** What every command returns to the CLI: the result line's fields, and the sentences a person reads. */
/** What printResult needs of any command's result: its sentences for text modes (ResultBase's). */
export type CommandResult = Pick<ResultBase, 'summary'>;

/**
 * The last thing a command prints on stdout: one `{"type":"result",…}` line with --output json,
 * else its summary sentences.
 */
export function printResult<T extends CommandResult>(ctx: CliContext, command: string, result: T): void {
  if (ctx.outputMode === 'json') {
    ctx.write(toSafeJson({ type: 'result', v: EVENTS_VERSION, command, ...result }));
    return;
  }
  for (const line of result.summary) ctx.write(inertText(line));
}

/**
 * A handler's one call into the core: a host for this invocation, the command, its result
 * printed after the renderer has finished (so the result is the last line), the host closed.
 */
export async function runCommand<T extends CommandResult>(ctx: CliContext, command: string, body: (host: CliHost) => Promise<T>): Promise<T> {
  const host = cliHost(ctx);
  let result: T;
  try {
    result = await body(host);
  } finally {
    await host.close();
  }
  printResult(ctx, command, result);
  return result;
}

/** The cluster the global --dir / --config name, as the core's ClusterRef. */
export function clusterRefOf(ctx: CliContext): { dir?: string; config?: string } {
  return { dir: ctx.globals.dir, config: ctx.globals.config };
}
