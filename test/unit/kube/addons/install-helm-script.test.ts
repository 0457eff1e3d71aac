/**
 * templates/scripts/install-helm.sh run for real with bash against a stand-in curl (a temp folder
 * first on PATH): it installs helm only from a download whose sha256 matches both the pin of
 * k8s-bootstrap and the published .sha256sum, and does nothing when the pinned version is there.
 * shellcheck checks the template itself (also test/e2e/tools/real-checkers.test.ts).
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HELM_BINARY, installHelmScript, installHelmScriptVars } from '../../../../src/kube/addons/helm-commands.js';
import { HELM } from '../../../../src/kube/addons/pins.js';
import { renderTemplate, templatePath } from '../../../../src/tools/template.js';
import { hasCommand, missingRequirement } from '../../../helpers/require-tool.js';

const VERSION = 'v4.2.4';
const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
let work: string;
let tarballSha: string;

function writeScript(shas: { amd64: string; arm64: string }) {
  const text = renderTemplate(readFileSync(templatePath('scripts', 'install-helm.sh'), 'utf8'), installHelmScriptVars({ version: VERSION, sha256: shas }), 'install-helm.sh');
  writeFileSync(join(work, 'script.sh'), text);
}

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'k8sb-install-helm-'));
  // A release tarball laid out as get.helm.sh's (linux-<arch>/helm), and a curl that serves it and its .sha256sum.
  const stage = join(work, 'stage', `linux-${arch}`);
  mkdirSync(stage, { recursive: true });
  mkdirSync(join(work, 'bin'));
  writeFileSync(join(stage, 'helm'), `#!/bin/sh\n[ "$1" = version ] && [ "$2" = --template ] && printf '%s' '${VERSION}'\n`, { mode: 0o755 });
  spawnSync('tar', ['-czf', join(work, 'release.tar.gz'), '-C', join(work, 'stage'), `linux-${arch}`]);
  tarballSha = createHash('sha256').update(readFileSync(join(work, 'release.tar.gz'))).digest('hex');
  writeFileSync(
    join(work, 'bin', 'curl'),
    [
      '#!/bin/bash',
      'out=""; url=""',
      'while [ $# -gt 0 ]; do case "$1" in -o) out="$2"; shift ;; -*) ;; *) url="$1" ;; esac; shift; done',
      'echo "$url" >>"$FAKE_LOG"',
      'case "$url" in',
      `  *.sha256sum) name=$(basename "\${url%.sha256sum}"); if [ -n "$FAKE_BAD_SUM" ]; then echo "$(printf '0%.0s' {1..64})  $name" >"$out"; else echo "${tarballSha}  $name" >"$out"; fi ;;`,
      `  *) cp ${join(work, 'release.tar.gz')} "$out" ;;`,
      'esac',
      '',
    ].join('\n'),
  );
  chmodSync(join(work, 'bin', 'curl'), 0o755);
  writeScript({ amd64: tarballSha, arm64: tarballSha });
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

const install = (env: Record<string, string> = {}) =>
  spawnSync('bash', [join(work, 'script.sh')], {
    encoding: 'utf8',
    env: { PATH: `${join(work, 'bin')}:/usr/bin:/bin`, K8SB_HELM_TARGET: join(work, 'helm'), FAKE_LOG: join(work, 'curl.log'), ...env },
  });

describe('install-helm.sh', () => {
  it('downloads the pinned version of get.helm.sh for this architecture and installs it when both sha256 match', () => {
    const run = install();
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain(`installed helm ${VERSION} (sha256 verified)`);
    expect(existsSync(join(work, 'helm'))).toBe(true);
    expect(readFileSync(join(work, 'curl.log'), 'utf8').split('\n').filter(Boolean)).toEqual([
      `https://get.helm.sh/helm-${VERSION}-linux-${arch}.tar.gz`,
      `https://get.helm.sh/helm-${VERSION}-linux-${arch}.tar.gz.sha256sum`,
    ]);
  });

  it('does nothing when the pinned version is installed (helm version --template {{.Version}})', () => {
    expect(install().status).toBe(0);
    rmSync(join(work, 'curl.log'));
    const again = install();
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain(`helm ${VERSION} already installed`);
    expect(existsSync(join(work, 'curl.log'))).toBe(false);
  });

  it('installs nothing when the download does not match the pinned sha256, even if the published one agrees', () => {
    writeScript({ amd64: 'a'.repeat(64), arm64: 'a'.repeat(64) });
    const run = install();
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('does not match the sha256 pinned by k8s-bootstrap');
    expect(existsSync(join(work, 'helm'))).toBe(false);
  });

  it("checks this architecture's pin, not the other's", () => {
    writeScript(arch === 'amd64' ? { amd64: 'b'.repeat(64), arm64: tarballSha } : { amd64: tarballSha, arm64: 'b'.repeat(64) });
    expect(install().status).toBe(1);
    expect(existsSync(join(work, 'helm'))).toBe(false);
  });

  it('installs nothing when the published .sha256sum disagrees', () => {
    const run = install({ FAKE_BAD_SUM: '1' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('does not match its published sha256');
    expect(existsSync(join(work, 'helm'))).toBe(false);
  });

  it("takes the pins of pins.ts, and installs where HELM_BINARY says", () => {
    expect(installHelmScript()).toEqual({ name: 'install-helm', vars: { helmVersion: HELM.version, helmSha256Amd64: HELM.sha256.amd64, helmSha256Arm64: HELM.sha256.arm64 } });
    expect(readFileSync(templatePath('scripts', 'install-helm.sh'), 'utf8')).toContain(`target="\${K8SB_HELM_TARGET:-${HELM_BINARY}}"`);
    expect(() => installHelmScriptVars({ version: VERSION, sha256: { amd64: 'xyz', arm64: tarballSha } })).toThrow(/sha256/);
    expect(() => installHelmScriptVars({ version: '4.2.4; rm -rf /', sha256: { amd64: tarballSha, arm64: tarballSha } })).toThrow(/version/);
  });
});

describe.skipIf(missingRequirement(hasCommand('shellcheck'), 'shellcheck is not installed (apt-get install shellcheck)'))('install-helm.sh shellcheck', () => {
  it('has no findings, as the template and as rendered', () => {
    const template = spawnSync('shellcheck', ['-x', templatePath('scripts', 'install-helm.sh')], { encoding: 'utf8' });
    expect(template.status, template.stdout).toBe(0);
    const rendered = spawnSync('shellcheck', [join(work, 'script.sh')], { encoding: 'utf8' });
    expect(rendered.status, rendered.stdout).toBe(0);
  });
});
