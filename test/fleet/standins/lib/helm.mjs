// helm, as Helm 4 (the only major the fleet's get.helm.sh offers, canned/helm-releases.json) behaves
// for an installer: available once the release tarball put /usr/local/bin/helm there; version,
// upgrade [--install], install, list, status, get values, history, rollback, uninstall against the
// fleet's shared API state. Charts come from the fleet's repositories (canned/helm-charts.json) and
// are rendered by charts.mjs; releases are stored by helm-store.mjs (records + release Secrets);
// --wait is helm-wait.mjs. Wording and control flow follow helm/helm @v4.2.4, cited per function
// (pkg/cmd/*.go for the CLI, pkg/action/*.go for what each action does and says).
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { apiState, commandNotFound, fail, fleetNow, interruptIfAsked, recordHistory, thisNode, updateApi } from './context.mjs';
import { settledApi } from './controllers.mjs';
import { chartDefaults, knownChart, renderChart } from './charts.mjs';
import { helmRelease } from './download.mjs';
import { allReleases, ansic, goTimeString, isPending, jsonTime, latest, pruneHistory, putRevision, dropRelease, releaseObject, revisionsOf, valuesSha256 } from './helm-store.mjs';
import { coalesce, mergeMaps, userValues } from './helm-values.mjs';
import { waitForResources } from './helm-wait.mjs';
import { readJson } from './lock.mjs';
import { DEFAULT_NAMESPACES, deleteObject, getObject, listObjects, namespaceOf, objectKey, putObject } from './objects.mjs';
import { loadYaml } from './yaml.mjs';

/** An error of an action, printed by the command as `Error: [PREFIX: ]<message>` (pkg/cmd/helm.go main). */
class HelmError extends Error {}

// ---------------------------------------------------------------- command line (cobra/pflag)

/** "long|short:type …" → { long: { type, short } }; types: s string, b bool, a string array, o optional value. */
const flagSpec = (text) =>
  Object.fromEntries(text.trim().split(/\s+/).map((entry) => {
    const [names, type] = entry.split(':');
    const [long, short] = names.split('|');
    return [long, { type, short }];
  }));

// pkg/cli/environment.go AddFlags, pkg/cmd/{upgrade,install,flags,list,status,get_values,history,rollback,uninstall,version}.go
const GLOBAL = 'kubeconfig:s namespace|n:s kube-context:s debug:b help|h:b burst-limit:s qps:s';
const INSTALL_COMMON = 'repo:s version:s create-namespace:b values|f:a set:a set-string:a wait:o timeout:s atomic:b rollback-on-failure:b description:s output|o:s wait-for-jobs:b skip-crds:b force-conflicts:b server-side:s take-ownership:b hide-notes:b dry-run:o devel:b username:s password:s';
const COMMANDS = {
  version: flagSpec(`${GLOBAL} short:b template:s`),
  upgrade: flagSpec(`${GLOBAL} ${INSTALL_COMMON} install|i:b history-max:s reset-values:b reuse-values:b reset-then-reuse-values:b cleanup-on-fail:b force-replace:b`),
  install: flagSpec(`${GLOBAL} ${INSTALL_COMMON} generate-name|g:b replace:b`),
  list: flagSpec(`${GLOBAL} all-namespaces|A:b output|o:s short|q:b deployed:b failed:b pending:b superseded:b uninstalled:b uninstalling:b filter:s max|m:s no-headers:b time-format:s date|d:b reverse|r:b offset:s selector|l:s`),
  status: flagSpec(`${GLOBAL} output|o:s revision:s show-resources:b show-desc:b`),
  'get values': flagSpec(`${GLOBAL} output|o:s all|a:b revision:s`),
  history: flagSpec(`${GLOBAL} output|o:s max:s`),
  rollback: flagSpec(`${GLOBAL} wait:o timeout:s history-max:s cleanup-on-fail:b force-replace:b dry-run:o wait-for-jobs:b`),
  uninstall: flagSpec(`${GLOBAL} wait:o timeout:s keep-history:b ignore-not-found:b cascade:s description:s dry-run:b no-hooks:b`),
  'show crds': flagSpec(`${GLOBAL} repo:s version:s devel:b username:s password:s`),
  'show chart': flagSpec(`${GLOBAL} repo:s version:s devel:b username:s password:s`),
  'show values': flagSpec(`${GLOBAL} repo:s version:s devel:b username:s password:s jsonpath:s`),
};
const GLOBAL_WITH_VALUE = new Set(['--kubeconfig', '--namespace', '-n', '--kube-context', '--burst-limit', '--qps']);

/** The command words of argv (cobra finds them among the non-flag arguments), e.g. ["get", "values"]. */
function commandOf(argv) {
  const words = [];
  for (let index = 0; index < argv.length && words.length < 2; index++) {
    const arg = argv[index];
    if (GLOBAL_WITH_VALUE.has(arg)) index++;
    else if (!arg.startsWith('-')) words.push(arg);
  }
  return words[0] === 'get' || words[0] === 'show' ? `${words[0]} ${words[1] ?? ''}`.trim() : words[0];
}

