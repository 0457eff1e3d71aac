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
    const [secret, probe, apply, wait] = pool.execs;
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
