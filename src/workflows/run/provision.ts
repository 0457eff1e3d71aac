/**
 * Provider -> Inventory. Static: the spec's hosts. Cloud: Preflight (credentials, tools, key),
 * Image (Packer, reused while its inputs are unchanged), Infrastructure (Terraform plan + apply),
 * then `terraform output -json`, checked against the contract. The phases are built without
 * credentials or tools (init's dry run and status read them); a run binds those to the steps.
 */
import { createHash } from 'node:crypto';
import type { Host } from '../../engine/host.js';
import { PreflightError, ValidationError } from '../../errors.js';
import type { Phase, StepContext } from '../../engine/step.js';
import type { ClusterSpec } from '../../config/schema.js';
import type { ClusterDir } from '../../state/cluster-dir.js';
import type { ClusterState } from '../../state/state-store.js';
import { planNodeNames } from '../../config/node-names.js';
import { credentialIssue } from '../../providers/credentials.js';
import { inventoryFromSpec, isCloudProvider, prepareTerraformDir, providerAdapter, terraformEnvironment } from '../../providers/index.js';
import type { Inventory } from '../../providers/inventory.js';
import { readInventory } from '../../state/inventory-file.js';
import { resolveTerraformBinary, TERRAFORM_STOP_GRACE_MS, TerraformCli, terraformParallelism, type TerraformEvent } from '../../tools/terraform.js';
import { assertBackendSupported } from '../../providers/terraform-common.js';
import { checkPacker, PACKER_CLEANUP_GRACE_MS, PACKER_INSTALL_HINT, PackerCli, type PackerCheck, type PackerEvent } from '../../tools/packer.js';
import { decideImageBuild, nodeImageId, preparePackerDir, terraformImageId, type BuildPlace } from '../../providers/image.js';
import { buildPlaceFromOutputs, prepareImageBuildDir } from '../../providers/image-build.js';
import type { RunHarness } from './session.js';
import { ensureSshKey } from './ssh-key.js';
import { stepId } from './step-ids.js';

export interface ProvisionOptions {
  spec: ClusterSpec;
  dir: ClusterDir;
  rebuildImage: boolean;
  /** Worker count to provision, when it differs from the spec (add-workers before it is saved). */
  workerCount?: number;
  /** Called with the plan before apply; throwing stops the run (add-workers: only additions). */
  reviewPlan?: (plan: import('../../tools/terraform.js').PlanResult) => void;
  /**
   * The run makes no machine (remove-control-plane): the image recorded in state.json is passed
   * as it is, even when its inputs changed since (the modules ignore image changes of running
   * machines), so no image is built for a run that only destroys.
   */
  noNewMachines?: boolean;
  /**
   * Plan and review only, nothing applied, never checkpointed: a command whose own steps cannot be
   * undone (remove-control-plane's etcd member removal) learns before them whether its Terraform
   * change would be refused.
   */
  preview?: boolean;
}

/** What decides which provisioning steps there are: known before anything runs. */
export interface ProvisionShape extends Pick<ProvisionOptions, 'spec' | 'rebuildImage' | 'workerCount' | 'noNewMachines' | 'preview'> {
  /** The node image state.json records: an up-to-date one is reused, and there is no Image step. */
  state?: Pick<ClusterState, 'image'>;
}

/** What the steps work with, asked for only when one runs. */
export interface ProvisionTools extends Pick<ProvisionOptions, 'dir' | 'reviewPlan'> {
  run: Pick<RunHarness, 'state'>;
  env: NodeJS.ProcessEnv;
}

/**
 * stopGraceMs of a Terraform or Packer step: after Ctrl-C or a timeout the tool gets its own grace
 * to save state or delete build resources (then SIGKILL); the run waits that long plus a margin,
 * so the lock is not released and the exit reported while the tool is still writing.
 */
export const TOOL_STOP_GRACE_MS = Math.max(TERRAFORM_STOP_GRACE_MS, PACKER_CLEANUP_GRACE_MS) + 30_000;

export async function provisionInventory(run: RunHarness, host: Pick<Host, 'env' | 'signal'>, options: ProvisionOptions): Promise<Inventory> {
  const { spec } = options;
  if (!isCloudProvider(spec.provider.name)) return inventoryFromSpec(spec);
  await runProvisionPhases(run, host, options);
  // Also read when the infrastructure step was skipped: the file is data, checked like Terraform's outputs.
  const inventory = await readInventory(options.dir, spec);
  if (!inventory) throw new PreflightError('InventoryMissing', `${options.dir.inventoryFile} is missing after provisioning`);
  return inventory;
}