function parseCommandLine(argv, spec) {
  const byShort = Object.fromEntries(Object.entries(spec).filter(([, def]) => def.short).map(([long, def]) => [def.short, long]));
  const flags = {};
  const positional = [];
  const set = (name, value) => {
    if (spec[name].type === 'a') (flags[name] ??= []).push(value);
    else flags[name] = value;
  };
  const boolValue = (name, text) => {
    if (text === undefined || text === 'true') return true;
    if (text === 'false') return false;
    fail(1, `Error: invalid argument "${text}" for "--${name}" flag: strconv.ParseBool: parsing "${text}": invalid syntax`);
  };
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    if (arg === '--') {
      positional.push(...argv.slice(index + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
      const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
      const def = spec[name];
      if (!def) fail(1, `Error: unknown flag: --${name}`);
      if (def.type === 'b') flags[name] = boolValue(name, inline);
      else if (def.type === 'o') flags[name] = inline ?? true;
      else {
        const value = inline ?? argv[++index];
        if (value === undefined) fail(1, `Error: flag needs an argument: --${name}`);
        set(name, value);
      }
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      const letters = arg.slice(1);
      for (let at = 0; at < letters.length; at++) {
        const long = byShort[letters[at]];
        if (!long) fail(1, `Error: unknown shorthand flag: '${letters[at]}' in ${arg}`);
        if (spec[long].type === 'b') {
          flags[long] = true;
          continue;
        }
        const rest = letters.slice(at + 1).replace(/^=/, '');
        const value = rest !== '' ? rest : argv[++index];
        if (value === undefined) fail(1, `Error: flag needs an argument: '${letters[at]}' in ${arg}`);
        set(long, value);
        break;
      }
      continue;
    }
    positional.push(arg);
  }
  return { flags, positional };
}

/** A Go duration ("300s", "5m", "1m30s", "500ms") in ms; pflag's error otherwise. */
function durationMs(text, flag = 'timeout') {
  const units = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  if (text === '0') return 0;
  const parts = [...String(text).matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text) {
    const why = /^\d+(\.\d+)?$/.test(text) ? 'missing unit in duration' : 'invalid duration';
    fail(1, `Error: invalid argument "${text}" for "--${flag}" flag: time: ${why} "${text}"`);
  }
  return parts.reduce((sum, part) => sum + Number(part[1]) * units[part[2]], 0);
}

function intFlag(flags, name, fallback) {
  if (flags[name] === undefined) return fallback;
  if (!/^-?\d+$/.test(flags[name])) fail(1, `Error: invalid argument "${flags[name]}" for "--${name}" flag: strconv.ParseInt: parsing "${flags[name]}": invalid syntax`);
  return Number(flags[name]);
}

/**
 * The wait strategy of --wait (pkg/cmd/flags.go waitValue.Set): bare --wait is "watcher", the flag's
 * absence "hookOnly"; --rollback-on-failure turns hookOnly into watcher (action/upgrade.go,
 * install.go "Make sure wait is set if RollbackOnFailure").
 */
function waitStrategy(flags, rollbackOnFailure) {
  let strategy = 'hookOnly';
  const value = flags.wait;
  if (value === true || value === 'watcher') strategy = 'watcher';
  else if (value === 'legacy' || value === 'hookOnly') strategy = value;
  else if (value === 'true' || value === 'false') {
    process.stderr.write(`level=WARN msg="--wait=${value} is deprecated (boolean value) and can be replaced with --wait=${value === 'true' ? 'watcher' : 'hookOnly'}"\n`);
    strategy = value === 'true' ? 'watcher' : 'hookOnly';
  } else if (value !== undefined) fail(1, `Error: invalid argument "${value}" for "--wait" flag: invalid wait input "${value}". Valid inputs are watcher, hookOnly, and legacy`);
  return strategy === 'hookOnly' && rollbackOnFailure ? 'watcher' : strategy;
}

// ---------------------------------------------------------------- kubeconfig and the cluster

/** The installed helm's version: the launcher from the tarball names it (K8SB_HELM_VERSION). */
function installedVersion() {
  if (process.env.K8SB_HELM_VERSION) return process.env.K8SB_HELM_VERSION;
  try {
    return /K8SB_HELM_VERSION=(\S+)/.exec(readFileSync('/usr/local/bin/helm', 'utf8'))?.[1] ?? 'v4.2.4';
  } catch {
    return 'v4.2.4';
  }
}

/**
 * Loads the kubeconfig as client-go does (--kubeconfig, else the first existing file of KUBECONFIG,
 * else ~/.kube/config) and "reaches" the cluster; the controllers catch up first. Failures are Helm
 * 4's `kubernetes cluster unreachable: …` (pkg/kube/client.go IsReachable @v4.2.4; Helm 3 capitalised
 * "Kubernetes"); with no kubeconfig at all client-go falls back to http://localhost:8080.
 */
function reachCluster(flags) {
  const unreachable = (why) => fail(1, `Error: kubernetes cluster unreachable: ${why}`);
  const explicit = flags.kubeconfig;
  if (explicit && !existsSync(explicit)) unreachable(`stat ${explicit}: no such file or directory`);
  const fromEnv = (process.env.KUBECONFIG ?? '').split(':').filter(Boolean).find((file) => existsSync(file));
  const path = explicit ?? fromEnv ?? `${process.env.HOME || homedir()}/.kube/config`;
  if (!existsSync(path)) unreachable('Get "http://localhost:8080/version": dial tcp 127.0.0.1:8080: connect: connection refused');
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    unreachable(`error loading config file "${path}": open ${path}: ${error.code === 'EACCES' ? 'permission denied' : error.message}`);
  }
  const server = /server:\s*(https?:\/\/\S+)/.exec(text)?.[1] ?? 'http://localhost:8080';
  const api = settledApi();
  if (!api.cluster) unreachable(`Get "${server}/version": dial tcp ${server.replace(/^https?:\/\//, '')}: connect: connection refused`);
  const pki = readJson(`${thisNode().fleetRoot}/shared/cluster-pki.json`, null);
  const caData = /certificate-authority-data:\s*(\S+)/.exec(text)?.[1];
  if (pki && caData && Buffer.from(caData, 'base64').toString('utf8').trim() !== pki.caCert.trim()) {
    unreachable(`Get "${server}/version": tls: failed to verify certificate: x509: certificate signed by unknown authority`);
  }
  return api;
}

// ---------------------------------------------------------------- charts

