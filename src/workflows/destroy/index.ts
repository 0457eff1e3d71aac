/**
 * `destroy`: asks for the cluster name to be typed (a host that answers by itself, e.g. --yes,
 * answers with it), then `terraform destroy` for cloud providers, `kubeadm reset -f` on
 * static hosts when asked (they are otherwise left as they are), then the kubeconfig entries that
 * `kubeconfig --merge` recorded go (a same-named entry it did not create stays), and the cluster
 * folder forgets the cluster: inventory, join material, kubeconfig and the checkpoints are
 * removed; cluster.yaml, terraform/ (its state) and logs/ stay. Runs under the cluster lock.
 */
import { chmod, mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DeclinedError, UsageError } from '../../errors.js';
import type { Host, ResultBase } from '../../engine/host.js';
import type { Phase, StepContext } from '../../engine/step.js';
import { DEFAULTS } from '../defaults.js';
import { assertCredentials } from '../run/credentials-check.js';
import { SECRET_DIR_MODE, type ClusterDir } from '../../state/cluster-dir.js';
import { inventoryFromSpec, isCloudProvider, providerAdapter, terraformEnvironment, secureTerraformDir } from '../../providers/index.js';
import { runSecrets } from '../../providers/credentials.js';
import { resolveTerraformBinary, TerraformCli, terraformParallelism } from '../../tools/terraform.js';
import { planNodeNames } from '../../config/node-names.js';
import { assertBackendSupported } from '../../providers/terraform-common.js';
import { IMAGE_BUILD_DIR } from '../../providers/image-build.js';
import { loadCluster, nodeUsersOf, type PartialCluster } from '../run/load-cluster.js';
import type { ClusterRef } from '../run/cluster-ref.js';
import { removeFromUserKubeconfig } from '../../state/user-kubeconfig.js';
import { forwardToolMessage, TOOL_STOP_GRACE_MS } from '../run/provision.js';
import { withRun, type RunHarness } from '../run/session.js';
import { createSshPool } from '../run/ssh-pool.js';
import { SshNodeOps } from '../../nodes/ssh-node-ops.js';
import { allNodes, topologyFromInventory } from '../../nodes/topology.js';

export interface DestroyOptions extends ClusterRef {
  /** Static: run `kubeadm reset -f` on every node. */
  resetNodes?: boolean;
  /** Nodes reset at once. */
  concurrency?: number;
  /** Overall time limit of the run. */
  timeoutMs?: number;
  /** How long to wait for a node to answer SSH. */
  sshTimeoutMs?: number;
}

interface DestroyRunOptions {
  cluster: PartialCluster;
  resetNodes: boolean;
  concurrency: number;
  timeoutMs: number;
  sshTimeoutMs: number;
}

export interface DestroyResult extends ResultBase, DestroyOutcome {}

interface DestroyOutcome {
  /** What happened to the machines. */
  machines: 'destroyed' | 'reset' | 'left-as-they-are';
  /** The kubeconfig file the merged context was removed from. */
  kubeconfigContextRemovedFrom?: string;
  /** Files of the cluster folder removed. */
  removed: string[];
}

/** The join material file in secrets/ (token, certificate key, CA hash). */
const JOIN_MATERIAL = 'join.json';
const RESET_TIMEOUT_MS = 5 * 60_000;

export async function destroyCluster(host: Host, options: DestroyOptions): Promise<DestroyResult> {
  const cluster = await loadCluster(host, options, { requireInventory: false });
  const { spec, dir } = cluster;
  const cloud = isCloudProvider(spec.provider.name);
  if (options.resetNodes && cloud) {
    throw new UsageError('ResetNodesNotStatic', `--reset-nodes is for static clusters; cluster ${spec.name} is on ${spec.provider.name}, whose machines terraform destroys`, {
      hint: 'Run destroy without --reset-nodes.',
    });
  }
  assertCredentials(spec, host.env, 'Cannot destroy the cluster');
  const what = cloud
    ? `every ${spec.provider.name} resource of cluster ${spec.name} (terraform destroy)`
    : options.resetNodes
      ? `Kubernetes on every host of cluster ${spec.name} (kubeadm reset -f)`
      : `the cluster folder's record of cluster ${spec.name} (the static hosts are left as they are)`;
  host.assertCanConfirm('destroy');
  const go = await host.confirm({ command: 'destroy', message: `This destroys ${what}.`, doing: `destroying ${what}`, typeToConfirm: spec.name });
  if (!go) throw new DeclinedError('The cluster name was not confirmed; nothing was destroyed.');

  const defaults = DEFAULTS.destroy;
  const outcome = await runDestroy(host, {
    cluster,
    resetNodes: options.resetNodes === true,
    concurrency: Math.max(1, options.concurrency ?? defaults.concurrency),
    timeoutMs: options.timeoutMs ?? defaults.timeoutMs,
    sshTimeoutMs: options.sshTimeoutMs ?? defaults.sshTimeoutMs,
  });
  const machines = {
    destroyed: 'Its infrastructure was destroyed.',
    reset: 'kubeadm reset -f ran on every host.',
    'left-as-they-are': 'The static hosts were left as they are.',
  }[outcome.machines];
  return { cluster: spec.name, ...outcome, summary: [`Cluster ${spec.name} destroyed. ${machines}`, `Kept ${dir.specFile} and the logs in ${dir.logsDir}.`] };
}