/** The same phases with the Terraform plan reviewed and discarded (ProvisionOptions.preview). */
export async function previewProvision(run: RunHarness, host: Pick<Host, 'env' | 'signal'>, options: Omit<ProvisionOptions, 'preview'>): Promise<void> {
  if (!isCloudProvider(options.spec.provider.name)) return;
  await runProvisionPhases(run, host, { ...options, preview: true });
}

async function runProvisionPhases(run: RunHarness, host: Pick<Host, 'env' | 'signal'>, options: ProvisionOptions): Promise<void> {
  const { spec } = options;
  // Before any step (and the hour-long image build): a backend the binary cannot use is a
  // configuration error, exit 2.
  if (spec.terraform.backend) await assertBackendSupported(spec, await resolveTerraformBinary(spec.terraform.binary, host.env), host.signal);
  // A malformed K8SB_TERRAFORM_PARALLELISM is refused here (exit 2), before anything runs.
  terraformParallelism(0, spec.terraform.parallelism, host.env);
  const tools: ProvisionTools = { run, env: host.env, dir: options.dir, reviewPlan: options.reviewPlan };
  await run.runPhases(provisionPhases({ ...options, state: run.state.current }, () => tools));
}

/** Cloud: Preflight, Image, Infrastructure. Static hosts need none. */
export function provisionPhases(shape: ProvisionShape, tools: () => ProvisionTools): Phase[] {
  const { spec } = shape;
  if (!isCloudProvider(spec.provider.name)) return [];
  const adapter = providerAdapter(spec.provider.name);
  let terraformBinary = '';
  // The packer preflight found on the run's PATH, so the build runs that very binary.
  let packerBinary = 'packer';
  let publicKey = '';

  const image = imageFor(shape);
  const workingSpec = shape.workerCount === undefined ? spec : { ...spec, workers: { ...spec.workers, count: shape.workerCount } };
  const machines = Object.values(planNodeNames(workingSpec)).flat();
  // Always the bare id Terraform can use (nodeImageId), also for a state.json of an older version.
  let imageId = image.imageId ?? '';
  return [
    {
      title: 'Preflight',
      steps: [
        {
          stepId: stepId.preflight,
          title: `Check terraform${image.action === 'build' ? ', packer' : ''} and ${spec.provider.name} credentials`,
          tool: 'local',
          // Never checkpointed: cheap, and the environment may have changed since the last run.
          inputs: `run-${Date.now()}`,
          run: async (ctx2) => {
            const { env, dir } = tools();
            const issue = credentialIssue(spec.provider.name, env);
            if (issue) throw new ValidationError([issue], `No ${spec.provider.name} credentials`);
            terraformBinary = await resolveTerraformBinary(spec.terraform.binary, env);
            ctx2.output(`terraform: ${terraformBinary}`, 'info');
            if (image.action === 'build') {
              // Before the hour-long build: the templates need Packer >= 1.7 (the rule doctor applies too).
              const packer = await checkPacker(env, ctx2.signal);
              if (!packer.path || packer.problem) throw packerPreflightError(packer);
              ctx2.output(`packer: ${packer.path} (${packer.version})`, 'info');
              packerBinary = packer.path;
            }
            publicKey = (await ensureSshKey(spec, dir)).publicKey;
          },
        },
      ],
    },
    {
      title: 'Image',
      steps:
        image.action === 'build'
          ? [
              {
                stepId: stepId.image,
                title: `Build the node image with Packer (${spec.kubernetes.runtime}, Kubernetes ${spec.kubernetes.version})`,
                tool: 'packer',
                inputs: image.inputsHash,
                timeoutMs: 60 * 60_000,
                stopGraceMs: TOOL_STOP_GRACE_MS,
                check: async () => {
                  const built = tools().run.state.current.image;
                  return built?.inputsHash === image.inputsHash && !shape.rebuildImage ? `image ${built.id} is up to date` : undefined;
                },
                run: async (step) => {
                  const { run, dir } = tools();
                  const env = adapter.credentialsEnv(tools().env);
                  const buildDir = await prepareImageBuildDir(dir.root, spec);
                  const buildTerraform = buildDir
                    ? new TerraformCli({
                        dir: buildDir.dir,
                        binary: terraformBinary,
                        env,
                        signal: step.signal,
                        onEvent: (event) => forwardToolMessage(event, step),
                        onLine: (line, stream) => stream === 'stderr' && step.output(line, stream),
                      })
                    : undefined;
                  try {
                    let place: BuildPlace | undefined;
                    if (buildTerraform) {
                      step.output('Security group (and on OpenStack a network) for the build instance, with Terraform', 'info');
                      await buildTerraform.init();
                      const plan = await buildTerraform.plan();
                      if (plan.hasChanges) await buildTerraform.apply(plan.planFile);
                      else await buildTerraform.discardPlan(plan.planFile);
                      place = buildPlaceFromOutputs(spec, await buildTerraform.output());
                    }
                    const files = await preparePackerDir(dir.root, spec, place);
                    const packer = new PackerCli(packerBinary);
                    const init = await packer.init(files.template, { signal: step.signal, env, onLine: (l, s) => step.output(l, s) });
                    if (init.notice) step.output(init.notice, 'info');
                    const result = await packer.build({
                      template: files.template,
                      varFile: files.varFile,
                      force: shape.rebuildImage,
                      signal: step.signal,
                      env,
                      onEvent: (event) => forwardToolMessage(event, step),
                      onLine: (line, stream) => stream === 'stderr' && step.output(line, stream),
                    });
                    // Stripped before it is recorded: state.json then holds what Terraform takes.
                    const built = nodeImageId(spec, result.artifactId, 'the Packer artifact id');
                    imageId = built;
                    await run.state.update((state) => {
                      state.image = { id: built, inputsHash: image.inputsHash ?? '', builtAt: new Date().toISOString() };
                    });
                  } finally {
                    if (buildDir && buildTerraform) await removeBuildPlace(buildTerraform, buildDir.dir, step);
                  }
                },
              },
            ]
          : [],
    },
    {
      title: 'Infrastructure',
      steps: [
        {
          stepId: shape.preview ? `${stepId.infrastructure}-preview` : stepId.infrastructure,
          title: shape.preview
            ? `Plan the ${spec.provider.name} change first (nothing applied yet): ${machines.join(', ')} left`
            : `Network, firewall, ${API_ENDPOINT_RESOURCE[spec.provider.name]} and machines on ${spec.provider.name}`,
          detail: machines.join(', '),
          tool: 'terraform',
          timeoutMs: 60 * 60_000,
          stopGraceMs: TOOL_STOP_GRACE_MS,
          // Done once per set of inputs; a changed spec, image or worker count plans again. A preview: every run.
          inputs: shape.preview ? `run-${Date.now()}` : infrastructureInputs(shape, image.inputsHash ?? spec.image.id ?? ''),
          run: async (step) => {
            const { run, env, dir, reviewPlan } = tools();
            imageId = imageId || terraformImageId(spec, run.state.current);
            await prepareTerraformDir(dir.root, workingSpec, { sshPublicKey: publicKey, imageId, moduleDir: env.K8SB_TERRAFORM_MODULE_DIR || undefined });
            const terraform = new TerraformCli({
              dir: dir.terraformDir,
              binary: terraformBinary,
              env: terraformEnvironment(adapter, spec, env),
              // One operation per machine (bounded): 100 machines are not created ten at a time.
              parallelism: terraformParallelism(machines.length, spec.terraform.parallelism, env),
              signal: step.signal,
              onEvent: (event) => forwardToolMessage(event, step),
              onLine: (line, stream) => stream === 'stderr' && step.output(line, stream),
            });
            await terraform.init();
            const plan = await terraform.plan();
            step.output(`plan: ${plan.summary.add} to add, ${plan.summary.change} to change, ${plan.summary.remove} to destroy`, 'info');
            reviewPlan?.(plan);
            if (shape.preview) {
              await terraform.discardPlan(plan.planFile);
              return;
            }
            if (plan.hasChanges) await terraform.apply(plan.planFile);
            else await terraform.discardPlan(plan.planFile);
            const outputs = await terraform.output();
            const inventory = adapter.inventoryFromOutputs(outputs, workingSpec);
            await dir.writeFile('inventory.json', `${JSON.stringify(inventory, null, 2)}\n`);
          },
        },
      ],
    },
  ];
}

