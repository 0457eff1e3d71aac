/**
 * The Helm commands of the add-ons, as argv for the first control plane (run with sudo, like
 * kubectl: every one names the admin kubeconfig), and readers of what they print. Values always
 * reach Helm on stdin (`--values -`, read with io.ReadAll(os.Stdin) since Helm 3.2 for
 * upgrade --install: helm/helm pkg/cli/values/options.go, PR #7640): never in argv, never in a
 * file on the node.
 *
 * What Helm prints is data, never trusted: an answer that is not the JSON expected is an
 * ExternalToolError naming the command, never a crash.
 */
import { ExternalToolError, InternalError } from '../../errors.js';
import { ADMIN_KUBECONFIG, type Argv } from '../node-commands.js';
import { assertNodeName, assertTimeoutSeconds } from '../validate-remote.js';
import { HELM } from './pins.js';
import type { AddonPlan } from './plan.js';

export { changedPaths, judgeAddon, type AddonChange } from './judge.js';

/** The history Helm keeps per release (its own default, HELM_MAX_HISTORY: 10), said explicitly. */
const HISTORY_MAX = 10;

const helm = (args: string[]): Argv => ['helm', ...args, '--kubeconfig', ADMIN_KUBECONFIG];
const releaseArgs = (release: string, namespace: string): string[] => [assertNodeName(release, 'Helm release'), '--namespace', assertNodeName(namespace, 'namespace')];

/**
 * The flags that wait for the release and undo a failed one, per Helm major (research-15 §1):
 * Helm 4 renamed --atomic to --rollback-on-failure (pkg/cmd/upgrade.go @v4.2.4; --atomic is
 * deprecated) and made --wait a strategy, `watcher` (kstatus) being what the bare flag means;
 * written out because a bare `--wait` before a positional argument is easy to misread. Helm 3:
 * --atomic (which implies --wait) and the boolean --wait.
 */
export function helmWaitFlags(major: 3 | 4 = HELM.major): string[] {
  return major === 4 ? ['--wait=watcher', '--rollback-on-failure'] : ['--wait', '--atomic'];
}

/**
 * `helm upgrade --install` of the plan's chart at its pinned version, values on stdin
 * (plan.valuesYaml), waiting up to `timeoutS` (default the plan's) and rolling back on failure.
 */
export function helmUpgradeInstall(plan: AddonPlan, options: { timeoutS?: number; major?: 3 | 4 } = {}): Argv {
  if (plan.version === undefined) throw new InternalError('AddonNotPinned', `${plan.name} has no version pinned for this Kubernetes minor: nothing to install`);
  const timeoutS = assertTimeoutSeconds(options.timeoutS ?? plan.helmTimeoutS, 'helm timeout');
  const [wait, rollback] = helmWaitFlags(options.major);
  return helm([
    'upgrade', '--install', assertNodeName(plan.release, 'Helm release'), plan.chart,
    '--repo', plan.repo,
    '--version', plan.version,
    '--namespace', assertNodeName(plan.namespace, 'namespace'),
    '--create-namespace',
    '--values', '-',
    wait!,
    '--timeout', `${timeoutS}s`,
    rollback!,
    '--history-max', String(HISTORY_MAX),
  ]);
}

/**
 * The CRDs of the plan's chart at its version (`helm show crds`, CRDs of its dependencies
 * included: pkg/chart/v2/chart.go CRDObjects), to be applied with
 * `kubectl apply --server-side --force-conflicts -f -` before an upgrade of a chart whose
 * crdsBeforeUpgrade is set. The output is large (kube-prometheus-stack's are megabytes).
 */
export function helmShowCrds(plan: AddonPlan): Argv {
  if (plan.version === undefined) throw new InternalError('AddonNotPinned', `${plan.name} has no version pinned for this Kubernetes minor`);
  return helm(['show', 'crds', plan.chart, '--repo', plan.repo, '--version', plan.version]);
}

/**
 * Every release of every namespace, as JSON (none: `[]`), in any status: the add-ons' judgement
 * must see a release left pending-install/-upgrade. Helm 4 lists every status by default and has
 * no --all (pkg/cmd/list.go @v4.2.4: "By default, it lists all releases in any status"); Helm 3
 * lists "only releases that are deployed or failed" unless --all (cmd/helm/list.go @v3.21.4).
 */
