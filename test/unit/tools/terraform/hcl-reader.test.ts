/** The small HCL reader used by the provider-conformance test. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { effectiveBlocks, HclSyntaxError, parseHcl } from '../../../helpers/hcl-reader.js';
import { MODULES } from '../../../helpers/terraform.js';

const traversalsOf = (text: string) => parseHcl(text).attributes.flatMap((a) => a.traversals.map((t) => t.parts.join('.')));

describe('parseHcl', () => {
  it('reads blocks with labels, nested blocks, attributes and their lines', () => {
    const file = parseHcl(
      [
        'resource "exoscale_compute_instance" "cp" {',
        '  count = 3',
        '',
        '  network_interface {',
        '    network_id = exoscale_private_network.nodes.id',
        '  }',
        '}',
        'variable "x" { type = string }',
        'locals {',
        '  a = 1',
        '}',
      ].join('\n'),
      'main.tf',
    );
    expect(file.blocks.map((b) => [b.type, b.labels, b.line])).toEqual([
      ['resource', ['exoscale_compute_instance', 'cp'], 1],
      ['variable', ['x'], 8],
      ['locals', [], 9],
    ]);
    const instance = file.blocks[0]!;
    expect(instance.attributes.map((a) => [a.name, a.line, a.expression])).toEqual([['count', 2, '3']]);
    expect(instance.blocks[0]).toMatchObject({ type: 'network_interface', line: 4, attributes: [{ name: 'network_id', line: 5, expression: 'exoscale_private_network.nodes.id' }] });
    expect(file.blocks[1]!.attributes).toMatchObject([{ name: 'type', expression: 'string' }]);
  });

  it('reads traversals through indexes and splats, and skips function names and object keys', () => {
    expect(traversalsOf('a = openstack_networking_port_v2.cp[count.index].all_fixed_ips[0]\n')).toEqual(['openstack_networking_port_v2.cp.all_fixed_ips', 'count.index']);
    expect(traversalsOf('a = flatten(exoscale_instance_pool.w[*].instances)\n')).toEqual(['exoscale_instance_pool.w.instances']);
    expect(traversalsOf('a = x.*.y\n')).toEqual(['x.y']);
    expect(traversalsOf('a = { name = node.name, "quoted" = local.q }\n')).toEqual(['node.name', 'local.q']);
    expect(traversalsOf('a = data.openstack_networking_network_v2.ext.id\n')).toEqual(['data.openstack_networking_network_v2.ext.id']);
  });

  it('reads interpolations, nested quotes and braces inside strings, and $${ escapes', () => {
    const file = parseHcl('a = "${var.x == "}" ? "{" : local.y}-${exoscale_elastic_ip.api.ip_address}:6443"\nb = "$${not.a_ref} %%{ nor } ${c.d}"\n');
    expect(file.attributes.map((a) => a.name)).toEqual(['a', 'b']);
    expect(file.attributes[0]!.traversals.map((t) => t.parts.join('.'))).toEqual(['var.x', 'local.y', 'exoscale_elastic_ip.api.ip_address']);
    expect(file.attributes[1]!.traversals.map((t) => t.parts.join('.'))).toEqual(['c.d']);
  });

  it('reads heredocs (<<EOT and <<-EOT) with interpolations and braces', () => {
    const file = parseHcl(['a = <<-EOT', '  {', '  "x": "${var.one}"', '  }', '  EOT', 'b = <<EOF', '}', '%{ if local.two }y%{ endif }', 'EOF', 'c = 3', ''].join('\n'));
    expect(file.attributes.map((a) => [a.name, a.line])).toEqual([
      ['a', 1],
      ['b', 6],
      ['c', 10],
    ]);
    expect(file.attributes.flatMap((a) => a.traversals.map((t) => [t.parts.join('.'), t.line]))).toContainEqual(['var.one', 3]);
    expect(file.attributes[1]!.traversals.map((t) => t.parts.join('.'))).toContain('local.two');
  });

  it('ignores #, // and /* */ comments, also ones holding braces, quotes and =', () => {
    const file = parseHcl(['# x = { "', 'a = 1 // b = {', '/* c = 2', ' } " */', 'd = [', '  1, # ]', '  2,', ']', ''].join('\n'));
    expect(file.attributes.map((a) => [a.name, a.line])).toEqual([
      ['a', 2],
      ['d', 5],
    ]);
  });

  it('keeps a multi-line expression in one attribute', () => {
    const file = parseHcl('x = merge([for k, v in local.m :\n  v.p == "all" ? {\n    a = 1\n  } : {\n    (k) = v\n}]...)\ny = 2\n');
    expect(file.attributes.map((a) => a.name)).toEqual(['x', 'y']);
    expect(file.attributes[0]!.traversals.map((t) => t.parts.join('.'))).toContain('local.m');
  });

  it('reads dynamic "x" { content { ... } } as a block x', () => {
    const file = parseHcl('resource "t" "n" {\n  dynamic "allowed_address_pairs" {\n    for_each = var.p\n    content {\n      ip_address = allowed_address_pairs.value\n    }\n  }\n}\n');
    const blocks = effectiveBlocks(file.blocks[0]!);
    expect(blocks).toMatchObject([{ type: 'allowed_address_pairs', line: 2, attributes: [{ name: 'ip_address', line: 5 }] }]);
  });

  it.each([
    ['a = "open\n', 1, 'unterminated string'],
    ['r "x" {\n  a = 1\n', 3, 'missing }'],
    ['a = (1\n', 2, 'missing )'],
    ['a = 1\na = 2\n', 2, 'set twice'],
    ['a = <<EOT\nnever closed\n', 1, 'never closed'],
    ['a = 1 }\n', 1, 'unexpected }'],
    ['block "x"\n', 1, 'expected = or {'],
  ])('rejects %j with the line and the reason', (text, line, reason) => {
    let error: unknown;
    try {
      parseHcl(text, 'bad.tf');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HclSyntaxError);
    expect((error as HclSyntaxError).message).toContain(`bad.tf:${line}: `);
    expect((error as HclSyntaxError).message).toContain(reason);
  });

  it('reads every shipped module file and finds each top-level block the file declares', () => {
    for (const dir of readdirSync(MODULES)) {
      for (const name of readdirSync(join(MODULES, dir)).filter((f) => f.endsWith('.tf'))) {
        const text = readFileSync(join(MODULES, dir, name), 'utf8');
        const declared = [...text.matchAll(/^([a-z_]+)\b[^=\n]*\{\s*\}?\s*$/gm)].map((m) => m[1]);
        expect(parseHcl(text, `${dir}/${name}`).blocks.map((b) => b.type), `${dir}/${name}`).toEqual(declared);
      }
    }
  });
});