async function runDestroy(host: Host, options: DestroyRunOptions): Promise<DestroyOutcome> {
  const { spec, dir } = options.cluster;
  return withRun(
    host,
    dir,
    { command: 'destroy', cluster: spec.name, timeoutMs: options.timeoutMs, secrets: runSecrets(spec, host.env) },
    async (run) => {
      // A note: shown whatever the renderer (plain mode hides progress lines unless --verbose), and logged.
      const say = (message: string) => run.say(message);
      let machines: DestroyOutcome['machines'] = 'left-as-they-are';
      if (isCloudProvider(spec.provider.name)) {
        // A backend the binary cannot use: a configuration error (exit 2) before anything runs.
        if (spec.terraform.backend) await assertBackendSupported(spec, await resolveTerraformBinary(spec.terraform.binary, host.env), host.signal);
        terraformParallelism(0, spec.terraform.parallelism, host.env);
        await run.runPhases([terraformDestroyPhase(host, options.cluster)]);
        machines = 'destroyed';
      } else if (options.resetNodes) {
        await resetNodes(host, run, options);
        machines = 'reset';
      } else {
        say('Static hosts are left as they are (Kubernetes still runs on them); run destroy --reset-nodes to run kubeadm reset -f on each.');
      }

      // Only the entries kubeconfig --merge recorded; a failure here must not undo the destroy above.
      let kubeconfigContextRemovedFrom: string | undefined;
      try {
        const kubeconfigs = await removeFromUserKubeconfig(dir, spec.name, host.env);
        kubeconfigContextRemovedFrom = kubeconfigs.removedFrom[0];
        for (const file of kubeconfigs.removedFrom) say(`Removed the kubeconfig context of ${spec.name} from ${file}`);
        for (const entry of kubeconfigs.leftAlone) say(`Left ${entry} as it is: k8s-bootstrap did not create it`);
      } catch (error) {
        say(`warning: the kubeconfig entries of ${spec.name} were not removed: ${(error as Error).message}`);
      }

      // Hosts left running keep their cluster: its admin kubeconfig and join material are the only
      // way back in, so they move to secrets/archive/ instead of going.
      const credentials = [dir.secretFile(JOIN_MATERIAL), dir.kubeconfigFile];
      if (machines === 'left-as-they-are') {
        const archived = await archiveFiles(dir, credentials);
        if (archived) say(`Moved the kubeconfig and join material of the still running cluster to ${archived}`);
      }
      // Cloud machines are gone, and new ones may reuse the addresses with new host keys.
      const forget = machines === 'left-as-they-are' ? [dir.inventoryFile] : [dir.inventoryFile, ...credentials];
      if (machines === 'destroyed') forget.push(dir.knownHostsFile);
      const removed: string[] = [];
      for (const file of forget) {
        if (await removeIfPresent(file)) removed.push(file);
      }
      for (const file of removed) say(`Removed ${file}`);
      await run.state.update((state) => {
        state.steps = {};
        delete state.kubernetesVersion;
        state.facts.destroyedAt = new Date().toISOString();
        state.facts.destroyedMachines = machines;
      });
      run.note(`Kept ${dir.specFile} and the logs in ${dir.logsDir}`);
      return { machines, removed, ...(kubeconfigContextRemovedFrom ? { kubeconfigContextRemovedFrom } : {}) };
    },
  );
}

