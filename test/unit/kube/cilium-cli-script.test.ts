/**
 * templates/scripts/install-cilium-cli.sh run for real with bash against stand-in curl (a temp
 * folder first on PATH): it installs only a download whose sha256 matches the published
 * .sha256sum, as the cilium-cli README does (`sha256sum --check`).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderTemplate, templatePath } from '../../../src/tools/template.js';

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'k8sb-cilium-cli-'));
  // A release tarball with a `cilium` in it, and a fake curl that serves it and its checksum.
  const stage = join(work, 'stage');
  spawnSync('mkdir', ['-p', stage, join(work, 'bin')]);
  writeFileSync(join(stage, 'cilium'), '#!/bin/sh\necho "cilium-cli: v0.19.7 compiled with go1.25"\n', { mode: 0o755 });
  spawnSync('tar', ['-czf', join(work, 'release.tar.gz'), '-C', stage, 'cilium']);
  writeFileSync(
    join(work, 'bin', 'curl'),
    `#!/bin/bash\nout=""; url=""\nwhile [ $# -gt 0 ]; do case "$1" in -o) out="$2"; shift ;; -*) ;; *) url="$1" ;; esac; shift; done\ncase "$url" in\n  *.sha256sum) if [ -n "$FAKE_BAD_SUM" ]; then echo "$(printf '0%.0s' {1..64})  $(basename "\${url%.sha256sum}")" >"$out"; else (cd ${work} && sha256sum release.tar.gz | sed "s/release.tar.gz/$(basename "\${url%.sha256sum}")/") >"$out"; fi ;;\n  *) cp ${join(work, 'release.tar.gz')} "$out" ;;\nesac\n`,
  );
  chmodSync(join(work, 'bin', 'curl'), 0o755);
  writeFileSync(join(work, 'script.sh'), renderTemplate(readFileSync(templatePath('scripts', 'install-cilium-cli.sh'), 'utf8'), { ciliumCliVersion: 'v0.19.7' }, 'install-cilium-cli.sh'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

const install = (env: Record<string, string> = {}) =>
  spawnSync('bash', [join(work, 'script.sh')], { encoding: 'utf8', env: { PATH: `${join(work, 'bin')}:/usr/bin:/bin`, K8SB_CILIUM_TARGET: join(work, 'cilium'), ...env } });

describe('install-cilium-cli.sh', () => {
  it('installs the CLI when the download matches its published sha256', () => {
    const run = install();
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('sha256 verified');
    expect(existsSync(join(work, 'cilium'))).toBe(true);
    expect(install().stdout).toContain('already installed');
  });

  it('installs nothing when the sha256 does not match', () => {
    const run = install({ FAKE_BAD_SUM: '1' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('does not match its published sha256');
    expect(existsSync(join(work, 'cilium'))).toBe(false);
  });
});
