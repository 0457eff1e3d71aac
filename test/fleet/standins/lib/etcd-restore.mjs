// etcd restore: `etcdutl snapshot restore FILE --data-dir D --name N --initial-cluster N=URL
// --initial-advertise-peer-urls URL [--initial-cluster-token T] [--skip-hash-check]` in the etcd
// pod (kubectl exec; the pod's hostPath mounts decide where D is, as for `snapshot save`), and an
// etcd that starts from a restored data dir.
//
// Real behaviour (etcd-io/etcd etcdutl/snapshot/v3_snapshot.go Restore, server/config VerifyBootstrap):
// - the node's name must be in --initial-cluster with the URLs of --initial-advertise-peer-urls;
// - an existing, non-empty data dir is refused: `Error: data-dir "D" not empty or could not be read`;
// - the file must be a snapshot whose sha256 tail matches (a corrupt or truncated file is refused,
//   as `snapshot status` refuses it);
// - it writes D/member/snap/db (the snapshot's bolt database) and D/member/wal/ with a new
//   membership: one member per --initial-cluster entry, new member and cluster IDs ("the member
//   loses its former identity", etcd.io docs "Disaster recovery", op-guide/recovery).
// Stand-in format: member/snap/db is the snapshot file itself; the WAL is one JSON file
// (member/wal/0000000000000000-0000000000000000.wal) with `fleetRestore: 1`, the membership and,
// once etcd started from it, `startedAt`.
//
// Starting: kubeadm's etcd static pod runs `etcd --data-dir=/var/lib/etcd`. When the kubelet runs
// it again (the etcd manifest is back in /etc/kubernetes/manifests) on a data dir restored and not
// yet started, etcd comes up with the snapshot's keys and the restored membership: the API state's
// SNAPSHOT_STATE_KEYS become the snapshot's and the member list is the restored one.
// `startRestoredEtcd()` applies that; kubeclient.connect() calls it before every API request.
//
// Serving: the API answers only while etcd has quorum (more than half the voting members' etcd
// manifests in /etc/kubernetes/manifests): moving the manifests out stops the pods (`apiRefusal`).
// (A kube-apiserver manifest moved alone is not modelled: the API still answers.)
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fail, flagValue, parseArgs, recordHistory, thisNode, updateApi, apiState } from './context.mjs';
import { hostPaths } from './cluster.mjs';
import { decodeSnapshot, podPath, SNAPSHOT_STATE_KEYS } from './etcd-snapshot.mjs';

export const RESTORE_WAL = 'member/wal/0000000000000000-0000000000000000.wal';
const EMPTY_STATE = { cluster: null, tokens: [], certificateKey: null, nodes: {}, cni: null, objects: {}, events: [], helmReleases: {} };

function podHost(api, pod) {
  const node = api.nodes[pod.spec?.nodeName] ?? Object.values(api.nodes).find((entry) => entry.name === pod.spec?.nodeName);
  return node?.host ?? thisNode().name;
}

/** `--initial-cluster a=https://x:2380,b=https://y:2380` → [{name, peerURL}]. */
function parseInitialCluster(text) {
  return text.split(',').filter(Boolean).map((entry) => {
    const at = entry.indexOf('=');
    if (at <= 0) fail(1, `Error: URL address does not have the form "host:port": ${entry}`);
    return { name: entry.slice(0, at), peerURL: entry.slice(at + 1) };
  });
}

