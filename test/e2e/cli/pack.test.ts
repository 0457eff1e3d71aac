/**
 * The package as users get it: `npm pack`, install the tarball into an empty folder, then use it
 * both ways: `npx k8s-bootstrap --help` there, and `import('k8s-bootstrap')` from a script that
 * runs a dry-run init through the library, with a consumer file type-checked against the shipped
 * declarations. Also pins what the tarball may contain. One install serves every test (~30 s).
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateSpec } from '../../../src/config/validate/index.js';
import { describeInitPlan } from '../../../src/workflows/init/plan.js';
import { ensureBuilt, PROJECT_ROOT } from '../../helpers/built-cli.js';
import { staticDoc } from '../../helpers/config-fixtures.js';

/** Top-level entries the tarball may hold (package.json's "files" plus what npm always adds). */
const ALLOWED_FOLDERS = ['bin/', 'dist/', 'templates/'];
const ALLOWED_FILES = ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', 'SECURITY.md', 'docs/architecture.md', 'docs/config-reference.md', 'docs/events.md'];
const REQUIRED = ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', 'bin/k8s-bootstrap.js', 'dist/cli/main.js', 'dist/index.js', 'dist/index.d.ts'];
const TSC = join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

let work: string;
// No lifecycle scripts: ensureBuilt() already built, and a concurrent prepack build would
// rewrite dist/ under other test files that are running the binary.
// Asynchronous: a 30 s install must not block the worker (vitest's RPC times out on a blocked loop).
const npm = async (args: string[], cwd: string) =>
  (await promisify(execFile)('npm', args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' }, maxBuffer: 64 * 1024 * 1024 })).stdout;

let installed: Promise<string> | undefined;
/** The tarball installed into an empty ESM project; its folder. */
function installedApp(): Promise<string> {
  installed ??= (async () => {
    const packed = JSON.parse(await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], PROJECT_ROOT)) as [{ filename: string }];
    const tarball = join(work, packed[0].filename);
    expect(readdirSync(work)).toContain(packed[0].filename);
    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'empty', version: '1.0.0', private: true, type: 'module' }));
    // Dependencies come from the local npm cache when it has them, else from the registry.
    await npm(['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], app);
    return app;
  })();
  return installed;
}

