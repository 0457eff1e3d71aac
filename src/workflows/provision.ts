/**
 * Provider -> Inventory. Static: the spec's hosts. Cloud: Preflight (credentials, tools, key),
 * Image (Packer, reused while its inputs are unchanged), Infrastructure (Terraform plan + apply),
 * then `terraform output -json`, checked against the contract.
 */
import { createHash } from 'node:crypto';
import type { CliContext } from '../cli/context.js';
import { PreflightError, ValidationError } from '../errors.js';
import type { Phase, StepContext } from '../engine/step.js';
import type { ClusterSpec } from '../spec/schema.js';
import type { ClusterDir } from '../state/cluster-dir.js';
import { credentialIssue } from '../providers/credentials.js';
import { inventoryFromSpec, isCloudProvider, prepareTerraformDir, providerAdapter, terraformEnvironment } from '../providers/index.js';
import type { Inventory } from '../providers/inventory.js';
import { readInventory } from './inventory-file.js';
import { resolveTerraformBinary, TerraformCli, type TerraformEvent } from '../tools/terraform.js';
import { PackerCli, type PackerEvent } from '../tools/packer.js';
import { decideImageBuild, preparePackerDir } from '../providers/image.js';
import { findExecutable } from '../tools/subprocess.js';
import type { RunHarness } from './run-harness.js';
import { ensureSshKey } from './ssh-key.js';

export interface ProvisionOptions {
  spec: ClusterSpec;
  dir: ClusterDir;
  rebuildImage: boolean;
  /** Worker count to provision, when it differs from the spec (add-workers before it is saved). */
  workerCount?: number;
  /** Called with the plan before apply; throwing stops the run (add-workers: only additions). */
  reviewPlan?: (plan: import('../tools/terraform.js').PlanResult) => void;
}

export async function provisionInventory(run: RunHarness, ctx: CliContext, options: ProvisionOptions): Promise<Inventory> {
  const { spec } = options;
  if (!isCloudProvider(spec.provider.name)) return inventoryFromSpec(spec);
  await run.runPhases(cloudPhases(run, ctx, options));
  // Also read when the infrastructure step was skipped: the file is data, checked like Terraform's outputs.
  const inventory = await readInventory(options.dir, spec);
  if (!inventory) throw new PreflightError('InventoryMissing', `${options.dir.inventoryFile} is missing after provisioning`);
  return inventory;
}

