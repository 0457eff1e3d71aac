/**
 * `--output json` as a consumer reads it: every stdout line is one JSON value, and the last one
 * is the command's `{"type":"result",…}` line.
 */
import { expect } from 'vitest';

export interface JsonLine {
  type: string;
  [field: string]: unknown;
}

export function jsonLines(stdout: string): JsonLine[] {
  const lines = stdout.split('\n').filter((line) => line !== '');
  return lines.map((line, index) => {
    try {
      return JSON.parse(line) as JsonLine;
    } catch {
      throw new Error(`stdout line ${index + 1} is not JSON: ${line.slice(0, 200)}`);
    }
  });
}

/** The result line's fields, after checking that it is the last line and the only result. */
export function resultOf<T = Record<string, unknown>>(stdout: string, command?: string): T & JsonLine {
  const lines = jsonLines(stdout);
  const last = lines.at(-1);
  expect(last?.type, 'the last stdout line is the result').toBe('result');
  expect(lines.filter((line) => line.type === 'result')).toHaveLength(1);
  if (command !== undefined) expect(last?.command).toBe(command);
  return last as T & JsonLine;
}
