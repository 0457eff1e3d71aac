/**
 * SshNodeOps' cloud-integration steps over a pool whose sessions answer like a small cluster:
 * Secrets go on stdin only, the step is judged by what the cluster runs (the workload's image
 * tag, the StorageClasses), and Verify waits for the CCM to initialise the nodes.
 */
import { describe, expect, it } from 'vitest';
import { SshNodeOps } from '../../../src/nodes/ssh-node-ops.js';
import { SecretSet } from '../../../src/engine/redact.js';
import { ClusterDir } from '../../../src/state/cluster-dir.js';
import type { StepContext } from '../../../src/engine/step.js';
import type { ClusterNode, Topology } from '../../../src/nodes/topology.js';
import type { ClusterSpec } from '../../../src/config/schema.js';
import type { CloudCredentials } from '../../../src/providers/cloud-credentials.js';
import { cloudSpec } from '../../helpers/cloud-spec.js';
import { CONTENT_SHA_ANNOTATION, EXOSCALE_CCM_SECRET, OPENSTACK_CLOUD_CONFIG, secretContentSha256 } from '../../../src/kube/cloud-integration.js';

interface Exec {
  command: string;
  stdin?: string;
}

/** A pool whose one session answers kubectl from `answer` and records every exec and installed file. */
function fakePool(answer: (command: string) => { code: number; stdout: string; stderr?: string } | undefined) {
  const execs: Exec[] = [];
  const files = new Map<string, string>();
  const session = {
    exec: async (argv: string[], options: { stdin?: string }) => {
      const command = argv.join(' ');
      execs.push({ command, ...(options.stdin !== undefined ? { stdin: options.stdin } : {}) });
      const result = answer(command) ?? { code: 0, stdout: '' };
      return { code: result.code, stdout: result.stdout, stderr: result.stderr ?? '' };
    },
    installFile: async (content: string, path: string) => {
      files.set(path, content);
    },
  };
  return { execs, files, session: () => session };
}

const first: ClusterNode = { name: 'cp-1', role: 'control-plane', host: '192.0.2.1', port: 22, privateIp: '10.0.0.1' };
const topology: Topology = { apiEndpoint: '10.0.0.1:6443', sshUser: 'ubuntu', controlPlanes: [first], workers: [{ name: 'worker-1', role: 'worker', host: '192.0.2.2', port: 22, privateIp: '10.0.0.2' }] };
const credentials: CloudCredentials = { exoscale: { apiKey: 'EXOabcdef0123456789', apiSecret: 'secret-value-0123456789' } };

const ctx = (): StepContext & { lines: string[] } => {
  const lines: string[] = [];
  return { signal: new AbortController().signal, attempt: 1, output: (line) => lines.push(line), progress: () => undefined, lines };
};

function opsFor(spec: ClusterSpec, pool: ReturnType<typeof fakePool>, cloudCredentials?: () => Promise<CloudCredentials>) {
  const secrets = new SecretSet();
  return { secrets, ops: new SshNodeOps({ spec, dir: new ClusterDir('/nonexistent'), pool: pool as never, secrets, cloudCredentials }) };
}

const deployment = (container: string, image: string) => JSON.stringify({ kind: 'Deployment', spec: { template: { spec: { containers: [{ name: container, image }] } } }, status: {} });