function cloudPhases(run: RunHarness, ctx: CliContext, options: ProvisionOptions): Phase[] {
  const { spec, dir } = options;
  const adapter = providerAdapter(spec.provider.name);
  let imageId = spec.image.id ?? run.state.current.image?.id ?? '';
  let terraformBinary = '';
  let publicKey = '';

  const image = decideImageBuild(spec, run.state.current, { rebuild: options.rebuildImage });
  return [
    {
      title: 'Preflight',
      steps: [
        {
          stepId: 'preflight',
          title: `Check terraform${image.action === 'build' ? ', packer' : ''} and ${spec.provider.name} credentials`,
          tool: 'local',
          // Never checkpointed: cheap, and the environment may have changed since the last run.
          inputs: `run-${Date.now()}`,
          run: async (ctx2) => {
            const issue = credentialIssue(spec.provider.name, ctx.env);
            if (issue) throw new ValidationError([issue], `No ${spec.provider.name} credentials`);
            terraformBinary = await resolveTerraformBinary(spec.terraform.binary, ctx.env);
            ctx2.output(`terraform: ${terraformBinary}`, 'info');
            if (image.action === 'build' && !(await findExecutable('packer', ctx.env.PATH ?? ''))) {
              throw new PreflightError('PackerMissing', 'packer was not found on PATH', {
                hint: 'Install Packer (https://developer.hashicorp.com/packer/install), or set image.id in cluster.yaml to use an existing image.',
              });
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
                stepId: 'image',
                title: `Build the node image with Packer (${spec.kubernetes.runtime}, Kubernetes ${spec.kubernetes.version})`,
                tool: 'packer',
                inputs: image.inputsHash,
                timeoutMs: 60 * 60_000,
                check: async () => {
                  const built = run.state.current.image;
                  return built?.inputsHash === image.inputsHash && !options.rebuildImage ? `image ${built.id} is up to date` : undefined;
                },
                run: async (step) => {
                  const files = await preparePackerDir(dir.root, spec);
                  const packer = new PackerCli();
                  const env = adapter.credentialsEnv(ctx.env);
                  const init = await packer.init(files.template, { signal: step.signal, env, onLine: (l, s) => step.output(l, s) });
                  if (init.notice) step.output(init.notice, 'info');
                  const result = await packer.build({
                    template: files.template,
                    varFile: files.varFile,
                    force: options.rebuildImage,
                    signal: step.signal,
                    env,
                    onEvent: (event) => forwardPacker(event, step),
                    onLine: (line, stream) => stream === 'stderr' && step.output(line, stream),
                  });
                  imageId = result.artifactId;
                  await run.state.update((state) => {
                    state.image = { id: result.artifactId, inputsHash: image.inputsHash ?? '', builtAt: new Date().toISOString() };
                  });
                },
              },
            ]
          : [],
    },
    {
      title: 'Infrastructure',
      steps: [
        {
          stepId: 'infrastructure',
          title: `Network, firewall, API load balancer and machines on ${spec.provider.name}`,
          tool: 'terraform',
          timeoutMs: 60 * 60_000,
          // Done once per set of inputs; a changed spec, image or worker count plans again.
          inputs: infrastructureInputs(options, image.inputsHash ?? spec.image.id ?? ''),
          run: async (step) => {
            imageId = imageId || run.state.current.image?.id || '';
            const workingSpec = options.workerCount === undefined ? spec : { ...spec, workers: { ...spec.workers, count: options.workerCount } };
            await prepareTerraformDir(dir.root, workingSpec, { sshPublicKey: publicKey, imageId, moduleDir: ctx.env.K8SB_TERRAFORM_MODULE_DIR || undefined });
            const terraform = new TerraformCli({
              dir: dir.terraformDir,
              binary: terraformBinary,
              env: terraformEnvironment(adapter, spec, ctx.env),
              signal: step.signal,
              onEvent: (event) => forwardTerraform(event, step),
              onLine: (line, stream) => stream === 'stderr' && step.output(line, stream),
            });
            await terraform.init();
            const plan = await terraform.plan();
            step.output(`plan: ${plan.summary.add} to add, ${plan.summary.change} to change, ${plan.summary.remove} to destroy`, 'info');
            options.reviewPlan?.(plan);
            if (plan.hasChanges) await terraform.apply(plan.planFile);
            const outputs = await terraform.output();
            const inventory = adapter.inventoryFromOutputs(outputs, workingSpec);
            await dir.writeFile('inventory.json', `${JSON.stringify(inventory, null, 2)}\n`);
          },
        },
      ],
    },
  ];
}

function infrastructureInputs(options: ProvisionOptions, image: string): string {
  const { spec } = options;
  const relevant = { provider: spec.provider, network: spec.network, controlPlane: spec.controlPlane, workers: { ...spec.workers, count: options.workerCount ?? spec.workers.count }, ssh: spec.ssh, cni: spec.kubernetes.cni, terraform: spec.terraform, image };
  return createHash('sha256').update(JSON.stringify(relevant)).digest('hex').slice(0, 16);
}

function forwardTerraform(event: TerraformEvent, step: StepContext): void {
  const message = (event as { message?: string }).message;
  if (message) step.output(message, 'stdout');
}

function forwardPacker(event: PackerEvent, step: StepContext): void {
  const message = (event as { message?: string }).message;
  if (message) step.output(message, 'stdout');
}
