// Shared set-up of the benches that run on the simulated fleet: flags, the fleet (TypeScript test
// code, loaded through tsx), the availability check, a fresh build, and a timed CLI run.
import { execFileSync, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { register } from 'tsx/esm/api';

register();
export const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'bin/k8s-bootstrap.js');

/** `--name 1,10,30` as numbers; an empty value gives an empty list. */
export function listFlag(name, fallback) {
  const index = process.argv.indexOf(name);
  return (index > 0 ? process.argv[index + 1] : fallback).split(',').filter(Boolean).map(Number);
}

/** The fleet's startFleet, after checking it can run here (else prints why and exits 0), and a build. */
export async function prepareFleetBench(benchName) {
  const { fleetAvailability, startFleet } = await import(join(root, 'test/fleet/fleet.ts'));
  const available = fleetAvailability();
  if (!available.ok) {
    console.log(`${benchName}: skipped: the simulated fleet is unavailable (${available.reason})`);
    process.exit(0);
  }
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  return startFleet;
}

/** Runs the built CLI and returns its wall time in seconds; a failure throws with its stderr. */
export function timedCli(args, cwd) {
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, [bin, ...args], { cwd, env: { ...process.env, CI: 'true', HOME: cwd }, encoding: 'utf8', maxBuffer: 64 << 20 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (run.status !== 0) throw new Error(`k8s-bootstrap ${args.join(' ')} failed (exit ${run.status}):\n${run.stderr.slice(-3000)}`);
  return seconds;
}