describe('installCloudStep', () => {
  it('applies the credentials Secret from stdin (never argv, never a file), registers it for redaction, then the pinned manifest', async () => {
    const pool = fakePool(() => undefined);
    let asked = 0;
    const { ops, secrets } = opsFor(cloudSpec('exoscale'), pool, async () => {
      asked += 1;
      return credentials;
    });
    await ops.installCloudStep(first, 'ccm', ctx());
    const [read, secret, probe, apply, wait] = pool.execs;
    expect(read!.command).toBe('kubectl --kubeconfig /etc/kubernetes/admin.conf -n kube-system get secret exoscale-credentials -o json --ignore-not-found');
    expect(secret!.command).toBe('kubectl --kubeconfig /etc/kubernetes/admin.conf apply --server-side --force-conflicts --field-manager=k8s-bootstrap -f -');
    expect(secret!.stdin).toContain('name: exoscale-credentials');
    expect(secret!.stdin).toContain('api-key: EXOabcdef0123456789');
    expect(probe!.command).toBe('kubectl --kubeconfig /etc/kubernetes/admin.conf -n kube-system get deployment exoscale-cloud-controller-manager -o json --ignore-not-found');
    expect(apply!.command).toBe('kubectl --kubeconfig /etc/kubernetes/admin.conf apply -f /etc/kubernetes/k8sb/cloud/exoscale-ccm.yaml');
    expect(pool.files.get('/etc/kubernetes/k8sb/cloud/exoscale-ccm.yaml')).toContain('image: exoscale/cloud-controller-manager:0.34.0');
    expect(wait!.command).toBe('kubectl --kubeconfig /etc/kubernetes/admin.conf -n kube-system wait --for=condition=Available deployment/exoscale-cloud-controller-manager --timeout=300s');
    for (const value of [credentials.exoscale!.apiKey, credentials.exoscale!.apiSecret]) {
      expect(pool.execs.map((e) => e.command).join('\n')).not.toContain(value);
      expect([...pool.files.values()].join('\n')).not.toContain(value);
      expect([...secrets.values()]).toContain(value);
    }
    // The credentials are read once per run.
    await ops.installCloudStep(first, 'csi', ctx());
    expect(asked).toBe(1);
    expect(pool.execs.find((e) => e.stdin?.includes('exoscale-csi-credentials'))?.stdin).toContain('EXOSCALE_API_SECRET: secret-value-0123456789');
  });

  it('leaves a component alone when the cluster runs its pin, and moves it when another version runs', async () => {
    let image = 'registry.k8s.io/provider-aws/cloud-controller-manager:v1.36.1';
    const pool = fakePool((command) => (command.includes('get daemonset aws-cloud-controller-manager') ? { code: 0, stdout: JSON.stringify({ kind: 'DaemonSet', spec: { template: { spec: { containers: [{ name: 'aws-cloud-controller-manager', image }] } } } }) } : undefined));
    const { ops } = opsFor(cloudSpec('aws'), pool);
    const c = ctx();
    await ops.installCloudStep(first, 'ccm', c);
    expect(pool.execs.map((e) => e.command).filter((cmd) => cmd.includes(' apply '))).toEqual([]);
    expect(c.lines).toContainEqual('AWS cloud controller manager v1.36.1 already runs in the cluster');
    // 1.37 has no release of its own: the plan warns.
    expect(c.lines.some((line) => line.startsWith('warning: AWS cloud controller manager v1.36.1: cloud-provider-aws has no release for Kubernetes 1.37'))).toBe(true);

    image = 'registry.k8s.io/provider-aws/cloud-controller-manager:v1.35.2';
    const moved = ctx();
    await ops.installCloudStep(first, 'ccm', moved, '1.36.4');
    expect(moved.lines).toContainEqual('AWS cloud controller manager v1.35.2 runs in the cluster: moving it to v1.36.1');
    expect(pool.execs.slice(-2).map((e) => e.command)).toEqual([
      'kubectl --kubeconfig /etc/kubernetes/admin.conf apply -f /etc/kubernetes/k8sb/cloud/aws-ccm.yaml',
      'kubectl --kubeconfig /etc/kubernetes/admin.conf -n kube-system rollout status daemonset/aws-cloud-controller-manager --timeout=300s',
    ]);
  });

  it('makes the cloud class the only default: another default class loses the mark', async () => {
    const classes = { items: [{ metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, provisioner: 'x' }] };
    const pool = fakePool((command) => (command.endsWith('get storageclass -o json') ? { code: 0, stdout: JSON.stringify(classes) } : undefined));
    const { ops } = opsFor(cloudSpec('aws'), pool);
    await ops.installCloudStep(first, 'storage-class', ctx());
    expect(pool.execs.map((e) => e.command).slice(1)).toEqual([
      'kubectl --kubeconfig /etc/kubernetes/admin.conf apply -f /etc/kubernetes/k8sb/cloud/aws-storage-class.yaml',
      'kubectl --kubeconfig /etc/kubernetes/admin.conf annotate storageclass standard storageclass.kubernetes.io/is-default-class=false --overwrite',
    ]);
    expect(pool.files.get('/etc/kubernetes/k8sb/cloud/aws-storage-class.yaml')).toContain('storageclass.kubernetes.io/is-default-class: "true"');
  });

  it('applies the MetalLB pool on every run, after its controller is Available and its speaker rolled out, also when MetalLB runs its pin', async () => {
    const pool = fakePool((command) => (command.includes('-n metallb-system get deployment controller') ? { code: 0, stdout: deployment('controller', 'quay.io/metallb/controller:v0.16.1') } : undefined));
    const { ops } = opsFor(cloudSpec('static', { loadBalancer: { metallb: { addresses: ['10.0.0.200-10.0.0.220'] } } }), pool);
    await ops.installCloudStep(first, 'metallb', ctx());
    expect(pool.execs.map((e) => e.command).slice(1)).toEqual([
      'kubectl --kubeconfig /etc/kubernetes/admin.conf -n metallb-system rollout status daemonset/speaker --timeout=300s',
      'kubectl --kubeconfig /etc/kubernetes/admin.conf -n metallb-system wait --for=condition=Available deployment/controller --timeout=300s',
      'kubectl --kubeconfig /etc/kubernetes/admin.conf apply -f /etc/kubernetes/k8sb/cloud/metallb-pool.yaml',
    ]);
  });

  it('waits for the CSI controller and its node plugin after the apply, and on every run, also when the pin runs', async () => {
    const pool = fakePool(() => undefined);
    const { ops } = opsFor(cloudSpec('aws'), pool);
    await ops.installCloudStep(first, 'csi', ctx());
    expect(pool.execs.map((e) => e.command).slice(-3)).toEqual([
      'kubectl --kubeconfig /etc/kubernetes/admin.conf apply -f /etc/kubernetes/k8sb/cloud/aws-csi.yaml',
      'kubectl --kubeconfig /etc/kubernetes/admin.conf -n kube-system wait --for=condition=Available deployment/ebs-csi-controller --timeout=300s',
      'kubectl --kubeconfig /etc/kubernetes/admin.conf -n kube-system rollout status daemonset/ebs-csi-node --timeout=300s',
    ]);
    const running = fakePool((command) => (command.includes('get deployment snapshot-controller') ? { code: 0, stdout: deployment('snapshot-controller', 'registry.k8s.io/sig-storage/snapshot-controller:v8.6.0') } : undefined));
    await opsFor(cloudSpec('aws'), running).ops.installCloudStep(first, 'snapshots', ctx());
    expect(running.execs.map((e) => e.command).slice(1)).toEqual(['kubectl --kubeconfig /etc/kubernetes/admin.conf -n kube-system wait --for=condition=Available deployment/snapshot-controller --timeout=300s']);
  });

  it('fails the step naming a CSI controller no node takes, its pods and why (the scheduler\'s words)', async () => {
    const unschedulable = '0/1 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.';
    const pods = {
      items: [{
        metadata: { name: 'csi-cinder-controllerplugin-7d9f-abcde', labels: { app: 'csi-cinder-controllerplugin' } },
        spec: {},
        status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: unschedulable }] },
      }],
    };
    const pool = fakePool((command) => {
      if (command.includes('wait --for=condition=Available deployment/csi-cinder-controllerplugin')) return { code: 1, stdout: '', stderr: 'error: timed out waiting for the condition on deployments/csi-cinder-controllerplugin' };
      if (command.includes('get deployment csi-cinder-controllerplugin')) return { code: 0, stdout: JSON.stringify({ kind: 'Deployment', spec: { selector: { matchLabels: { app: 'csi-cinder-controllerplugin' } }, template: { spec: { containers: [] } } }, status: {} }) };
      if (command.includes('get pods -l app=csi-cinder-controllerplugin')) return { code: 0, stdout: JSON.stringify(pods) };
      if (command.includes('get events --field-selector involvedObject.name=csi-cinder-controllerplugin-7d9f-abcde')) return { code: 0, stdout: JSON.stringify({ items: [{ reason: 'FailedScheduling', message: unschedulable }] }) };
      return undefined;
    });
    const { ops } = opsFor(cloudSpec('openstack'), pool, async () => ({ openstack: { authUrl: 'https://keystone.example:5000/v3', region: 'RegionOne', applicationCredentialId: 'id0123456789', applicationCredentialSecret: 'secret0123456789' } }));
    const error = await ops.installCloudStep(first, 'csi', ctx()).then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({
      code: 'CloudWorkloadNotReady',
      message: 'OpenStack CSI driver: kube-system/deployment/csi-cinder-controllerplugin is not ready on cp-1 (1 pod not ready)',
      details: [
        'error: timed out waiting for the condition on deployments/csi-cinder-controllerplugin',
        `csi-cinder-controllerplugin-7d9f-abcde on (not scheduled): Pending: ${unschedulable}`,
        `  FailedScheduling: ${unschedulable}`,
      ],
    });
    // The node plugin is not waited for once the controller failed.
    expect(pool.execs.some((e) => e.command.includes('rollout status'))).toBe(false);
  });

  describe('a changed credentials Secret restarts what reads it; an unchanged one does not', () => {
    const K = 'kubectl --kubeconfig /etc/kubernetes/admin.conf';
    const secretJson = (sha?: string) => JSON.stringify({ kind: 'Secret', metadata: { name: 'x', namespace: 'kube-system', ...(sha ? { annotations: { [CONTENT_SHA_ANNOTATION]: sha } } : {}) }, data: { 'api-key': 'b2xk' } });
    const exoscaleCluster = (recorded: string | undefined) =>
      fakePool((command) => {
        if (command.endsWith('get secret exoscale-credentials -o json --ignore-not-found')) return { code: 0, stdout: secretJson(recorded) };
        if (command.endsWith('get deployment exoscale-cloud-controller-manager -o json --ignore-not-found')) return { code: 0, stdout: deployment('exoscale-cloud-controller-manager', 'exoscale/cloud-controller-manager:0.34.0') };
        if (command.endsWith('get deployment exoscale-cloud-controller-manager -o name --ignore-not-found')) return { code: 0, stdout: 'deployment.apps/exoscale-cloud-controller-manager\n' };
        return undefined;
      });
    const current = secretContentSha256(EXOSCALE_CCM_SECRET.render(credentials));

    it('rotated keys: the new Secret goes on with the old mark, the CCM restarts and is waited for, then the new mark', async () => {
      const pool = exoscaleCluster('0'.repeat(64));
      const c = ctx();
      await opsFor(cloudSpec('exoscale'), pool, async () => credentials).ops.installCloudStep(first, 'ccm', c);
      expect(pool.execs.map((e) => e.command)).toEqual([
        `${K} -n kube-system get secret exoscale-credentials -o json --ignore-not-found`,
        `${K} apply --server-side --force-conflicts --field-manager=k8s-bootstrap -f -`,
        `${K} -n kube-system get deployment exoscale-cloud-controller-manager -o name --ignore-not-found`,
        `${K} -n kube-system rollout restart deployment/exoscale-cloud-controller-manager`,
        `${K} apply --server-side --force-conflicts --field-manager=k8s-bootstrap -f -`,
        `${K} -n kube-system get deployment exoscale-cloud-controller-manager -o json --ignore-not-found`,
        `${K} -n kube-system wait --for=condition=Available deployment/exoscale-cloud-controller-manager --timeout=300s`,
      ]);
      const applied = pool.execs.filter((e) => e.stdin !== undefined).map((e) => e.stdin!);
      expect(applied[0]).toContain(`${CONTENT_SHA_ANNOTATION}: "${'0'.repeat(64)}"`);
      expect(applied[0]).toContain('api-key: EXOabcdef0123456789');
      expect(applied[1]).toContain(`${CONTENT_SHA_ANNOTATION}: ${current}`);
      expect(c.lines).toContainEqual('Secret kube-system/exoscale-credentials changed: restart kube-system/deployment/exoscale-cloud-controller-manager, which reads it only at start');
      expect(c.lines.join('\n')).not.toContain(credentials.exoscale!.apiSecret);
    });

    it('the same content: applied once with its mark, nothing restarts', async () => {
      const pool = exoscaleCluster(current);
      await opsFor(cloudSpec('exoscale'), pool, async () => credentials).ops.installCloudStep(first, 'ccm', ctx());
      expect(pool.execs.some((e) => e.command.includes('rollout restart'))).toBe(false);
      expect(pool.execs.filter((e) => e.stdin !== undefined)).toHaveLength(1);
      expect(pool.execs.find((e) => e.stdin !== undefined)!.stdin).toContain(`${CONTENT_SHA_ANNOTATION}: ${current}`);
    });

    it('a Secret applied for the first time restarts nothing (its readers start with it)', async () => {
      const pool = fakePool(() => undefined);
      await opsFor(cloudSpec('exoscale'), pool, async () => credentials).ops.installCloudStep(first, 'ccm', ctx());
      expect(pool.execs.some((e) => e.command.includes('rollout restart') || e.command.includes('-o name'))).toBe(false);
    });

    it('OpenStack cloud-config gaining [LoadBalancer]: the CCM step restarts the CCM and the Cinder workloads that exist, and waits for them', async () => {
      const before = { openstack: { authUrl: 'https://keystone.example:5000/v3', region: 'RegionOne', applicationCredentialId: 'id0123456789', applicationCredentialSecret: 'secret0123456789' } };
      const after = { openstack: { ...before.openstack, floatingNetworkId: 'net-1', subnetId: 'sub-1' } };
      const recorded = secretContentSha256(OPENSTACK_CLOUD_CONFIG.render(before));
      const pool = fakePool((command) => {
        if (command.endsWith('get secret cloud-config -o json --ignore-not-found')) return { code: 0, stdout: secretJson(recorded) };
        if (command.endsWith('get daemonset openstack-cloud-controller-manager -o json --ignore-not-found')) {
          return { code: 0, stdout: JSON.stringify({ kind: 'DaemonSet', spec: { template: { spec: { containers: [{ name: 'openstack-cloud-controller-manager', image: 'registry.k8s.io/provider-os/openstack-cloud-controller-manager:v1.36.0' }] } } } }) };
        }
        if (command.endsWith('-o name --ignore-not-found')) return command.includes('csi-cinder-nodeplugin') ? { code: 0, stdout: '' } : { code: 0, stdout: 'x\n' };
        return undefined;
      });
      await opsFor(cloudSpec('openstack'), pool, async () => after).ops.installCloudStep(first, 'ccm', ctx());
      const commands = pool.execs.map((e) => e.command);
      expect(commands.filter((cmd) => cmd.includes('rollout restart'))).toEqual([
        `${K} -n kube-system rollout restart daemonset/openstack-cloud-controller-manager`,
        `${K} -n kube-system rollout restart deployment/csi-cinder-controllerplugin`,
      ]);
      expect(commands.slice(-2)).toEqual([
        `${K} -n kube-system rollout status daemonset/openstack-cloud-controller-manager --timeout=300s`,
        `${K} -n kube-system wait --for=condition=Available deployment/csi-cinder-controllerplugin --timeout=300s`,
      ]);
      expect(pool.execs.filter((e) => e.stdin !== undefined).at(-1)!.stdin).toContain('[LoadBalancer]');
    });
  });

  it('fails naming what is missing when a Secret is needed and the run has no credentials', async () => {
    const { ops } = opsFor(cloudSpec('openstack'), fakePool(() => undefined));
    await expect(ops.installCloudStep(first, 'ccm', ctx())).rejects.toMatchObject({ code: 'CloudCredentialsUnavailable' });
  });

  it('fails with kubectl\'s words when a manifest does not apply', async () => {
    const pool = fakePool((command) => (command.includes('apply -f /etc') ? { code: 1, stdout: '', stderr: 'error: unable to recognize "x": no matches for kind' } : undefined));
    const { ops } = opsFor(cloudSpec('aws'), pool);
    await expect(ops.installCloudStep(first, 'csi', ctx())).rejects.toMatchObject({ code: 'CloudIntegrationInstallFailed', details: ['error: unable to recognize "x": no matches for kind'] });
  });
});