function terraformDestroyPhase(host: Pick<Host, 'env'>, cluster: PartialCluster): Phase {
  const { spec, dir } = cluster;
  const adapter = providerAdapter(spec.provider.name);
  return {
    title: 'Infrastructure',
    steps: [
      {
        stepId: 'destroy:infrastructure',
        title: `terraform destroy (${spec.provider.name})`,
        tool: 'terraform',
        timeoutMs: 60 * 60_000,
        stopGraceMs: TOOL_STOP_GRACE_MS,
        check: async () => ((await hasFiles(dir.terraformDir)) ? undefined : `nothing was provisioned (no ${dir.terraformDir})`),
        run: async (step) =>
          terraformDestroy(dir.terraformDir, await resolveTerraformBinary(spec.terraform.binary, host.env), terraformEnvironment(adapter, spec, host.env), step, {
            // As many at once as init created them (bounded), not ten at a time.
            parallelism: terraformParallelism(Object.values(planNodeNames(spec)).flat().length, spec.terraform.parallelism, host.env),
          }),
      },
      {
        // What an interrupted or failed image build left: the build instance's security group (and network).
        stepId: 'destroy:image-build',
        title: `terraform destroy of the image build's leftovers (${spec.provider.name})`,
        tool: 'terraform',
        timeoutMs: 30 * 60_000,
        stopGraceMs: TOOL_STOP_GRACE_MS,
        check: async () => ((await stateHasResources(join(dir.root, IMAGE_BUILD_DIR))) ? undefined : 'no image-build leftovers'),
        // Local state of its own, and only the cloud's credentials (no remote backend).
        run: async (step) => terraformDestroy(join(dir.root, IMAGE_BUILD_DIR), await resolveTerraformBinary(spec.terraform.binary, host.env), adapter.credentialsEnv(host.env), step),
      },
    ],
  };
}

/** `terraform init` and `destroy` in `folder`, made owner-only first; the tool's messages go to the step. */
async function terraformDestroy(folder: string, binary: string, env: Record<string, string>, step: StepContext, options: { parallelism?: number } = {}): Promise<void> {
  await secureTerraformDir(folder);
  const terraform = new TerraformCli({
    dir: folder,
    binary,
    env,
    ...options,
    signal: step.signal,
    onEvent: (event) => forwardToolMessage(event, step),
    onLine: (line, stream) => stream === 'stderr' && step.output(line, stream),
  });
  await terraform.init();
  await terraform.destroy();
}

/** A local terraform.tfstate in `folder` that still lists resources. */
async function stateHasResources(folder: string): Promise<boolean> {
  try {
    const state = JSON.parse(await readFile(join(folder, 'terraform.tfstate'), 'utf8')) as { resources?: unknown[] };
    return (state.resources ?? []).length > 0;
  } catch {
    return false;
  }
}

async function resetNodes(host: Pick<Host, 'env'>, run: RunHarness, options: DestroyRunOptions): Promise<void> {
  const { spec, dir } = options.cluster;
  // Without inventory.json (a destroy run again after a partial one), the static spec names the hosts.
  const inventory = options.cluster.inventory ?? inventoryFromSpec(spec);
  const topology = topologyFromInventory(inventory, nodeUsersOf(spec));
  const pool = createSshPool(run, {
    spec,
    dir,
    topology,
    concurrency: options.concurrency,
    sshTimeoutMs: options.sshTimeoutMs,
    env: host.env,
  });
  const ops = new SshNodeOps({ spec, dir, pool, secrets: run.secrets });
  try {
    await run.runPhases([
      {
        title: 'Node reset',
        concurrency: options.concurrency,
        continueOnError: true,
        steps: allNodes(topology).map((node) => ({
          stepId: `destroy:reset:${node.name}`,
          title: `kubeadm reset -f on ${node.name} (CNI configuration, markers${node.role === 'control-plane' ? ', keepalived/haproxy' : ''})`,
          node: node.name,
          tool: 'kubeadm',
          timeoutMs: RESET_TIMEOUT_MS + 60_000,
          retries: 1,
          // kubeadm reset, /etc/cni/net.d and our markers, keepalived/haproxy stopped on static HA control planes.
          run: (step) => ops.resetNode(node, topology, step),
        })),
      },
    ]);
  } finally {
    await pool.closeAll();
  }
}

async function hasFiles(folder: string): Promise<boolean> {
  try {
    return (await readdir(folder)).length > 0;
  } catch {
    return false;
  }
}

async function removeIfPresent(path: string): Promise<boolean> {
  try {
    await rm(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Moves the files that exist into secrets/archive/<time>/ (0700); returns that folder, if any moved. */
async function archiveFiles(dir: ClusterDir, files: string[]): Promise<string | undefined> {
  const present = [];
  for (const file of files) if (await exists(file)) present.push(file);
  if (present.length === 0) return undefined;
  const folder = join(dir.secretsDir, 'archive', new Date().toISOString().replace(/[:.]/g, '-'));
  await mkdir(folder, { recursive: true, mode: SECRET_DIR_MODE });
  await chmod(join(dir.secretsDir, 'archive'), SECRET_DIR_MODE);
  for (const file of present) {
    await chmod(file, 0o600);
    await rename(file, join(folder, basename(file)));
  }
  return folder;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
