/**
 * AWS image ids (review finding P1): amazon-ebs reports "<region>:<ami-id>", several sorted and
 * joined with "," when the AMI is copied to more regions (hashicorp/packer-plugin-amazon
 * builder/common/artifact.go, Artifact.Id). Terraform must get the bare "ami-…" of
 * provider.region, from a fresh build and from a state.json an older version wrote.
 */
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExternalToolError } from '../../../../src/errors.js';
import { awsAdapter } from '../../../../src/providers/aws.js';
import { decideImageBuild, imageInputsHash, nodeImageId, specImageInputs, terraformImageId } from '../../../../src/providers/image.js';
import { clusterSpecSchema, type ClusterSpec, type ClusterSpecInput } from '../../../../src/config/schema.js';
import { PackerCli } from '../../../../src/tools/packer.js';
import { runCli } from '../../../helpers/fake-io.js';
import { hasCommand, missingRequirement } from '../../../helpers/require-tool.js';

const AMI = 'ami-0123456789abcdef0';
const OTHER = 'ami-0fedcba9876543210';
/** What `packer build -machine-readable` prints for an AMI built in eu-west-1 and copied to eu-central-1 (commas escaped). */
const ARTIFACT_LINE = `1795431100,amazon-ebs.node,artifact,0,id,eu-central-1:${OTHER}%!(PACKER_COMMA)eu-west-1:${AMI}`;

function spec(provider: ClusterSpecInput['provider'], extra: Partial<ClusterSpecInput> = {}): ClusterSpec {
  return clusterSpecSchema.parse({ apiVersion: 'k8s-bootstrap.io/v1alpha1', kind: 'Cluster', name: 'demo', provider, ssh: { adminCidrs: ['203.0.113.0/24'] }, ...extra });
}

const westSpec = spec({ name: 'aws', region: 'eu-west-1' });

describe('nodeImageId', () => {
  it('takes the AMI of provider.region from one or several "<region>:<ami>" entries', () => {
    expect(nodeImageId(westSpec, `eu-west-1:${AMI}`, 'test')).toBe(AMI);
    expect(nodeImageId(westSpec, `eu-central-1:${OTHER},eu-west-1:${AMI}`, 'test')).toBe(AMI);
    expect(nodeImageId(westSpec, AMI, 'test')).toBe(AMI);
  });

  it('fails clearly when the region is not among them', () => {
    const error = (() => {
      try {
        return nodeImageId(westSpec, `eu-central-1:${OTHER},us-east-1:${AMI}`, 'the Packer artifact id');
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ExternalToolError);
    expect((error as ExternalToolError).code).toBe('ImageNotInRegion');
    expect((error as ExternalToolError).message).toMatch(/no AMI in provider\.region eu-west-1 \(only eu-central-1, us-east-1\)/);
    expect((error as ExternalToolError).hint).toMatch(/--rebuild-image/);
  });

  it('leaves other clouds\' ids alone', () => {
    const uuid = '6a2b1c0d-3e4f-4a5b-8c6d-7e8f9a0b1c2d';
    expect(nodeImageId(spec({ name: 'exoscale' }), uuid, 'test')).toBe(uuid);
    expect(nodeImageId(spec({ name: 'openstack' }), uuid, 'test')).toBe(uuid);
  });

  it('strips an id reused from an older state.json and a region-qualified image.id', () => {
    const hash = imageInputsHash(specImageInputs(westSpec));
    const legacy = { image: { id: `eu-west-1:${AMI}`, inputsHash: hash, builtAt: '2026-01-01T00:00:00Z' } };
    expect(decideImageBuild(westSpec, legacy)).toMatchObject({ action: 'reuse', imageId: AMI });
    expect(terraformImageId(westSpec, legacy)).toBe(AMI);
    const named = spec({ name: 'aws', region: 'eu-west-1' }, { image: { id: `eu-west-1:${AMI}` } });
    expect(decideImageBuild(named, undefined)).toMatchObject({ action: 'use-spec-id', imageId: AMI });
  });

  it('an image of another region is not reused: the region is part of the image inputs', () => {
    const hash = imageInputsHash(specImageInputs(westSpec));
    const moved = spec({ name: 'aws', region: 'eu-central-1' });
    expect(decideImageBuild(moved, { image: { id: AMI, inputsHash: hash, builtAt: '' } }).action).toBe('build');
  });
});

describe('from the Packer stream to the Terraform variables', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'k8sb-amiid-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a real machine-readable artifact line becomes a bare image_id', async () => {
    writeFileSync(join(dir, 'node.pkr.hcl'), '# stand-in\n');
    const packerPath = join(dir, 'packer');
    writeFileSync(packerPath, `#!/bin/sh\necho '${ARTIFACT_LINE}'\n`);
    chmodSync(packerPath, 0o755);
    const result = await new PackerCli(packerPath).build({ template: join(dir, 'node.pkr.hcl') });
    expect(result.artifactId).toBe(`eu-central-1:${OTHER},eu-west-1:${AMI}`);
    const imageId = nodeImageId(westSpec, result.artifactId, 'the Packer artifact id');
    expect(awsAdapter.tfvars(westSpec, { sshPublicKey: 'ssh-ed25519 AAAA test', imageId }).image_id).toBe(AMI);
  });
});

