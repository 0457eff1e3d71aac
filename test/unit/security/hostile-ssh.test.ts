/**
 * The SSH layer against a hostile node (an ssh2 server on 127.0.0.1 that answers with whatever
 * the test scripts): output floods are capped and stop the command, a peer that drops the
 * connection at authentication gets no key pinned, only init/add-workers pin unknown hosts, and
 * @revoked / @cert-authority lines in the person's known_hosts are honoured, never skipped.
 */
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SecretSet } from '../../../src/engine/redact.js';
import type { ClusterSpec } from '../../../src/config/schema.js';
import type { ClusterDir } from '../../../src/state/cluster-dir.js';
import { HostKeyStore } from '../../../src/tools/ssh/known-hosts.js';
import { SshPool, type NodeAddress, type SshPoolOptions } from '../../../src/tools/ssh/pool.js';
import type { RunHarness } from '../../../src/workflows/run/session.js';
import { createSshPool } from '../../../src/workflows/run/ssh-pool.js';
import { SshNodeOps } from '../../../src/nodes/ssh-node-ops.js';
import type { ClusterNode, Topology } from '../../../src/nodes/topology.js';
import { hostKeyPair, startHostileNode, type HostileNode, type HostileReply } from '../../fixtures/hostile-node/hostile-node.js';

const MiB = 1024 * 1024;
const work = mkdtempSync(join(tmpdir(), 'k8sb-hostile-ssh-'));
const clientKey = join(work, 'client_key');
writeFileSync(clientKey, hostKeyPair().privateKey, { mode: 0o600 });

const nodes: HostileNode[] = [];
const pools: SshPool[] = [];
afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.closeAll();
  for (const node of nodes.splice(0)) await node.close();
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function hostile(options: Parameters<typeof startHostileNode>[0]): Promise<HostileNode> {
  const node = await startHostileNode(options);
  nodes.push(node);
  return node;
}

let files = 0;
const storeFile = () => join(work, `known_hosts_${files++}`);

function pool(overrides: Partial<SshPoolOptions> = {}): SshPool {
  const created = new SshPool({
    user: 'root',
    privateKeyPath: clientKey,
    knownHosts: new HostKeyStore({ file: storeFile() }),
    connectTimeoutMs: 5000,
    readyWaitMs: 5000,
    pinNew: true,
    ...overrides,
  });
  pools.push(created);
  return created;
}

const address = (node: HostileNode, name = 'cp-1'): NodeAddress => ({ name, host: '127.0.0.1', port: node.port });

/** Writes `bytes` bytes of `fill` with backpressure, stopping when the client closes the channel. */
async function flood(channel: Parameters<Extract<HostileReply, Function>>[0], stream: Writable, bytes: number, fill = 'x'): Promise<void> {
  let closed = false;
  const gone = once(channel, 'close').then(() => (closed = true));
  const chunk = Buffer.alloc(256 * 1024, fill);
  for (let sent = 0; sent < bytes && !closed; sent += chunk.length) {
    const piece = bytes - sent < chunk.length ? chunk.subarray(0, bytes - sent) : chunk;
    if (!stream.write(piece)) await Promise.race([once(stream, 'drain'), gone]);
  }
}

/** A reply that prints one line of `bytes` bytes (no newline inside), then `after`, then exits 0. */
function longLine(bytes: number, options: { stderr?: boolean; after?: string } = {}): HostileReply {
  return async (channel) => {
    const stream = options.stderr ? channel.stderr : channel;
    await flood(channel, stream, bytes);
    stream.write(options.after ?? '\n');
    channel.exit(0);
    channel.end();
  };
}

