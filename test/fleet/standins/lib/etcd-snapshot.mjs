// etcd snapshots in the etcd static pod: `etcdctl … snapshot save FILE` and
// `etcdutl snapshot status FILE [-w json|table|simple]`, run through `kubectl exec etcd-<node> --`.
//
// Where the file goes: the pod is kubeadm's etcd static pod, which mounts the node's /var/lib/etcd
// (etcd-data) and /etc/kubernetes/pki/etcd (etcd-certs) as hostPath volumes, so a path under one of
// them is that node's file. Any other path is the container's own filesystem (distroless: /, /tmp,
// /etc, /var, /var/lib, /home exist): writable, but not on the host (kept here under the node's
// state dir, gone with the pod's restart: not modelled); a path whose folder does not exist in the
// image fails as etcdctl does: `Error: could not open P.part (open P.part: no such file or directory)`.
// Real sources: etcd-io/etcd client/v3/snapshot/v3_snapshot.go (SaveWithVersion: P.part, mode 0600,
// rename, "Snapshot saved at P"), etcdutl/snapshot/v3_snapshot.go (Status: hash, revision, totalKey,
// totalSize, version), etcdutl/etcdutl/printer_json.go (json.Marshal), CHANGELOG-3.6 (etcdctl
// snapshot status/restore removed: pull/13809).
//
// The file format (the stand-in's, documented in test/fleet/README.md "etcd snapshots"): a JSON
// body padded with spaces to a multiple of 512 bytes, then the 32-byte sha256 of the body — so the
// size is 512·n + 32, as a real snapshot's is (etcd appends the sha256; `hasChecksum`). The body:
//   { format: 'k8sb-fleet-etcd-snapshot', formatVersion: 1, storageVersion: '3.6.0', revision, takenAt,
//     takenFrom: member name, members: [...], state: { cluster, tokens, certificateKey, nodes, cni,
//     objects, events, helmReleases } }
// `state` is what etcd stores for the API server: restoring it (etcdutl snapshot restore, H3's
// etcd-restore.mjs) brings back exactly these keys of the API state (SNAPSHOT_STATE_KEYS).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fail, fleetNow, flagValue, parseArgs, thisNode } from './context.mjs';
import { hostPaths } from './cluster.mjs';
import { etcdutlRestore } from './etcd-restore.mjs';

export const SNAPSHOT_FORMAT = 'k8sb-fleet-etcd-snapshot';
/** The API state's keys a snapshot holds (etcd's data); members are raft's, not restored as such. */
export const SNAPSHOT_STATE_KEYS = ['cluster', 'tokens', 'certificateKey', 'nodes', 'cni', 'objects', 'events', 'helmReleases'];
/** hostPath mounts of kubeadm's etcd static pod: container path → node folder name under fs/. */
const POD_MOUNTS = [
  { container: '/var/lib/etcd', host: 'var-lib-etcd' },
  { container: '/etc/kubernetes/pki/etcd', host: 'etc-kubernetes/pki/etcd' },
];
/** Folders the distroless etcd image has of its own. */
const IMAGE_DIRS = new Set(['/', '/tmp', '/etc', '/var', '/var/lib', '/home', '/root', '/usr', '/usr/local', '/usr/local/bin']);
const PAGE = 512;
const SHA = 32;

// ---------------------------------------------------------------- format