const noTerraform = missingRequirement(hasCommand('terraform'), 'terraform is not on PATH: the image id flow test needs it');

/**
 * The whole flow through the CLI: a stand-in packer on PATH prints the real artifact line, the
 * real terraform runs a module with the built-in module's inputs that fails on purpose after
 * terraform.tfvars.json is written, so no machine and no SSH are needed.
 */
describe.skipIf(noTerraform)('init --provider aws: the image id Terraform gets', () => {
  let cwd: string;
  let clusterDir: string;
  let moduleDir: string;
  let binDir: string;

  const init = () =>
    runCli(
      [
        '--dir', clusterDir, '--output', 'plain', '--yes', 'init', '--name', 'amiid', '--provider', 'aws', '--region', 'eu-west-1',
        '--admin-cidr', '203.0.113.0/24', '--workers', '1', '--ssh-user', 'ubuntu', '--cni', 'flannel',
      ],
      {
        cwd,
        env: {
          AWS_ACCESS_KEY_ID: 'AKIAFAKEAMIIDTEST001',
          AWS_SECRET_ACCESS_KEY: 'fake-secret-ami-id-test-0123456789',
          K8SB_TERRAFORM_MODULE_DIR: moduleDir,
          PATH: `${binDir}:${process.env.PATH ?? ''}`,
        },
      },
    );
  const tfvarsImageId = () => (JSON.parse(readFileSync(join(clusterDir, 'terraform', 'terraform.tfvars.json'), 'utf8')) as { image_id: string }).image_id;
  const stateFile = () => join(clusterDir, 'state.json');

  beforeAll(() => {
    cwd = mkdtempSync(join(tmpdir(), 'k8sb-amiflow-'));
    clusterDir = join(cwd, 'cluster');
    moduleDir = join(cwd, 'module');
    binDir = join(cwd, 'bin');
    cpSync(resolve(import.meta.dirname, '../../../fixtures/terraform/fake'), moduleDir, { recursive: true });
    writeFileSync(join(moduleDir, 'fail.auto.tfvars.json'), JSON.stringify({ fail: true }));
    // A Packer new enough for the templates (>= 1.7, so preflight lets it through and `packer init`
    // runs); a build prints the artifact line as amazon-ebs does.
    const packer = join(binDir, 'packer');
    mkdirSync(binDir);
    writeFileSync(packer, `#!/bin/sh\ncase "$1" in\n  version) echo '1795430969,,version,1.11.2' ;;\n  init) exit 0 ;;\n  build) echo '1795431100,,ui,say,==> amazon-ebs.node: AMIs were created:'; echo '${ARTIFACT_LINE}' ;;\nesac\n`);
    chmodSync(packer, 0o755);
  });
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('records the bare id of a new build and hands it to Terraform', async () => {
    const run = await init();
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain('fake worker failed on purpose');
    const state = JSON.parse(readFileSync(stateFile(), 'utf8')) as { image?: { id: string } };
    expect(state.image?.id).toBe(AMI);
    expect(tfvarsImageId()).toBe(AMI);
  }, 180_000);

  it('strips an id an older version recorded in state.json', async () => {
    const state = JSON.parse(readFileSync(stateFile(), 'utf8')) as { image: { id: string } };
    state.image.id = `eu-west-1:${AMI}`;
    writeFileSync(stateFile(), JSON.stringify(state, null, 2));
    rmSync(join(clusterDir, 'terraform', 'terraform.tfvars.json'));
    const run = await init();
    expect(run.code, run.stderr).toBe(1);
    expect(tfvarsImageId()).toBe(AMI);
  }, 180_000);
});
