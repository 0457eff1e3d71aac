/**
 * The add-ons as engine phases, for init (after the kubeconfig), upgrade (after the kubeconfig,
 * at the target minor's pins) and `addons apply`: first Helm on the first control plane
 * (`addon:helm`), then one step per add-on in apply order (`addon:<name>`), each going on when
 * another fails (continueOnError), so one broken add-on leaves the cluster and the others as
 * they are and the run fails at its end naming it.
 *
 * A step always asks Helm before it changes anything (AddonNodeOps.apply); its checkpoint only
 * lets a repeated init skip an add-on whose inputs (Kubernetes minor, chart version, a hash of
 * the values and manifests it renders) are unchanged. Steps with Secrets, and every step of
 * `addons apply` (eachRun), carry a per-run nonce in their inputs: they judge by Helm on every run.
 */
import { randomUUID } from 'node:crypto';
import type { Phase, Step, StepContext } from '../../engine/step.js';
import type { ClusterSpec } from '../../config/schema.js';
import { ExternalToolError, UsageError } from '../../errors.js';
import { VELERO_S3_VARIABLES } from '../../config/addons.js';
import { addonPlans, type AddonPlan, type AddonSecretMaterial } from '../../kube/addons/plan.js';
import { ADDON_CHARTS, HELM, type AddonName } from '../../kube/addons/pins.js';
import { VELERO_S3_SECRET } from '../../kube/addons/secrets.js';
import { minorOfText } from '../../kube/versions.js';
import type { AddonOps } from '../../nodes/addon-ops.js';
import { firstControlPlane, type Topology } from '../../nodes/topology.js';
import { stepId } from '../run/step-ids.js';
import { PLACEHOLDER_MATERIAL, type AddonMaterialSource } from './material.js';

export type { AddonStepResult } from '../../kube/addons/step-result.js';
import type { AddonStepResult } from '../../kube/addons/step-result.js';

export interface AddonPhasesOptions {
  spec: ClusterSpec;
  topology: Topology;
  /** The Kubernetes version whose minor's pins apply (the cluster's; upgrade: the target). */
  version: string;
  /** The tools of the steps, asked for only when a step runs (a plan passes notConnected). */
  ops: () => AddonOps;
  /** The secret material of the plans a step applies; a plan built only to be read needs none. */
  material?: () => AddonMaterialSource;
  /** Only these (enabled) add-ons; default every enabled one. */
  only?: readonly AddonName[];
  /** A per-run nonce in every step's inputs: `addons apply` judges by Helm each time. */
  eachRun?: boolean;
  /** upgrade: only add-ons that are installed move (to the target minor's pins); the others are left alone. */
  upgrade?: boolean;
  /** Told what each add-on step did. */
  record?: (result: AddonStepResult) => void;
}

/** A failed add-on step that is worth another attempt: a dropped connection, not helm's verdict or a missing key. */
export function isRetryableAddonError(error: unknown): boolean {
  if (error instanceof UsageError) return false;
  return !(error instanceof ExternalToolError && ['AddonNotReady', 'AddonManifestFailed', 'AddonRepairFailed', 'AddonNoPin'].includes(error.code));
}

/** The add-ons' plans as the phases see them, for the Kubernetes version's minor. */
export function plannedAddons(spec: ClusterSpec, version: string, material: AddonSecretMaterial = PLACEHOLDER_MATERIAL, only?: readonly AddonName[]): AddonPlan[] {
  return addonPlans(spec, minorOfText(version), material, only ? [...only] : undefined);
}

/** The step's inputs: minor, chart version, what it renders; a nonce when it must ask every run. */
export function addonStepInputs(plan: AddonPlan, minor: string, nonce: string | undefined, upgrade = false): string {
  const rendered = plan.contentSha256.slice(0, 16);
  // An upgrade's checkpoint must not count for init: upgrade leaves an add-on that is not installed alone, init installs it.
  return `${minor}/${plan.version ?? '-'}/${rendered}${upgrade ? '/upgrade' : ''}${nonce ? `/run-${nonce}` : ''}`;
}