export const helmList = (major: 3 | 4 = HELM.major): Argv => helm(['list', '--all-namespaces', ...(major === 3 ? ['--all'] : []), '--output', 'json']);
/** The user-supplied values of a release (`null` when it has none). Its output may hold what cluster.yaml put in values: read it quiet. */
export const helmGetValues = (release: string, namespace: string): Argv => helm(['get', 'values', ...releaseArgs(release, namespace), '--output', 'json']);
export const helmStatus = (release: string, namespace: string): Argv => helm(['status', ...releaseArgs(release, namespace), '--output', 'json']);
export const helmHistory = (release: string, namespace: string): Argv => helm(['history', ...releaseArgs(release, namespace), '--output', 'json']);
/**
 * Back to `revision`, or to the one before the current when none is given (pkg/cmd/rollback.go:
 * "If this argument is omitted or set to 0, it will roll back to the previous release"): what a
 * release left pending-upgrade or pending-rollback needs before the next upgrade.
 */
export function helmRollback(release: string, namespace: string, revision?: number): Argv {
  if (revision !== undefined && (!Number.isInteger(revision) || revision < 1)) throw new InternalError('HelmRevisionInvalid', `${revision} is not a Helm revision`);
  const [name, ...rest] = releaseArgs(release, namespace);
  return helm(['rollback', name!, ...(revision === undefined ? [] : [String(revision)]), ...rest, '--history-max', String(HISTORY_MAX)]);
}
/**
 * Lists a running `helm upgrade|install|rollback|uninstall` of the release (pgrep -f prints its
 * process ids, exit 1 when there is none): a helm whose SSH session dropped goes on by itself.
 */
export const helmRunning = (release: string): Argv => ['pgrep', '-f', `helm (upgrade|install|rollback|uninstall)( --install)? ${assertNodeName(release, 'Helm release')} `];
export const helmUninstall = (release: string, namespace: string): Argv => helm(['uninstall', ...releaseArgs(release, namespace)]);
/** The version of the installed helm, e.g. v4.2.4 (helm.sh/docs/helm/helm_version: `--template='Version: {{.Version}}'`). */
export const helmVersion = (): Argv => ['helm', 'version', '--template', '{{.Version}}'];

/** Where templates/scripts/install-helm.sh puts helm (its default target). */
export const HELM_BINARY = '/usr/local/bin/helm';

/** The values of templates/scripts/install-helm.sh: the pinned version and both sha256s (HELM of pins.ts unless given). */
export function installHelmScriptVars(pin: { version: string; sha256: { amd64: string; arm64: string } } = HELM): Record<string, string> {
  for (const sha of [pin.sha256.amd64, pin.sha256.arm64]) {
    if (!/^[0-9a-f]{64}$/.test(sha)) throw new InternalError('HelmPinInvalid', 'a pinned helm sha256 is not 64 hex digits');
  }
  if (!/^v\d+\.\d+\.\d+$/.test(pin.version)) throw new InternalError('HelmPinInvalid', `the pinned helm version ${JSON.stringify(pin.version)} is not vX.Y.Z`);
  return { helmVersion: pin.version, helmSha256Amd64: pin.sha256.amd64, helmSha256Arm64: pin.sha256.arm64 };
}

/** templates/scripts/install-helm.sh with its values, as node scripts are named (templates/scripts/<name>.sh). */
export const installHelmScript = (pin?: { version: string; sha256: { amd64: string; arm64: string } }): { name: 'install-helm'; vars: Record<string, string> } => ({
  name: 'install-helm',
  vars: installHelmScriptVars(pin),
});

// ---- readers ---------------------------------------------------------------------------------

export interface HelmRelease {
  name: string;
  namespace: string;
  revision: number;
  status: string;
  /** "cert-manager" of "cert-manager-v1.21.1". */
  chart: string;
  /** "v1.21.1" of "cert-manager-v1.21.1". */
  chartVersion: string;
  appVersion: string;
  updated: string;
}

/** Helm's output as a value, or an ExternalToolError naming the command (details only when the output may be shown). */
function parseHelmJson(command: string, stdout: string, showOutput: boolean): unknown {
  try {
    return JSON.parse(stdout);
  } catch {
    throw new ExternalToolError('UnexpectedHelmOutput', `${command} printed something that is not JSON`, {
      ...(showOutput ? { details: stdout.split('\n').slice(0, 10) } : {}),
      hint: `Run ${command} on the first control plane (sudo, --kubeconfig ${ADMIN_KUBECONFIG}) to see what it says.`,
    });
  }
}

const SEMVER_TAIL = /^(.+?)-(v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?)$/;

