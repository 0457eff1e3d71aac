/**
 * A spinner for a single wait outside a task tree (e.g. "Waiting for the lock", "Reading state").
 * Spins only on a TTY; elsewhere it prints one line so CI logs still show what was awaited.
 * ora is loaded lazily to keep --help fast.
 */
export interface SpinnerIo {
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface WithSpinnerOptions {
  /** Spin only when true (the tty renderer is in use). @default io.stderr.isTTY */
  animate?: boolean;
  color?: boolean;
}

export async function withSpinner<T>(text: string, work: () => Promise<T>, io: SpinnerIo, options: WithSpinnerOptions = {}): Promise<T> {
  // ora moves the cursor with the tty.WriteStream methods; a stream without them cannot animate.
  const canMoveCursor = typeof (io.stderr as { cursorTo?: unknown }).cursorTo === 'function';
  const animate = (options.animate ?? Boolean(io.stderr.isTTY)) && canMoveCursor;
  if (!animate) {
    io.stderr.write(`${text}...\n`);
    return work();
  }
  const { default: ora } = await import('ora');
  const spinner = ora({ text, stream: io.stderr, color: options.color === false ? false : 'cyan', isEnabled: true }).start();
  try {
    const result = await work();
    spinner.succeed();
    return result;
  } catch (error) {
    spinner.fail();
    throw error;
  }
}
