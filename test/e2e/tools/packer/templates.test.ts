/**
 * The shipped Packer templates: formatted HCL that parses, the required plugins, credentials only
 * from the environment, and the variables file k8s-bootstrap writes accepted by a real Packer.
 *
 * Packer 1.6.6 (the Debian/Ubuntu package on the dev machine) parses HCL with `packer fmt -check`
 * (a syntax error exits 1, unformatted exits 3), but cannot evaluate `packer { required_plugins }`
 * (added in 1.7). So structure is checked with `packer validate -syntax-only` on a copy without
 * that block, and the openstack template — whose builder 1.6.6 still bundles — is fully validated
 * against a loopback auth URL: the only error left must be the refused connection.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preparePackerDir, type BuildPlace } from '../../../../src/providers/image.js';
import { clusterSpecSchema } from '../../../../src/config/schema.js';
import { renderTemplate, templatePath, templatesRoot, templateVariables, TemplateError } from '../../../../src/tools/template.js';
import { hasCommand, missingRequirement } from '../../../helpers/require-tool.js';

const PROVIDERS = ['exoscale', 'openstack', 'aws'] as const;
const PLUGIN_SOURCES = {
  exoscale: 'github.com/exoscale/exoscale',
  openstack: 'github.com/hashicorp/openstack',
  aws: 'github.com/hashicorp/amazon',
};
const PACKER_ENV = { ...process.env, CHECKPOINT_DISABLE: '1' };

/** Latest plugin releases, from the plugin repositories' tags: v1.8.2, v0.5.2, v1.1.4. */
const PLUGIN_VERSIONS = { aws: '~> 1.8', exoscale: '~> 0.5.2', openstack: '~> 1.1' };

/** The top-level `build { … }` block (the templates end with it). */
function buildBlock(hcl: string): string {
  const start = hcl.indexOf('\nbuild {\n');
  expect(start).toBeGreaterThan(0);
  return hcl.slice(start + 1);
}

/** What the image-build module hands over, as buildPlaceFromOutputs makes it. */
const PLACE: BuildPlace = { securityGroups: ['demo-image-build'], networks: ['6a2b1c0d-3e4f-4a5b-8c6d-7e8f9a0b1c2d'] };

/** A spec of each provider with every optional image-build field set. */
function fullSpec(provider: (typeof PROVIDERS)[number]) {
  const providers = {
    exoscale: { name: 'exoscale' },
    aws: { name: 'aws', imageBuild: { subnetId: 'subnet-0123456789abcdef0', vpcId: 'vpc-0123456789abcdef0' } },
    openstack: { name: 'openstack', cloud: 'mycloud', imageBuild: { securityGroups: ['egress-proxy'] } },
  };
  return clusterSpecSchema.parse({ apiVersion: 'k8s-bootstrap.io/v1alpha1', kind: 'Cluster', name: 'demo', provider: providers[provider] });
}

function withoutPackerBlock(hcl: string): string {
  return hcl.replace(/^packer \{\n[\s\S]*?\n\}\n/m, '');
}