export function addonPhases(options: AddonPhasesOptions): Phase[] {
  const { spec, topology, version, ops } = options;
  const first = firstControlPlane(topology);
  const minor = minorOfText(version);
  const plans = plannedAddons(spec, version, PLACEHOLDER_MATERIAL, options.only);
  if (plans.length === 0) return [];
  // Differs per run (the phases are built once per run): a checkpoint made with it never counts in the next one.
  const runNonce = randomUUID().slice(0, 8);

  const helm: Phase = {
    title: 'Helm',
    steps: [
      {
        stepId: stepId.addonHelm,
        title: `Install Helm ${HELM.version} on ${first.name}`,
        detail: 'the get.helm.sh tarball, its sha256 checked against the pinned one',
        node: first.name,
        tool: 'ssh',
        inputs: `${HELM.version}${options.eachRun ? `/run-${runNonce}` : ''}`,
        retries: 2,
        run: (ctx) => ops().installHelm(ctx),
      },
    ],
  };

  const steps: Step[] = plans.map((placeholder) => {
    const name = placeholder.name;
    const nonce = options.eachRun || placeholder.secrets.length > 0 ? runNonce : undefined;
    const target = placeholder.version ? `${options.upgrade ? '→ ' : ''}${placeholder.version}` : '(no version for this minor)';
    return {
      stepId: stepId.addon(name),
      title: `${placeholder.title} ${target}${placeholder.warning ? ' (untested on this Kubernetes minor)' : ''}`,
      detail: `helm upgrade --install ${placeholder.release} (chart ${placeholder.chart}${placeholder.version ? ` ${placeholder.version}` : ''}${placeholder.appVersion ? `, app ${placeholder.appVersion}` : ''}) in namespace ${placeholder.namespace}${placeholder.warning ? `; warning: ${placeholder.warning}` : ''}`,
      node: first.name,
      tool: 'helm',
      inputs: addonStepInputs(placeholder, minor, nonce, options.upgrade),
      timeoutMs: (placeholder.helmTimeoutS + 10 * 60) * 1000,
      retries: 1,
      retryable: isRetryableAddonError,
      check: (ctx) => leaveAlone(placeholder, options, minor, ctx),
      run: async (ctx) => {
        const source = options.material?.();
        if (!source) throw new ExternalToolError('AddonMaterialMissing', 'add-on steps built for a plan were run');
        const material = await source.forAddons([name]);
        const plan = plannedAddons(spec, version, material, [name])[0];
        if (!plan) throw new ExternalToolError('AddonNotPlanned', `${name} is not enabled in cluster.yaml`);
        if (plan.warning) ctx.output(`warning: ${plan.name} ${plan.version}: ${plan.warning}`, 'info');
        await keepReferencedSecrets(plan, ops(), ctx);
        const outcome = await ops().apply(plan, ctx);
        options.record?.({ name, version: plan.version, outcome });
      },
    };
  });

  return [helm, { title: 'Add-ons', continueOnError: true, steps }];
}

/**
 * Why a step has nothing to do, before it asks for its material: an add-on with no version for
 * the minor (a warning; an installed one stays at its version), and in an upgrade one that is
 * not installed (upgrade moves only what runs; `addons apply` installs).
 */
async function leaveAlone(plan: AddonPlan, options: AddonPhasesOptions, minor: string, ctx: StepContext): Promise<string | undefined> {
  const needsRelease = options.upgrade || !plan.version;
  const release = needsRelease ? (await options.ops().releases(ctx)).find((r) => r.name === plan.release && r.namespace === plan.namespace) : undefined;
  if (!plan.version) {
    const reason = `no version of ${plan.name} for Kubernetes ${minor} in this k8s-bootstrap release yet: ${release ? `it stays at ${release.chartVersion}` : 'not installed'}`;
    ctx.output(`warning: ${reason}`, 'info');
    options.record?.({ name: plan.name, ...(release ? { version: release.chartVersion } : {}), outcome: 'no-pin' });
    return reason;
  }
  if (options.upgrade && !release) {
    options.record?.({ name: plan.name, outcome: 'not-installed' });
    return `not installed: left alone (k8s-bootstrap addons apply ${plan.name} installs it)`;
  }
  return undefined;
}

/**
 * A Secret the chart's values name that this run does not render (Velero's S3 keys, when the
 * environment has none): the one in the cluster is kept; none there stops the step, naming what
 * to set (a usage error: another attempt finds the same).
 */
async function keepReferencedSecrets(plan: AddonPlan, ops: AddonOps, ctx: StepContext): Promise<void> {
  const rendered = new Set(plan.secrets.map((secret) => `${secret.namespace}/${secret.name}`));
  for (const secret of plan.referencedSecrets) {
    if (rendered.has(`${secret.namespace}/${secret.name}`)) continue;
    if (await ops.secretExists(secret.namespace, secret.name, ctx)) {
      ctx.output(`${plan.name}: no new keys given (environment): the Secret ${secret.namespace}/${secret.name} in the cluster is kept`, 'info');
      continue;
    }
    if (plan.name === 'velero') throw veleroKeysMissing();
    throw new UsageError('AddonSecretMissing', `${plan.title} needs the Secret ${secret.namespace}/${secret.name}, which this run does not create and the cluster does not have`);
  }
}

/** The Secret Velero reads its S3 keys from (kube/addons/secrets.ts). */
export const VELERO_SECRET = { namespace: ADDON_CHARTS.velero.namespace, name: VELERO_S3_SECRET } as const;

export function veleroKeysMissing(): UsageError {
  const [own] = VELERO_S3_VARIABLES;
  return new UsageError('VeleroKeysMissing', `Velero needs the S3 keys of its bucket for its first install: set ${own.accessKeyId} and ${own.secretAccessKey}`, {
    hint: `export ${own.accessKeyId}=… ${own.secretAccessKey}=…, then run k8s-bootstrap addons apply velero. They go only into the cluster's Secret ${VELERO_SECRET.namespace}/${VELERO_SECRET.name}, never into a file here.`,
  });
}