const stripV = (version) => String(version).replace(/^v/, '');
const compareVersions = (a, b) => {
  const pa = stripV(a).split(/[.-]/).map(Number);
  const pb = stripV(b).split(/[.-]/).map(Number);
  for (let index = 0; index < Math.max(pa.length, pb.length); index++) if ((pa[index] ?? 0) !== (pb[index] ?? 0)) return (pa[index] ?? 0) - (pb[index] ?? 0);
  return 0;
};

/**
 * ChartPathOptions.LocateChart with --repo (pkg/repo/v1/chartrepo.go FindChartInRepoURL @v4.2.4):
 * the repository's index must exist (`looks like "URL" is not a valid chart repository or cannot be
 * reached: failed to fetch URL/index.yaml : 404 Not Found`) and hold the chart and version
 * (ChartNotFoundError: `chart "X" version "V" not found in URL repository`). No --version = newest.
 */
function locateChart(chartRef, flags) {
  const repo = flags.repo;
  if (!repo) {
    if (chartRef.startsWith('oci://')) throw new HelmError(`fleet: OCI chart references are not simulated (${chartRef}); use --repo`);
    if (chartRef.includes('/')) throw new HelmError(`repo ${chartRef.split('/')[0]} not found`);
    throw new HelmError(`non-absolute URLs should be in form of repo_name/path_to_chart, got: ${chartRef}`);
  }
  const index = JSON.parse(readFileSync(`${thisNode().fleetRoot}/canned/helm-charts.json`, 'utf8'));
  const normal = (url) => url.replace(/\/+$/, '');
  const repository = Object.entries(index).find(([url]) => normal(url) === normal(repo))?.[1];
  if (!repository) throw new HelmError(`looks like "${repo}" is not a valid chart repository or cannot be reached: failed to fetch ${normal(repo)}/index.yaml : 404 Not Found`);
  const what = `chart "${chartRef}"${flags.version ? ` version "${flags.version}"` : ''}`;
  const versions = repository[chartRef];
  if (!versions || !knownChart(chartRef)) throw new HelmError(`${what} not found in ${repo} repository`);
  const version = flags.version ? Object.keys(versions).find((entry) => stripV(entry) === stripV(flags.version)) : Object.keys(versions).sort(compareVersions).pop();
  if (!version) throw new HelmError(`${what} not found in ${repo} repository`);
  return { chart: chartRef, version, appVersion: versions[version].appVersion, repo };
}

// Helm's install order (pkg/release/v1/util/kind_sorter.go InstallOrder); other kinds come last.
const INSTALL_ORDER = [
  'PriorityClass', 'Namespace', 'NetworkPolicy', 'ResourceQuota', 'LimitRange', 'PodSecurityPolicy', 'PodDisruptionBudget', 'ServiceAccount', 'Secret', 'SecretList',
  'ConfigMap', 'StorageClass', 'PersistentVolume', 'PersistentVolumeClaim', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleList', 'ClusterRoleBinding',
  'ClusterRoleBindingList', 'Role', 'RoleList', 'RoleBinding', 'RoleBindingList', 'Service', 'DaemonSet', 'Pod', 'ReplicationController', 'ReplicaSet', 'Deployment',
  'HorizontalPodAutoscaler', 'StatefulSet', 'Job', 'CronJob', 'IngressClass', 'Ingress', 'APIService', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration',
];
const orderOf = (kind) => (INSTALL_ORDER.includes(kind) ? INSTALL_ORDER.indexOf(kind) : INSTALL_ORDER.length);

const BUILTIN_API_VERSIONS = new Set(['v1', 'apps/v1', 'batch/v1', 'policy/v1', 'rbac.authorization.k8s.io/v1', 'apiextensions.k8s.io/v1', 'networking.k8s.io/v1', 'storage.k8s.io/v1',
  'admissionregistration.k8s.io/v1', 'scheduling.k8s.io/v1', 'coordination.k8s.io/v1', 'apiregistration.k8s.io/v1', 'autoscaling/v2', 'discovery.k8s.io/v1']);

/**
 * The chart rendered for a release: { chart, crds, objects (decorated with Helm's ownership metadata,
 * namespaced into the release namespace, in install order), keys, defaults }.
 */
function render(located, release, namespace, values) {
  const defaults = chartDefaults(located.chart, located.version, located.appVersion);
  const rendered = renderChart(located.chart, { release, namespace, version: located.version, appVersion: located.appVersion, values: coalesce(defaults, values ?? {}) });
  const objects = rendered.objects
    .map((doc, position) => ({ doc, position }))
    .sort((a, b) => orderOf(a.doc.kind) - orderOf(b.doc.kind) || a.position - b.position)
    .map(({ doc }) => {
      const ns = namespaceOf(doc, namespace);
      // pkg/action/validate.go setMetadataVisitor: the managed-by label and the release annotations.
      return {
        ...doc,
        metadata: {
          ...doc.metadata,
          ...(ns ? { namespace: ns } : {}),
          labels: { ...(doc.metadata.labels ?? {}), 'app.kubernetes.io/managed-by': 'Helm' },
          annotations: { ...(doc.metadata.annotations ?? {}), 'meta.helm.sh/release-name': release, 'meta.helm.sh/release-namespace': namespace },
        },
      };
    });
  return { ...located, crds: rendered.crds, objects, keys: objects.map((doc) => objectKey(doc.kind, namespaceOf(doc), doc.metadata.name)), defaults };
}

/** kube.Client.Build's mapping check: a kind the API does not serve yet (no CRD) cannot be built. */
function checkMappings(api, rendered, manifest = 'release manifest') {
  const served = (doc) =>
    BUILTIN_API_VERSIONS.has(doc.apiVersion) ||
    [...listObjects(api, 'CustomResourceDefinition').map((object) => object.body), ...rendered.crds].some((crd) => crd?.spec?.group === doc.apiVersion.split('/')[0] && crd?.spec?.names?.kind === doc.kind);
  const missing = rendered.objects.find((doc) => !served(doc));
  if (missing) {
    throw new HelmError(`unable to build kubernetes objects from ${manifest}: resource mapping not found for name: "${missing.metadata.name}" namespace: "${missing.metadata.namespace ?? ''}" from "": no matches for kind "${missing.kind}" in version "${missing.apiVersion}"\nensure CRDs are installed first`);
  }
}

