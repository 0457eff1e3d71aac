/**
 * `k8s-bootstrap doctor` against the tools really installed on this machine: it reads the
 * versions terraform, packer and ssh print. The in-process cases with stand-in binaries are in
 * test/unit/cli/doctor.test.ts; this one needs the real programs, so it is e2e.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/fake-io.js';
import { resultOf } from '../../helpers/json-lines.js';
import { hasCommand, missingRequirement } from '../../helpers/require-tool.js';

const noRealTools = missingRequirement(hasCommand('terraform') && hasCommand('packer') && hasCommand('ssh'), 'terraform, packer and ssh are not all on PATH');

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'k8sb-doctor-tools-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

describe.skipIf(noRealTools)('doctor with the real tools', () => {
  it('reports the versions of the installed terraform, packer and ssh', async () => {
    const run = await runCli(['--output', 'json', 'doctor'], { cwd: home, env: { PATH: process.env.PATH } });
    const report = resultOf(run.stdout, 'doctor') as unknown as { tools: Array<{ name: string; found: boolean; version?: string }> };
    for (const name of ['terraform', 'packer']) {
      expect(report.tools.find((tool) => tool.name === name)?.version).toMatch(/^\d+\.\d+\.\d+/);
    }
    expect(report.tools.find((tool) => tool.name === 'ssh')?.version).toMatch(/^OpenSSH_/);
  });
});
