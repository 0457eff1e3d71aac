/**
 * `k8s-bootstrap kubeconfig`: the path of <cluster folder>/kubeconfig on stdout, its content with
 * --print, or --merge into ~/.kube/config ($KUBECONFIG's first file). Both read the kubeconfig
 * through the allow-list first, so a tampered one is refused rather than printed or merged. No
 * cluster lock: --merge writes only its record (kubeconfig-merged.json) into the cluster folder.
 */
import { stat } from 'node:fs/promises';
import { UsageError } from '../../errors.js';
import { loadCluster } from '../../workflows/run/load-cluster.js';
import { mergeIntoUserKubeconfig, readClusterKubeconfig } from '../../state/user-kubeconfig.js';
import type { KubeconfigFlags } from '../commands/kubeconfig.js';
import type { CliContext } from '../context.js';
import { clusterRefOf, printResult } from '../host.js';

export async function runKubeconfig(ctx: CliContext, options: KubeconfigFlags): Promise<number> {
  if (options.print && options.merge) {
    throw new UsageError('ConflictingFlags', '--print and --merge cannot be combined', { hint: 'Run the command twice: once with --merge, once with --print.' });
  }
  const { spec, dir, inventory } = await loadCluster(ctx, clusterRefOf(ctx), { requireInventory: false });
  // The server must be the cluster's endpoint as Terraform or the static inventory recorded it.
  const allowedServers = inventory ? [inventory.api_endpoint] : undefined;
  const file = dir.kubeconfigFile;
  if (!(await isFile(file))) {
    throw new UsageError('KubeconfigMissing', `Cluster ${spec.name} has no kubeconfig yet (${file})`, {
      hint: `Run "k8s-bootstrap init --dir ${dir.root}": its last step writes the kubeconfig.`,
    });
  }
  if (options.print) {
    const content = (await readClusterKubeconfig(dir, { allowedServers })).text;
    // The content is the output (`> admin.conf`); under --output json it is a field of the result line.
    if (ctx.outputMode === 'json') printResult(ctx, 'kubeconfig', { cluster: spec.name, file, content, summary: [] });
    else ctx.stdout.write(content.endsWith('\n') ? content : `${content}\n`);
    return 0;
  }
  if (options.merge) {
    const result = await mergeIntoUserKubeconfig(dir, spec.name, ctx.env, { allowedServers });
    if (result.backup) ctx.error(`The previous content is in ${result.backup}`);
    if (!result.isCurrent) ctx.error(`Switch to it with: kubectl config use-context ${result.context}`);
    printResult(ctx, 'kubeconfig', {
      cluster: spec.name,
      file,
      merged: { path: result.path, context: result.context, changed: result.changed },
      summary: [result.changed ? `Merged context ${result.context} into ${result.path}` : `Context ${result.context} in ${result.path} is already up to date`],
    });
    return 0;
  }
  printResult(ctx, 'kubeconfig', { cluster: spec.name, file, summary: [file] });
  return 0;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
