/**
 * The restore's steps, in the order of kubernetes.io "Operating etcd clusters for Kubernetes",
 * Restoring an etcd cluster (https://kubernetes.io/docs/tasks/administer-cluster/configure-upgrade-etcd/#restoring-an-etcd-cluster:
 * stop all API server instances, restore the state, restart the API servers; with several
 * members, the others join the restored one-member cluster again) and etcd's "Disaster recovery"
 * (https://etcd.io/docs/v3.6/op-guide/recovery/: `etcdutl snapshot restore` with the member's
 * --name, --initial-cluster and --initial-advertise-peer-urls makes a new cluster of its own):
 *
 *   prepare          first control plane: the backup's files up, PKI check (restored when absent),
 *                    etcdutl snapshot restore in its etcd pod into a new data dir (nothing stops yet)
 *   stop:<cp>        every control plane: static-pod manifests out of /etc/kubernetes/manifests
 *   swap             first: the old member dir aside, the restored one in /var/lib/etcd
 *   start            first: manifests back: etcd comes up as a one-member cluster on the snapshot
 *   api              first: /readyz answers; the saved bootstrap token and certificate upload
 *                    are not trusted any more (the API holds the snapshot's)
 *   kubelet:<node>   the first control plane and every worker: systemctl restart kubelet (the
 *                    kubernetes.io page recommends restarting kube-scheduler, kube-controller-manager
 *                    and kubelet so none relies on stale data; the first two restarted with the pods)
 *   rejoin:<cp>      each other control plane, one at a time: kubeadm reset, its Node deleted,
 *                    then the tool's control-plane join (new token, certificates uploaded)
 *   ready            every node Ready
 *
 * Step ids restore:<stamp>:<stage>[:<node>] (run/step-ids.ts), inputs = this restore's run key:
 * an interrupted restore resumes where it stopped; a later restore of the same backup starts over.
 */
import type { Phase, Step } from '../../engine/step.js';
import * as cmd from '../../kube/node-commands.js';
import { EtcdRestoreOps } from '../../nodes/etcd-restore-ops.js';
import type { SshNodeOps } from '../../nodes/ssh-node-ops.js';
import { allNodes, firstControlPlane, type Topology } from '../../nodes/topology.js';
import type { ClusterDir } from '../../state/cluster-dir.js';
import { loadJoinMaterial, saveJoinMaterial } from '../../state/join-material.js';
import { restoreStepId } from '../run/step-ids.js';
import type { VerifiedBackup } from './verify.js';

export interface RestorePhaseOptions {
  topology: Topology;
  backup: VerifiedBackup;
  dir: ClusterDir;
  /** The run's key (state fact): checkpoints count for this restore only. */
  runKey: string;
  ops: () => SshNodeOps;
  /** The backup's two files (read when the step runs). */
  files: () => Promise<{ snapshot: Buffer; pki: Buffer }>;
  apiTimeoutMs: number;
  readyTimeoutMs: number;
  /** Told where the old data dir went. */
  oldDataDir?: (path: string) => void;
}

const EPOCH = new Date(0).toISOString();