describe('the Rook-Ceph step judged by the live CephCluster and Ceph\'s health', () => {
  const rookTopology: Topology = { ...topology, workers: ['w1', 'w2', 'w3'].map((name, i) => ({ name, role: 'worker' as const, host: `192.0.2.${21 + i}`, port: 22, privateIp: `10.0.0.${21 + i}` })) };
  const rookSpec = (workers: string[]) =>
    cloudSpec('static', {
      provider: { name: 'static', hosts: [{ address: '192.0.2.10', role: 'control-plane' }, ...workers.map((name, i) => ({ address: `192.0.2.${21 + i}`, role: 'worker', name }))] },
      storage: { defaultClass: 'rook-ceph', rookCeph: { device: 'sdb' } },
    });
  const operator = deployment('rook-ceph-operator', 'docker.io/rook/ceph:v1.20.6');
  const cephCluster = (nodes: string[], monCount: number, health: string, details: Record<string, { message: string }> = {}) =>
    JSON.stringify({ kind: 'CephCluster', spec: { mon: { count: monCount }, storage: { nodes: nodes.map((name) => ({ name, devices: [{ name: 'sdb' }] })) } }, status: { phase: 'Ready', ceph: { health, details } } });
  const pools = (size: number) => JSON.stringify({ items: ['replicapool', 'builtin-mgr'].map((name) => ({ metadata: { name }, spec: { replicated: { size } } })) });
  const clusterAnswer = (cluster: () => string, poolSize: number) => (command: string) => {
    if (command.includes('get deployment rook-ceph-operator')) return { code: 0, stdout: operator };
    if (command.includes('get cephcluster rook-ceph')) return { code: 0, stdout: cluster() };
    if (command.includes('get cephblockpool')) return { code: 0, stdout: pools(poolSize) };
    return undefined;
  };
  const applied = (pool: ReturnType<typeof fakePool>) => pool.execs.map((e) => e.command).filter((c) => c.includes(' apply '));

  it('is done when the CephCluster lists these workers and mon count, the pools this size, and Ceph is HEALTH_OK', async () => {
    const pool = fakePool(clusterAnswer(() => cephCluster(['w1', 'w2', 'w3'], 3, 'HEALTH_OK'), 3));
    const { ops } = opsFor(rookSpec(['w1', 'w2', 'w3']), pool);
    const context = ctx();
    await ops.installCloudStep(first, 'rook-ceph', context);
    expect(applied(pool)).toEqual([]);
    expect(context.lines).toContain('Rook-Ceph v1.20.6 already runs in the cluster as cluster.yaml says and is healthy');
    // The operator is waited for on every run.
    expect(pool.execs.map((e) => e.command)).toContain('kubectl --kubeconfig /etc/kubernetes/admin.conf -n rook-ceph wait --for=condition=Available deployment/rook-ceph-operator --timeout=300s');
  });

  it('applies the CephCluster and the pools again when a worker was added (add-workers), then accepts HEALTH_WARN with the details as a warning', async () => {
    let applies = 0;
    const answer = clusterAnswer(() => (applies > 0 ? cephCluster(['w1', 'w2', 'w3'], 3, 'HEALTH_WARN', { MON_DOWN: { message: '1/3 mons down' } }) : cephCluster(['w1', 'w2'], 1, 'HEALTH_OK')), 2);
    const pool = fakePool((command) => {
      if (command.includes(' apply ')) applies += 1;
      return answer(command);
    });
    const { ops } = opsFor(rookSpec(['w1', 'w2', 'w3']), pool);
    const context = ctx();
    await ops.installCloudStep(first, 'rook-ceph', context);
    expect(context.lines).toContain('Rook-Ceph v1.20.6 runs, but CephCluster rook-ceph differs from cluster.yaml: its storage.nodes are w1:sdb, w2:sdb, not w1:sdb, w2:sdb, w3:sdb; its mon count is 1, not 3: applying it again');
    expect(applied(pool)).toContain('kubectl --kubeconfig /etc/kubernetes/admin.conf apply -f /etc/kubernetes/k8sb/cloud/rook-cluster.yaml');
    expect(applied(pool)).toContain('kubectl --kubeconfig /etc/kubernetes/admin.conf apply -f /etc/kubernetes/k8sb/cloud/rook-storageclass.yaml');
    expect(context.lines).toContain('warning: Rook-Ceph: Ceph reports HEALTH_WARN: MON_DOWN: 1/3 mons down');
  });

  it('applies again when a worker was removed or the pool size differs', async () => {
    const pool = fakePool(clusterAnswer(() => cephCluster(['w1', 'w2', 'w3'], 3, 'HEALTH_OK'), 3));
    const { ops } = opsFor(rookSpec(['w1', 'w2']), pool);
    const context = ctx();
    await ops.installCloudStep(first, 'rook-ceph', context);
    expect(context.lines.find((line) => line.includes('applying it again'))).toContain('its storage.nodes are w1:sdb, w2:sdb, w3:sdb, not w1:sdb, w2:sdb; its mon count is 3, not 1');
    const sized = fakePool(clusterAnswer(() => cephCluster(['w1', 'w2', 'w3'], 3, 'HEALTH_OK'), 2));
    const second = ctx();
    await opsFor(rookSpec(['w1', 'w2', 'w3']), sized).ops.installCloudStep(first, 'rook-ceph', second);
    expect(second.lines.find((line) => line.includes('applying it again'))).toContain('CephBlockPool replicapool has size 2, not 3; CephBlockPool builtin-mgr has size 2, not 3');
    expect(applied(sized)).toContain('kubectl --kubeconfig /etc/kubernetes/admin.conf apply -f /etc/kubernetes/k8sb/cloud/rook-cluster.yaml');
  });

  it('a later run that finds HEALTH_WARN but everything as cluster.yaml says is done, with the warning', async () => {
    const pool = fakePool(clusterAnswer(() => cephCluster(['w1', 'w2', 'w3'], 3, 'HEALTH_WARN', { OSD_DOWN: { message: '1 osds down' } }), 3));
    const context = ctx();
    await opsFor(rookSpec(['w1', 'w2', 'w3']), pool).ops.installCloudStep(first, 'rook-ceph', context);
    expect(applied(pool)).toEqual([]);
    expect(context.lines).toContain('warning: Rook-Ceph: Ceph reports HEALTH_WARN: OSD_DOWN: 1 osds down');
  });

  it('says a disk with a Ceph OSD may be an earlier cluster\'s', async () => {
    const pool = fakePool((command) => (command.startsWith('lsblk') ? { code: 0, stdout: '{"blockdevices":[{"name":"sdb","fstype":"ceph_bluestore","type":"disk","pttype":null,"size":10737418240,"ro":false,"mountpoint":null}]}' } : undefined));
    const context = ctx();
    await opsFor(rookSpec(['w1', 'w2', 'w3']), pool).ops.checkRookDisk(rookTopology.workers[0]!, 'sdb', context);
    expect(context.lines).toEqual(["w1: /dev/sdb holds a Ceph OSD (this cluster's or an earlier one's: wipe it and /var/lib/rook if it is not this cluster's)"]);
  });
});

