/**
 * init as one function: from a validated ClusterSpec to a running cluster (or, with dryRun, to
 * the files and the plan the run would use). The cluster folder is written under the cluster
 * lock, the host confirms, then provisioning (cloud), the bootstrap over SSH, verify, kubeconfig.
 */
import { DeclinedError, formatIssue } from '../../errors.js';
import { specWarnings } from '../../config/validate/index.js';
import { emitTo, noteTo, type Host, type ResultBase } from '../../engine/host.js';
import type { PlanStep } from '../../engine/describe.js';
import type { ClusterSpec } from '../../config/schema.js';
import { changeNotice, formatSpecSummary } from '../../config/summary.js';
import { discoverCredentials, runSecrets } from '../../providers/credentials.js';
import { assertCredentials } from '../run/credentials-check.js';
import { writeFileAtomic } from '../../state/atomic.js';
import { ClusterDir } from '../../state/cluster-dir.js';
import { acquireLock, type Lock } from '../../state/lock.js';
import { initConcurrency } from './concurrency.js';
import { DEFAULTS } from '../defaults.js';
import { nodeUsersOf, specAsBuilt } from '../run/load-cluster.js';
import { imageBuildWarning, provisionInventory } from '../run/provision.js';
import { stepId } from '../run/step-ids.js';
import { withRun } from '../run/session.js';
import { createSshPool } from '../run/ssh-pool.js';
import { allNodes, topologyFromInventory } from '../../nodes/topology.js';
import { settleBackendKey } from './backend-key.js';
import { credentialSwitchWarning } from './credential-switch.js';
import { StateStore } from '../../state/state-store.js';
import { dryRunFolder, writeClusterFolder } from './cluster-folder.js';
import { destructiveChanges, destructivePlanError } from './plan-review.js';
import { bootstrapPhases, kubeconfigPhase, verifyPhases } from './phases.js';
import { RunFailedError, toleratedNodes } from '../../engine/runner.js';
import { describeInitPlan, dryRunRenderers, formatPlan } from './plan.js';
import { runNodeOps } from '../run/node-ops.js';
import { AddonNodeOps } from '../../nodes/addon-ops.js';
import { describeResults, runAddons } from '../addons/run.js';
import type { AddonStepResult } from '../../kube/addons/step-result.js';

export interface InitClusterOptions {
  /** The cluster, as validateSpec returns it. */
  spec: ClusterSpec;
  /** The cluster folder. @default ./clusters/<name> under the host's cwd */
  dir?: string;
  /** Render the files and the plan; run nothing, need no credentials. */
  dryRun?: boolean;
  /** Credentials typed into the wizard: used over the host's env, kept in memory only. */
  credentials?: Record<string, string>;
  /** Where the credentials came from, for the summary ("wizard", "AWS_PROFILE"). */
  credentialsSource?: string;
  /** Show the spec's summary before the dry run's plan (the spec came from the wizard). */
  showSpec?: boolean;
  /** Apply a Terraform plan that deletes or replaces resources (--allow-destroy). */
  allowDestroy?: boolean;
  /** Nodes worked on at once. */
  concurrency?: number;
  /** Overall time limit of the run. */
  timeoutMs?: number;
  /** Build the node image even when an up-to-date one exists. */
  rebuildImage?: boolean;
  /** An OpenSSH known_hosts file to pin before connecting. */
  knownHostsFile?: string;
  /** How long to wait for a node to answer SSH. */
  sshTimeoutMs?: number;
  /** How long Verify waits for Ready. */
  readyTimeoutMs?: number;
  /**
   * Shows a generated add-on password once to the person at the terminal, never as an event or in
   * the log (the CLI passes one only when stderr is a terminal). Unset: the run names the file only.
   */
  reveal?: (text: string) => void;
}

export interface InitDryRunResult extends ResultBase {
  dryRun: true;
  provider: string;
  /** The folder the files were rendered into (a scratch folder when the cluster's is in use). */
  dir: string;
  files: string[];
  steps: PlanStep[];
}

export interface InitRunResult extends ResultBase {
  dryRun: false;
  dir: string;
  kubeconfig: string;
  /** What each add-on step did (a checkpointed one, skipped, is not listed). */
  addons: AddonStepResult[];
}

export type InitResult = InitDryRunResult | InitRunResult;