const CRC32C = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli), the table etcdutl's Status hashes the buckets with. */
function crc32c(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC32C[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Keys etcd would hold for this state (one per object, node, token, Helm revision, event, …). */
export function countKeys(state) {
  return (
    Object.keys(state.objects ?? {}).length +
    Object.keys(state.nodes ?? {}).length +
    (state.tokens ?? []).length +
    (state.certificateKey ? 1 : 0) +
    (state.cluster ? 1 : 0) +
    (state.cni ? 1 : 0) +
    (state.events ?? []).length +
    Object.values(state.helmReleases ?? {}).reduce((sum, revisions) => sum + revisions.length, 0)
  );
}

/** The snapshot body of the live API state (what `snapshot save` fetches from the member). */
export function snapshotOf(api, { storageVersion = '3.6.0', takenFrom } = {}) {
  const state = {};
  for (const key of SNAPSHOT_STATE_KEYS) if (api[key] !== undefined) state[key] = structuredClone(api[key]);
  // A revision that only grows with the state's writes (history) and its keys.
  const revision = 1 + (api.history?.length ?? 0) + countKeys(state);
  return { format: SNAPSHOT_FORMAT, formatVersion: 1, storageVersion, revision, takenAt: fleetNow(api).toISOString(), takenFrom: takenFrom ?? null, members: structuredClone(api.etcd?.members ?? []), state };
}

export function encodeSnapshot(snapshot) {
  const json = Buffer.from(JSON.stringify(snapshot));
  const padded = Buffer.alloc(Math.ceil((json.length + 1) / PAGE) * PAGE, 0x20);
  json.copy(padded);
  padded[padded.length - 1] = 0x0a;
  return Buffer.concat([padded, createHash('sha256').update(padded).digest()]);
}

/** Writes a snapshot file (mode 0600, as etcd's fileutil.PrivateFileMode). */
export function writeSnapshot(path, snapshot) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, encodeSnapshot(snapshot), { mode: 0o600 });
}

/**
 * The snapshot in `bytes`, or { error } with the message etcdutl would print after "Error: ":
 * bbolt refuses a file that is no database ("invalid database", "file size too small"), and
 * Status's integrity check fails on a body that does not match its checksum.
 */
export function decodeSnapshot(bytes) {
  if (bytes.length < PAGE) return { error: 'file size too small' };
  const body = bytes.subarray(0, bytes.length - SHA);
  let parsed;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const looksOurs = bytes.subarray(0, 11).toString('utf8') === '{"format":"';
  if (!looksOurs) return { error: 'invalid database' };
  const sumOk = bytes.length % PAGE === SHA && createHash('sha256').update(body).digest().equals(bytes.subarray(bytes.length - SHA));
  if (!sumOk || !parsed || parsed.format !== SNAPSHOT_FORMAT) {
    return { error: 'snapshot file integrity check failed. 1 errors found.\npage 3: unreachable unfreed' };
  }
  return { snapshot: parsed, body };
}

/** A snapshot file, or a ToolExit as etcdutl reports it (for H3's `etcdutl snapshot restore`). */
export function readSnapshot(path) {
  let bytes;
  try {
    bytes = readFileSync(path);
  } catch {
    fail(1, `Error: stat ${path}: no such file or directory`);
  }
  const decoded = decodeSnapshot(bytes);
  if (decoded.error) fail(1, `Error: ${decoded.error}`);
  return decoded.snapshot;
}

/** What etcdutl snapshot status reports for a decoded file. */
export function snapshotStatus(decoded) {
  const { snapshot, body } = decoded;
  return { hash: crc32c(body), revision: snapshot.revision, totalKey: countKeys(snapshot.state ?? {}), totalSize: body.length, version: snapshot.storageVersion ?? '' };
}

// ---------------------------------------------------------------- the pod's filesystem

/** The host path behind `path` in the etcd pod of `host`, or a container-only path, or null when the folder does not exist. */
export function podPath(host, path) {
  const normal = path.replace(/\/+$/, '');
  const root = hostPaths(host).root;
  for (const mount of POD_MOUNTS) {
    if (normal === mount.container || normal.startsWith(`${mount.container}/`)) {
      const rest = normal.slice(mount.container.length);
      return { file: `${root}/fs/${mount.host}${rest}`, onHost: true };
    }
  }
  if (!IMAGE_DIRS.has(dirname(normal))) return null;
  return { file: `${root}/state/etcd-container-fs${normal}`, onHost: false };
}

/** "registry.k8s.io/etcd:3.6.6-0" in the node's etcd manifest → storage version "3.6.0". */
function storageVersionOf(host) {
  const manifest = `${hostPaths(host).manifests}/etcd.yaml`;
  const text = existsSync(manifest) ? readFileSync(manifest, 'utf8') : '';
  const match = /etcd:(\d+)\.(\d+)\.\d+/.exec(text);
  return match ? `${match[1]}.${match[2]}.0` : '3.6.0';
}