/** `etcdutl snapshot restore FILE …` (argv after `snapshot restore`). */
export function etcdutlRestore(api, pod, argv) {
  const { flags, positional } = parseArgs(argv, {
    withValue: ['data-dir', 'name', 'initial-cluster', 'initial-cluster-token', 'initial-advertise-peer-urls', 'wal-dir', 'w', 'write-out'],
  });
  const [file, ...extra] = positional;
  if (!file || extra.length > 0) fail(1, 'Error: snapshot restore requires exactly one argument');
  const host = podHost(api, pod);
  const name = flagValue(flags, 'name') ?? 'default';
  const advertise = flagValue(flags, 'initial-advertise-peer-urls') ?? 'http://localhost:2380';
  const initial = parseInitialCluster(flagValue(flags, 'initial-cluster') ?? `${name}=${advertise}`);
  const token = flagValue(flags, 'initial-cluster-token') ?? 'etcd-cluster';
  const self = initial.find((member) => member.name === name);
  if (!self) fail(1, `Error: couldn't find local name "${name}" in the initial cluster configuration`);
  if (self.peerURL !== advertise) {
    fail(1, `Error: --initial-cluster has ${name}=${self.peerURL} but missing from --initial-advertise-peer-urls=${advertise} ("${advertise}"(resolved from "${advertise}") != "${self.peerURL}"(resolved from "${self.peerURL}"))`);
  }
  const source = podPath(host, file);
  if (!source || !existsSync(source.file)) fail(1, `Error: stat ${file}: no such file or directory`);
  const bytes = readFileSync(source.file);
  const decoded = decodeSnapshot(bytes);
  if (decoded.error) fail(1, `Error: ${decoded.error}`);
  const dataDir = flagValue(flags, 'data-dir') ?? `${name}.etcd`;
  const target = podPath(host, dataDir.startsWith('/') ? dataDir : `/${dataDir}`);
  if (!target) fail(1, `Error: mkdir ${dataDir}: no such file or directory`);
  if (existsSync(target.file) && readdirSync(target.file).length > 0) fail(1, `Error: data-dir "${dataDir}" not empty or could not be read`);
  mkdirSync(`${target.file}/member/snap`, { recursive: true, mode: 0o700 });
  mkdirSync(`${target.file}/member/wal`, { recursive: true, mode: 0o700 });
  writeFileSync(`${target.file}/member/snap/db`, bytes, { mode: 0o600 });
  const clusterId = randomBytes(8).toString('hex');
  const members = initial.map((member) => ({ id: randomBytes(8).toString('hex'), name: member.name, peerURL: member.peerURL }));
  const wal = { fleetRestore: 1, name, clusterId, token, members, revision: decoded.snapshot.revision, restoredAt: new Date().toISOString() };
  writeFileSync(`${target.file}/${RESTORE_WAL}`, `${JSON.stringify(wal)}\n`, { mode: 0o600 });
  const walDir = `${dataDir.replace(/\/+$/, '')}/member/wal`;
  const snapDir = `${dataDir.replace(/\/+$/, '')}/member/snap`;
  process.stderr.write(
    `{"level":"info","msg":"restoring snapshot","path":"${file}","wal-dir":"${walDir}","data-dir":"${dataDir}","snap-dir":"${snapDir}","initial-memory-map-size":10737418240}\n` +
      `{"level":"info","msg":"added member","cluster-id":"${clusterId}","local-member-id":"0","added-peer-id":"${members.find((m) => m.name === name).id}","added-peer-peer-urls":["${self.peerURL}"]}\n` +
      `{"level":"info","msg":"restored snapshot","path":"${file}","wal-dir":"${walDir}","data-dir":"${dataDir}","snap-dir":"${snapDir}","initial-memory-map-size":10737418240}\n`,
  );
  return 0;
}

const readWal = (path) => {
  try {
    const wal = JSON.parse(readFileSync(path, 'utf8'));
    return wal?.fleetRestore === 1 ? wal : null;
  } catch {
    return null;
  }
};

/** Hosts that may run an etcd static pod: the members' and the Nodes'. */
function candidateHosts(api) {
  return [...new Set([...(api.etcd?.members ?? []).map((m) => m.host), ...Object.values(api.nodes ?? {}).map((n) => n.host)].filter(Boolean))];
}

/**
 * etcd starting on a restored data dir (its manifest is back): the API state becomes the
 * snapshot's, the members the restored ones. Returns true when it changed the state.
 */
export function startRestoredEtcd() {
  const api = apiState();
  for (const host of candidateHosts(api)) {
    const paths = hostPaths(host);
    const walPath = `${paths.root}/fs/var-lib-etcd/${RESTORE_WAL}`;
    if (!existsSync(`${paths.manifests}/etcd.yaml`) || !existsSync(walPath)) continue;
    const wal = readWal(walPath);
    if (!wal || wal.startedAt) continue;
    const decoded = decodeSnapshot(readFileSync(`${paths.root}/fs/var-lib-etcd/member/snap/db`));
    if (decoded.error) continue; // etcd would crash-loop on it; the API stays as it is.
    const state = decoded.snapshot.state ?? {};
    try {
      updateApi((fresh) => {
        for (const key of SNAPSHOT_STATE_KEYS) fresh[key] = structuredClone(state[key] ?? EMPTY_STATE[key]);
        fresh.etcd = {
          members: wal.members.map((member) => {
            const address = /^https?:\/\/([^:/]+)/.exec(member.peerURL)?.[1] ?? '127.0.0.1';
            return { id: member.id, name: member.name, host: member.name === wal.name ? host : null, peerURL: member.peerURL, clientURL: `https://${address}:2379`, isLearner: false };
          }),
        };
        recordHistory(fresh, 'etcd-restore-start', { host, revision: wal.revision, members: wal.members.map((m) => m.name) });
      });
      writeFileSync(walPath, `${JSON.stringify({ ...wal, startedAt: new Date().toISOString() })}\n`, { mode: 0o600 });
    } catch {
      // Not root (a read-only caller): the next privileged call starts it.
    }
    return true;
  }
  return false;
}

/** Why the API does not answer (its static pods are stopped), or null. */
export function apiRefusal(api) {
  const members = (api.etcd?.members ?? []).filter((member) => !member.isLearner && member.host);
  if (!api.cluster || members.length === 0) return null;
  const running = (host, component) => existsSync(`${hostPaths(host).manifests}/${component}.yaml`);
  const etcdUp = members.filter((member) => running(member.host, 'etcd'));
  return etcdUp.length * 2 <= members.length ? 'etcd has no quorum' : null;
}