export async function initCluster(host: Host, options: InitClusterOptions): Promise<InitResult> {
  const folder = ClusterDir.forCluster(options.spec.name, options.dir, host.cwd);
  const spec = await settleBackendKey(options.spec, folder);
  if (options.dryRun) return dryRun(host, spec, folder, options);

  const env = { ...host.env, ...options.credentials };
  assertCredentials(spec, env, 'Cannot create the cluster', { cloudControllers: true });
  const credentialsSource = options.credentialsSource ?? discoverCredentials(spec.provider.name, env).source;
  // Refused before the lock and the folder: a pipe or a CI job must say --yes itself.
  host.assertCanConfirm('init');
  // The lock first: cluster.yaml is compared and written only by the run that holds it.
  const lock = await acquireLock(folder, 'init');
  let addons: AddonStepResult[] = [];
  try {
    // Read before writeClusterFolder records the new spec.
    const switchWarning = credentialSwitchWarning((await StateStore.open(folder.stateFile, spec.name)).current, spec);
    await writeClusterFolder(host, folder, spec);
    // The plan before the question: the spec's summary for a person, the steps for a program.
    const text = `\nCluster ${spec.name} (saved to ${folder.specFile}):\n${formatSpecSummary(spec, credentialsSource)}`;
    emitTo(host, { type: 'plan', time: Date.now(), command: 'init', cluster: spec.name, dryRun: false, steps: describeInitPlan(spec, { dir: folder.root }), text });
    warnAboutSpec(host, spec);
    if (switchWarning) noteTo(host, switchWarning, 'warning');
    const go = await host.confirm({
      command: 'init',
      message: `Create cluster ${spec.name} now? ${changeNotice(spec)}`,
      doing: `creating cluster ${spec.name}`,
    });
    if (!go) throw declined(folder, options.credentials);
    // The same host, reading the wizard's credentials over its env (kept in memory only).
    const withCredentials: Host = Object.create(host, { env: { value: env, enumerable: true } });
    addons = await runInit(withCredentials, spec, folder, lock, options);
  } finally {
    await lock.release();
  }
  return {
    dryRun: false,
    cluster: spec.name,
    dir: folder.root,
    kubeconfig: folder.kubeconfigFile,
    addons,
    summary: [
      `Cluster ${spec.name} is ready. kubeconfig: ${folder.kubeconfigFile}`,
      `  export KUBECONFIG=${folder.kubeconfigFile}`,
      ...(addons.length > 0 ? [`Add-ons: ${describeResults(addons).line}.`] : []),
    ],
  };
}

/** The dry run renders what the real run would hand to the tools, and the plan of its steps. */
async function dryRun(host: Host, spec: ClusterSpec, folder: ClusterDir, options: InitClusterOptions): Promise<InitDryRunResult> {
  const switchWarning = credentialSwitchWarning((await StateStore.open(folder.stateFile, spec.name)).current, spec);
  const target = await dryRunFolder(host, folder, spec);
  const files = [target.dir.specFile, target.dir.stateFile, target.dir.schemaFile];
  try {
    if (options.showSpec) noteTo(host, `\nCluster ${spec.name} (saved to ${target.dir.specFile}):\n${formatSpecSummary(spec, undefined)}`);
    (await import('./dry-run-files.js')).registerDryRunFiles();
    for (const render of dryRunRenderers) files.push(...(await render(spec, target.dir)));
  } finally {
    await target.lock?.release();
  }
  const steps = await withPlanProblems(describeInitPlan(spec, { dir: target.dir.root }), spec, host);
  warnAboutSpec(host, spec);
  if (switchWarning) noteTo(host, switchWarning, 'warning');
  // Truthful about the disk: the dry run writes the folder (listed at the end), and runs no tool.
  const text = `Plan for cluster ${spec.name} (${spec.provider.name}), dry run: nothing was created and no machine touched; it wrote only the files listed at the end, in ${target.dir.root}.\n\n${formatPlan(steps)}`;
  emitTo(host, { type: 'plan', time: Date.now(), command: 'init', cluster: spec.name, dryRun: true, steps, text });
  return {
    dryRun: true,
    cluster: spec.name,
    provider: spec.provider.name,
    dir: target.dir.root,
    files,
    steps,
    summary: [`\nWritten to ${target.dir.root}:\n${files.map((file) => `  ${file}`).join('\n')}\n`, 'Run the same command without --dry-run to create the cluster.'],
  };
}

/**
 * What the real run's preflight would refuse, marked on the step it would stop: a Packer too old
 * for the templates, on the Image step (only `packer version` is run to know it).
 */
async function withPlanProblems(steps: PlanStep[], spec: ClusterSpec, host: Host): Promise<PlanStep[]> {
  const packer = await imageBuildWarning({ spec, rebuildImage: false }, host.env, host.signal);
  return packer ? steps.map((step) => (step.id === stepId.image ? { ...step, problem: packer } : step)) : steps;
}