function podHost(api, pod) {
  const node = api.nodes[pod.spec?.nodeName] ?? Object.values(api.nodes).find((entry) => entry.name === pod.spec?.nodeName);
  return node?.host ?? thisNode().name;
}

// ---------------------------------------------------------------- the commands

/** `etcdctl … snapshot save FILE` (the TLS flags were checked by etcdctl()). */
export function etcdctlSnapshot(api, pod, args) {
  const [command, file, ...extra] = args;
  if (command === 'save') {
    if (!file || extra.length > 0) fail(128, 'Error: snapshot save expects one argument');
    const host = podHost(api, pod);
    const part = `${file}.part`;
    const target = podPath(host, file);
    if (!target) fail(5, `{"level":"info","msg":"created temporary db file"}\nError: could not open ${part} (open ${part}: no such file or directory)`);
    mkdirSync(dirname(target.file), { recursive: true });
    const member = (api.etcd?.members ?? []).find((entry) => entry.host === host);
    writeSnapshot(`${target.file}.part`, snapshotOf(api, { storageVersion: storageVersionOf(host), takenFrom: member?.name ?? pod.spec?.nodeName }));
    renameSync(`${target.file}.part`, target.file);
    const size = statSync(target.file).size;
    process.stderr.write(
      `{"level":"info","msg":"created temporary db file","path":"${part}"}\n` +
        `{"level":"info","msg":"fetching snapshot","endpoint":"https://127.0.0.1:2379"}\n` +
        `{"level":"info","msg":"fetched snapshot","endpoint":"https://127.0.0.1:2379","size":"${(size / 1000).toFixed(0)} kB","etcd-version":"${storageVersionOf(host)}"}\n` +
        `{"level":"info","msg":"saved","path":"${file}"}\n`,
    );
    process.stdout.write(`Snapshot saved at ${file}\n`);
    return 0;
  }
  // etcd 3.6 moved status and restore to etcdutl (CHANGELOG-3.6, pull/13809).
  fail(1, `Error: unknown command "${command ?? ''}" for "etcdctl snapshot"\nRun 'etcdctl snapshot --help' for usage.`);
}

/** `etcdutl snapshot status FILE [-w json|table|simple]`, as the etcd image's etcdutl. */
export function etcdutl(api, pod, argv) {
  const { flags, positional } = parseArgs(argv, { withValue: ['w', 'write-out'] });
  const [group, command, file, ...extra] = positional;
  // `snapshot restore` is etcd-restore.mjs's (H3): its own flags.
  if (group === 'snapshot' && command === 'restore') return etcdutlRestore(api, pod, argv.slice(argv.indexOf('restore') + 1));
  if (group !== 'snapshot' || command !== 'status') {
    fail(1, `Error: unknown command "${[group, command].filter(Boolean).join(' ')}" for "etcdutl"`);
  }
  if (!file || extra.length > 0) fail(128, 'Error: snapshot status requires exactly one argument');
  const target = podPath(podHost(api, pod), file);
  if (!target || !existsSync(target.file)) fail(1, `Error: stat ${file}: no such file or directory`);
  const decoded = decodeSnapshot(readFileSync(target.file));
  if (decoded.error) fail(1, `Error: ${decoded.error}`);
  const status = snapshotStatus(decoded);
  const output = flagValue(flags, 'w') ?? flagValue(flags, 'write-out') ?? 'simple';
  if (output === 'json') process.stdout.write(`${JSON.stringify(status)}\n`);
  else if (output === 'table') {
    const cells = [status.hash.toString(16), String(status.revision), String(status.totalKey), `${(status.totalSize / 1000).toFixed(0)} kB`, status.version];
    process.stdout.write(`+----------+----------+------------+------------+---------+\n|   HASH   | REVISION | TOTAL KEYS | TOTAL SIZE | VERSION |\n+----------+----------+------------+------------+---------+\n| ${cells.join(' | ')} |\n+----------+----------+------------+------------+---------+\n`);
  } else process.stdout.write(`${status.hash.toString(16)}, ${status.revision}, ${status.totalKey}, ${(status.totalSize / 1000).toFixed(0)} kB, ${status.version}\n`);
  return 0;
}
