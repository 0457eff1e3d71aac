/**
 * What we generate for nodes, read by the real programs that will read it: haproxy -c and
 * keepalived -t on the rendered static-HA files, shellcheck on every node script (and the
 * rendered keepalived check), bash -n on the rendered scripts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasCommand, missingRequirement } from '../../helpers/require-tool.js';
import { renderStaticHa } from '../../../src/kube/static-ha.js';
import { templatePath } from '../../../src/tools/template.js';

const work = mkdtempSync(join(tmpdir(), 'k8sb-checkers-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const files = renderStaticHa({
  clusterName: 'demo',
  vip: '10.0.0.100',
  controlPlanes: [
    { name: 'cp-1', privateIp: '10.0.0.11' },
    { name: 'cp-2', privateIp: '10.0.0.12' },
    { name: 'cp-3', privateIp: '10.0.0.13' },
  ],
  self: 'cp-2',
  interface: 'eth0',
  authPass: 'pass1234',
});
const written = (suffix: string) => {
  const file = files.find((f) => f.path.endsWith(suffix))!;
  const path = join(work, suffix);
  writeFileSync(path, file.content, { mode: 0o755 });
  return { path, content: file.content };
};

describe.skipIf(missingRequirement(hasCommand('haproxy'), 'haproxy is not installed (apt-get install haproxy)'))('haproxy', () => {
  it('accepts the rendered haproxy.cfg (haproxy -c)', () => {
    const { path } = written('haproxy.cfg');
    const result = spawnSync('haproxy', ['-c', '-f', path], { encoding: 'utf8' });
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
  });
});

describe.skipIf(missingRequirement(hasCommand('keepalived'), 'keepalived is not installed (apt-get install keepalived)'))('keepalived', () => {
  it('accepts the rendered keepalived.conf (keepalived -t)', () => {
    written('check_apiserver.sh');
    const { path, content } = written('keepalived.conf');
    // The check script is referenced by its node path; point it at the rendered copy.
    writeFileSync(path, content.replaceAll('/etc/keepalived/check_apiserver.sh', join(work, 'check_apiserver.sh')));
    const result = spawnSync('keepalived', ['-t', '-f', path, '-l', '-n'], { encoding: 'utf8' });
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
  });
});

describe.skipIf(missingRequirement(hasCommand('shellcheck'), 'shellcheck is not installed (apt-get install shellcheck)'))('shellcheck', () => {
  const scripts = readdirSync(templatePath('scripts')).filter((name) => name.endsWith('.sh'));

  it.each(scripts)('templates/scripts/%s has no findings', (name) => {
    const path = templatePath('scripts', name);
    const result = spawnSync('shellcheck', ['-x', path], { encoding: 'utf8' });
    expect(result.status, result.stdout).toBe(0);
  });

  it('the rendered keepalived check script has no findings', () => {
    const { path } = written('check_apiserver.sh');
    const result = spawnSync('shellcheck', ['-s', 'sh', path], { encoding: 'utf8' });
    expect(result.status, result.stdout).toBe(0);
    expect(execFileSync('sh', ['-n', path]).toString()).toBe('');
  });
});
