/**
 * The live task tree for a terminal: one listr2 list per group (Preflight, Image, ... Kubeconfig),
 * in the order groups appear, with a subtask per step showing its node, the current output line
 * and elapsed time; a failing task shows its last output lines.
 *
 * listr2 wants its tasks before it runs, while events arrive over time. The runner announces each
 * phase with `phase-started` (all its steps), so each group becomes one listr2 run whose tasks
 * await the step's promises that later events resolve. Groups run one after another, as phases do,
 * except a background group (worker preparation): it is drawn in one tree with the groups that
 * start while it runs, side by side, so the tree shows what really runs at the same time.
 */
import type { EngineEvent, EventSink, StepRef } from '../engine/events.js';
import { formatDuration } from '../engine/timeouts.js';
import { StepView } from './step-view.js';

export interface TtyRendererOptions {
  color: boolean;
  verbose: boolean;
  /** Lines of output kept under a failed task. @default 10 */
  failureTailLines?: number;
}

type ListrModule = typeof import('listr2');
type TaskWrapper = { title: string; output: string; skip(message?: string): void; newListr(tasks: ListrTaskSpec[], options?: object): unknown };
type ListrTaskSpec = { title?: string; task: (ctx: unknown, task: TaskWrapper) => unknown; rendererOptions?: object };

/** One group as announced by phase-started. */
interface GroupItem {
  group: string;
  views: StepView[];
  concurrency: number;
}

/**
 * A background group and the groups that start while it runs, drawn in one listr2 run: the
 * background group beside a "lane" that takes the other groups one after another as they come.
 */
interface Window {
  background: GroupItem;
  queue: GroupItem[];
  backgroundDone: boolean;
  /** No group joins any more: the lane has seen the background group finish with nothing queued. */
  closed: boolean;
  wake?: () => void;
}

export class TtyRenderer implements EventSink {
  private readonly views = new Map<string, StepView>();
  /** Listr runs, chained: a group's tree starts when the previous one has finished. */
  private chain: Promise<void> = Promise.resolve();
  private readonly tasks = new Map<string, TaskWrapper>();
  private ticker?: NodeJS.Timeout;
  private listr?: Promise<ListrModule>;
  /** Windows whose lane still takes groups; a group that starts joins the newest. */
  private readonly windows: Window[] = [];
  private closed = false;

  constructor(private readonly stream: NodeJS.WritableStream, private readonly options: TtyRendererOptions) {}

  emit(event: EngineEvent): void {
    if (this.closed) return;
    switch (event.type) {
      case 'phase-started': {
        const views = event.steps.map((step) => this.viewFor({ ...step, group: event.group }));
        const item = { group: event.group, views, concurrency: event.concurrency };
        const window = event.background ? undefined : this.openWindowToJoin();
        if (event.background) this.openWindow(item);
        else if (window) this.joinWindow(window, item);
        else this.schedule(event.group, views, event.concurrency);
        return;
      }
      case 'phase-finished':
        for (const view of this.views.values()) if (view.ref.group === event.group && !view.settled) view.finish('not-started');
        for (const window of this.windows) if (window.background.group === event.group) this.endBackground(window);
        return;
      case 'run-started':
      case 'run-finished':
        return;
      case 'note':
        // While a tree is drawn, listr2 holds such writes back and prints them under the tree.
        this.stream.write(`${event.level === 'warning' ? `Warning: ${event.text}` : event.text}\n`);
        return;
      case 'plan':
        this.stream.write(`${event.text}\n`);
        return;
      default:
        this.onStepEvent(event);
    }
  }

  async close(): Promise<void> {
    // Anything still open at the end (an abandoned step) must not keep its listr run waiting.
    for (const view of this.views.values()) if (!view.settled) view.finish('not-started');
    for (const window of this.windows) this.endBackground(window);
    await this.chain;
    this.closed = true;
    if (this.ticker) clearInterval(this.ticker);
  }