/**
 * The spec's warnings (an admin CIDR of 0.0.0.0/0), as notes on stderr right before the question
 * or the dry run's plan. The one place init shows them, whether the spec came from the wizard,
 * flags or a file; `config validate` prints the same list.
 */
function warnAboutSpec(host: Host, spec: ClusterSpec): void {
  for (const warning of specWarnings(spec)) noteTo(host, formatIssue(warning), 'warning');
}

/** No at the question: what is kept, and what the next run needs that only this one had. */
function declined(folder: ClusterDir, credentials: Record<string, string> | undefined): DeclinedError {
  const given = Object.keys(credentials ?? {}).filter((name) => credentials?.[name] !== '');
  const resume = `k8s-bootstrap init --config ${folder.specFile}`;
  // A profile's name is no secret: say it in full. Keys and tokens only by their variable.
  const profile = credentials?.AWS_PROFILE ? `export AWS_PROFILE=${credentials.AWS_PROFILE}` : undefined;
  const secrets = given.filter((name) => name !== 'AWS_PROFILE');
  const steps = [profile, secrets.length > 0 ? `export ${secrets.join(', ')} (the values given in the wizard are not saved)` : undefined].filter(Boolean);
  const hint =
    steps.length === 0
      ? `The spec is saved; run "${resume}" to continue later.`
      : `The spec is saved; ${steps.join(' and ')}, then run "${resume}" to continue later.`;
  return new DeclinedError('Nothing was created.', { hint });
}

async function runInit(host: Host, spec: ClusterSpec, dir: ClusterDir, lock: Lock, options: InitClusterOptions): Promise<AddonStepResult[]> {
  const defaults = DEFAULTS.init;
  return withRun(
    host,
    dir,
    { command: 'init', cluster: spec.name, timeoutMs: options.timeoutMs ?? defaults.timeoutMs, secrets: runSecrets(spec, host.env), heldLock: lock },
    async (run) => {
      const inventory = await provisionInventory(run, host, {
        spec,
        dir,
        rebuildImage: options.rebuildImage === true,
        reviewPlan: (plan) => {
          const destructive = destructiveChanges(plan.changes);
          if (destructive.length > 0 && !options.allowDestroy) throw destructivePlanError(destructive, plan.changes);
        },
      });
      await writeFileAtomic(dir.inventoryFile, `${JSON.stringify(inventory, null, 2)}\n`, 0o644);
      const topology = topologyFromInventory(inventory, nodeUsersOf(spec));
      const concurrency = options.concurrency ?? initConcurrency(allNodes(topology).length);
      const pool = createSshPool(run, {
        spec,
        dir,
        topology,
        concurrency,
        sshTimeoutMs: options.sshTimeoutMs ?? defaults.sshTimeoutMs,
        knownHostsFile: options.knownHostsFile,
        env: host.env,
        pinNew: true,
      });
      try {
        const built = specAsBuilt(spec, run.state.current);
        const ops = runNodeOps(host, built, dir, pool, run.secrets);
        const version = spec.kubernetes.version;
        const readyTimeoutMs = options.readyTimeoutMs ?? defaults.readyTimeoutMs;
        const workers = new Set(topology.workers.map((node) => node.name));
        const bootstrap = await run.runPhases(
          bootstrapPhases({ spec: built, topology, ops: () => ops, version, concurrency, readyTimeoutMs, bootstrapped: run.state.current.kubernetesVersion !== undefined }),
          { tolerate: workers },
        );
        const failed = toleratedNodes(bootstrap);
        const healthy = allNodes(topology).map((node) => node.name).filter((name) => !failed.has(name));
        await run.runPhases([...verifyPhases({ topology, ops: () => ops, version, readyTimeoutMs, nodes: healthy }), kubeconfigPhase({ topology, ops: () => ops })]);
        await run.state.update((state) => {
          state.kubernetesVersion = version;
        });
        // After the kubeconfig: a failed add-on leaves a usable cluster and its kubeconfig, and
        // the run fails at its end naming it (addons apply <it>, or init again, retries only it).
        const addons = await runAddons(run, { spec: built, topology, version, ops: new AddonNodeOps({ spec: built, topology, ops, secrets: run.secrets }), env: host.env, reveal: options.reveal });
        // Workers and add-ons both failed: one failure naming both, resumed by init again.
        if (failed.size > 0) throw new RunFailedError(addons.failure ? { ...bootstrap, failed: [...bootstrap.failed, ...addons.failure.summary.failed] } : bootstrap, run.logFile);
        if (addons.failure) throw addons.failure;
        return addons.results;
      } finally {
        await pool.closeAll();
      }
    },
  );
}
