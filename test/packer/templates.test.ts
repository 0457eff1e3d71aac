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
import { preparePackerDir } from '../../src/providers/image.js';
import { clusterSpecSchema } from '../../src/spec/schema.js';
import { renderTemplate, templatePath, templatesRoot, templateVariables, TemplateError } from '../../src/tools/template.js';
import { hasCommand, missingRequirement } from '../helpers/require-tool.js';

const PROVIDERS = ['exoscale', 'openstack', 'aws'] as const;
const PLUGIN_SOURCES = {
  exoscale: 'github.com/exoscale/exoscale',
  openstack: 'github.com/hashicorp/openstack',
  aws: 'github.com/hashicorp/amazon',
};
const PACKER_ENV = { ...process.env, CHECKPOINT_DISABLE: '1' };

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
  it.each(PROVIDERS)('%s: every written variable is declared, every variable without default is written', async (provider) => {
    const dir = await mkdtemp(join(tmpdir(), 'k8sb-vars-'));
    try {
      const spec = clusterSpecSchema.parse({ apiVersion: 'k8s-bootstrap.io/v1alpha1', kind: 'Cluster', name: 'demo', provider: { name: provider } });
      const files = await preparePackerDir(dir, spec);
      const hcl = await readFile(files.template, 'utf8');
      const declared = new Map([...hcl.matchAll(/variable "([a-z_]+)" \{([\s\S]*?)\n\}/g)].map((m) => [m[1]!, /\bdefault\s+=/.test(m[2]!)]));
      const written = Object.keys(JSON.parse(await readFile(files.varFile, 'utf8')) as object);
      for (const name of written) expect(declared.has(name), `${name} declared in ${provider}.pkr.hcl`).toBe(true);
      for (const [name, hasDefault] of declared) if (!hasDefault) expect(written, `${name} written`).toContain(name);
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
    const files = await preparePackerDir(clusterDir, spec);
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