describe('Verify with the cloud integration', () => {
  const node = (name: string, extra: { providerID?: string; taint?: boolean }) => ({
    metadata: { name, creationTimestamp: '2026-11-23T10:00:00Z', labels: {} },
    spec: { ...(extra.providerID ? { providerID: extra.providerID } : {}), ...(extra.taint ? { taints: [{ key: 'node.cloudprovider.kubernetes.io/uninitialized', value: 'true', effect: 'NoSchedule' }] } : {}) },
    status: { conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: { kubeletVersion: 'v1.37.1' }, addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] },
  });

  it('waits until the CCM has initialised every node, and names the ones it has not', async () => {
    let polls = 0;
    const pool = fakePool((command) => {
      if (!command.endsWith('get nodes -o json')) return undefined;
      polls += 1;
      const done = polls > 1;
      return { code: 0, stdout: JSON.stringify({ items: [node('cp-1', { providerID: 'aws:///a/i-1' }), node('worker-1', done ? { providerID: 'aws:///a/i-2' } : { taint: true })] }) };
    });
    const { ops } = opsFor(cloudSpec('aws'), pool);
    await ops.waitReady(first, topology, ['cp-1', 'worker-1'], '1.37.1', 30_000, ctx());
    expect(polls).toBe(2);

    const stuck = fakePool((command) => (command.endsWith('get nodes -o json') ? { code: 0, stdout: JSON.stringify({ items: [node('cp-1', { providerID: 'aws:///a/i-1' }), node('worker-1', { taint: true })] }) } : undefined));
    const error = await opsFor(cloudSpec('aws'), stuck).ops.waitReady(first, topology, ['cp-1', 'worker-1'], '1.37.1', 0, ctx()).then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ code: 'NodesNotInitialisedByCcm', details: ['worker-1: still has the node.cloudprovider.kubernetes.io/uninitialized taint'] });
  });

  it('a node of a cluster built before the CCM (no taint, no providerID) does not hold an upgrade up', async () => {
    const pool = fakePool((command) => (command.endsWith('get nodes -o json') ? { code: 0, stdout: JSON.stringify({ items: [node('cp-1', {}), node('worker-1', {})] }) } : undefined));
    await opsFor(cloudSpec('aws'), pool).ops.waitReady(first, topology, ['cp-1', 'worker-1'], '1.37.1', 0, ctx());
  });

  it('checks the default StorageClass; static hosts wait for no providerID', async () => {
    const classes = (isDefault: boolean) => ({ items: [{ metadata: { name: 'local-path', annotations: { 'storageclass.kubernetes.io/is-default-class': String(isDefault) } }, provisioner: 'rancher.io/local-path' }] });
    let polls = 0;
    const pool = fakePool((command) => {
      if (command.endsWith('get storageclass -o json')) return { code: 0, stdout: JSON.stringify(classes(++polls > 1)) };
      return undefined;
    });
    const { ops } = opsFor(cloudSpec('static'), pool);
    await ops.verifyCloudIntegration(first, ['cp-1'], 30_000, ctx());
    expect(pool.execs.some((e) => e.command.includes('get nodes'))).toBe(false);
    const none = fakePool((command) => (command.endsWith('get storageclass -o json') ? { code: 0, stdout: '{"items":[]}' } : undefined));
    await expect(opsFor(cloudSpec('static'), none).ops.verifyCloudIntegration(first, ['cp-1'], 0, ctx())).rejects.toMatchObject({
      code: 'CloudIntegrationNotReady',
      details: ['default StorageClass: none, expected local-path'],
    });
  });
});
