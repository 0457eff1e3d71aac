/**
 * The package as users get it: `npm pack`, install the tarball into an empty folder, run
 * `npx k8s-bootstrap --help` there. Also pins what the tarball may contain.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, PROJECT_ROOT } from '../../helpers/built-cli.js';

/** Top-level entries the tarball may hold (package.json's "files" plus what npm always adds). */
const ALLOWED_FOLDERS = ['bin/', 'dist/', 'templates/'];
const ALLOWED_FILES = ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', 'SECURITY.md'];
const REQUIRED = ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', 'bin/k8s-bootstrap.js', 'dist/cli/main.js'];

let work: string;
// No lifecycle scripts: ensureBuilt() already built, and a concurrent prepack build would
// rewrite dist/ under other test files that are running the binary.
const npm = (args: string[], cwd: string) =>
  execFileSync('npm', [...args], { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' }, stdio: ['ignore', 'pipe', 'pipe'] });

beforeAll(async () => {
  await ensureBuilt();
  work = mkdtempSync(join(tmpdir(), 'k8sb-pack-'));
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('npm package', () => {
  it('ships only bin/, dist/, templates/ and the top-level docs', () => {
    const [report] = JSON.parse(npm(['pack', '--dry-run', '--json', '--ignore-scripts'], PROJECT_ROOT)) as [{ files: { path: string }[] }];
    const paths = report.files.map((file) => file.path);
    const stray = paths.filter((path) => !ALLOWED_FILES.includes(path) && !ALLOWED_FOLDERS.some((folder) => path.startsWith(folder)));
    expect(stray).toEqual([]);
    for (const path of REQUIRED) expect(paths).toContain(path);
    expect(paths.some((path) => path.startsWith('templates/'))).toBe(true);
    expect(paths.filter((path) => path.endsWith('.ts') && !path.endsWith('.d.ts'))).toEqual([]);
  });

  it('installs from the tarball into an empty folder and runs with npx', () => {
    const packed = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], PROJECT_ROOT)) as [{ filename: string }];
    const tarball = join(work, packed[0].filename);
    expect(readdirSync(work)).toContain(packed[0].filename);

    const app = join(work, 'app');
    execFileSync('mkdir', [app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'empty', version: '1.0.0', private: true }));
    // Dependencies come from the npm registry (or the local cache when it has them).
    npm(['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], app);

    const help = execFileSync('npx', ['--no-install', 'k8s-bootstrap', '--help'], { cwd: app, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', CI: 'true' } });
    expect(help).toContain('Usage: k8s-bootstrap');
    expect(help).toContain('init');
    const version = execFileSync('npx', ['--no-install', 'k8s-bootstrap', '--version'], { cwd: app, encoding: 'utf8' });
    expect(version.trim()).toMatch(/^\d+\.\d+\.\d+/);
  }, 180_000);
});
