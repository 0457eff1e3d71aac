/**
 * The one rule on the Packer version (doctor, init's preflight and its dry run, review P11), and
 * checkPacker on stand-in binaries. The real Debian Packer 1.6.6 is in test/e2e/cli/packer-version.test.ts.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkPacker, packerVersionProblem } from '../../../../src/tools/packer.js';

const work = mkdtempSync(join(tmpdir(), 'k8sb-packer-rule-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function binWith(script: string): string {
  const bin = mkdtempSync(join(work, 'bin-'));
  writeFileSync(join(bin, 'packer'), `#!/bin/sh\n${script}\n`);
  chmodSync(join(bin, 'packer'), 0o755);
  return bin;
}

describe('packerVersionProblem', () => {
  it.each(['1.6.6', '1.6.0', '0.12.3'])('%s is too old: it names the version and 1.7.0', (version) => {
    expect(packerVersionProblem(version)).toBe(
      `packer ${version} is older than 1.7.0: it cannot read required_plugins or run packer init, which the node image templates need`,
    );
  });

  it.each(['1.7.0', '1.11.2', '2.0.0'])('%s can build the templates', (version) => {
    expect(packerVersionProblem(version)).toBeUndefined();
  });
});

describe('checkPacker', () => {
  it('reads the version of the packer on PATH and applies the rule', async () => {
    const old = binWith("echo '1795430969,,version,1.6.6'");
    expect(await checkPacker({ PATH: old })).toEqual({ path: join(old, 'packer'), version: '1.6.6', problem: expect.stringMatching(/older than 1\.7\.0/) });
    const newer = binWith("echo '1795430969,,version,1.11.2'");
    expect(await checkPacker({ PATH: newer })).toEqual({ path: join(newer, 'packer'), version: '1.11.2' });
  });

  it('no packer, or one whose version cannot be read, is a problem too', async () => {
    expect(await checkPacker({ PATH: mkdtempSync(join(work, 'empty-')) })).toEqual({ problem: 'packer was not found on PATH' });
    const garbled = binWith('echo "not a packer"');
    expect((await checkPacker({ PATH: garbled })).problem).toMatch(/version failed: could not read the Packer version/);
  });
});