export function restorePhases(options: RestorePhaseOptions): Phase[] {
  const { topology, backup, runKey } = options;
  const { stamp } = backup;
  const first = firstControlPlane(topology);
  const others = topology.controlPlanes.filter((node) => node.name !== first.name);
  const rops = () => new EtcdRestoreOps(options.ops());
  const step = (stage: string, node: string | undefined, rest: Omit<Step, 'stepId' | 'inputs'>): Step => ({ stepId: restoreStepId(stamp, stage, node), inputs: runKey, ...rest });

  const stop: Step[] = [...others, first].map((node) =>
    step('stop', node.name, {
      title: `Stop the control-plane static pods on ${node.name}`,
      detail: 'kube-apiserver, kube-controller-manager, kube-scheduler and etcd manifests moved to /etc/kubernetes/tmp/',
      tool: 'ssh',
      node: node.name,
      timeoutMs: 5 * 60_000,
      retries: 1,
      run: async (ctx) => {
        await rops().run(node, 'stop', stamp, ctx);
      },
    }),
  );
  const rejoin: Step[] = others.map((node) =>
    step('rejoin', node.name, {
      title: `Rejoin ${node.name} to the restored etcd`,
      detail: 'kubeadm reset -f, delete its Node, kubeadm join --control-plane (new token, certificates uploaded)',
      tool: 'kubeadm',
      node: node.name,
      timeoutMs: 20 * 60_000,
      run: async (ctx) => {
        const ops = options.ops();
        await ops.resetNode(node, topology, ctx);
        // kubeadm join refuses a name whose Node is still there and Ready ("a Node with name … already exists").
        await ops.sudo(first, cmd.deleteNode(node.name), ctx, { quiet: true, allowFailure: true, timeoutMs: 60_000 });
        await ops.join(node, topology, true, ctx);
      },
    }),
  );
  const kubelets: Step[] = [first, ...topology.workers].map((node) =>
    step('kubelet', node.name, {
      title: `Restart the kubelet on ${node.name}`,
      detail: 'so it does not rely on state from before the restore',
      tool: 'systemctl',
      node: node.name,
      timeoutMs: 2 * 60_000,
      retries: 1,
      run: async (ctx) => {
        await options.ops().sudo(node, ['systemctl', 'restart', 'kubelet'], ctx, { quiet: true, timeoutMs: 90_000 });
      },
    }),
  );
  return [
    {
      title: 'Restore etcd',
      steps: [
        step('prepare', undefined, {
          title: `Restore the snapshot of ${stamp} into a new data dir on ${first.name}`,
          detail: `PKI checked against pki.tar.gz (restored when absent); etcdutl snapshot restore --name ${first.name} --initial-cluster ${first.name}=https://${first.privateIp}:2380 in etcd-${first.name}`,
          tool: 'etcdutl',
          node: first.name,
          timeoutMs: 15 * 60_000,
          retries: 1,
          run: async (ctx) => {
            const r = rops();
            await r.stage(first, stamp, await options.files(), ctx);
            const out = await r.run(first, 'prepare', stamp, ctx);
            const via = out.values.get('via')?.[0];
            if (via === 'crictl') ctx.output(`the API did not answer: etcdutl ran in the etcd container of ${first.name} through the container runtime (crictl exec)`, 'info');
            else if (via === 'kubectl') ctx.output(`etcdutl ran in etcd-${first.name} (kubectl exec)`, 'info');
          },
        }),
        ...stop,
        step('swap', undefined, {
          title: `Put the restored etcd data dir in place on ${first.name}`,
          detail: '/var/lib/etcd/member moved to /etc/kubernetes/tmp/k8sb-pre-restore-<stamp>/etcd, the restored one in its place',
          tool: 'ssh',
          node: first.name,
          timeoutMs: 10 * 60_000,
          retries: 1,
          run: async (ctx) => {
            const out = await rops().run(first, 'swap', stamp, ctx);
            const old = out.values.get('old')?.[0];
            if (old) options.oldDataDir?.(old);
          },
        }),
        step('start', undefined, {
          title: `Start the static pods on ${first.name} (a one-member etcd on the snapshot)`,
          tool: 'ssh',
          node: first.name,
          timeoutMs: 5 * 60_000,
          retries: 1,
          run: async (ctx) => {
            await rops().run(first, 'start', stamp, ctx);
          },
        }),
        step('api', undefined, {
          title: `Wait for the API server on ${first.name}`,
          tool: 'kubectl',
          node: first.name,
          timeoutMs: options.apiTimeoutMs + 60_000,
          run: async (ctx) => {
            await rops().waitApi(first, options.apiTimeoutMs, ctx);
            // The restored API holds the snapshot's bootstrap tokens and kubeadm-certs: a join needs new ones.
            const material = await loadJoinMaterial(options.dir);
            if (material) await saveJoinMaterial(options.dir, { ...material, tokenCreatedAt: EPOCH, certificateKeyUploadedAt: EPOCH });
          },
        }),
      ],
    },
    { title: 'Restart the kubelets', steps: kubelets, concurrency: 8 },
    ...(rejoin.length > 0 ? [{ title: 'Rejoin the other control planes', steps: rejoin }] : []),
    {
      title: 'Verify',
      steps: [
        step('ready', undefined, {
          title: 'Every node Ready',
          tool: 'kubectl',
          node: first.name,
          timeoutMs: options.readyTimeoutMs + 60_000,
          run: async (ctx) => {
            const names = allNodes(topology).map((node) => node.name);
            await options.ops().waitReady(first, topology, names, undefined, options.readyTimeoutMs, ctx);
          },
        }),
      ],
    },
  ];
}