/**
 * existingResourceConflict (pkg/action/validate.go): an object that exists without this release's
 * ownership metadata cannot be adopted.
 */
function checkOwnership(api, rendered, keys, release, namespace, verb) {
  for (const doc of rendered.objects) {
    const key = objectKey(doc.kind, namespaceOf(doc), doc.metadata.name);
    if (!keys.includes(key)) continue;
    const existing = api.objects[key];
    if (!existing) continue;
    const labels = existing.body?.metadata?.labels ?? {};
    const annotations = existing.body?.metadata?.annotations ?? {};
    const problems = [];
    const require = (map, name, wanted, what) => {
      if (!(name in map)) problems.push(`${what} validation error: missing key "${name}": must be set to "${wanted}"`);
      else if (map[name] !== wanted) problems.push(`${what} validation error: key "${name}" must equal "${wanted}": current value is "${map[name]}"`);
    };
    require(labels, 'app.kubernetes.io/managed-by', 'Helm', 'label');
    require(annotations, 'meta.helm.sh/release-name', release, 'annotation');
    require(annotations, 'meta.helm.sh/release-namespace', namespace, 'annotation');
    if (problems.length > 0) {
      throw new HelmError(`unable to continue with ${verb}: ${doc.kind} "${doc.metadata.name}" in namespace "${doc.metadata.namespace ?? ''}" exists and cannot be imported into the current release: invalid ownership metadata; ${problems.join('; ')}`);
    }
  }
}

const keepPolicy = (stored) => stored?.body?.metadata?.annotations?.['helm.sh/resource-policy'] === 'keep';

/** KubeClient.Update: creates/updates the target objects and deletes what only the current manifest had (keep policy aside). */
function applyObjects(api, rendered, previousKeys = []) {
  for (const doc of rendered.objects) putObject(api, doc, { manager: 'helm', namespace: namespaceOf(doc) });
  for (const key of previousKeys) {
    if (rendered.keys.includes(key) || keepPolicy(api.objects[key])) continue;
    delete api.objects[key];
  }
}

/** The manifest as Helm stores it: "---\n# Source: …" per object. */
async function manifestText(rendered) {
  const YAML = await loadYaml();
  return rendered.objects.map((doc) => `---\n# Source: ${rendered.chart}/templates/${doc.kind.toLowerCase()}.yaml\n${YAML.stringify(doc)}`).join('');
}

const newRevision = (api, fields) => {
  const now = fleetNow(api).toISOString();
  return { firstDeployed: now, lastDeployed: now, ...fields, valuesSha256: valuesSha256(fields.values) };
};

// ---------------------------------------------------------------- actions

/** action.Install (pkg/action/install.go @v4.2.4). Returns the deployed revision; throws HelmError. */
async function runInstall({ name, namespace, chartRef, flags, strategy, timeoutMs, rollbackOnFailure, historyMax }) {
  const located = locateChart(chartRef, flags);
  const values = await userValues(flags);
  const rendered = render(located, name, namespace, values);
  const api = apiState();
  if (revisionsOf(api, namespace, name).length > 0) throw new HelmError('cannot reuse a name that is still in use');
  checkMappings(api, rendered);
  checkOwnership(api, rendered, rendered.keys, name, namespace, 'install');
  // crds/ first (installCRDs; never upgraded or deleted later), then the namespace, then the record.
  updateApi((next) => {
    if (!flags['skip-crds']) for (const crd of rendered.crds) if (!getObject(next, 'CustomResourceDefinition', undefined, crd.metadata.name)) putObject(next, crd, { manager: 'helm' });
    if (flags['create-namespace'] && !DEFAULT_NAMESPACES.includes(namespace) && !getObject(next, 'Namespace', undefined, namespace)) {
      putObject(next, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { name: namespace } } }, { manager: 'helm' });
    }
  });
  let revision = null;
  updateApi((next) => {
    if (!DEFAULT_NAMESPACES.includes(namespace) && !getObject(next, 'Namespace', undefined, namespace)) return;
    pruneHistory(next, namespace, name, historyMax);
    revision = newRevision(next, { name, namespace, revision: 1, status: 'pending-install', chart: located.chart, version: located.version, appVersion: located.appVersion, repo: located.repo, values, description: 'Initial install underway', objects: rendered.keys });
    putRevision(next, revision);
  });
  // storage/driver/secrets.go Create: the release Secret cannot be created in a missing namespace.
  if (!revision) throw new HelmError(`create: failed to create: namespaces "${namespace}" not found`);
  await interruptIfAsked();
  updateApi((next) => applyObjects(next, rendered));
  const waitError = strategy === 'hookOnly' ? null : await waitForResources(rendered.keys, strategy, timeoutMs);
  if (waitError) {
    // failRelease: failed; with rollback-on-failure the release is uninstalled.
    const failed = { ...revision, status: 'failed', description: `Release "${name}" failed: ${waitError}` };
    if (rollbackOnFailure) {
      updateApi((next) => {
        uninstallObjects(next, failed.objects);
        dropRelease(next, namespace, name);
        recordHistory(next, 'helm-install', { release: name, namespace, chart: located.chart, version: located.version, revision: 1, status: 'uninstalled' });
      });
      throw new HelmError(`release ${name} failed, and has been uninstalled due to rollback-on-failure being set: ${waitError}`);
    }
    updateApi((next) => {
      putRevision(next, failed);
      recordHistory(next, 'helm-install', { release: name, namespace, chart: located.chart, version: located.version, revision: 1, status: 'failed' });
    });
    throw new HelmError(waitError);
  }
  const deployed = { ...revision, status: 'deployed', description: flags.description || 'Install complete' };
  updateApi((next) => {
    putRevision(next, deployed);
    recordHistory(next, 'helm-install', { release: name, namespace, chart: located.chart, version: located.version, revision: 1, status: 'deployed' });
  });
  return { revision: deployed, rendered };
}