/** The Image step's decision; a run that makes no machine reuses the recorded image. */
function imageFor(shape: ProvisionShape): ReturnType<typeof decideImageBuild> {
  const decision = decideImageBuild(shape.spec, shape.state, { rebuild: shape.rebuildImage });
  const recorded = shape.state?.image;
  if (decision.action !== 'build' || !shape.noNewMachines || !recorded) return decision;
  return { action: 'reuse', inputsHash: recorded.inputsHash, imageId: nodeImageId(shape.spec, recorded.id, 'image.id in state.json'), reason: `image ${recorded.id} as recorded: this run makes no machine` };
}

/** A Packer the image build cannot use: exit 1 (a tool problem), naming what was found and what is needed. */
export function packerPreflightError(packer: PackerCheck): PreflightError {
  const code = !packer.path ? 'PackerMissing' : packer.version ? 'PackerTooOld' : 'PackerUnusable';
  return new PreflightError(code, packer.problem ?? 'packer cannot be used', {
    hint: `Install ${PACKER_INSTALL_HINT}. Or set image.id in cluster.yaml to use an existing image (no Packer needed); k8s-bootstrap doctor checks the tools.`,
  });
}

/** The Image step's problem a dry run shows: what the real preflight would refuse. */
export async function imageBuildWarning(shape: ProvisionShape, env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<string | undefined> {
  if (!isCloudProvider(shape.spec.provider.name)) return undefined;
  if (decideImageBuild(shape.spec, shape.state, { rebuild: shape.rebuildImage }).action !== 'build') return undefined;
  const packer = await checkPacker(env, signal);
  if (!packer.problem) return undefined;
  const error = packerPreflightError(packer);
  return `${error.message} (found with "packer version"); the run's Preflight would stop before this step. ${error.hint}`;
}

/**
 * What fronts the API on each cloud, as the Terraform modules create it: an NLB (aws/api-lb.tf),
 * an Octavia load balancer (openstack/api-lb.tf), and on Exoscale a managed Elastic IP that
 * health-checks /readyz, because an Exoscale NLB can only target an instance pool
 * (exoscale/api-endpoint.tf).
 */
const API_ENDPOINT_RESOURCE: Record<string, string> = {
  aws: 'API load balancer (NLB)',
  openstack: 'API load balancer (Octavia)',
  exoscale: 'API Elastic IP (managed, health-checked on /readyz)',
};

function infrastructureInputs(shape: ProvisionShape, image: string): string {
  const { spec } = shape;
  const relevant = { provider: spec.provider, network: spec.network, controlPlane: spec.controlPlane, workers: { ...spec.workers, count: shape.workerCount ?? spec.workers.count }, ssh: spec.ssh, cni: spec.kubernetes.cni, terraform: spec.terraform, image, cloudIntegration: spec.cloudIntegration };
  return createHash('sha256').update(canonicalJson(relevant)).digest('hex').slice(0, 16);
}

/** JSON with every object's keys sorted: a spec read from cluster.yaml and one built from flags hash alike. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : inner,
  );
}

/**
 * The build instance's security group and network are only for the build. After Ctrl-C nothing
 * more is started (the next run applies the same module again and removes it after its build);
 * a failed destroy is reported, not fatal: the image is there and the leftovers hold no machine.
 */
async function removeBuildPlace(terraform: TerraformCli, buildDir: string, step: StepContext): Promise<void> {
  const leftover = `left in place: remove it with "terraform -chdir=${buildDir} destroy" (or the next image build does)`;
  if (step.signal.aborted) {
    step.output(`The build instance's temporary security group/network was ${leftover}`, 'info');
    return;
  }
  try {
    await terraform.destroy();
  } catch (error) {
    step.output(`Removing the build instance's temporary security group/network failed (${(error as Error).message}); ${leftover}`, 'stderr');
  }
}

/** A Terraform or Packer event's human message, as the step's output (the rest is for the driver). */
export function forwardToolMessage(event: TerraformEvent | PackerEvent, step: StepContext): void {
  const message = (event as { message?: string }).message;
  if (message) step.output(message, 'stdout');
}
