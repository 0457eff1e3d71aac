/**
 * Exoscale and OpenStack providers cannot be installed here, so `terraform validate` cannot run
 * on those modules. Instead every resource, data source, argument, block and `type.name.attr`
 * reference they use is checked against a snapshot of the provider's schema at the version the
 * module pins (test/terraform/provider-schemas/<provider>-<version>.json; extract-schema.ts
 * says where each was taken from and refreshes it).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseHcl, type HclFile } from '../../helpers/hcl-reader.js';
import { checkModule, formatFinding, pinnedConstraint, type Finding } from './provider-schemas/check-module.js';
import type { ProviderSchemaSnapshot } from './provider-schemas/schema-types.js';
import { constraintAdmits } from './provider-schemas/version-constraint.js';
import { MODULES, REPO } from '../../helpers/terraform.js';

const SCHEMAS = join(import.meta.dirname, 'provider-schemas');

const snapshots: ProviderSchemaSnapshot[] = readdirSync(SCHEMAS)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(SCHEMAS, f), 'utf8')) as ProviderSchemaSnapshot);

/**
 * A module as k8s-bootstrap renders it: the cluster modules get shared/*.tf copied next to their
 * own files; the image-build modules (src/providers/image-build.ts) are copied alone.
 */
function moduleFiles(cloud: string, replace?: { file: string; text: string }): HclFile[] {
  const dirs = cloud.endsWith('-image-build') ? [cloud] : ['shared', cloud];
  return dirs.flatMap((dir) =>
    readdirSync(join(MODULES, dir))
      .filter((f) => f.endsWith('.tf'))
      .sort()
      .map((f) => {
        const path = relative(REPO, join(MODULES, dir, f));
        return parseHcl(replace?.file === path ? replace.text : readFileSync(join(MODULES, dir, f), 'utf8'), path);
      }),
  );
}

const report = (findings: Finding[]) => findings.map(formatFinding).join('\n');

const CLOUDS = [
  { cloud: 'exoscale', provider: 'exoscale/exoscale' },
  { cloud: 'exoscale-image-build', provider: 'exoscale/exoscale' },
  { cloud: 'openstack', provider: 'terraform-provider-openstack/openstack' },
  { cloud: 'openstack-image-build', provider: 'terraform-provider-openstack/openstack' },
].filter(({ cloud }) => cloud.endsWith('-image-build') ? existsSync(join(MODULES, cloud)) : true);

for (const { cloud, provider } of CLOUDS) {
  describe(`${cloud} module against ${provider}'s documented schema`, () => {
    const files = moduleFiles(cloud);
    const ofProvider = snapshots.filter((s) => s.provider === provider);
    const pinned = pinnedConstraint(files, ofProvider[0]!);
    const admitted = ofProvider.filter((s) => pinned?.constraint && constraintAdmits(pinned.constraint, s.version));

    it('pins a version constraint that a stored snapshot satisfies', () => {
      expect(pinned?.constraint, `no version constraint for ${provider} in templates/terraform/${cloud}`).toBeDefined();
      expect(
        admitted.map((s) => s.version),
        `versions.tf pins "${pinned?.constraint}" but the snapshots are ${ofProvider.map((s) => s.version).join(', ')}: take one at the pinned version (extract-schema.ts)`,
      ).not.toEqual([]);
    });

    for (const snapshot of admitted) {
      it(`uses only resources, arguments, blocks and attributes of ${snapshot.version}`, () => {
        const findings = checkModule(files, snapshot).filter((f) => f.kind !== 'deprecated');
        expect(findings, report(findings)).toEqual([]);
      });

      it(`uses nothing ${snapshot.version} marks deprecated`, () => {
        const findings = checkModule(files, snapshot).filter((f) => f.kind === 'deprecated');
        expect(findings, report(findings)).toEqual([]);
      });
    }
  });
}