/** action.Upgrade (pkg/action/upgrade.go @v4.2.4: prepareUpgrade, performUpgrade, failRelease). */
async function runUpgrade({ name, namespace, chartRef, flags, strategy, timeoutMs, rollbackOnFailure, historyMax }) {
  const located = locateChart(chartRef, flags);
  let values = await userValues(flags);
  const api = apiState();
  const revisions = revisionsOf(api, namespace, name);
  if (revisions.length === 0) throw new HelmError(`UPGRADE FAILED: "${name}" has no deployed releases`);
  const last = latest(revisions);
  if (isPending(last)) throw new HelmError('UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress');
  const deployedBefore = [...revisions].reverse().find((entry) => entry.status === 'deployed');
  const current = deployedBefore ?? (['failed', 'superseded'].includes(last.status) ? last : null);
  if (!current) throw new HelmError(`UPGRADE FAILED: "${name}" has no deployed releases`);
  // reuseValues: --reset-values ignores the old ones; --reuse-values / --reset-then-reuse-values merge
  // the new over them; otherwise no new values means the old ones.
  if (!flags['reset-values']) {
    if (flags['reuse-values'] || flags['reset-then-reuse-values']) values = current.values ? mergeMaps(current.values, values ?? {}) : values;
    else if (!values && current.values) values = current.values;
  }
  const rendered = render(located, name, namespace, values);
  try {
    checkMappings(api, rendered, 'new release manifest');
  } catch (error) {
    throw new HelmError(`UPGRADE FAILED: ${error.message}`);
  }
  const added = rendered.keys.filter((key) => !current.objects.includes(key));
  try {
    checkOwnership(api, rendered, added, name, namespace, 'update');
  } catch (error) {
    throw new HelmError(`UPGRADE FAILED: ${error.message}`);
  }
  const revision = newRevision(api, {
    name, namespace, revision: last.revision + 1, status: 'pending-upgrade', chart: located.chart, version: located.version, appVersion: located.appVersion, repo: located.repo,
    values, description: 'Preparing upgrade', objects: rendered.keys, firstDeployed: current.firstDeployed,
  });
  updateApi((next) => {
    pruneHistory(next, namespace, name, historyMax);
    putRevision(next, revision);
  });
  await interruptIfAsked();
  updateApi((next) => applyObjects(next, rendered, current.objects));
  const waitError = strategy === 'hookOnly' ? null : await waitForResources(rendered.keys, strategy, timeoutMs);
  const history = (status) => ({ release: name, namespace, chart: located.chart, version: located.version, revision: revision.revision, status });
  if (waitError) {
    const failed = { ...revision, status: 'failed', description: `Upgrade "${name}" failed: ${waitError}` };
    updateApi((next) => {
      putRevision(next, failed);
      recordHistory(next, 'helm-upgrade', history('failed'));
    });
    if (!rollbackOnFailure) throw new HelmError(`UPGRADE FAILED: ${waitError}`);
    const successful = revisionsOf(apiState(), namespace, name).filter((entry) => entry.status === 'deployed' || entry.status === 'superseded');
    if (successful.length === 0) throw new HelmError(`UPGRADE FAILED: unable to find a previously successful release when attempting to rollback. original upgrade error: ${waitError}`);
    try {
      await runRollback({ name, namespace, version: latest(successful).revision, strategy, timeoutMs, historyMax });
    } catch (error) {
      if (!(error instanceof HelmError)) throw error;
      throw new HelmError(`UPGRADE FAILED: an error occurred while rolling back the release. original upgrade error: ${waitError}: ${error.message}`);
    }
    throw new HelmError(`UPGRADE FAILED: release ${name} failed, and has been rolled back due to rollback-on-failure being set: ${waitError}`);
  }
  const deployed = { ...revision, status: 'deployed', description: flags.description || 'Upgrade complete' };
  updateApi((next) => {
    putRevision(next, { ...current, status: 'superseded', description: current.description });
    putRevision(next, deployed);
    recordHistory(next, 'helm-upgrade', history('deployed'));
  });
  return { revision: deployed, rendered };
}

/** action.Rollback (pkg/action/rollback.go @v4.2.4). `version` 0 = the revision before the last. */
async function runRollback({ name, namespace, version, strategy, timeoutMs, historyMax }) {
  const revisions = revisionsOf(apiState(), namespace, name);
  if (revisions.length === 0) throw new HelmError('release: not found');
  const current = latest(revisions);
  const previousVersion = version || current.revision - 1;
  const target = revisions.find((entry) => entry.revision === previousVersion);
  if (!target) throw new HelmError(`release has no ${previousVersion} version`);
  const located = { chart: target.chart, version: target.version, appVersion: target.appVersion, repo: target.repo };
  const rendered = render(located, name, namespace, target.values);
  const revision = newRevision(apiState(), {
    ...located, name, namespace, revision: current.revision + 1, status: 'pending-rollback', values: target.values, description: `Rollback to ${previousVersion}`, objects: rendered.keys, firstDeployed: current.firstDeployed,
  });
  updateApi((next) => {
    pruneHistory(next, namespace, name, historyMax);
    putRevision(next, revision);
  });
  await interruptIfAsked();
  updateApi((next) => applyObjects(next, rendered, current.objects));
  const waitError = strategy === 'hookOnly' ? null : await waitForResources(rendered.keys, strategy, timeoutMs);
  if (waitError) {
    updateApi((next) => {
      putRevision(next, { ...revision, status: 'failed', description: `Release "${name}" failed: ${waitError}` });
      recordHistory(next, 'helm-rollback', { release: name, namespace, to: previousVersion, revision: revision.revision, status: 'failed' });
    });
    throw new HelmError(`release ${name} failed: ${waitError}`);
  }
  updateApi((next) => {
    // "Supersede all previous deployments, see issue #2941."
    for (const entry of revisionsOf(next, namespace, name)) if (entry.status === 'deployed') putRevision(next, { ...entry, status: 'superseded' });
    putRevision(next, { ...revision, status: 'deployed' });
    recordHistory(next, 'helm-rollback', { release: name, namespace, to: previousVersion, revision: revision.revision, status: 'deployed' });
  });
}