describe('a node that floods its output', () => {
  it('a 50 MB line on stdout stops the command with an error naming the node, the command and the 1 MiB cap', async () => {
    const node = await hostile({ reply: (command) => (command.includes('flood') ? longLine(50 * MiB) : undefined) });
    const session = pool().session(address(node, 'worker-3'));
    const error = await session.exec(['cat', '/var/log/flood'], { timeoutMs: 20_000 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'RemoteOutputTooLarge', node: 'worker-3', command: 'cat /var/log/flood' });
    expect((error as Error).message).toBe('On node worker-3: `cat /var/log/flood` printed more than 1 MiB on stdout; it was stopped.');
    expect((error as { hint: string }).hint).toMatch(/cannot exhaust this machine's memory/);
    // The session stays usable.
    expect((await session.exec(['true'], { timeoutMs: 10_000 })).code).toBe(0);
  });

  it('a flood on stderr is capped the same way', async () => {
    const node = await hostile({ reply: () => longLine(3 * MiB, { stderr: true }) });
    const error = await pool().session(address(node)).exec(['kubeadm', 'version'], { timeoutMs: 20_000, allowFailure: true }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'RemoteOutputTooLarge', message: 'On node cp-1: `kubeadm version` printed more than 1 MiB on stderr; it was stopped.' });
  });

  it('output that is only shown (captureOutput: false) is streamed whole, a 50 MB line cut at 64 KiB', async () => {
    const node = await hostile({ reply: () => longLine(50 * MiB, { after: '\nafter the flood\n' }) });
    const lines: string[] = [];
    const result = await pool()
      .session(address(node))
      .exec({ script: 'journalctl' }, { timeoutMs: 50_000, captureOutput: false, onLine: (line) => lines.push(line) });
    expect(result).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(`${'x'.repeat(64 * 1024)}… [line truncated: ${50 * MiB} bytes, only the first 64 KiB kept]`);
    expect(lines[1]).toBe('after the flood');
  });

  it('readFile takes a 2 MiB file whole, and refuses one over its 16 MiB cap', async () => {
    const node = await hostile({ reply: (command) => (command.includes('big') ? longLine(17 * MiB) : longLine(2 * MiB - 1)) });
    const session = pool().session(address(node));
    expect((await session.readFile('/etc/kubernetes/admin.conf')).length).toBe(2 * MiB);
    const error = await session.readFile('/var/big').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'RemoteOutputTooLarge', message: "On node cp-1: `sudo -n cat /var/big` printed more than 16 MiB on stdout; it was stopped." });
  });

  it('kubectl get nodes -o json of a large cluster (over 1 MiB) is read whole', async () => {
    // Real Nodes list their cached images: a few hundred nodes pass 1 MiB easily.
    const images = Array.from({ length: 40 }, (_, i) => ({ names: [`registry.example/image-${i}@sha256:${'a'.repeat(64)}`], sizeBytes: 1 }));
    const items = Array.from({ length: 300 }, (_, i) => ({ metadata: { name: `worker-${i}` }, status: { images, nodeInfo: { kubeletVersion: 'v1.36.2' } } }));
    const json = JSON.stringify({ items });
    expect(json.length).toBeGreaterThan(MiB);
    const node = await hostile({ reply: (command) => (command.includes("'get' 'nodes'") ? { stdout: json } : { code: 1 }) });
    const ops = new SshNodeOps({ spec: {} as ClusterSpec, dir: {} as ClusterDir, pool: pool(), secrets: new SecretSet() });
    const first = { name: 'cp-1', host: '127.0.0.1', port: node.port } as ClusterNode;
    const listed = await ops.getNodes(first, { signal: new AbortController().signal, output: () => undefined });
    expect(listed).toHaveLength(300);
  });
});

describe('trust on first use', () => {
  it('a peer that shows key A and drops the connection at authentication gets nothing pinned; the real node with key B is then pinned', async () => {
    const impostor = await hostile({ dropBeforeAuth: true });
    const file = storeFile();
    const learned: string[] = [];
    const sshPool = pool({ knownHosts: new HostKeyStore({ file }), readyWaitMs: 1500, onHostKeyLearned: (info) => learned.push(info.fingerprint) });
    const target = address(impostor);
    await expect(sshPool.connect(target)).rejects.toMatchObject({ code: 'SshUnreachable' });
    expect(impostor.authAttempts).toBeGreaterThan(0);
    expect(existsSync(file) ? readFileSync(file, 'utf8') : '').toBe('');
    expect(learned).toEqual([]);

    // The real machine comes up at the same address with its own key.
    await impostor.close();
    nodes.splice(nodes.indexOf(impostor), 1);
    const real = await hostile({ port: impostor.port });
    expect((await sshPool.session(target).exec(['true'], { timeoutMs: 10_000 })).code).toBe(0);
    const pinned = readFileSync(file, 'utf8');
    expect(pinned).toBe(`[127.0.0.1]:${real.port} ${real.publicKey}\n`);
    expect(pinned).not.toContain(impostor.publicKey.split(' ')[1]);
    expect(learned).toHaveLength(1);
  });

  it('a pool that may not pin refuses a host with no pinned key before authenticating, and says what to do', async () => {
    const node = await hostile({});
    const file = storeFile();
    const error = await pool({ knownHosts: new HostKeyStore({ file }), pinNew: false })
      .session(address(node, 'worker-2'))
      .exec(['kubeadm', 'reset', '-f'], { timeoutMs: 10_000 })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'HostKeyNotPinned', node: 'worker-2', address: `[127.0.0.1]:${node.port}` });
    expect((error as Error).message).toContain(`Node worker-2 ([127.0.0.1]:${node.port}) has no pinned host key in ${file}`);
    expect((error as Error).message).toMatch(/presented ssh-ed25519 SHA256:/);
    expect((error as { hint: string }).hint).toMatch(/Only init and add-workers pin/);
    expect(node.authAttempts).toBe(0);
    expect(node.commands).toEqual([]);
    expect(existsSync(file)).toBe(false);
  });

  it('createSshPool pins unknown hosts only when the workflow asks for it (init, add-workers)', async () => {
    const node = await hostile({});
    const notes: string[] = [];
    const run = { signal: new AbortController().signal, secrets: new SecretSet(), note: (message: string) => notes.push(message) } as unknown as RunHarness;
    const spec = { ssh: { privateKey: clientKey } } as ClusterSpec;
    const file = storeFile();
    const dir = { knownHostsFile: file, secretFile: (name: string) => join(work, 'none', name) } as unknown as ClusterDir;
    const topology = { sshUser: 'root', controlPlanes: [], workers: [] } as unknown as Topology;
    const options = { spec, dir, topology, concurrency: 2, sshTimeoutMs: 5000, env: {} };

    const dayTwo = createSshPool(run, options);
    pools.push(dayTwo);
    await expect(dayTwo.connect(address(node))).rejects.toMatchObject({ code: 'HostKeyNotPinned' });
    expect(existsSync(file)).toBe(false);

    const setup = createSshPool(run, { ...options, pinNew: true });
    pools.push(setup);
    await setup.connect(address(node));
    expect(readFileSync(file, 'utf8')).toBe(`[127.0.0.1]:${node.port} ${node.publicKey}\n`);
    expect(notes).toEqual([expect.stringMatching(/^cp-1: pinned host key ssh-ed25519 SHA256:/)]);
  });
});

