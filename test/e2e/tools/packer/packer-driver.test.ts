/**
 * The Packer driver against the real packer binary (1.6.6 from Debian/Ubuntu on the dev machine)
 * and a null-builder template: no cloud, no network.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AbortError, ExternalToolError } from '../../../../src/errors.js';
import { PackerCli, type PackerEvent } from '../../../../src/tools/packer.js';
import { hasCommand, missingRequirement } from '../../../helpers/require-tool.js';

const FIXTURE = fileURLToPath(new URL('../../../fixtures/packer/null.pkr.hcl', import.meta.url));
const noPacker = missingRequirement(hasCommand('packer'), 'packer is not on PATH (apt install packer)');

describe.skipIf(noPacker)('PackerCli with real packer and the null builder', () => {
  let dir: string;
  let template: string;
  const packer = new PackerCli();

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'k8sb-packer-'));
    template = join(dir, 'null.pkr.hcl');
    await copyFile(FIXTURE, template);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function varFile(commands: string[]): Promise<string> {
    // Named like the real one: Packer reads any -var-file ending in .json as JSON.
    const path = join(dir, 'variables.pkrvars.json');
    await writeFile(path, JSON.stringify({ commands }));
    return path;
  }

  it('reads the version', async () => {
    expect(await packer.version()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('init is skipped with a notice before 1.7, or runs', async () => {
    const version = await packer.version();
    const result = await packer.init(template);
    if (version.startsWith('1.6.')) {
      expect(result.ran).toBe(false);
      expect(result.notice).toMatch(/has no "packer init"/);
    } else {
      expect(result.ran).toBe(true);
    }
  });

  it('streams step and output events and extracts the artifact id', async () => {
    const events: PackerEvent[] = [];
    const result = await packer.build({
      template,
      varFile: await varFile(['echo hello, world', 'echo second line']),
      onEvent: (event) => events.push(event),
    });
    expect(events).toContainEqual({ type: 'step', builder: 'null.fixture', message: expect.stringMatching(/^Running local shell script/) });
    // The comma arrives as %!(PACKER_COMMA) and must be decoded.
    expect(events).toContainEqual({ type: 'output', builder: 'null.fixture', message: 'hello, world' });
    expect(result.artifactId).toBe('Null');
    expect(result.artifactSource).toBe('machine-readable');
    const manifest = JSON.parse(await readFile(join(dir, 'packer-manifest.json'), 'utf8')) as { last_run_uuid: string };
    expect(manifest.last_run_uuid).toMatch(/-/);
  });

  it('surfaces Packer\'s own error lines when a provisioner fails', async () => {
    const failing = packer.build({ template, varFile: await varFile(['echo about to fail, now >&2', 'exit 3']) });
    const error = await failing.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ExternalToolError);
    expect((error as ExternalToolError).code).toBe('PackerFailed');
    const details = (error as ExternalToolError).details.join('\n');
    expect(details).toContain('about to fail, now');
    expect(details).toMatch(/non-zero exit status: 3/);
  });

  it('stops the build on abort and reports an interruption', { timeout: 25_000 }, async () => {
    const controller = new AbortController();
    const events: PackerEvent[] = [];
    // sleep 30 outlives the test timeout: only a working cancellation lets this test pass.
    const build = packer.build({
      template,
      varFile: await varFile(['echo started', 'sleep 30', 'echo not reached']),
      signal: controller.signal,
      onEvent: (event) => {
        events.push(event);
        // Abort once the provisioner's shell has moved on to `sleep`, as a person's Ctrl-C would.
        if (event.type === 'output' && event.message === 'started') setTimeout(() => controller.abort(), 500);
      },
    });
    const error = await build.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AbortError);
    expect(events.some((event) => event.type === 'error' && /Cancelling build/.test(event.message))).toBe(true);
    expect(events).not.toContainEqual(expect.objectContaining({ message: 'not reached' }));
  });
});