  private onStepEvent(event: Extract<EngineEvent, StepRef>): void {
    let view = this.views.get(event.stepId);
    if (!view && (event.type === 'output' || event.type === 'progress')) {
      // A note outside any step (e.g. "taking over a stale lock"): a plain line. While a tree is
      // drawn, listr2 holds such writes back and prints them under the tree when it ends.
      this.stream.write(`${event.type === 'output' ? event.line : `${event.title}: ${event.done}/${event.total}`}\n`);
      return;
    }
    if (!view) {
      // A step nobody announced (emitted outside runPhases): give it a one-task group of its own.
      view = this.viewFor(event);
      this.schedule(event.group, [view], 1);
    }
    const task = this.tasks.get(event.stepId);
    switch (event.type) {
      case 'started':
        view.start(event.time);
        break;
      case 'output':
        view.currentLine = event.line;
        if (task) task.output = event.line;
        break;
      case 'progress':
        view.note = `${event.done}/${event.total}${event.message ? ` ${event.message}` : ''}`;
        if (task) task.output = view.note;
        break;
      case 'retrying':
        view.note = `retrying (attempt ${event.attempt}) in ${formatDuration(event.delayMs)}: ${event.reason}`;
        if (task) task.output = view.note;
        break;
      case 'succeeded':
        view.finish('succeeded', { durationMs: event.durationMs });
        break;
      case 'skipped':
        view.finish('skipped', { reason: event.reason });
        break;
      case 'failed':
        view.finish('failed', { durationMs: event.durationMs, error: event.error });
        break;
    }
  }

  private viewFor(ref: StepRef): StepView {
    let view = this.views.get(ref.stepId);
    if (!view) {
      view = new StepView(ref);
      this.views.set(ref.stepId, view);
    }
    return view;
  }

  private schedule(group: string, views: StepView[], concurrency: number): void {
    this.ensureTicker();
    this.chain = this.chain.then(() => this.runTree([this.groupTask({ group, views, concurrency })], false)).catch(() => undefined);
  }

  /** A background group begins: its tree waits in the chain like any group, and takes in the groups that start meanwhile. */
  private openWindow(background: GroupItem): void {
    const window: Window = { background, queue: [], backgroundDone: false, closed: false };
    this.windows.push(window);
    this.ensureTicker();
    this.chain = this.chain.then(() => this.runTree([this.groupTask(background), this.laneTask(window)], true)).catch(() => undefined);
  }

  private openWindowToJoin(): Window | undefined {
    return this.windows.filter((window) => !window.closed).at(-1);
  }

  private joinWindow(window: Window, item: GroupItem): void {
    window.queue.push(item);
    window.wake?.();
  }

  private endBackground(window: Window): void {
    window.backgroundDone = true;
    window.wake?.();
  }

  /** The next group of the lane; undefined (and the window closed) once the background group is done and nothing waits. */
  private async nextInLane(window: Window): Promise<GroupItem | undefined> {
    for (;;) {
      const next = window.queue.shift();
      if (next) return next;
      if (window.backgroundDone) {
        window.closed = true;
        this.windows.splice(this.windows.indexOf(window), 1);
        return undefined;
      }
      await new Promise<void>((resolve) => (window.wake = resolve));
      window.wake = undefined;
    }
  }

  /**
   * The lane: a task without a title (listr2 draws the subtasks of an untitled task at its own
   * level, so the groups line up with the background group), holding the next group and, after
   * it, the rest of the lane.
   */
  private laneTask(window: Window): ListrTaskSpec {
    return {
      task: async (_ctx, task) => {
        const next = await this.nextInLane(window);
        if (!next) return undefined;
        return task.newListr([this.groupTask(next), this.laneTask(window)], { concurrent: false, exitOnError: false });
      },
    };
  }

  private groupTask(item: GroupItem): ListrTaskSpec {
    return {
      title: item.group,
      task: (_ctx, task) => task.newListr(item.views.map((view) => this.stepTask(view)), { concurrent: Math.max(1, item.concurrency), exitOnError: false }),
    };
  }