describe("the person's known_hosts: @revoked and @cert-authority lines", () => {
  function userKnownHosts(text: string): string {
    const path = join(work, `user_known_hosts_${files++}`);
    writeFileSync(path, text);
    return path;
  }

  it('a key marked @revoked is refused, naming the file, before authentication', async () => {
    const node = await hostile({});
    const revokedIn = userKnownHosts(`@revoked * ${node.publicKey}\n`);
    const file = storeFile();
    const error = await pool({ knownHosts: new HostKeyStore({ file, readOnlyFiles: [revokedIn] }) })
      .connect(address(node))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'HostKeyRevoked', node: 'cp-1' });
    expect((error as Error).message).toMatch(new RegExp(`presented the host key ssh-ed25519 SHA256:\\S+, which ${revokedIn} marks @revoked; nothing was run on it\\.`));
    expect(node.authAttempts).toBe(0);
    expect(existsSync(file)).toBe(false);
  });

  it('a @cert-authority line for the host is not skipped: without a pinned key the host is refused (certificates are not supported)', async () => {
    const node = await hostile({});
    const authority = hostKeyPair().publicKey;
    const caFile = userKnownHosts(`@cert-authority 127.0.0.1,[127.0.0.1]:* ${authority}\n`);
    const file = storeFile();
    const error = await pool({ knownHosts: new HostKeyStore({ file, readOnlyFiles: [caFile] }) })
      .connect(address(node))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'HostCertificatesUnsupported' });
    expect((error as Error).message).toBe(
      `${caFile} has a @cert-authority line for node cp-1 ([127.0.0.1]:${node.port}), but host certificates are not supported; the node was not trusted and nothing was run on it.`,
    );
    expect((error as { hint: string }).hint).toMatch(/Pin the node's host key itself/);
    expect(node.authAttempts).toBe(0);
    expect(existsSync(file)).toBe(false);
  });

  it('a @cert-authority line next to a pinned key for the host: the pinned key is used', async () => {
    const node = await hostile({});
    const caFile = userKnownHosts(`@cert-authority * ${hostKeyPair().publicKey}\n[127.0.0.1]:${node.port} ${node.publicKey}\n`);
    const session = pool({ knownHosts: new HostKeyStore({ file: storeFile(), readOnlyFiles: [caFile] }) }).session(address(node));
    expect((await session.exec(['true'], { timeoutMs: 10_000 })).code).toBe(0);
  });

  it('a @cert-authority line for other hosts changes nothing for this one', async () => {
    const node = await hostile({});
    const caFile = userKnownHosts(`@cert-authority *.corp.example ${hostKeyPair().publicKey}\n`);
    const file = storeFile();
    await pool({ knownHosts: new HostKeyStore({ file, readOnlyFiles: [caFile] }) }).connect(address(node));
    expect(readFileSync(file, 'utf8')).toBe(`[127.0.0.1]:${node.port} ${node.publicKey}\n`);
  });
});
