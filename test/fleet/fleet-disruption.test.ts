/**
 * PodDisruptionBudgets and delayed availability in the fleet (test/fleet/README.md, "Disruption
 * budgets and drains"): policy/v1 PDBs with the disruption controller's status, `kubectl drain`
 * refused per budget with kubectl's own lines (retry, global timeout, exit 1, node left
 * cordoned), ReplicaSets owned by their Deployment, and a Deployment whose evicted pod is not
 * available until its delay has passed. Driven by the plain OpenSSH client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingRequirement } from '../helpers/require-tool.js';
import { type Fleet, fleetAvailability, startFleet } from './fleet.js';
import { ssh, writeKnownHosts } from './plain-ssh.js';

const availability = fleetAvailability();
const skipReason = missingRequirement(availability.ok, `simulated fleet: ${availability.reason ?? ''}`);

const KUBECTL = 'sudo -n kubectl --kubeconfig /etc/kubernetes/admin.conf';

const initConfig = (endpoint: string) => `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
bootstrapTokens:
  - token: abcdef.0123456789abcdef
nodeRegistration:
  criSocket: unix:///var/run/containerd/containerd.sock
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.37.1
controlPlaneEndpoint: ${endpoint}
networking:
  podSubnet: 10.244.0.0/16
`;

const joinConfig = (endpoint: string, hash: string) => `apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: ${endpoint}
    token: abcdef.0123456789abcdef
    caCertHashes: [${hash}]
nodeRegistration:
  criSocket: unix:///var/run/containerd/containerd.sock
`;

const deployment = (name: string, replicas: number, annotations: Record<string, string> = {}) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: default
  annotations: ${JSON.stringify(annotations)}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
        - name: ${name}
          image: registry.k8s.io/pause:3.10
`;

const pdb = (name: string, app: string, field: string) => `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: ${name}
  namespace: default
spec:
  ${field}
  selector:
    matchLabels: {app: ${app}}
`;

interface Item { kind: string; metadata: { name: string; namespace?: string; ownerReferences?: Array<{ kind: string; name: string }> }; spec?: { nodeName?: string; unschedulable?: boolean }; status?: Record<string, unknown> }

describe.skipIf(skipReason)('fleet stand-ins: PodDisruptionBudgets and drains', () => {
  let fleet: Fleet;
  let known: string;
  const run = (node: string, command: string, input?: string) => ssh(fleet, known, node, command, input);
  const cp = (command: string, input?: string) => run('cp1', command, input);
  const items = async (what: string): Promise<Item[]> => {
    const result = await cp(`${KUBECTL} get ${what} -o json`);
    expect(result.code, result.stderr).toBe(0);
    return (JSON.parse(result.stdout) as { items: Item[] }).items;
  };
  const apply = async (manifest: string) => expect((await cp(`${KUBECTL} apply -f -`, manifest)).code).toBe(0);
  const podOf = async (app: string) => (await items('pods -n default')).find((pod) => pod.metadata.name.startsWith(`${app}-`))!;

  beforeAll(async () => {
    fleet = await startFleet({
      nodes: [
        { name: 'cp1', role: 'control-plane', image: { kubernetes: '1.37.1' } },
        { name: 'w1', image: { kubernetes: '1.37.1' } },
        { name: 'w2', image: { kubernetes: '1.37.1' } },
      ],
      evictRetryMs: 300,
    });
    known = writeKnownHosts(fleet);
    const endpoint = `${fleet.node('cp1').address}:6443`;
    await cp('mkdir -p /tmp/k && cat > /tmp/k/init.yaml', initConfig(endpoint));
    expect((await cp('sudo -n kubeadm init --config /tmp/k/init.yaml')).code).toBe(0);
    expect((await cp(`${KUBECTL} apply -f https://github.com/flannel-io/flannel/releases/latest/download/kube-flannel.yml`)).code).toBe(0);
    for (const w of ['w1', 'w2']) {
      await run(w, 'mkdir -p /tmp/k && cat > /tmp/k/join.yaml', joinConfig(endpoint, fleet.api().cluster!.caCertHash));
      expect((await run(w, 'sudo -n kubeadm join --config /tmp/k/join.yaml')).code).toBe(0);
    }
  }, 90_000);
  afterAll(() => fleet?.stop());

  it('computes a PDB status as the disruption controller does, and lists several kinds at once with ReplicaSets owned by their Deployment', async () => {
    await apply(deployment('web', 1));
    await apply(pdb('web', 'web', 'minAvailable: 1'));
    await apply(deployment('api', 3));
    await apply(pdb('api', 'api', 'maxUnavailable: 34%'));
    const all = await items('pdb,deploy,replicaset,pods -A');
    const budgets = Object.fromEntries(all.filter((i) => i.kind === 'PodDisruptionBudget').map((i) => [i.metadata.name, i.status]));
    expect(budgets.web).toMatchObject({ disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 });
    // 34% of 3 rounds up to 2 unavailable: desiredHealthy 1.
    expect(budgets.api).toMatchObject({ disruptionsAllowed: 2, currentHealthy: 3, desiredHealthy: 1, expectedPods: 3 });
    const rs = all.find((i) => i.kind === 'ReplicaSet' && i.metadata.name.startsWith('web-'))!;
    expect(rs.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Deployment', name: 'web' })]);
    const pod = all.find((i) => i.kind === 'Pod' && i.metadata.name.startsWith('web-'))!;
    expect(pod.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'ReplicaSet', name: rs.metadata.name });
    expect(all.filter((i) => i.kind === 'Deployment').map((i) => i.metadata.name).sort()).toContain('web');
  });

  it('a drain the PDB refuses retries with kubectl\'s lines, gives up at --timeout (exit 1) and leaves the node cordoned', async () => {
    const pod = await podOf('web');
    const node = pod.spec!.nodeName!;
    const started = Date.now();
    const drain = await cp(`${KUBECTL} drain ${node} --ignore-daemonsets --delete-emptydir-data --timeout=1s`);
    expect(drain.code).toBe(1);
    const name = pod.metadata.name;
    expect(drain.stdout).toContain(`node/${node} cordoned\n`);
    expect(drain.stdout).toContain(`evicting pod default/${name}\n`);
    expect(drain.stdout).not.toContain(`pod/${name} evicted`);
    expect(drain.stderr).toContain(`error when evicting pods/"${name}" -n "default" (will retry after 300ms): Cannot evict pod as it would violate the pod's disruption budget.\n`);
    const err = `error when evicting pods/"${name}" -n "default": global timeout reached: 1s`;
    expect(drain.stderr).toContain(`There are pending pods in node "${node}" when an error occurred: ${err}\npod/${name}\n`);
    expect(drain.stderr).toContain(`error: unable to drain node "${node}" due to error:${err}, continuing command...\n`);
    expect(drain.stderr.trimEnd().split('\n').at(-1)).toBe(`error: ${err}`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect((await items('nodes')).find((n) => n.metadata.name === node)?.spec?.unschedulable).toBe(true);
    expect(fleet.api().history.some((h) => h.op === 'drain' && h.detail?.name === node)).toBe(false);
    // Pods of a workload the budget allows (api, maxUnavailable 34%) left the node meanwhile.
    expect(drain.stdout).toMatch(/pod\/api-\S+ evicted/);
    expect((await cp(`${KUBECTL} uncordon ${node}`)).code).toBe(0);
  });

  it('once the budget allows it (scaled up), the drain evicts and succeeds', async () => {
    await apply(deployment('web', 2));
    const pods = (await items('pods -n default')).filter((p) => p.metadata.name.startsWith('web-'));
    expect((await items('pdb -n default')).find((p) => p.metadata.name === 'web')?.status).toMatchObject({ disruptionsAllowed: 1, expectedPods: 2 });
    const node = pods[0]!.spec!.nodeName!;
    const drain = await cp(`${KUBECTL} drain ${node} --ignore-daemonsets --timeout=5s`);
    expect(drain.code, drain.stderr).toBe(0);
    expect(drain.stdout).toContain(`pod/${pods[0]!.metadata.name} evicted\n`);
    expect(drain.stdout.trimEnd().split('\n').at(-1)).toBe(`node/${node} drained`);
    expect((await cp(`${KUBECTL} uncordon ${node}`)).code).toBe(0);
  });

  it('a Deployment with delayed availability is unavailable after a drain and available again after its delay (fleet clock)', async () => {
    await cp(`${KUBECTL} delete pdb web`);
    await apply(deployment('slow', 1, { 'fleet.k8sb/ready-after-seconds': '2' }));
    const pod = await podOf('slow');
    const status = async () => (await items('deploy -n default')).find((d) => d.metadata.name === 'slow')!.status as { replicas: number; availableReplicas: number; readyReplicas: number };
    expect(await status()).toMatchObject({ replicas: 1, availableReplicas: 1 });
    const drain = await cp(`${KUBECTL} drain ${pod.spec!.nodeName!} --ignore-daemonsets --timeout=5s`);
    expect(drain.code, drain.stderr).toBe(0);
    expect(await status()).toMatchObject({ replicas: 1, availableReplicas: 0, readyReplicas: 0 });
    const moved = await podOf('slow');
    expect(moved.status).toMatchObject({ phase: 'Pending' });
    await new Promise((resolve) => setTimeout(resolve, 2_200));
    expect(await status()).toMatchObject({ replicas: 1, availableReplicas: 1 });
    await cp(`${KUBECTL} uncordon ${pod.spec!.nodeName!}`);

    // "never": not available until the annotation goes; the fleet clock decides the others.
    await apply(deployment('stuck', 1, { 'fleet.k8sb/ready-after-seconds': 'never' }));
    const stuck = await podOf('stuck');
    expect((await cp(`${KUBECTL} drain ${stuck.spec!.nodeName!} --ignore-daemonsets --timeout=5s`)).code).toBe(0);
    fleet.advanceClock(24);
    expect((await items('deploy -n default')).find((d) => d.metadata.name === 'stuck')!.status).toMatchObject({ availableReplicas: 0 });
    await apply(deployment('stuck', 1));
    expect((await items('deploy -n default')).find((d) => d.metadata.name === 'stuck')!.status).toMatchObject({ availableReplicas: 1 });
    await cp(`${KUBECTL} uncordon ${stuck.spec!.nodeName!}`);
  });
});
