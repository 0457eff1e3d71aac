/** The machine-readable parser, on lines captured from Packer 1.6.6. */
import { describe, expect, it } from 'vitest';
import {
  decodePackerField,
  parseMachineReadableLine,
  parsePackerVersion,
  toPackerEvent,
  versionAtLeast,
} from '../../../../src/tools/packer-machine-readable.js';

describe('parseMachineReadableLine', () => {
  it('splits on the first three commas and decodes the data fields', () => {
    expect(parseMachineReadableLine('1795430972,,ui,message,    null.test: from%!(PACKER_COMMA) json%!(PACKER_COMMA) with comma')).toEqual({
      timestamp: 1795430972,
      target: '',
      type: 'ui',
      data: ['message', '    null.test: from, json, with comma'],
    });
    expect(parseMachineReadableLine('1795430972,null.test,artifact,0,id,Null')).toEqual({
      timestamp: 1795430972,
      target: 'null.test',
      type: 'artifact',
      data: ['0', 'id', 'Null'],
    });
  });

  it('decodes escaped newlines and carriage returns', () => {
    expect(decodePackerField('\\n==> Wait completed\\r')).toBe('\n==> Wait completed\r');
    const help = parseMachineReadableLine('1795431330,,ui,say,Usage: packer build [options] TEMPLATE\\n\\n  -except=foo%!(PACKER_COMMA)bar');
    expect(help?.data[1]).toBe('Usage: packer build [options] TEMPLATE\n\n  -except=foo,bar');
  });

  it('keeps lines with no data and rejects non machine-readable lines', () => {
    expect(parseMachineReadableLine('1795430972,null.test,artifact-count,2')?.data).toEqual(['2']);
    expect(parseMachineReadableLine('2026/11/23 10:51:29 [INFO] Packer version: 1.6.6')).toBeUndefined();
    expect(parseMachineReadableLine('')).toBeUndefined();
  });
});

describe('toPackerEvent', () => {
  it.each([
    ['1795430972,,ui,say,==> null.test: Running local shell script: /tmp/packer-shell3674567101', { type: 'step', builder: 'null.test', message: 'Running local shell script: /tmp/packer-shell3674567101' }],
    ['1795431000,,ui,say,==> exoscale.node: Creating template: k8sb-demo', { type: 'step', builder: 'exoscale.node', message: 'Creating template: k8sb-demo' }],
    ['1795430972,,ui,message,    null.test: second', { type: 'output', builder: 'null.test', message: 'second' }],
    ['1795430972,,ui,say,\\n==> Builds finished. The artifacts of successful builds are:', { type: 'output', message: 'Builds finished. The artifacts of successful builds are:' }],
    ['1795430976,,ui,error,==> null.test: about to fail%!(PACKER_COMMA) now', { type: 'error', builder: 'null.test', message: 'about to fail, now' }],
    ["1795430976,,ui,error,Build 'null.test' errored after 9 milliseconds 593 microseconds: Script exited with non-zero exit status: 3.Allowed exit codes are: [0]", { type: 'error', message: "Build 'null.test' errored after 9 milliseconds 593 microseconds: Script exited with non-zero exit status: 3.Allowed exit codes are: [0]" }],
    ['1795430976,null.test,error,Script exited with non-zero exit status: 3.Allowed exit codes are: [0]', { type: 'build-error', builder: 'null.test', message: 'Script exited with non-zero exit status: 3.Allowed exit codes are: [0]' }],
    ['1795430972,null.test,artifact,0,id,Null', { type: 'artifact', builder: 'null.test', index: 0, id: 'Null' }],
    ['1795431100,amazon-ebs.node,artifact,0,id,eu-central-1:ami-0abc%!(PACKER_COMMA)eu-west-1:ami-0def', { type: 'artifact', builder: 'amazon-ebs.node', index: 0, id: 'eu-central-1:ami-0abc,eu-west-1:ami-0def' }],
    ['1795430972,null.test,artifact,0,builder-id,fnoeding.null', { type: 'unknown', target: 'null.test', kind: 'artifact', data: ['0', 'builder-id', 'fnoeding.null'] }],
    ['1795430976,,error-count,1', { type: 'unknown', target: '', kind: 'error-count', data: ['1'] }],
    ['1795430972,,some-future-type,a%!(PACKER_COMMA)b,c', { type: 'unknown', target: '', kind: 'some-future-type', data: ['a,b', 'c'] }],
    ['plugin noise without commas', { type: 'raw', line: 'plugin noise without commas' }],
  ])('%s', (line, event) => {
    expect(toPackerEvent(line)).toEqual(event);
  });

  it('ignores blank lines and empty ui text', () => {
    expect(toPackerEvent('')).toBeUndefined();
    expect(toPackerEvent('1795430972,,ui,say,\\n')).toBeUndefined();
  });
});

describe('versions', () => {
  it('reads packer version -machine-readable output (captured from 1.6.6)', () => {
    const output = ['1795430969,,version,1.6.6', '1795430969,,version-prelease,', '1795430969,,version-commit,', '1795430969,,ui,say,Packer v1.6.6'].join('\n');
    expect(parsePackerVersion(output)).toBe('1.6.6');
    expect(parsePackerVersion('Packer v1.11.2\n')).toBe('1.11.2');
    expect(parsePackerVersion('nonsense')).toBeUndefined();
  });

  it('compares versions numerically', () => {
    expect(versionAtLeast('1.6.6', '1.7.0')).toBe(false);
    expect(versionAtLeast('1.10.0', '1.7.0')).toBe(true);
    expect(versionAtLeast('1.7.0', '1.7.0')).toBe(true);
  });
});
