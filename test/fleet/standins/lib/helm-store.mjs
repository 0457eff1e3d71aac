// Helm's release storage in the fleet: the revisions of each release in the shared API state
// (api.helmReleases["<namespace>/<name>"]) and, as Helm's default Secrets driver keeps them, one
// Secret `sh.helm.release.v1.<name>.v<revision>` of type helm.sh/release.v1 per revision in the
// release's namespace, labelled name/owner=helm/status/version/createdAt and holding the release
// encoded as Helm encodes it (JSON, gzip, base64) — without the manifest, which the fleet re-renders.
// Sources: helm/helm pkg/storage/driver/secrets.go (newSecretsObject, Create), util.go (encodeRelease),
// pkg/storage/storage.go (makeKey, removeLeastRecent) @v4.2.4.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { deleteObject, listObjects, putObject } from './objects.mjs';

const key = (namespace, name) => `${namespace}/${name}`;
export const secretName = (name, revision) => `sh.helm.release.v1.${name}.v${revision}`;

/** The release's revisions, oldest first ([] when there is none). */
export function revisionsOf(api, namespace, name) {
  return [...(api.helmReleases?.[key(namespace, name)] ?? [])].sort((a, b) => a.revision - b.revision);
}

/** Every release's revisions: [[rev…], …], optionally of one namespace. */
export function allReleases(api, namespace) {
  return Object.values(api.helmReleases ?? {})
    .map((revisions) => [...revisions].sort((a, b) => a.revision - b.revision))
    .filter((revisions) => revisions.length > 0 && (namespace === undefined || revisions[0].namespace === namespace));
}

export const latest = (revisions) => revisions[revisions.length - 1];
export const isPending = (revision) => revision.status.startsWith('pending-');

/** Stores (adds or replaces) a revision and rewrites the release's Secrets. */
export function putRevision(api, revision) {
  api.helmReleases ??= {};
  const list = (api.helmReleases[key(revision.namespace, revision.name)] ??= []);
  const index = list.findIndex((entry) => entry.revision === revision.revision);
  if (index >= 0) list[index] = revision;
  else list.push(revision);
  syncSecrets(api, revision.namespace, revision.name);
}

/** Drops every revision of a release and its Secrets (helm uninstall without --keep-history). */
export function dropRelease(api, namespace, name) {
  delete api.helmReleases?.[key(namespace, name)];
  syncSecrets(api, namespace, name);
}

/**
 * Before a new revision is stored: at most `max` revisions remain afterwards, the oldest go first,
 * the last deployed one never (Storage.removeLeastRecent, called with MaxHistory-1). 0 = no limit.
 */
export function pruneHistory(api, namespace, name, max) {
  if (!max || max <= 0) return;
  const list = api.helmReleases?.[key(namespace, name)];
  if (!list) return;
  const sorted = [...list].sort((a, b) => a.revision - b.revision);
  const keep = max - 1;
  const lastDeployed = [...sorted].reverse().find((entry) => entry.status === 'deployed');
  const removable = sorted.filter((entry) => entry !== lastDeployed);
  let excess = sorted.length - keep;
  const dropped = new Set();
  for (const entry of removable) {
    if (excess <= 0) break;
    dropped.add(entry.revision);
    excess--;
  }
  api.helmReleases[key(namespace, name)] = list.filter((entry) => !dropped.has(entry.revision));
  syncSecrets(api, namespace, name);
}

/** JSON with sorted keys: the form the values hash is taken of. */
export function canonicalJson(value) {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') return `{${Object.keys(value).sort().map((entry) => `${JSON.stringify(entry)}:${canonicalJson(value[entry])}`).join(',')}}`;
  return JSON.stringify(value ?? null);
}

export const valuesSha256 = (values) => createHash('sha256').update(canonicalJson(values ?? null)).digest('hex');

// ---------------------------------------------------------------- time, as Go prints it

const pad = (value, width = 2) => String(value).padStart(width, '0');
const fraction = (date) => {
  const ms = date.getUTCMilliseconds();
  return ms === 0 ? '' : `.${pad(ms, 3).replace(/0+$/, '')}`;
};

/** time.Time.String(): "2026-08-13 15:33:04.12 +0000 UTC" (helm list's "updated"). */
export function goTimeString(iso) {
  const d = new Date(iso);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${fraction(d)} +0000 UTC`;
}

/** encoding/json of a time.Time (RFC 3339 with trimmed nanoseconds): "2026-08-13T15:33:04.12Z". */
export function jsonTime(iso) {
  const d = new Date(iso);
  return `${d.toISOString().slice(0, 19)}${fraction(d)}Z`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** time.ANSIC: "Mon Jan _2 15:04:05 2006" (the status table's LAST DEPLOYED). */
export function ansic(iso) {
  const d = new Date(iso);
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

// ---------------------------------------------------------------- the release object

/**
 * The release as Helm's JSON shows it (pkg/release/v1/release.go, info.go; pkg/chart/v2/chart.go,
 * metadata.go @v4.2.4): `helm status -o json`, upgrade/install `-o json`, and the Secrets' content.
 */
export function releaseObject(revision, { manifest, chartValues } = {}) {
  return {
    name: revision.name,
    info: {
      first_deployed: jsonTime(revision.firstDeployed),
      last_deployed: jsonTime(revision.lastDeployed),
      description: revision.description,
      status: revision.status,
    },
    chart: {
      metadata: { name: revision.chart, version: revision.version, appVersion: revision.appVersion, apiVersion: 'v2' },
      lock: null,
      templates: null,
      values: chartValues ?? null,
      schema: null,
      schemamodtime: '0001-01-01T00:00:00Z',
      files: null,
    },
    ...(revision.values && Object.keys(revision.values).length > 0 ? { config: revision.values } : {}),
    ...(manifest ? { manifest } : {}),
    version: revision.revision,
    namespace: revision.namespace,
    apply_method: 'ssa',
  };
}

/** Rewrites the release's Secrets from its revisions (and removes those of revisions that are gone). */
function syncSecrets(api, namespace, name) {
  const revisions = revisionsOf(api, namespace, name);
  const wanted = new Set(revisions.map((revision) => secretName(name, revision.revision)));
  for (const stored of listObjects(api, 'Secret', namespace)) {
    if (stored.body?.type === 'helm.sh/release.v1' && stored.body?.metadata?.labels?.name === name && !wanted.has(stored.name)) deleteObject(api, 'Secret', namespace, stored.name);
  }
  for (const revision of revisions) {
    const encoded = gzipSync(Buffer.from(JSON.stringify(releaseObject(revision))), { level: 9 }).toString('base64');
    putObject(
      api,
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: secretName(name, revision.revision),
          namespace,
          labels: { createdAt: String(Math.floor(new Date(revision.lastDeployed).getTime() / 1000)), name, owner: 'helm', status: revision.status, version: String(revision.revision) },
        },
        type: 'helm.sh/release.v1',
        // The driver stores the base64 text as the Secret's bytes; the API shows those base64-encoded.
        data: { release: Buffer.from(encoded).toString('base64') },
      },
      { manager: 'helm', namespace },
    );
  }
}