/** Deletes a manifest's objects except those with `helm.sh/resource-policy: keep`; returns the kept ones ("[Kind] name"). */
function uninstallObjects(api, keys) {
  const kept = [];
  for (const key of [...keys].reverse()) {
    const stored = api.objects[key];
    if (!stored) continue;
    if (keepPolicy(stored)) kept.push(`[${stored.kind}] ${stored.name}`);
    else deleteObject(api, stored.kind, stored.namespace, stored.name);
  }
  return kept.reverse();
}

// ---------------------------------------------------------------- output

const timeoutOf = (flags) => durationMs(flags.timeout ?? '5m0s');

/** The status table (pkg/cmd/status.go statusPrinter.WriteTable; notes are not simulated). */
function statusTable(revision) {
  return `NAME: ${revision.name}\nLAST DEPLOYED: ${ansic(revision.lastDeployed)}\nNAMESPACE: ${revision.namespace}\nSTATUS: ${revision.status}\nREVISION: ${revision.revision}\nDESCRIPTION: ${revision.description}\nTEST SUITE: None\n`;
}

async function writeRelease(flags, revision, rendered) {
  const format = flags.output ?? 'table';
  if (format === 'json') process.stdout.write(`${JSON.stringify(releaseObject(revision, { manifest: await manifestText(rendered), chartValues: rendered.defaults }))}\n`);
  else if (format === 'yaml') process.stdout.write((await loadYaml()).stringify(releaseObject(revision, { manifest: await manifestText(rendered), chartValues: rendered.defaults })));
  else process.stdout.write(statusTable(revision));
}

/** uitable as helm list/history print it: each cell padded to its column, tab-separated. */
function uiTable(rows) {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => String(row[column]).length)));
  return rows.map((row) => row.map((cell, column) => String(cell).padEnd(widths[column])).join('\t')).join('\n') + '\n';
}

function checkOutput(flags) {
  const format = flags.output ?? 'table';
  if (!['table', 'json', 'yaml'].includes(format)) fail(1, `Error: invalid argument "${format}" for "-o, --output" flag: invalid format type`);
  return format;
}

// ---------------------------------------------------------------- commands

function requireArgs(command, positional, count, usage) {
  if (positional.length !== count) fail(1, `Error: "helm ${command}" requires ${count} argument${count === 1 ? '' : 's'}\n\nUsage:  helm ${usage} [flags]`);
}

/** Runs an action and prints its HelmError as Helm's main does ("Error: " + message), exit 1. */
async function action(fn, prefix = '') {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof HelmError) fail(1, `Error: ${prefix}${error.message}`);
    throw error;
  }
}

/** `helm version` (pkg/cmd/version.go): BuildInfo, --short "vX.Y.Z+g<commit7>", --template '{{.Version}}'. */
function version(flags) {
  const current = installedVersion();
  const build = { Version: current, GitCommit: helmRelease(current)?.gitCommit ?? '', GitTreeState: 'clean', GoVersion: helmRelease(current)?.goVersion ?? '', KubeClientVersion: helmRelease(current)?.kubeClientVersion ?? '' };
  if (flags.template !== undefined) {
    process.stdout.write(String(flags.template).replace(/\{\{\s*\.(\w+)\s*\}\}/g, (_, field) => build[field] ?? '<no value>'));
    return 0;
  }
  if (flags.short) process.stdout.write(`${current}${build.GitCommit.length >= 7 ? `+g${build.GitCommit.slice(0, 7)}` : ''}\n`);
  else process.stdout.write(`version.BuildInfo{Version:"${build.Version}", GitCommit:"${build.GitCommit}", GitTreeState:"clean", GoVersion:"${build.GoVersion}", KubeClientVersion:"${build.KubeClientVersion}"}\n`);
  return 0;
}

/** `helm upgrade [--install]` and `helm install` (pkg/cmd/upgrade.go RunE, install.go). */
async function upgradeOrInstall(command, flags, positional) {
  const usage = command === 'upgrade' ? 'upgrade [RELEASE] [CHART]' : 'install [NAME] [CHART]';
  requireArgs(command, positional, 2, usage);
  if (flags.atomic) process.stderr.write('Flag --atomic has been deprecated, use --rollback-on-failure instead\n');
  if (flags['keep-history'] || flags.replace || flags['generate-name']) fail(1, 'Error: fleet: this flag is not simulated');
  checkOutput(flags);
  const rollbackOnFailure = Boolean(flags['rollback-on-failure'] || flags.atomic);
  const options = {
    name: positional[0],
    namespace: flags.namespace ?? process.env.HELM_NAMESPACE ?? 'default',
    chartRef: positional[1],
    flags,
    strategy: waitStrategy(flags, rollbackOnFailure),
    timeoutMs: timeoutOf(flags),
    rollbackOnFailure,
    historyMax: intFlag(flags, 'history-max', Number(process.env.HELM_MAX_HISTORY ?? 10)),
  };
  reachCluster(flags);
  if (command === 'install') {
    const { revision, rendered } = await action(() => runInstall(options), 'INSTALLATION FAILED: ');
    await writeRelease(flags, revision, rendered);
    return 0;
  }
  if (flags.install && revisionsOf(apiState(), options.namespace, options.name).length === 0) {
    // "Release %q does not exist. Installing it now." (table output only); runInstall's error is returned unwrapped.
    if ((flags.output ?? 'table') === 'table') process.stdout.write(`Release "${options.name}" does not exist. Installing it now.\n`);
    const { revision, rendered } = await action(() => runInstall(options));
    await writeRelease(flags, revision, rendered);
    return 0;
  }
  const { revision, rendered } = await action(() => runUpgrade(options));
  if ((flags.output ?? 'table') === 'table') process.stdout.write(`Release "${options.name}" has been upgraded. Happy Helming!\n`);
  await writeRelease(flags, revision, rendered);
  return 0;
}

