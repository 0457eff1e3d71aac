/**
 * Runs before `npm test`, `npm start` and `npm run dev`: installs the dependencies with `npm ci`
 * when node_modules is missing or older than package-lock.json, so each of those commands works
 * on a fresh clone by itself. `npm ci` installs exactly the lock file and never rewrites it
 * (unlike `npm install`), so no tracked file changes. npm keeps its record of what it installed in
 * node_modules/.package-lock.json ("hidden lockfile", docs.npmjs.com/cli/v11/configuring-npm/package-lock-json).
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';

const mtime = (path) => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
};

const installed = mtime('node_modules/.package-lock.json');
const wanted = mtime('package-lock.json');
if (installed === undefined || (wanted !== undefined && wanted > installed)) {
  process.stderr.write('Installing the dependencies (npm ci)…\n');
  const npm = process.env.npm_execpath ? [process.execPath, [process.env.npm_execpath]] : ['npm', []];
  const result = spawnSync(npm[0], [...npm[1], 'ci', '--no-audit', '--no-fund'], { stdio: ['ignore', 2, 2] }); // stdout stays the tool's own
  process.exit(result.status ?? 1);
}