beforeAll(async () => {
  await ensureBuilt();
  work = mkdtempSync(join(tmpdir(), 'k8sb-pack-'));
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('npm package', () => {
  it('ships only bin/, dist/ (no source maps), templates/ and the top-level docs', async () => {
    const [report] = JSON.parse(await npm(['pack', '--dry-run', '--json', '--ignore-scripts'], PROJECT_ROOT)) as [{ files: { path: string }[] }];
    const paths = report.files.map((file) => file.path);
    const stray = paths.filter((path) => !ALLOWED_FILES.includes(path) && !ALLOWED_FOLDERS.some((folder) => path.startsWith(folder)));
    expect(stray).toEqual([]);
    for (const path of REQUIRED) expect(paths).toContain(path);
    expect(paths.some((path) => path.startsWith('templates/'))).toBe(true);
    expect(paths.filter((path) => path.endsWith('.ts') && !path.endsWith('.d.ts'))).toEqual([]);
    expect(paths.filter((path) => path.endsWith('.map'))).toEqual([]);
  });

  it('installs from the tarball into an empty folder and runs with npx', async () => {
    const app = await installedApp();
    const help = execFileSync('npx', ['--no-install', 'k8s-bootstrap', '--help'], { cwd: app, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', CI: 'true' } });
    expect(help).toContain('Usage: k8s-bootstrap');
    expect(help).toContain('init');
    const version = execFileSync('npx', ['--no-install', 'k8s-bootstrap', '--version'], { cwd: app, encoding: 'utf8' });
    expect(version.trim()).toMatch(/^\d+\.\d+\.\d+/);
  }, 180_000);
});

/** Every file below `folder`, as paths relative to it. */
function filesUnder(folder: string, prefix = ''): string[] {
  return readdirSync(join(folder, prefix), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(folder, join(prefix, entry.name)) : [join(prefix, entry.name)],
  );
}

describe('the installed package as a reader finds it', () => {
  it('names no source map: no .map file and no sourceMappingURL comment (src/ is not shipped)', async () => {
    const installedPackage = join(await installedApp(), 'node_modules', 'k8s-bootstrap');
    const files = filesUnder(installedPackage);
    expect(files.filter((file) => file.endsWith('.map'))).toEqual([]);
    const naming = files.filter((file) => /\.(js|d\.ts)$/.test(file) && readFileSync(join(installedPackage, file), 'utf8').includes('sourceMappingURL'));
    expect(naming).toEqual([]);
  }, 180_000);

  it('ships every file that README.md, SECURITY.md and the shipped docs link to', async () => {
    const installedPackage = join(await installedApp(), 'node_modules', 'k8s-bootstrap');
    const broken: string[] = [];
    for (const doc of filesUnder(installedPackage).filter((file) => file.endsWith('.md'))) {
      const text = readFileSync(join(installedPackage, doc), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)\s#]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/i.test(target!)) continue; // https:, mailto:: absolute, not the package's to ship
        if (!existsSync(join(installedPackage, dirname(doc), target!))) broken.push(`${doc} -> ${target}`);
      }
    }
    expect(broken).toEqual([]);
  }, 180_000);
});

describe('the installed package as a library', () => {
  it('runs a dry-run init from a script with a host that collects the events', async () => {
    const app = await installedApp();
    const cwd = mkdtempSync(join(work, 'run-'));
    const doc = staticDoc();
    const script = `
      import('k8s-bootstrap').then(async (m) => {
        const host = m.createHost({ cwd: ${JSON.stringify(cwd)} });
        const spec = m.validateSpec(${JSON.stringify(doc)});
        const result = await m.initCluster(host, { spec, dryRun: true });
        const plan = host.collected.find((event) => event.type === 'plan');
        console.log(JSON.stringify({ exports: Object.keys(m).sort(), result, plan, types: host.collected.map((event) => event.type) }));
      });`;
    // A bare environment: the dry run needs no credentials, no terminal and no K8SB_* settings.
    const env = { PATH: process.env.PATH, HOME: cwd, CI: 'true' };
    const stdout = execFileSync(process.execPath, ['-e', script], { cwd: app, encoding: 'utf8', env });
    const out = JSON.parse(stdout) as { exports: string[]; result: { cluster: string; summary: string[]; files: string[]; steps: Array<{ id: string }> }; plan?: { command: string; cluster: string; steps: Array<{ id: string }> }; types: string[] };

    expect(out.exports).toEqual(expect.arrayContaining(['initCluster', 'addWorkers', 'removeWorkers', 'upgradeCluster', 'destroyCluster', 'clusterStatus', 'loadSpec', 'validateSpec', 'createHost', 'EVENTS_VERSION', 'BootstrapError', 'UsageError']));
    expect(out.result).toMatchObject({ cluster: 'lab', dryRun: true, provider: 'static' });
    expect(out.result.summary.length).toBeGreaterThan(0);
    expect(out.result.files.length).toBeGreaterThan(0);
    // The plan the script sees is the plan this repository describes for the same spec.
    const ids = describeInitPlan(validateSpec(doc)).map((step) => step.id);
    expect(out.plan).toMatchObject({ command: 'init', cluster: 'lab' });
    expect(out.plan!.steps.map((step) => step.id)).toEqual(ids);
    expect(out.result.steps.map((step) => step.id)).toEqual(ids);
    // A dry run runs nothing: no step starts.
    expect(out.types).not.toContain('started');
  }, 180_000);

  it('type-checks a consumer file against the shipped declarations', async () => {
    const app = await installedApp();
    writeFileSync(
      join(app, 'consumer.ts'),
      `import { BootstrapError, EVENTS_VERSION, createHost, initCluster, loadSpec, validateSpec, type ClusterSpec, type EngineEvent, type Host, type PlanStep } from 'k8s-bootstrap';

const steps: PlanStep[] = [];
const host: Host = createHost({
  confirm: (question) => question.command === 'init',
  onEvent: (event: EngineEvent) => {
    if (event.type === 'plan') steps.push(...event.steps);
  },
});
const spec: ClusterSpec = validateSpec({ apiVersion: 'k8s-bootstrap.io/v1alpha1', kind: 'Cluster', name: 'lab' });
const result = await initCluster(host, { spec, dryRun: true });
const cluster: string = result.cluster;
const rendered: string[] = result.dryRun ? result.files : [result.kubeconfig];
const version: number = EVENTS_VERSION;
const loaded: Promise<ClusterSpec> = loadSpec('cluster.yaml');
try {
  await loaded;
} catch (error) {
  if (error instanceof BootstrapError) console.error(error.code, error.hint);
}
// @ts-expect-error dryRun is a boolean: the declarations are real types, not any
await initCluster(host, { spec, dryRun: 'yes' });
// @ts-expect-error a Host has more than an environment
const incomplete: Host = { env: {} };
console.log(cluster, rendered, version, steps.length, incomplete);
`,
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          // A Node consumer has @types/node; this one borrows the repository's.
          typeRoots: [join(PROJECT_ROOT, 'node_modules', '@types')],
          types: ['node'],
          // The shipped declarations are checked too: they reach only our own types and zod's.
          skipLibCheck: false,
        },
        files: ['consumer.ts'],
      }),
    );
    const tsc = await promisify(execFile)(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: app, encoding: 'utf8' }).catch((error: { stdout: string }) => error);
    expect(tsc.stdout).toBe('');
  }, 180_000);
});
