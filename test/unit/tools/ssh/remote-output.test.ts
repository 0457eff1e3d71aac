import { describe, expect, it } from 'vitest';
import { CappedOutput, formatBytes, LineSplitter, MAX_LINE_BYTES } from '../../../../src/tools/ssh/remote-output.js';

function split(chunks: Buffer[], maxLineBytes?: number): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line), maxLineBytes);
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return lines;
}

describe('LineSplitter', () => {
  it('splits lines across chunks, also a character split between two chunks', () => {
    const euro = Buffer.from('€');
    const lines = split([Buffer.concat([Buffer.from('a\r\nb'), euro.subarray(0, 1)]), Buffer.concat([euro.subarray(1), Buffer.from('\nc')])]);
    expect(lines).toEqual(['a', 'b€', 'c']);
  });

  it('keeps empty lines and emits no extra line after a final newline', () => {
    expect(split([Buffer.from('a\n\nb\n')])).toEqual(['a', '', 'b']);
    expect(split([Buffer.from('\n')])).toEqual(['']);
    expect(split([])).toEqual([]);
  });

  it('cuts a line longer than the cap, marks it, and goes on with the next line whole', () => {
    const long = 'x'.repeat(MAX_LINE_BYTES * 3 + 17);
    const chunks = [Buffer.from(long.slice(0, 1000)), Buffer.from(`${long.slice(1000)}\nnext\n`)];
    const lines = split(chunks);
    expect(lines).toHaveLength(2);
    expect(lines[0]!.startsWith('x'.repeat(MAX_LINE_BYTES))).toBe(true);
    expect(lines[0]!.slice(MAX_LINE_BYTES)).toBe(`… [line truncated: ${long.length} bytes, only the first 64 KiB kept]`);
    expect(lines[1]).toBe('next');
  });

  it('never cuts a character in two at the cap', () => {
    // 'é' is 2 bytes: a cap of 5 bytes falls in the middle of the third one.
    const [line] = split([Buffer.from('ééé\n')], 5);
    expect(line).toBe('éé… [line truncated: 6 bytes, only the first 5 bytes kept]');
  });

  it('keeps at most the cap in memory for a line that never ends', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line), 1024);
    const chunk = Buffer.alloc(32 * 1024, 'y');
    for (let i = 0; i < 64; i++) splitter.push(chunk);
    const pending = (splitter as unknown as { pieces: Buffer[] }).pieces;
    expect(pending.reduce((sum, piece) => sum + piece.length, 0)).toBe(1024);
    splitter.end();
    expect(lines[0]).toMatch(/^y{1024}… \[line truncated: 2097152 bytes/);
  });
});

describe('CappedOutput', () => {
  it('keeps the bytes until the limit, then refuses and stays refused', () => {
    const output = new CappedOutput(9);
    expect(output.push(Buffer.from('a\r\nb€'))).toBe(true);
    expect(output.push(Buffer.from('\nc'))).toBe(true);
    expect(output.text).toBe('a\r\nb€\nc');
    expect(output.push(Buffer.from('d'))).toBe(false);
    expect(output.exceeded).toBe(true);
    expect(output.push(Buffer.alloc(0))).toBe(false);
    expect(output.text).toBe('a\r\nb€\nc');
  });

  it('in tail mode keeps the last bytes of a flood instead of refusing it, and says so', () => {
    const output = new CappedOutput(6, true);
    expect(output.push(Buffer.from('abcd'))).toBe(true);
    expect(output.text).toBe('abcd');
    expect(output.push(Buffer.from('efgh'))).toBe(true);
    expect(output.push(Buffer.from('0123456789xyz'))).toBe(true);
    expect(output.exceeded).toBe(true);
    expect(output.text).toBe('[earlier output dropped: only the last 6 bytes kept]\n789xyz');
  });

  it('names limits the way messages do', () => {
    expect([formatBytes(1024 * 1024), formatBytes(16 * 1024 * 1024), formatBytes(64 * 1024), formatBytes(1500)]).toEqual(['1 MiB', '16 MiB', '64 KiB', '1500 bytes']);
  });
});