/** `helm list` (pkg/cmd/list.go, pkg/action/list.go): the latest revision of each release; every state unless filtered. */
function list(flags) {
  const format = checkOutput(flags);
  const api = reachCluster(flags);
  const namespace = flags['all-namespaces'] ? undefined : flags.namespace ?? process.env.HELM_NAMESPACE ?? 'default';
  const masks = { deployed: ['deployed'], failed: ['failed'], pending: ['pending-install', 'pending-upgrade', 'pending-rollback'], superseded: ['superseded'], uninstalled: ['uninstalled'], uninstalling: ['uninstalling'] };
  const wanted = Object.entries(masks).filter(([flag]) => flags[flag]).flatMap(([, states]) => states);
  const filter = flags.filter ? new RegExp(flags.filter) : null;
  let releases = allReleases(api, namespace)
    .map((revisions) => latest(revisions))
    .filter((revision) => (wanted.length === 0 || wanted.includes(revision.status)) && (!filter || filter.test(revision.name)));
  releases.sort((a, b) => (flags.date ? new Date(a.lastDeployed) - new Date(b.lastDeployed) : a.name.localeCompare(b.name)));
  if (flags.reverse) releases = releases.reverse();
  releases = releases.slice(intFlag(flags, 'offset', 0), intFlag(flags, 'offset', 0) + intFlag(flags, 'max', 256));
  const rows = releases.map((revision) => ({ name: revision.name, namespace: revision.namespace, revision: String(revision.revision), updated: goTimeString(revision.lastDeployed), status: revision.status, chart: `${revision.chart}-${revision.version}`, app_version: revision.appVersion }));
  if (flags.short) {
    if (format === 'json') process.stdout.write(`${JSON.stringify(rows.map((row) => row.name))}\n`);
    else process.stdout.write(rows.map((row) => `${row.name}\n`).join(''));
    return 0;
  }
  if (format === 'json') process.stdout.write(`${JSON.stringify(rows)}\n`);
  else if (format === 'yaml') return loadYaml().then((YAML) => process.stdout.write(rows.length ? YAML.stringify(rows) : '[]\n')).then(() => 0);
  else {
    const header = flags['no-headers'] ? [] : [['NAME', 'NAMESPACE', 'REVISION', 'UPDATED', 'STATUS', 'CHART', 'APP VERSION']];
    const body = rows.map((row) => [row.name, row.namespace, row.revision, row.updated, row.status, row.chart, row.app_version]);
    if (header.length + body.length > 0) process.stdout.write(uiTable([...header, ...body]));
  }
  return 0;
}

/** The revision a read command names (latest, or --revision N); `release: not found` (driver.ErrReleaseNotFound) otherwise. */
function revisionFor(api, flags, name) {
  const revisions = revisionsOf(api, flags.namespace ?? process.env.HELM_NAMESPACE ?? 'default', name);
  if (revisions.length === 0) fail(1, 'Error: release: not found');
  if (flags.revision === undefined) return latest(revisions);
  const wanted = revisions.find((entry) => entry.revision === intFlag(flags, 'revision', 0));
  if (!wanted) fail(1, 'Error: release: not found');
  return wanted;
}

const renderedOf = (revision) => render({ chart: revision.chart, version: revision.version, appVersion: revision.appVersion, repo: revision.repo }, revision.name, revision.namespace, revision.values);

async function status(flags, positional) {
  requireArgs('status', positional, 1, 'status RELEASE_NAME');
  checkOutput(flags);
  const revision = revisionFor(reachCluster(flags), flags, positional[0]);
  await writeRelease(flags, revision, renderedOf(revision));
  return 0;
}

/** `helm get values` (pkg/cmd/get_values.go): the user-supplied values (`null` when none), or with -a the computed ones. */
async function getValues(flags, positional) {
  requireArgs('get values', positional, 1, 'get values RELEASE_NAME');
  const format = checkOutput(flags);
  const revision = revisionFor(reachCluster(flags), flags, positional[0]);
  const values = flags.all ? coalesce(chartDefaults(revision.chart, revision.version, revision.appVersion), revision.values ?? {}) : revision.values && Object.keys(revision.values).length > 0 ? revision.values : null;
  if (format === 'json') process.stdout.write(`${JSON.stringify(values)}\n`);
  else {
    const YAML = await loadYaml();
    process.stdout.write(`${format === 'table' ? (flags.all ? 'COMPUTED VALUES:\n' : 'USER-SUPPLIED VALUES:\n') : ''}${values === null ? 'null\n' : YAML.stringify(values)}`);
  }
  return 0;
}