describe('Packer templates (static checks)', () => {
  it.each(PROVIDERS)('%s declares its plugin and takes credentials only from env()', async (provider) => {
    const hcl = await readFile(templatePath('packer', `${provider}.pkr.hcl`), 'utf8');
    expect(hcl).toMatch(new RegExp(`required_plugins \\{[\\s\\S]*source\\s+= "${PLUGIN_SOURCES[provider].replaceAll('.', '\\.')}"`));
    expect(hcl).toContain(`execute_command = "sudo -n env {{ .Vars }} bash '{{ .Path }}'"`);
    expect(hcl).toMatch(/post-processor "manifest" \{\s*output\s+= "packer-manifest.json"/);
    for (const name of ['kubernetes_version', 'kubernetes_minor', 'runtime', 'image_name', 'base_image', 'instance_type']) {
      expect(hcl).toContain(`variable "${name}"`);
    }
    // Any credential-looking variable must default to env(...) and nothing else.
    for (const match of hcl.matchAll(/variable "([a-z_]*(?:key|secret|password|token)[a-z_]*)" \{([\s\S]*?)\n\}/g)) {
      expect(match[2]).toMatch(/default\s+= env\("[A-Z_]+"\)/);
    }
    expect(hcl).not.toMatch(/AKIA|-----BEGIN/);
  });

  it.each(PROVIDERS)('%s pins its plugin with ~> and clears Packer\'s key from authorized_keys', async (provider) => {
    const hcl = await readFile(templatePath('packer', `${provider}.pkr.hcl`), 'utf8');
    expect(hcl).toMatch(new RegExp(`version = "${PLUGIN_VERSIONS[provider].replaceAll('.', '\\.')}"\\n\\s*source\\s+= "${PLUGIN_SOURCES[provider].replaceAll('.', '\\.')}"`));
    expect(hcl).not.toMatch(/version\s*=\s*">=/);
    expect(hcl).toMatch(/^\s+ssh_clear_authorized_keys = true$/m);
  });

  it('the build block is the same in the three templates apart from its sources', async () => {
    const blocks = await Promise.all(PROVIDERS.map(async (provider) => buildBlock(await readFile(templatePath('packer', `${provider}.pkr.hcl`), 'utf8'))));
    const normalised = blocks.map((block) => block.replace(/sources = \["source\.[a-z-]+\.node"\]/, 'sources = [SOURCE]'));
    expect(normalised[1]).toBe(normalised[0]);
    expect(normalised[2]).toBe(normalised[0]);
    expect(blocks.map((block) => /sources = \["(source\.[a-z-]+\.node)"\]/.exec(block)?.[1])).toEqual(['source.exoscale.node', 'source.openstack.node', 'source.amazon-ebs.node']);
  });

  it.each(PROVIDERS)('%s runs apt only through prepare-node.sh, which waits for the dpkg lock', async (provider) => {
    const hcl = await readFile(templatePath('packer', `${provider}.pkr.hcl`), 'utf8');
    const code = hcl.split('\n').filter((line) => !/^\s*#/.test(line));
    expect(code.filter((line) => /\bapt(-get)?\s/.test(line))).toEqual([]);
    const script = await readFile(templatePath('scripts', 'prepare-node.sh'), 'utf8');
    expect(script).toMatch(/apt_get\(\) \{ apt-get -o DPkg::Lock::Timeout=/);
    // Every apt-get of the script goes through that wrapper.
    expect(script.split('\n').filter((line) => /^\s*apt-get\s/.test(line))).toEqual([]);
  });

  it('exoscale: no template password, and the build instance in the image-build group', async () => {
    const exoscale = await readFile(templatePath('packer', 'exoscale.pkr.hcl'), 'utf8');
    expect(exoscale).toMatch(/^\s+template_disable_password = true$/m);
    expect(exoscale).toMatch(/^\s+instance_security_groups = var\.security_groups$/m);
  });

  it('aws: SSH to the build instance only from this machine, in the subnet the spec names', async () => {
    const aws = await readFile(templatePath('packer', 'aws.pkr.hcl'), 'utf8');
    expect(aws).toMatch(/^\s+temporary_security_group_source_public_ip = true$/m);
    expect(aws).not.toMatch(/temporary_security_group_source_cidrs/);
    expect(aws).toMatch(/^\s+subnet_id\s+= var\.subnet_id$/m);
    expect(aws).toMatch(/^\s+vpc_id\s+= var\.vpc_id$/m);
    expect(aws).toMatch(/^\s+associate_public_ip_address = var\.subnet_id != "" \? true : null$/m);
  });

  it('openstack: the newest image of the name, the given networks and security groups', async () => {
    const openstack = await readFile(templatePath('packer', 'openstack.pkr.hcl'), 'utf8');
    expect(openstack).not.toMatch(/source_image_name/);
    expect(openstack).toMatch(/source_image_filter \{\s*filters \{\s*name = var\.base_image\s*\}\s*most_recent = true\s*\}/);
    expect(openstack).toMatch(/^\s+networks\s+= var\.networks$/m);
    expect(openstack).toMatch(/^\s+security_groups\s+= var\.security_groups$/m);
  });

  it('exoscale and aws set the documented source arguments', async () => {
    const exoscale = await readFile(templatePath('packer', 'exoscale.pkr.hcl'), 'utf8');
    expect(exoscale).toMatch(/template_zones\s+= \[var\.zone\]/);
    expect(exoscale).toMatch(/default\s+= env\("EXOSCALE_API_SECRET"\)/);
    const aws = await readFile(templatePath('packer', 'aws.pkr.hcl'), 'utf8');
    expect(aws).toContain('owners      = ["099720109477"]');
    expect(aws).toContain('imds_support  = "v2.0"');
    expect(aws).toMatch(/ami_name\s+= "\$\{var\.image_name\}-\$\{local\.timestamp\}"/);
  });
});

describe('variables file vs template', () => {
  it.each(PROVIDERS.flatMap((provider) => [[provider, 'minimal'], [provider, 'every image-build field and the build place']] as const))('%s (%s): every written variable is declared, every variable without default is written', async (provider, variant) => {
    const dir = await mkdtemp(join(tmpdir(), 'k8sb-vars-'));
    try {
      const full = variant !== 'minimal';
      const spec = full ? fullSpec(provider) : clusterSpecSchema.parse({ apiVersion: 'k8s-bootstrap.io/v1alpha1', kind: 'Cluster', name: 'demo', provider: { name: provider } });
      const files = await preparePackerDir(dir, spec, full && provider !== 'aws' ? PLACE : undefined);
      const hcl = await readFile(files.template, 'utf8');
      const declared = new Map([...hcl.matchAll(/variable "([a-z_]+)" \{([\s\S]*?)\n\}/g)].map((m) => [m[1]!, /\bdefault\s+=/.test(m[2]!)]));
      const written = Object.keys(JSON.parse(await readFile(files.varFile, 'utf8')) as object);
      for (const name of written) expect(declared.has(name), `${name} declared in ${provider}.pkr.hcl`).toBe(true);
      for (const [name, hasDefault] of declared) if (!hasDefault) expect(written, `${name} written`).toContain(name);
      if (full) {
        const expected = { exoscale: ['security_groups'], aws: ['subnet_id', 'vpc_id'], openstack: ['security_groups', 'networks', 'cloud'] }[provider];
        expect(written).toEqual(expect.arrayContaining(expected));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

const noPacker = missingRequirement(hasCommand('packer'), 'packer is not on PATH (apt install packer)');

describe.skipIf(noPacker)('Packer templates parsed by the real packer', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'k8sb-pkr-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('every template passes packer fmt -check (an HCL parse)', async () => {
    const files = (await readdir(join(templatesRoot(), 'packer'))).filter((name) => name.endsWith('.pkr.hcl'));
    expect(files.sort()).toEqual(['aws.pkr.hcl', 'exoscale.pkr.hcl', 'openstack.pkr.hcl']);
    for (const file of files) {
      const result = spawnSync('packer', ['fmt', '-check', join(templatesRoot(), 'packer', file)], { env: PACKER_ENV, encoding: 'utf8' });
      expect({ file, status: result.status, output: result.stdout + result.stderr }).toEqual({ file, status: 0, output: '' });
    }
  });

  it('packer fmt -check does reject broken HCL (the check can fail)', async () => {
    const broken = join(dir, 'broken.pkr.hcl');
    await writeFile(broken, 'source "null" "x" {\n  a = \n');
    expect(spawnSync('packer', ['fmt', '-check', broken], { env: PACKER_ENV }).status).not.toBe(0);
  });

  it.each(PROVIDERS)('%s passes packer validate -syntax-only', async (provider) => {
    const copy = join(dir, `${provider}.pkr.hcl`);
    await writeFile(copy, withoutPackerBlock(await readFile(templatePath('packer', `${provider}.pkr.hcl`), 'utf8')));
    const result = spawnSync('packer', ['validate', '-syntax-only', copy], { env: PACKER_ENV, encoding: 'utf8' });
    expect(result.stdout + result.stderr).toContain('Syntax-only check passed');
    expect(result.status).toBe(0);
  });

  it('openstack: the generated variables file and every builder argument are accepted', async () => {
    const clusterDir = join(dir, 'cluster');
    const spec = clusterSpecSchema.parse({
      apiVersion: 'k8s-bootstrap.io/v1alpha1',
      kind: 'Cluster',
      name: 'demo',
      provider: { name: 'openstack' },
    });
    // With the build place, so networks and security_groups are checked by the builder too.
    const files = await preparePackerDir(clusterDir, spec, PLACE);
    await writeFile(files.template, withoutPackerBlock(await readFile(files.template, 'utf8')));
    const result = spawnSync('packer', ['validate', `-var-file=${files.varFile}`, files.template], {
      encoding: 'utf8',
      timeout: 30_000,
      env: {
        ...PACKER_ENV,
        // Loopback port 1: nothing listens, so the builder's auth attempt is refused at once.
        OS_AUTH_URL: 'http://127.0.0.1:1/v3',
        OS_USERNAME: 'u',
        OS_PASSWORD: 'p',
        OS_USER_DOMAIN_NAME: 'Default',
        OS_PROJECT_DOMAIN_NAME: 'Default',
        OS_PROJECT_NAME: 'demo',
        OS_CLOUD: '',
      },
    });
    const output = result.stdout + result.stderr;
    expect(output).toContain('connection refused');
    expect(output).not.toMatch(/Unsupported argument|Undefined variable|Unsupported block|Missing required/);
  });
});

describe('renderTemplate', () => {
  it('fills every placeholder', () => {
    expect(renderTemplate('host={{host}} port={{ port }}', { host: 'cp-1', port: 6443 })).toBe('host=cp-1 port=6443');
    expect(templateVariables('{{a}} {{ b }} {{a}}')).toEqual(['a', 'b']);
  });

  it('refuses a placeholder without a value and a value without a placeholder', () => {
    expect(() => renderTemplate('{{host}} {{port}}', { host: 'x' }, 't.yaml')).toThrow(/t\.yaml: no value for \{\{port\}\}/);
    expect(() => renderTemplate('{{host}}', { host: 'x', extra: 'y' })).toThrow(TemplateError);
  });

  it('leaves Go template syntax such as {{ .Path }} alone', () => {
    expect(renderTemplate("bash '{{ .Path }}' {{x}}", { x: '1' })).toBe("bash '{{ .Path }}' 1");
  });

  it('finds the package templates folder', () => {
    expect(execFileSync('test', ['-f', templatePath('scripts', 'prepare-node.sh')]).length).toBe(0);
    expect(() => templatePath('..', 'package.json')).toThrow(TemplateError);
  });
});
