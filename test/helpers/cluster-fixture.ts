/**
 * A built-looking static cluster folder in a temp dir, without any node: cluster.yaml through
 * the spec layer, inventory.json, state.json with a few checkpoints, a kubeconfig, an SSH key,
 * pinned host keys and one old log. The nodes' SSH port refuses connections (nothing listens).
 */
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rewriteAdminKubeconfig } from '../../src/kube/kubeconfig.js';
import { adminConf, sharedKubePki } from '../fixtures/kube-pki.js';
import { inventoryFromSpec } from '../../src/providers/index.js';
import { serializeSpec } from '../../src/config/serialize.js';
import { validateSpec } from '../../src/config/validate/index.js';
import type { ClusterSpec } from '../../src/config/schema.js';
import { ClusterDir } from '../../src/state/cluster-dir.js';
import { StateStore } from '../../src/state/state-store.js';
import { ensureSshKey } from '../../src/workflows/run/ssh-key.js';

export interface ClusterFixture {
  /** The working directory: clusters/<name>/ lives under it. */
  cwd: string;
  /** A HOME of its own, for ~/.kube/config. */
  home: string;
  dir: ClusterDir;
  spec: ClusterSpec;
  port: number;
  oldLog: string;
}

/** A loopback port nothing listens on. */
export async function refusingPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface MakeClusterOptions {
  cwd?: string;
  /** Addresses of cp-1 and worker-1. @default 127.0.0.1, 127.0.0.2 */
  addresses?: [string, string];
  /** @default a port nothing listens on */
  port?: number;
  ssh?: { user: string; privateKey: string };
  /** The public host key (`type base64`) pinned for both nodes. @default the client key's */
  hostKey?: string;
}

export async function makeCluster(name = 'demo', options: MakeClusterOptions = {}): Promise<ClusterFixture> {
  const cwd = options.cwd ?? (await mkdtemp(join(tmpdir(), 'k8sb-day2-')));
  const home = join(cwd, 'home');
  await mkdir(home, { recursive: true });
  const port = options.port ?? (await refusingPort());
  const [cpAddress, workerAddress] = options.addresses ?? ['127.0.0.1', '127.0.0.2'];
  const spec = validateSpec({
    apiVersion: 'k8s-bootstrap.io/v1alpha1',
    kind: 'Cluster',
    name,
    provider: {
      name: 'static',
      hosts: [
        { address: cpAddress, port, role: 'control-plane', name: 'cp-1' },
        { address: workerAddress, port, role: 'worker', name: 'worker-1' },
      ],
    },
    kubernetes: { version: '1.36.2' },
    ...(options.ssh ? { ssh: options.ssh } : {}),
  });
  const dir = ClusterDir.forCluster(name, undefined, cwd);
  await dir.ensure();
  await dir.writeFile('cluster.yaml', serializeSpec(spec));
  const inventory = inventoryFromSpec(spec);
  await dir.writeFile('inventory.json', `${JSON.stringify(inventory, null, 2)}\n`);
  const state = await StateStore.open(dir.stateFile, name);
  await state.markDone('prepare:cp-1');
  await state.markDone('prepare:worker-1');
  await state.markDone('init:cp-1');
  const key = await ensureSshKey(spec, dir);
  // By default any well-formed key will do: the connection is refused before a host key is seen.
  const [keyType, keyBase64] = (options.hostKey ?? key.publicKey).trim().split(/\s+/);
  await dir.writeSecret('known_hosts', `[${cpAddress}]:${port} ${keyType} ${keyBase64}\n[${workerAddress}]:${port} ${keyType} ${keyBase64}\n`);
  // A real CA and admin certificate: the kubeconfig allow-list parses them.
  const pki = sharedKubePki();
  await dir.writeSecret('join.json', `${JSON.stringify({ token: 'abcdef.0123456789abcdef', tokenCreatedAt: Date.now(), certificateKey: 'a'.repeat(64), caCertHash: pki.caHash })}\n`);
  const kubeconfig = rewriteAdminKubeconfig(adminConf(pki), { clusterName: name, endpoint: inventory.api_endpoint, node: 'cp-1', allowedServers: ['127.0.0.1:6443'], caCertHash: pki.caHash });
  await dir.writeFile('kubeconfig', kubeconfig, 0o600);
  const oldLog = join(dir.logsDir, '2025-01-02T03-04-05-678Z-init.log');
  await writeFile(oldLog, 'an earlier run\n');
  return { cwd, home, dir, spec, port, oldLog };
}