  private async runTree(tasks: ListrTaskSpec[], concurrent: boolean): Promise<void> {
    const listr2 = await (this.listr ??= import('listr2'));
    const { Listr, DefaultRenderer, ListrLogger, ProcessOutput, LISTR_DEFAULT_RENDERER_STYLE } = listr2;
    const out = this.stream as NodeJS.WriteStream;
    // listr2 falls back to its line renderer when process.stdout is not a TTY; our tree lives on
    // stderr (stdout may be piped to a file), so declare this renderer usable anywhere.
    class StderrTreeRenderer extends DefaultRenderer {
      static override nonTTY = true;

      // listr2 9 wraps every line at process.stdout.columns (80 when stdout is piped), whatever
      // stream it draws on (listr2/listr2#716, fixed in #784 for v11): lend it our stream's width
      // for the length of the (synchronous) call.
      protected override format(message: string, icon: string, level: number): string[] {
        return withStdoutColumns(out.columns, () => super.format(message, icon, level));
      }
    }
    const plainColors = Object.fromEntries(Object.keys(LISTR_DEFAULT_RENDERER_STYLE.color ?? {}).map((key) => [key, (text: string) => text]));
    const list = new Listr(tasks as never, {
      renderer: StderrTreeRenderer,
      fallbackRendererCondition: false,
      // Ctrl-C belongs to the CLI's interrupt controller; listr2's own handler would exit(127).
      registerSignalListeners: false,
      exitOnError: false,
      concurrent,
      rendererOptions: {
        collapseSubtasks: false,
        collapseErrors: false,
        collapseSkips: true,
        showErrorMessage: true,
        logger: new ListrLogger({ processOutput: new ProcessOutput(out, out), useIcons: true }),
        ...(this.options.color ? {} : { color: plainColors as never }),
      },
    });
    await list.run().catch(() => undefined);
  }

  private stepTask(view: StepView) {
    return {
      title: view.label,
      rendererOptions: { outputBar: 1, persistentOutput: false },
      task: async (_ctx: unknown, task: TaskWrapper) => {
        this.tasks.set(view.ref.stepId, task);
        task.title = `${view.label} (waiting)`;
        await view.started;
        task.title = view.label;
        if (view.note ?? view.currentLine) task.output = (view.note ?? view.currentLine)!;
        await view.finished;
        this.tasks.delete(view.ref.stepId);
        this.finishTask(view, task);
      },
    };
  }

  private finishTask(view: StepView, task: TaskWrapper): void {
    const took = view.durationMs === undefined ? '' : ` (${formatDuration(view.durationMs)})`;
    switch (view.status) {
      case 'succeeded':
        task.title = `${view.label}${took}`;
        return;
      case 'skipped':
        task.title = view.label;
        task.skip(`${view.label}: skipped, ${view.skipReason ?? 'nothing to do'}`);
        return;
      case 'not-started':
        task.title = view.label;
        task.skip(`${view.label}: not started`);
        return;
      case 'failed': {
        task.title = `${view.label}${took}`;
        const error = view.error;
        const tail = (error?.details ?? []).slice(-(this.options.failureTailLines ?? 10)).map((line) => `  | ${line}`);
        const lines = [`${error?.message ?? 'failed'}`, ...(error?.hint ? [`hint: ${error.hint}`] : []), ...tail];
        throw new Error(lines.join('\n'));
      }
      default:
        return;
    }
  }

  /** Refreshes running titles with the elapsed time (whole seconds). */
  private ensureTicker(): void {
    if (this.ticker) return;
    this.ticker = setInterval(() => {
      for (const [stepId, task] of this.tasks) {
        const view = this.views.get(stepId);
        if (view?.status === 'running' && view.startedAt !== undefined) {
          task.title = `${view.label} [${formatDuration(Math.floor((Date.now() - view.startedAt) / 1_000) * 1_000)}]`;
        }
      }
    }, 500);
    this.ticker.unref();
  }
}

/**
 * Runs `body` with process.stdout.columns reading `columns` (when known), then puts back what was
 * there: listr2's renderer reads that global for its width (see StderrTreeRenderer.format).
 */
function withStdoutColumns<T>(columns: number | undefined, body: () => T): T {
  if (!columns) return body();
  const stdout = process.stdout as { columns?: number };
  const own = Object.getOwnPropertyDescriptor(stdout, 'columns');
  Object.defineProperty(stdout, 'columns', { value: columns, configurable: true, writable: true });
  try {
    return body();
  } finally {
    if (own) Object.defineProperty(stdout, 'columns', own);
    else delete stdout.columns;
  }
}
