import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { parseSpecYaml, readSpecFile } from '../../../src/config/load.js';

function usageMessage(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).code).toBe('InvalidYaml');
    return (error as Error).message;
  }
  throw new Error('expected a UsageError');
}

async function usageMessageAsync(run: () => Promise<unknown>): Promise<UsageError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error('expected a UsageError');
}

const BILLION_LAUGHS = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
  'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
  'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
  'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
  'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
  'g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]',
  'h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]',
  'i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]',
].join('\n');

describe('parseSpecYaml', () => {
  it('reads a mapping', () => {
    expect(parseSpecYaml('name: demo\nworkers:\n  count: 3\n', 'c.yaml')).toEqual({ name: 'demo', workers: { count: 3 } });
  });

  it('allows a few aliases', () => {
    expect(parseSpecYaml('a: &x [1]\nb: *x\n', 'c.yaml')).toEqual({ a: [1], b: [1] });
  });

  it('refuses a billion-laughs document', () => {
    expect(usageMessage(() => parseSpecYaml(BILLION_LAUGHS, 'bomb.yaml'))).toBe(
      'bomb.yaml: uses more than 50 YAML aliases; refusing it as a possible "billion laughs" document',
    );
  });

  it('refuses more than 1 MiB', () => {
    const big = `name: demo\ncomment: "${'x'.repeat(2 * 1024 * 1024)}"\n`;
    expect(usageMessage(() => parseSpecYaml(big, 'big.yaml'))).toBe('big.yaml: is larger than 1 MiB; a cluster configuration is a few KiB');
  });

  it('refuses binary content', () => {
    expect(usageMessage(() => parseSpecYaml('name: demo\n\u0000\u0001\u0002', 'bin.yaml'))).toBe(
      'bin.yaml: contains binary data (control character at line 2); expected YAML text',
    );
  });

  it('refuses several documents', () => {
    expect(usageMessage(() => parseSpecYaml('a: 1\n---\nb: 2\n', 'two.yaml'))).toBe(
      'two.yaml: contains 2 YAML documents; a cluster configuration is exactly one',
    );
  });

  it('refuses custom tags', () => {
    expect(usageMessage(() => parseSpecYaml('a: !!js/function "x"\n', 'tag.yaml'))).toBe(
      'Invalid YAML in tag.yaml:\n  tag.yaml:1:4: Unresolved tag: tag:yaml.org,2002:js/function',
    );
  });

  it('names line and column of a syntax error, without a stack trace', () => {
    const message = usageMessage(() => parseSpecYaml('name: demo\nname: again\n', 'dup.yaml'));
    expect(message).toBe('Invalid YAML in dup.yaml:\n  dup.yaml:2:1: Map keys must be unique');
    expect(message).not.toMatch(/\bat .*\.js/);
  });

  it('refuses an empty document', () => {
    expect(usageMessage(() => parseSpecYaml('  \n', 'empty.yaml'))).toBe('empty.yaml: is empty');
  });

  it('refuses absurd nesting instead of overflowing the stack', () => {
    expect(usageMessage(() => parseSpecYaml('['.repeat(200_000), 'deep.yaml'))).toMatch(/^Invalid YAML in deep\.yaml:\n  deep\.yaml:1:\d+: nested too deeply/);
  });
});

describe('readSpecFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'k8sb-load-'));

  it('names the path and --config when the file is missing', async () => {
    const error = await usageMessageAsync(() => readSpecFile(join(dir, 'nope.yaml')));
    expect(error.message).toBe(`Configuration file not found: ${join(dir, 'nope.yaml')} (given with --config)`);
    expect(error.exitCode).toBe(2);
  });

  it('refuses a 2 MiB file', async () => {
    const path = join(dir, 'big.yaml');
    writeFileSync(path, `a: "${'x'.repeat(2 * 1024 * 1024)}"\n`);
    expect((await usageMessageAsync(() => readSpecFile(path))).message).toBe(`${path}: is larger than 1 MiB; a cluster configuration is a few KiB`);
  });

  it('refuses binary garbage', async () => {
    const path = join(dir, 'garbage.bin');
    writeFileSync(path, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x01, 0xff, 0xfe]));
    expect((await usageMessageAsync(() => readSpecFile(path))).message).toBe(`${path}: contains binary data (NUL bytes); expected YAML text`);
  });

  it('refuses invalid UTF-8', async () => {
    const path = join(dir, 'latin1.yaml');
    writeFileSync(path, Buffer.from([0x6e, 0x3a, 0x20, 0xe9, 0x0a]));
    expect((await usageMessageAsync(() => readSpecFile(path))).message).toBe(`${path}: is not UTF-8 text`);
  });

  it('reads a file with a byte-order mark', async () => {
    const path = join(dir, 'bom.yaml');
    writeFileSync(path, '\ufeffname: demo\n');
    expect(await readSpecFile(path)).toEqual({ name: 'demo' });
  });

  it('refuses a device such as /dev/zero before reading it', async () => {
    const error = await usageMessageAsync(() => readSpecFile('/dev/zero'));
    expect(error.message).toBe('/dev/zero: is not a regular file (a device); --config takes a cluster.yaml file');
  });

  it('refuses a named pipe at once instead of blocking in open() until a writer comes', async () => {
    const fifo = join(dir, 'pipe.yaml');
    execFileSync('mkfifo', [fifo]);
    // A blocking open() would never return (nothing writes to the pipe): the test would time out.
    const error = await usageMessageAsync(() => readSpecFile(fifo));
    expect(error.message).toBe(`${fifo}: is not a regular file (a named pipe); --config takes a cluster.yaml file`);
  });

  it('refuses a folder', async () => {
    const error = await usageMessageAsync(() => readSpecFile(dir));
    expect(error.message).toBe(`${dir}: is not a regular file (a directory); --config takes a cluster.yaml file`);
  });
});

describe('parseSpecYaml keys', () => {
  it('refuses a mapping used as a key', () => {
    expect(usageMessage(() => parseSpecYaml('name: demo\n? { a: 1 }\n: x\n', 'key.yaml'))).toBe(
      'key.yaml: uses a list, mapping or alias as a key (line 2); keys must be plain names',
    );
  });
});
