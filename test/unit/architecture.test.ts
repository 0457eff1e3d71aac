/**
 * The layering as a test: the core (engine, workflows, nodes, tools, kube, state, providers,
 * config) never reaches into the CLI, the renderers or the wizard, and each outside library is
 * imported through its one door only. Every import form counts: static, `export … from`, type-only,
 * `import('…')`, `require('…')` and a require made with createRequire.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const CORE = /^src\/(engine|workflows|nodes|tools|kube|state|providers|config)\//;
const HOSTS = /^src\/(cli|ui|wizard)\//;
/** The layers below the commands: they serve every workflow, so they never import one. */
const BELOW_WORKFLOWS = /^src\/(engine|nodes|tools|kube|state|providers|config)\//;
/** Package -> the only place allowed to import it. */
const DOORS: Array<{ packages: string[]; allowed: (file: string) => boolean; door: string }> = [
  { packages: ['execa'], allowed: (file) => file === 'src/tools/subprocess.ts', door: 'src/tools/subprocess.ts' },
  { packages: ['ssh2', 'node-ssh'], allowed: (file) => file.startsWith('src/tools/ssh/'), door: 'src/tools/ssh/' },
  { packages: ['@inquirer/prompts'], allowed: (file) => file === 'src/wizard/prompts.ts', door: 'src/wizard/prompts.ts' },
  { packages: ['chalk'], allowed: (file) => /^src\/(ui|cli)\//.test(file), door: 'src/ui/ or src/cli/' },
];

/** Every module specifier a source imports, in any form. */
function importsOf(source: string): string[] {
  // TypeScript's own pre-scanner skips comments and strings and sees import(), require() and types.
  const found = ts.preProcessFile(source, true, true).importedFiles.map((file) => file.fileName);
  // `const load = createRequire(import.meta.url); load('x')` is a require under another name.
  for (const [, name] of source.matchAll(/\b(?:const|let|var)\s+(\w+)\s*=\s*createRequire\s*\(/g)) {
    for (const [, specifier] of source.matchAll(new RegExp(`\\b${name}(?:\\.resolve)?\\s*\\(\\s*['"\`]([^'"\`]+)['"\`]`, 'g'))) found.push(specifier!);
  }
  for (const [, specifier] of source.matchAll(/createRequire\s*\([^)]*\)\s*\(\s*['"`]([^'"`]+)['"`]/g)) found.push(specifier!);
  return [...new Set(found)];
}

/** The rule each import of `file` (repo-relative, posix) breaks, as "file: imports x (why)". */
function violations(file: string, source: string): string[] {
  const problems: string[] = [];
  for (const specifier of importsOf(source)) {
    if (specifier.startsWith('.')) {
      const target = posix.normalize(posix.join(posix.dirname(file), specifier));
      if (CORE.test(file) && HOSTS.test(target)) problems.push(`${file}: imports ${specifier} (the core must not import ${target.split('/').slice(0, 2).join('/')}/)`);
      if (BELOW_WORKFLOWS.test(file) && target.startsWith('src/workflows/')) problems.push(`${file}: imports ${specifier} (a layer below the workflows must not import src/workflows/)`);
      continue;
    }
    for (const { packages, allowed, door } of DOORS) {
      const hit = packages.find((name) => specifier === name || specifier.startsWith(`${name}/`));
      if (hit && !allowed(file)) problems.push(`${file}: imports ${specifier} (only ${door} may import ${hit})`);
    }
  }
  return problems;
}

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.[cm]?[jt]s$/.test(entry.name) ? [path] : [];
  });
}

describe('architecture', () => {
  it('keeps the layers and the one-door imports in src/', () => {
    const files = sourceFiles(join(ROOT, 'src'));
    expect(files.length).toBeGreaterThan(50);
    const problems = files.flatMap((path) => violations(relative(ROOT, path).split('\\').join('/'), readFileSync(path, 'utf8')));
    expect(problems).toEqual([]);
  });

  it('sees every import form and names the file and the import', () => {
    const source = [
      "import type { CliContext } from '../../cli/context.js';",
      "export { render } from '../../ui/plain-renderer.js';",
      "const wizard = await import('../../wizard/init-wizard.js');",
      "const require = createRequire(import.meta.url); const { utils } = require('ssh2');",
      "const load = createRequire(import.meta.url); load('node-ssh');",
      "import {\n  execa,\n} from 'execa';",
      "type C = typeof import('chalk');",
      "const p = require('@inquirer/prompts');",
      "// import('execa') in a comment and 'chalk' in a string do not count",
    ].join('\n');
    expect(violations('src/workflows/run/example.ts', source)).toEqual([
      'src/workflows/run/example.ts: imports ../../cli/context.js (the core must not import src/cli/)',
      'src/workflows/run/example.ts: imports ../../ui/plain-renderer.js (the core must not import src/ui/)',
      'src/workflows/run/example.ts: imports ../../wizard/init-wizard.js (the core must not import src/wizard/)',
      'src/workflows/run/example.ts: imports ssh2 (only src/tools/ssh/ may import ssh2)',
      'src/workflows/run/example.ts: imports execa (only src/tools/subprocess.ts may import execa)',
      'src/workflows/run/example.ts: imports chalk (only src/ui/ or src/cli/ may import chalk)',
      'src/workflows/run/example.ts: imports @inquirer/prompts (only src/wizard/prompts.ts may import @inquirer/prompts)',
      'src/workflows/run/example.ts: imports node-ssh (only src/tools/ssh/ may import node-ssh)',
    ]);
  });

  it('refuses a layer below the workflows that imports one', () => {
    expect(violations('src/nodes/upgrade-node-ops.ts', "import { minorOfText } from '../workflows/upgrade/plan.js';")).toEqual([
      'src/nodes/upgrade-node-ops.ts: imports ../workflows/upgrade/plan.js (a layer below the workflows must not import src/workflows/)',
    ]);
    expect(violations('src/workflows/init/index.ts', "import { withRun } from '../run/session.js';")).toEqual([]);
  });

  it('lets each door and the hosts import what they own', () => {
    expect(violations('src/tools/subprocess.ts', "const { execa } = await import('execa');")).toEqual([]);
    expect(violations('src/tools/ssh/pool.ts', "import { NodeSSH } from 'node-ssh';")).toEqual([]);
    expect(violations('src/wizard/prompts.ts', "type I = typeof import('@inquirer/prompts');")).toEqual([]);
    expect(violations('src/ui/plain-renderer.ts', "import { Chalk } from 'chalk';")).toEqual([]);
    expect(violations('src/cli/main.ts', "import { x } from '../workflows/init/index.js'; import '../ui/tty-renderer.js';")).toEqual([]);
    expect(violations('src/index.ts', "export * from './workflows/index.js';")).toEqual([]);
  });
});