/**
 * "kube-prometheus-stack-88.5.3" → name and version: Helm joins them with a dash (pkg/cmd/list.go:
 * `formatChartName`: name + "-" + version). The version is the shortest tail that is a whole
 * semantic version (so "foo-1.0.0-rc.1" keeps its pre-release); failing that, the text after the
 * last dash followed by a digit or "v".
 */
export function splitChartName(chart: string): { name: string; version: string } {
  const semver = SEMVER_TAIL.exec(chart);
  if (semver) return { name: semver[1]!, version: semver[2]! };
  const dash = [...chart.matchAll(/-(?=v?\d)/g)].pop();
  if (dash?.index === undefined || dash.index === 0) return { name: chart, version: '' };
  return { name: chart.slice(0, dash.index), version: chart.slice(dash.index + 1) };
}

const text = (value: unknown): string => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '');

/**
 * `helm list -o json`: an array of {name, namespace, revision, updated, status, chart,
 * app_version} (pkg/cmd/list.go @v4.2.4: revision is a string there, a number in older Helm; both
 * read). Entries without a name are skipped.
 */
export function parseHelmList(stdout: string): HelmRelease[] {
  const trimmed = stdout.trim();
  if (trimmed === '' || trimmed === 'null') return [];
  const parsed = parseHelmJson('helm list --output json', trimmed, true);
  if (!Array.isArray(parsed)) throw new ExternalToolError('UnexpectedHelmOutput', 'helm list --output json printed JSON that is not a list of releases', { details: trimmed.split('\n').slice(0, 10) });
  const releases: HelmRelease[] = [];
  for (const entry of parsed as Array<Record<string, unknown>>) {
    if (typeof entry !== 'object' || entry === null || typeof entry.name !== 'string' || entry.name === '') continue;
    const chart = splitChartName(text(entry.chart));
    const revision = Number(text(entry.revision));
    releases.push({
      name: entry.name,
      namespace: text(entry.namespace),
      revision: Number.isInteger(revision) ? revision : 0,
      status: text(entry.status),
      chart: chart.name,
      chartVersion: chart.version,
      appVersion: text(entry.app_version),
      updated: text(entry.updated),
    });
  }
  return releases;
}

/**
 * `helm get values -o json`: the user-supplied values of the release; `null` (no values, research-15
 * §1) and an empty answer read as {}. The output is never echoed in an error: it may hold values.
 */
export function parseHelmValues(stdout: string): Record<string, unknown> {
  const trimmed = stdout.trim();
  if (trimmed === '' || trimmed === 'null') return {};
  const parsed = parseHelmJson('helm get values --output json', trimmed, false);
  if (parsed === null) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ExternalToolError('UnexpectedHelmOutput', 'helm get values --output json printed JSON that is not a map of values');
  return parsed as Record<string, unknown>;
}

/**
 * `helm status -o json`: the release object, whose info holds status and description
 * (pkg/release/v1/info.go; every field omitempty). undefined when it says neither.
 */
export function parseHelmStatus(stdout: string): { status: string; description: string } | undefined {
  const parsed = parseHelmJson('helm status --output json', stdout.trim(), false) as { info?: { status?: unknown; description?: unknown } } | null;
  const info = parsed !== null && typeof parsed === 'object' ? parsed.info : undefined;
  if (info === undefined || info === null || typeof info !== 'object') return undefined;
  const status = text(info.status);
  const description = text(info.description);
  if (status === '' && description === '') return undefined;
  return { status, description };
}

/**
 * `helm history -o json`: [{revision (number), status, chart, app_version, description, updated}]
 * (pkg/cmd/history.go). The last deployed revision is where a pending upgrade goes back to.
 */
export function parseHelmHistory(stdout: string): Array<{ revision: number; status: string; chart: string; description: string }> {
  const parsed = parseHelmJson('helm history --output json', stdout.trim(), true);
  if (!Array.isArray(parsed)) throw new ExternalToolError('UnexpectedHelmOutput', 'helm history --output json printed JSON that is not a list of revisions', { details: stdout.split('\n').slice(0, 10) });
  return (parsed as Array<Record<string, unknown>>)
    .filter((entry) => typeof entry === 'object' && entry !== null)
    .map((entry) => ({ revision: Number(text(entry.revision)) || 0, status: text(entry.status), chart: text(entry.chart), description: text(entry.description) }));
}

/** The last line of Helm's stderr that says something: its own `Error: …`, for the failure's details. */
export function helmErrorLine(stderr: string): string | undefined {
  const lines = stderr.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  return [...lines].reverse().find((line) => line.startsWith('Error:')) ?? lines.at(-1);
}
