/**
 * The cluster folder (default ./clusters/<name>/): the only place the tool keeps anything.
 *   cluster.yaml     the spec (no secrets)
 *   cluster.schema.json  its JSON Schema, which cluster.yaml's first line points editors at
 *   inventory.json   the nodes, from Terraform or the static spec
 *   state.json       checkpoints: finished steps with their inputs
 *   secrets/         0700; SSH key, join material, admin kubeconfig, host keys (0600 files)
 *   terraform/ packer/ rendered inputs and tool working folders
 *   logs/<run>.log   full tool output, redacted
 *   kubeconfig       0600, the admin kubeconfig pointed at the public API endpoint
 */
import { chmod, mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { dnsLabelProblem } from '../config/field-checks.js';
import { SCHEMA_FILE } from '../config/schema.js';
import { writeFileAtomic } from './atomic.js';
import { readTextIfExists } from './read-optional.js';

export const SECRET_FILE_MODE = 0o600;
export const SECRET_DIR_MODE = 0o700;

export class ClusterDir {
  readonly root: string;
  constructor(root: string) {
    this.root = resolve(root);
  }

  /**
   * ./clusters/<name>, or --dir. The name becomes a path component, so it must be a DNS-1123
   * label wherever it came from (a "../../x" in a handed-over cluster.yaml must not pick a folder).
   */
  static forCluster(name: string, explicitDir?: string, cwd = process.cwd(), source = 'name'): ClusterDir {
    if (explicitDir) return new ClusterDir(resolve(cwd, explicitDir));
    assertClusterName(name, source);
    return new ClusterDir(join(cwd, 'clusters', name));
  }

  get specFile(): string { return join(this.root, 'cluster.yaml'); }
  get schemaFile(): string { return join(this.root, SCHEMA_FILE); }
  get inventoryFile(): string { return join(this.root, 'inventory.json'); }
  get stateFile(): string { return join(this.root, 'state.json'); }
  get secretsDir(): string { return join(this.root, 'secrets'); }
  get terraformDir(): string { return join(this.root, 'terraform'); }
  get packerDir(): string { return join(this.root, 'packer'); }
  get logsDir(): string { return join(this.root, 'logs'); }
  get kubeconfigFile(): string { return join(this.root, 'kubeconfig'); }
  get lockFile(): string { return join(this.root, 'lock.json'); }
  get knownHostsFile(): string { return join(this.secretsDir, 'known_hosts'); }
  secretFile(name: string): string { return join(this.secretsDir, name); }

  async exists(): Promise<boolean> {
    try {
      return (await stat(this.root)).isDirectory();
    } catch {
      return false;
    }
  }

  async ensure(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    await mkdir(this.secretsDir, { recursive: true, mode: SECRET_DIR_MODE });
    await chmod(this.secretsDir, SECRET_DIR_MODE);
    await mkdir(this.logsDir, { recursive: true });
  }

  async writeSecret(name: string, value: string): Promise<string> {
    await this.ensure();
    const path = this.secretFile(name);
    await writeFileAtomic(path, value, SECRET_FILE_MODE);
    return path;
  }

  readSecret(name: string): Promise<string | undefined> {
    return readTextIfExists(this.secretFile(name));
  }

  async writeFile(relativePath: string, content: string, mode = 0o644): Promise<string> {
    const path = join(this.root, relativePath);
    await writeFileAtomic(path, content, mode);
    return path;
  }

  async readJson<T>(path: string): Promise<T | undefined> {
    const text = await readTextIfExists(path);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }
}

/** Refuses a cluster name that is not a DNS-1123 label; `source` says where it came from. */
export function assertClusterName(name: string, source = 'name'): void {
  const problem = dnsLabelProblem(name);
  if (!problem) return;
  throw new UsageError('InvalidClusterName', `${source}: ${problem.message} (got ${JSON.stringify(name)})${problem.fix ? `: ${problem.fix}` : ''}`, {
    hint: 'The cluster name names its folder under ./clusters/; nothing was read or changed.',
  });
}
