/**
 * Artifact id from the manifest post-processor, for builders whose machine-readable output has no
 * `artifact,N,id` line. A stand-in packer script writes the manifest the way Packer does
 * (builds appended, last_run_uuid naming the latest run).
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExternalToolError } from '../../../../src/errors.js';
import { PackerCli } from '../../../../src/tools/packer.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8sb-manifest-'));
  await writeFile(join(dir, 'node.pkr.hcl'), '# stand-in\n');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fakePacker(script: string): Promise<PackerCli> {
  const path = join(dir, 'packer');
  await writeFile(path, `#!/bin/sh\n${script}\n`);
  await chmod(path, 0o755);
  return new PackerCli(path);
}

const manifest = (runs: Array<[string, string]>, last: string) =>
  JSON.stringify({ builds: runs.map(([uuid, id]) => ({ name: 'node', artifact_id: id, packer_run_uuid: uuid })), last_run_uuid: last });

describe('artifact id from packer-manifest.json', () => {
  it('takes the build of the last run', async () => {
    const body = manifest([['run-1', 'old-template'], ['run-2', 'new-template-uuid']], 'run-2');
    const packer = await fakePacker(`echo '1,,ui,say,==> exoscale.node: Creating template: k8sb-demo'\necho '${body}' > packer-manifest.json`);
    const result = await packer.build({ template: join(dir, 'node.pkr.hcl') });
    expect(result).toMatchObject({ artifactId: 'new-template-uuid', artifactSource: 'manifest' });
  });

  it('ignores a manifest left over from an earlier run', async () => {
    await writeFile(join(dir, 'packer-manifest.json'), manifest([['run-1', 'old-template']], 'run-1'));
    const packer = await fakePacker(`echo '1,,ui,say,==> exoscale.node: done'`);
    const error = await packer.build({ template: join(dir, 'node.pkr.hcl') }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ExternalToolError);
    expect((error as ExternalToolError).code).toBe('PackerNoArtifact');
  });

  it('prefers the artifact line of the machine-readable stream', async () => {
    const packer = await fakePacker(`echo '1,amazon-ebs.node,artifact,0,id,eu-central-1:ami-0abc'`);
    expect(await packer.build({ template: join(dir, 'node.pkr.hcl') })).toMatchObject({ artifactId: 'eu-central-1:ami-0abc', artifactSource: 'machine-readable' });
  });

  it('reports a missing packer binary as a preflight problem', async () => {
    const error = await new PackerCli(join(dir, 'no-such-packer')).version().catch((caught: unknown) => caught);
    expect((error as ExternalToolError).code).toBe('PackerNotFound');
  });
});
