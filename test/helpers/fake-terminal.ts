/**
 * A scripted person at a terminal for the REAL inquirer prompts: keystrokes go into a stream that
 * readline decodes exactly as it decodes a TTY, and the drawn screen is read back from the
 * prompt's output. Each step waits (bounded) for the prompt text before typing, so a key can
 * never land in the wrong prompt.
 */
import { PassThrough } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { Capture } from './fake-io.js';

export const KEYS = {
  enter: '\r',
  down: '\x1b[B',
  up: '\x1b[A',
  /** Ctrl-U: clear the line typed so far. */
  clearLine: '\x15',
} as const;

export class FakeTerminal {
  readonly stdin = new PassThrough() as PassThrough & { isTTY?: boolean };
  readonly stderr = new Capture();
  private cursor = 0;

  /** Everything drawn so far, without ANSI escapes. */
  get screen(): string {
    return stripVTControlCharacters(this.stderr.text);
  }

  /** Resolves once `text` appears in output drawn after the previous match. */
  async waitFor(text: string | RegExp, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // Positions count in the stripped screen, so the next wait starts right after this match.
      const fresh = this.screen.slice(this.cursor);
      const match = typeof text === 'string' ? { index: fresh.indexOf(text), length: text.length } : regexMatch(fresh, text);
      if (match.index >= 0) {
        this.cursor += match.index + match.length;
        return;
      }
      if (Date.now() > deadline) {
        throw new Error(`Timed out waiting for ${String(text)}; screen after the last match:\n${fresh.slice(-1500)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  press(...keys: string[]): void {
    for (const key of keys) this.stdin.write(key);
  }

  /**
   * Waits for a prompt to be open: inquirer draws an open question as "? message" and a finished
   * one as "✔ message", so the "? " prefix keeps a repeated question from matching its last answer.
   */
  async waitForPrompt(message: string): Promise<void> {
    await this.waitFor(`? ${message}`);
  }

  /** Wait for a prompt, then type an answer and press Enter. */
  async answer(prompt: string, text = '', ...extraKeys: string[]): Promise<void> {
    await this.waitForPrompt(prompt);
    this.press(...extraKeys);
    if (text) this.stdin.write(text);
    this.press(KEYS.enter);
  }

  /** Wait for a select prompt, move down `steps` times, press Enter. */
  async choose(prompt: string, steps = 0): Promise<void> {
    await this.waitForPrompt(prompt);
    for (let i = 0; i < steps; i += 1) this.press(KEYS.down);
    this.press(KEYS.enter);
  }
}

function regexMatch(text: string, pattern: RegExp): { index: number; length: number } {
  const match = pattern.exec(text);
  return match ? { index: match.index, length: match[0].length } : { index: -1, length: 0 };
}
