/**
 * state.json is never silently misread: a newer version, version 0, a missing version or garbage
 * is refused with exit 2 and a message naming the file, before any node is contacted, and the
 * cluster folder is left exactly as it was (no lock, no log, no rewritten state).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/fake-io.js';
import { parseState, STATE_VERSION } from '../../../src/state/state-store.js';
import { UsageError } from '../../../src/errors.js';

let cwd: string;
let dir: string;

/** A static cluster on addresses nobody listens on: a refusal must come before any SSH. */
const STATIC = [
  'init', '--name', 'statev', '--provider', 'static',
  '--control-plane-host', '127.0.251.1,name=cp-1', '--worker-host', '127.0.251.2,name=worker-1',
  '--ssh-user', 'k8sb', '--cni', 'flannel',
];
const run = (...args: string[]) => runCli(['--dir', dir, '--yes', '--output', 'plain', ...args], { cwd });

/** Every file of the folder with its bytes and mode: "nothing changed" means this is equal. */
function snapshot(folder: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (path: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) walk(full);
      else out[full.slice(folder.length)] = `${statSync(full).mode.toString(8)} ${readFileSync(full, 'utf8')}`;
    }
  };
  if (existsSync(folder)) walk(folder);
  return out;
}

beforeEach(async () => {
  cwd = mkdtempSync(join(tmpdir(), 'k8sb-statev-'));
  dir = join(cwd, 'cluster');
  // The cluster folder as init leaves it before touching a node.
  const dry = await run(...STATIC.slice(0, 1), '--dry-run', ...STATIC.slice(1));
  expect(dry.code, dry.stderr).toBe(0);
  expect(existsSync(join(dir, 'state.json'))).toBe(true);
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

const CASES: Array<{ name: string; text: string; message: RegExp; hint: RegExp }> = [
  { name: 'a newer version (99)', text: JSON.stringify({ version: 99, cluster: 'statev', steps: {}, facts: {} }), message: /state version 99, newer than this k8s-bootstrap understands/, hint: /Use the newer k8s-bootstrap that wrote it/ },
  { name: 'version 0 (older than any release)', text: JSON.stringify({ version: 0, cluster: 'statev', steps: {} }), message: /state version 0, which cannot be migrated/, hint: /older k8s-bootstrap/ },
  { name: 'no version field', text: JSON.stringify({ cluster: 'statev', steps: {} }), message: /has no state version/, hint: /not written by k8s-bootstrap/ },
  { name: 'a version that is not a number', text: JSON.stringify({ version: '1', steps: {} }), message: /has no state version/, hint: /move it away/ },
  { name: 'garbage bytes', text: '\u0000\u0001garbage{{{', message: /is not valid JSON/, hint: /Restore it from a backup, or delete it/ },
  { name: 'a truncated file', text: '{"version": 1, "cluster": "statev", "steps": {"init:cp-1": {"finishedAt"', message: /is not valid JSON/, hint: /delete it/ },
  { name: 'JSON null', text: 'null', message: /has no state version/, hint: /move it away/ },
];

describe('state.json that this version cannot read', () => {
  for (const c of CASES) {
    it(`init refuses ${c.name} with exit 2, a hint, and changes nothing`, async () => {
      writeFileSync(join(dir, 'state.json'), c.text);
      const before = snapshot(dir);
      const result = await run(...STATIC);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(join(dir, 'state.json'));
      expect(result.stderr).toMatch(c.message);
      expect(result.stderr).toMatch(c.hint);
      expect(result.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/); // no stack trace
      expect(snapshot(dir)).toEqual(before);
    });
  }

  it('status (read-only) refuses a newer state the same way and writes nothing', async () => {
    writeFileSync(join(dir, 'state.json'), CASES[0]!.text);
    const before = snapshot(dir);
    const result = await run('status');
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/state version 99/);
    expect(snapshot(dir)).toEqual(before);
  });
});

describe('parseState', () => {
  it('reads the current version and refuses every other one', () => {
    expect(parseState(JSON.stringify({ version: STATE_VERSION, cluster: 'x', steps: { a: { finishedAt: 't' } }, facts: {} }), 's').steps).toEqual({ a: { finishedAt: 't' } });
    for (const version of [0, -1, STATE_VERSION + 1, 99]) {
      expect(() => parseState(JSON.stringify({ version, steps: {} }), 's')).toThrow(UsageError);
    }
  });
});