/** `helm history` (pkg/cmd/history.go): revision as a number, updated as RFC 3339. */
function history(flags, positional) {
  requireArgs('history', positional, 1, 'history RELEASE_NAME');
  const format = checkOutput(flags);
  const api = reachCluster(flags);
  const revisions = revisionsOf(api, flags.namespace ?? process.env.HELM_NAMESPACE ?? 'default', positional[0]);
  if (revisions.length === 0) fail(1, 'Error: release: not found');
  const rows = revisions.slice(-intFlag(flags, 'max', 256)).map((revision) => ({ revision: revision.revision, updated: jsonTime(revision.lastDeployed), status: revision.status, chart: `${revision.chart}-${revision.version}`, app_version: revision.appVersion, description: revision.description }));
  if (format === 'json') process.stdout.write(`${JSON.stringify(rows)}\n`);
  else if (format === 'yaml') return loadYaml().then((YAML) => process.stdout.write(YAML.stringify(rows))).then(() => 0);
  else process.stdout.write(uiTable([['REVISION', 'UPDATED', 'STATUS', 'CHART', 'APP VERSION', 'DESCRIPTION'], ...revisions.slice(-intFlag(flags, 'max', 256)).map((revision) => [revision.revision, ansic(revision.lastDeployed), revision.status, `${revision.chart}-${revision.version}`, revision.appVersion, revision.description])]));
  return 0;
}

/** `helm rollback NAME [REVISION]` (pkg/cmd/rollback.go). */
async function rollback(flags, positional) {
  if (positional.length < 1 || positional.length > 2) fail(1, `Error: "helm rollback" requires at least 1 argument\n\nUsage:  helm rollback <RELEASE> [REVISION] [flags]`);
  let version = 0;
  if (positional[1] !== undefined) {
    if (!/^-?\d+$/.test(positional[1])) fail(1, `Error: could not convert revision to a number: strconv.Atoi: parsing "${positional[1]}": invalid syntax`);
    version = Number(positional[1]);
    if (version < 0) fail(1, 'Error: invalid release revision');
  }
  const timeoutMs = timeoutOf(flags);
  const strategy = waitStrategy(flags, false);
  reachCluster(flags);
  const namespace = flags.namespace ?? process.env.HELM_NAMESPACE ?? 'default';
  await action(() => runRollback({ name: positional[0], namespace, version, strategy, timeoutMs, historyMax: intFlag(flags, 'history-max', Number(process.env.HELM_MAX_HISTORY ?? 10)) }));
  process.stdout.write('Rollback was a success! Happy Helming!\n');
  return 0;
}

/** `helm uninstall NAME…` (pkg/cmd/uninstall.go, pkg/action/uninstall.go). */
function uninstall(flags, positional) {
  if (positional.length === 0) fail(1, 'Error: "helm uninstall" requires at least 1 argument\n\nUsage:  helm uninstall RELEASE_NAME [...] [flags]');
  if (flags['keep-history']) fail(1, 'Error: fleet: --keep-history is not simulated');
  reachCluster(flags);
  const namespace = flags.namespace ?? process.env.HELM_NAMESPACE ?? 'default';
  for (const name of positional) {
    const revisions = revisionsOf(apiState(), namespace, name);
    if (revisions.length === 0) {
      if (flags['ignore-not-found']) continue;
      fail(1, `Error: uninstall: Release not loaded: ${name}: release: not found`);
    }
    let kept = [];
    updateApi((next) => {
      kept = uninstallObjects(next, latest(revisions).objects);
      dropRelease(next, namespace, name);
      recordHistory(next, 'helm-uninstall', { release: name, namespace });
    });
    if (kept.length > 0) process.stdout.write(`These resources were kept due to the resource policy:\n${kept.map((entry) => `${entry}\n`).join('')}\n`);
    process.stdout.write(`release "${name}" uninstalled\n`);
  }
  return 0;
}

/**
 * `helm show crds|chart|values CHART --repo URL --version V` (pkg/cmd/show.go, pkg/action/show.go):
 * no cluster needed. crds: every CRD of the chart's (and its subcharts') crds/ directories, each
 * after a `---` line; chart: its Chart.yaml; values: its values.yaml (the keys the fleet honours).
 */
async function show(command, flags, positional) {
  requireArgs(command, positional, 1, `${command} [CHART]`);
  const located = await action(() => locateChart(positional[0], flags));
  const YAML = await loadYaml();
  const defaults = chartDefaults(located.chart, located.version, located.appVersion);
  if (command === 'show chart') {
    process.stdout.write(`${YAML.stringify({ apiVersion: 'v2', appVersion: located.appVersion, name: located.chart, version: located.version })}\n`);
  } else if (command === 'show values') {
    process.stdout.write(`${YAML.stringify(defaults)}\n`);
  } else {
    // CRDObjects() holds every dependency's crds/, whatever its condition: render with them all on.
    const { crds } = renderChart(located.chart, { release: located.chart, namespace: 'default', version: located.version, appVersion: located.appVersion, values: coalesce(defaults, { crds: { enabled: true } }) });
    process.stdout.write(crds.map((crd) => `---\n${YAML.stringify(crd)}\n`).join(''));
  }
  return 0;
}

export async function run(_tool, argv) {
  if (!existsSync('/usr/local/bin/helm')) commandNotFound('helm');
  const command = commandOf(argv);
  const spec = COMMANDS[command];
  if (!spec) {
    if (command === undefined) {
      process.stdout.write('The Kubernetes package manager\n\nUsage:\n  helm [command]\n');
      return 0;
    }
    fail(1, `Error: unknown command "${command}" for "helm"\nRun 'helm --help' for usage.`);
  }
  const { flags, positional } = parseCommandLine(argv, spec);
  const args = positional.slice(command.split(' ').length);
  switch (command) {
    case 'version':
      return version(flags);
    case 'upgrade':
    case 'install':
      return upgradeOrInstall(command, flags, args);
    case 'list':
      return list(flags);
    case 'status':
      return status(flags, args);
    case 'get values':
      return getValues(flags, args);
    case 'history':
      return history(flags, args);
    case 'rollback':
      return rollback(flags, args);
    case 'uninstall':
      return uninstall(flags, args);
    case 'show crds':
    case 'show chart':
    case 'show values':
      return show(command, flags, args);
    default:
      return fail(1, `Error: unknown command "${command}" for "helm"`);
  }
}
