/** `config schema | example | validate`, run in-process through the real CLI entry point. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../../src/cli/context.js';
import { main } from '../../../src/cli/main.js';
import { parseSpecYaml } from '../../../src/config/load.js';
import { SCHEMA_REF } from '../../../src/config/schema.js';
import { validateSpec } from '../../../src/config/validate/index.js';

function capture(): Writable & { text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
  return Object.assign(stream, { text: () => chunks.join('') });
}

async function run(args: string[], cwd = process.cwd()) {
  const stdout = capture();
  const stderr = capture();
  const io: CliIo = { stdout, stderr, stdin: Readable.from([]), env: { CI: 'true' }, cwd };
  const code = await main(['node', 'k8s-bootstrap', ...args], io);
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe('k8s-bootstrap config', () => {
  it('schema prints valid JSON Schema', async () => {
    const result = await run(['config', 'schema']);
    expect(result.code).toBe(0);
    const schema = JSON.parse(result.stdout) as { $schema: string; $id: string };
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.$id).toBeUndefined();
  });

  it('example --provider static prints a configuration that validates', async () => {
    const result = await run(['config', 'example', '--provider', 'static']);
    expect(result.code).toBe(0);
    expect(result.stdout.startsWith(`# yaml-language-server: $schema=${SCHEMA_REF}\n`)).toBe(true);
    const spec = validateSpec(parseSpecYaml(result.stdout, 'stdout'));
    expect(spec.provider.name).toBe('static');
  });

  it('example defaults to exoscale', async () => {
    const result = await run(['config', 'example']);
    expect(result.code).toBe(0);
    expect(validateSpec(parseSpecYaml(result.stdout, 'stdout')).provider.name).toBe('exoscale');
  });

  const dir = mkdtempSync(join(tmpdir(), 'k8sb-config-'));

  it('validate accepts a good file', async () => {
    const example = await run(['config', 'example', '--provider', 'aws']);
    writeFileSync(join(dir, 'good.yaml'), example.stdout);
    const result = await run(['-c', 'good.yaml', 'config', 'validate'], dir);
    expect(result.stdout).toBe('ok: good.yaml is a valid cluster configuration\n');
    expect(result.code).toBe(0);
  });

  it('validate -c bad.yaml exits 2 and names the field, value and fix', async () => {
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, 'apiVersion: k8s-bootstrap.io/v1alpha1\nkind: Cluster\nname: demo\nprovider:\n  name: aws\ncontrolPlane:\n  count: 2\nssh:\n  adminCidrs: [203.0.113.0/24]\n');
    const result = await run(['config', 'validate', '-c', path]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('controlPlane.count: must be 1, 3 or 5');
    expect(result.stderr).toContain('(got 2)');
    expect(result.stdout).toBe('');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('validate with broken YAML exits 2 with line and column', async () => {
    const path = join(dir, 'broken.yaml');
    writeFileSync(path, 'name: demo\nname: again\n');
    const result = await run(['config', 'validate', '--config', path]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${path}:2:1: Map keys must be unique`);
  });

  it('validate without --config exits 2 and names the flag', async () => {
    const result = await run(['config', 'validate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('pass --config <file>');
  });

  it('validate with a missing file exits 2 naming the path and --config', async () => {
    const result = await run(['config', 'validate', '-c', 'nope.yaml'], dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`Configuration file not found: ${join(dir, 'nope.yaml')} (given with --config)`);
  });
});
