/**
 * When a backend is added to a cluster that already has local state, `init` must copy that state
 * into the backend. Terraform does this on the first init with a backend, but asks first; with
 * -input=false it stops with "Can't ask approval for state migration when interactive input is
 * disabled", and `-force-copy` (which implies -migrate-state) answers "yes" instead
 * (hashicorp/terraform v1.11 internal/command/meta_backend_migrate.go, backendMigrateState;
 * init.go: "-force-copy implies -migrate-state"). Forcing also overwrites a state the backend
 * already holds at that key, so the driver checks that the backend is empty first.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';

/** Resource count of a state file's JSON; 0 for a missing, empty or unreadable file. */
export function stateResourceCount(json: string): number {
  try {
    const parsed = JSON.parse(json) as { resources?: unknown };
    return Array.isArray(parsed.resources) ? parsed.resources.length : 0;
  } catch {
    return 0;
  }
}

async function readOrEmpty(path: string): Promise<string> {
  return readFile(path, 'utf8').catch(() => '');
}

/** Terraform's record of the backend it was last initialised with: <data dir>/terraform.tfstate. */
async function initializedBackendType(dir: string, env: Record<string, string | undefined>): Promise<string | undefined> {
  const dataDir = env.TF_DATA_DIR ? (isAbsolute(env.TF_DATA_DIR) ? env.TF_DATA_DIR : join(dir, env.TF_DATA_DIR)) : join(dir, '.terraform');
  try {
    const parsed = JSON.parse(await readOrEmpty(join(dataDir, 'terraform.tfstate'))) as { backend?: { type?: unknown } };
    return typeof parsed.backend?.type === 'string' && parsed.backend.type !== '' ? parsed.backend.type : undefined;
  } catch {
    return undefined;
  }
}

/**
 * True when `init` is about to configure a backend for the first time in `dir` while the local
 * terraform.tfstate still lists resources: a backend added to a live cluster.
 */
export async function addsBackendToLocalState(dir: string, backendFile: string, env: Record<string, string | undefined>): Promise<boolean> {
  if (!existsSync(join(dir, backendFile))) return false;
  if (stateResourceCount(await readOrEmpty(join(dir, 'terraform.tfstate'))) === 0) return false;
  return (await initializedBackendType(dir, env)) === undefined;
}