describe('the conformance check fails on a wrong module', () => {
  const exoscale = snapshots.find((s) => s.provider === 'exoscale/exoscale' && s.version === '0.70.0')!;
  const openstack = snapshots.find((s) => s.provider === 'terraform-provider-openstack/openstack' && s.version === '3.4.0')!;

  /** The module with one edit in the (first) file that contains `from`; fails if none does. */
  function mutated(cloud: string, from: RegExp, to: string): { files: HclFile[]; file: string; line: number } {
    for (const f of readdirSync(join(MODULES, cloud)).filter((name) => name.endsWith('.tf')).sort()) {
      const text = readFileSync(join(MODULES, cloud, f), 'utf8');
      const match = from.exec(text);
      if (!match) continue;
      const file = relative(REPO, join(MODULES, cloud, f));
      // The line of the match's first visible character (a leading \s* may span newlines).
      const line = text.slice(0, match.index + match[0].length - match[0].trimStart().length).split('\n').length;
      return { files: moduleFiles(cloud, { file, text: text.replace(from, to) }), file, line };
    }
    throw new Error(`no file of templates/terraform/${cloud} matches ${from}`);
  }

  it('names file, line, resource and argument for a misspelled argument', () => {
    const { files, file, line } = mutated('exoscale', /^(\s*)ssh_keys(\s*)=/m, '$1ssh_kyes$2=');
    const messages = checkModule(files, exoscale).map(formatFinding);
    expect(messages).toContainEqual(
      expect.stringMatching(new RegExp(`^${file}:${line}: exoscale_compute_instance\\.\\w+: argument "ssh_kyes" does not exist in exoscale/exoscale 0\\.70\\.0 \\(did you mean "ssh_keys"\\?\\)$`)),
    );
  });

  it('reports the deprecated ssh_key (ssh_keys -> ssh_key)', () => {
    const { files, file, line } = mutated('exoscale', /^(\s*)ssh_keys(\s*)=/m, '$1ssh_key $2=');
    const findings = checkModule(files, exoscale);
    expect(findings.map(formatFinding)).toContainEqual(expect.stringMatching(new RegExp(`^${file}:${line}: exoscale_compute_instance\\.\\w+: argument "ssh_key" is deprecated`)));
  });

  it('fails when the provider removes an argument the module sets', () => {
    // A snapshot of a "later release" without the listener's protocol_port.
    const later = structuredClone(openstack);
    const listener = later.resources.openstack_lb_listener_v2!;
    listener.arguments.optional = listener.arguments.optional.filter((a) => a !== 'protocol_port');
    listener.arguments.required = listener.arguments.required.filter((a) => a !== 'protocol_port');
    const messages = checkModule(moduleFiles('openstack'), later).map(formatFinding);
    expect(messages).toContainEqual(expect.stringMatching(/: openstack_lb_listener_v2\.\w+: argument "protocol_port" does not exist in terraform-provider-openstack\/openstack 3\.4\.0$/));
  });

  it('fails when a required argument is missing', () => {
    const { files, file } = mutated('exoscale', /^\s*disk_size\s*=.*\n/m, '');
    const messages = checkModule(files, exoscale).map(formatFinding);
    expect(messages).toContainEqual(expect.stringMatching(new RegExp(`^${file}:\\d+: exoscale_compute_instance\\.\\w+: required argument "disk_size" is not set`)));
  });

  it('fails on a reference to an attribute the type does not have', () => {
    const { files, file, line } = mutated('exoscale', /exoscale_elastic_ip\.api\.ip_address\b/, 'exoscale_elastic_ip.api.ip_addr');
    const messages = checkModule(files, exoscale).map(formatFinding);
    expect(messages).toContainEqual(
      expect.stringMatching(new RegExp(`^${file}:${line}: exoscale_elastic_ip\\.api: exoscale_elastic_ip\\.api\\.ip_addr: "ip_addr" is not an attribute of exoscale_elastic_ip .*\\(did you mean "ip_address"\\?\\)$`)),
    );
  });

  it('fails on an argument written as a block and a misspelled nested argument', () => {
    const block = mutated('openstack', /^(\s*)fixed_ip \{\n(\s*)subnet_id/m, '$1fixed_ip {\n$2subnet_idd');
    expect(checkModule(block.files, openstack).map(formatFinding)).toContainEqual(
      expect.stringMatching(new RegExp(`^${block.file}:${block.line + 1}: openstack_networking_port_v2\\.\\w+: argument "subnet_idd" in block fixed_ip does not exist`)),
    );
    const asArgument = mutated('openstack', /^(\s*)fixed_ip \{\n\s*subnet_id\s*= (.*)\n\s*\}/m, '$1fixed_ip = [{ subnet_id = $2 }]');
    expect(checkModule(asArgument.files, openstack).map(formatFinding)).toContainEqual(expect.stringMatching(new RegExp(`^${asArgument.file}:${asArgument.line}: openstack_networking_port_v2\\.\\w+: "fixed_ip" is a block in .*: write fixed_ip \\{ \\.\\.\\. \\}`)));
  });

  it('fails on an unknown resource type and a lifecycle.ignore_changes typo', () => {
    const type = mutated('openstack', /resource "openstack_lb_pool_v2"/, 'resource "openstack_lb_pool_v3"');
    expect(checkModule(type.files, openstack).map(formatFinding)).toContainEqual(
      expect.stringMatching(new RegExp(`^${type.file}:${type.line}: openstack_lb_pool_v3\\.\\w+: resource type openstack_lb_pool_v3 does not exist .*\\(did you mean "openstack_lb_pool_v2"\\?\\)`)),
    );
    const ignore = mutated('exoscale', /ignore_changes = \[template_id\]/, 'ignore_changes = [template]');
    expect(checkModule(ignore.files, exoscale).map(formatFinding)).toContainEqual(expect.stringMatching(/lifecycle\.ignore_changes names "template", which is not an argument/));
  });

  it('fails when versions.tf no longer admits the snapshot', () => {
    const { files } = mutated('exoscale', /^(\s*)version(\s*)= "[^"]+"/m, '$1version$2= "~> 0.60.0"');
    const messages = checkModule(files, exoscale).map(formatFinding);
    expect(messages).toContainEqual(expect.stringMatching(/versions\.tf:\d+: terraform\.required_providers\.exoscale: version "~> 0\.60\.0" does not admit the snapshot's 0\.70\.0/));
  });
});
