/**
 * The stand-in cloud integration (test/fleet/README.md, "Cloud integration"): kubelets started
 * with --cloud-provider=external register tainted and wait for a CCM; the simulated CCM needs its
 * credentials Secret, initialises the Nodes and serves LoadBalancer Services (Exoscale only for
 * instance-pool members); CSI and local-path provision and bind claims; MetalLB assigns addresses
 * from its pool. Driven by the plain OpenSSH client, with hand-written manifests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingRequirement } from '../helpers/require-tool.js';
import { type Fleet, fleetAvailability, startFleet } from './fleet.js';
import { ssh, writeKnownHosts } from './plain-ssh.js';

const availability = fleetAvailability();
const skipReason = missingRequirement(availability.ok, `simulated fleet: ${availability.reason ?? ''}`);

const KUBECTL = 'sudo -n kubectl --kubeconfig /etc/kubernetes/admin.conf';
const POOL = 'c8f2b5a6-0000-4000-8000-000000000001';
const KUBELET_ID = 'exoscale://0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9';

const initConfig = (endpoint: string) => `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
bootstrapTokens:
  - token: abcdef.0123456789abcdef
nodeRegistration:
  criSocket: unix:///var/run/containerd/containerd.sock
  kubeletExtraArgs:
    - name: cloud-provider
      value: external
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.37.1
controlPlaneEndpoint: ${endpoint}
networking:
  podSubnet: 10.244.0.0/16
`;

const joinConfig = (endpoint: string, hash: string, providerId?: string) => `apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: ${endpoint}
    token: abcdef.0123456789abcdef
    caCertHashes: [${hash}]
nodeRegistration:
  criSocket: unix:///var/run/containerd/containerd.sock
  kubeletExtraArgs:
    - name: cloud-provider
      value: external
${providerId ? `    - name: provider-id\n      value: ${providerId}\n` : ''}`;

const TOLERATIONS = `      tolerations:
        - key: node.cloudprovider.kubernetes.io/uninitialized
          value: "true"
          effect: NoSchedule
        - key: node-role.kubernetes.io/control-plane
          effect: NoSchedule`;

const EXOSCALE_CCM = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: exoscale-cloud-controller-manager
  namespace: kube-system
spec:
  replicas: 1
  template:
    spec:
      hostNetwork: true
${TOLERATIONS}
      containers:
        - name: exoscale-cloud-controller-manager
          image: exoscale/cloud-controller-manager:0.34.0
          args: [--leader-elect=true, --allow-untagged-cloud]
          env:
            - name: EXOSCALE_API_ZONE
              value: de-fra-1
            - name: EXOSCALE_API_KEY
              valueFrom: { secretKeyRef: { name: exoscale-credentials, key: api-key } }
            - name: EXOSCALE_API_SECRET
              valueFrom: { secretKeyRef: { name: exoscale-credentials, key: api-secret } }
`;

const secret = (name: string, data: Record<string, string>) =>
  `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n  namespace: kube-system\ntype: Opaque\nstringData:\n${Object.entries(data).map(([k, v]) => `  ${k}: ${v}\n`).join('')}`;

const EXOSCALE_CSI = `apiVersion: storage.k8s.io/v1
kind: CSIDriver
metadata:
  name: csi.exoscale.com
spec:
  attachRequired: true
  podInfoOnMount: true
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: exoscale-csi-controller
  namespace: kube-system
spec:
  replicas: 2
  template:
    spec:
${TOLERATIONS}
      containers:
        - name: exoscale-csi-plugin
          image: exoscale/csi-driver:0.34.3
          args: [--mode=controller]
          envFrom:
            - secretRef: { name: exoscale-csi-credentials }
        - name: csi-snapshotter
          image: registry.k8s.io/sig-storage/csi-snapshotter:v6.3.0
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: exoscale-sbs
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: csi.exoscale.com
reclaimPolicy: Delete
allowVolumeExpansion: true
`;

const LOCAL_PATH = `apiVersion: v1
kind: Namespace
metadata:
  name: local-path-storage
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: local-path-provisioner
  namespace: local-path-storage
spec:
  replicas: 1
  template:
    spec:
      containers:
        - name: local-path-provisioner
          image: docker.io/rancher/local-path-provisioner:v0.0.37
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: local-path
provisioner: rancher.io/local-path
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Delete
`;

const METALLB = `apiVersion: v1
kind: Namespace
metadata:
  name: metallb-system
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ipaddresspools.metallb.io
spec:
  group: metallb.io
  names: { kind: IPAddressPool, plural: ipaddresspools }
  scope: Namespaced
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: l2advertisements.metallb.io
spec:
  group: metallb.io
  names: { kind: L2Advertisement, plural: l2advertisements }
  scope: Namespaced
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: controller
  namespace: metallb-system
spec:
  template:
    spec:
      containers:
        - name: controller
          image: quay.io/metallb/controller:v0.16.1
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: speaker
  namespace: metallb-system
spec:
  template:
    spec:
      hostNetwork: true
      containers:
        - name: speaker
          image: quay.io/metallb/speaker:v0.16.1
`;

const POOL_AND_AD = `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: k8s-bootstrap
  namespace: metallb-system
spec:
  addresses: ["10.0.0.200-10.0.0.201"]
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata:
  name: k8s-bootstrap
  namespace: metallb-system
spec:
  ipAddressPools: [k8s-bootstrap]
`;

const service = (name: string) =>
  `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n  namespace: default\nspec:\n  type: LoadBalancer\n  selector: { app: ${name} }\n  ports:\n    - port: 80\n      targetPort: 8080\n`;
const claim = (name: string, storageClass?: string) =>
  `apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: ${name}\n  namespace: default\nspec:\n  accessModes: [ReadWriteOnce]\n${storageClass ? `  storageClassName: ${storageClass}\n` : ''}  resources:\n    requests:\n      storage: 1Gi\n`;
const podUsing = (name: string, claimName: string) =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  namespace: default\nspec:\n  containers:\n    - name: app\n      image: registry.k8s.io/pause:3.10\n  volumes:\n    - name: data\n      persistentVolumeClaim: { claimName: ${claimName} }\n`;

interface NodeJson {
  metadata: { name: string; labels: Record<string, string> };
  spec: { providerID?: string; taints?: Array<{ key: string; value?: string; effect: string }> };
  status: { nodeInfo: { systemUUID: string } };
}

describe.skipIf(skipReason)('fleet stand-ins: cloud controller managers, CSI, local-path and MetalLB', () => {
  let fleet: Fleet;
  let known: string;
  const run = (node: string, command: string, input?: string) => ssh(fleet, known, node, command, input);
  const kubectl = (command: string, input?: string) => run('cp1', `${KUBECTL} ${command}`, input);
  const json = async <T>(command: string): Promise<T> => {
    const result = await kubectl(`${command} -o json`);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as T;
  };
  const nodes = async () => (await json<{ items: NodeJson[] }>('get nodes')).items;
  const eventsOf = async (name: string, namespace = 'default') =>
    (await json<{ items: Array<{ reason: string; message: string; type: string }> }>(`-n ${namespace} get events --field-selector involvedObject.name=${name}`)).items;
  const join = async (node: string, providerId?: string) => {
    const endpoint = `${fleet.node('cp1').address}:6443`;
    await run(node, 'mkdir -p /tmp/k && cat > /tmp/k/join.yaml', joinConfig(endpoint, fleet.api().cluster!.caCertHash, providerId));
    const joined = await run(node, 'sudo -n kubeadm join --config /tmp/k/join.yaml');
    expect(joined.code, joined.stderr).toBe(0);
  };

  beforeAll(async () => {
    fleet = await startFleet({
      nodes: [
        { name: 'cp1', role: 'control-plane', image: { kubernetes: '1.37.1' } },
        { name: 'standalone', image: { kubernetes: '1.37.1' } },
        { name: 'pooled', image: { kubernetes: '1.37.1' }, cloud: { instancePool: POOL, instanceType: 'standard.large' } },
      ],
    });
    known = writeKnownHosts(fleet);
  }, 60_000);
  afterAll(() => fleet?.stop());

  it('registers kubelets with --cloud-provider=external tainted and without providerID; --provider-id is the kubelet\'s own', async () => {
    await run('cp1', 'mkdir -p /tmp/k && cat > /tmp/k/init.yaml', initConfig(`${fleet.node('cp1').address}:6443`));
    const init = await run('cp1', 'sudo -n kubeadm init --config /tmp/k/init.yaml');
    expect(init.code, init.stderr).toBe(0);
    expect((await run('cp1', 'cat /var/lib/kubelet/kubeadm-flags.env')).stdout).toBe(
      'KUBELET_KUBEADM_ARGS="--cloud-provider=external --container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --pod-infra-container-image=registry.k8s.io/pause:3.10"\n',
    );
    expect((await kubectl('apply -f https://github.com/flannel-io/flannel/releases/latest/download/kube-flannel.yml')).code).toBe(0);
    await join('standalone', KUBELET_ID);
    const [cp, worker] = await nodes();
    expect(cp!.spec.providerID).toBeUndefined();
    expect(cp!.spec.taints).toContainEqual({ key: 'node.cloudprovider.kubernetes.io/uninitialized', value: 'true', effect: 'NoSchedule' });
    expect(worker!.spec.providerID).toBe(KUBELET_ID);
    expect(worker!.spec.taints).toContainEqual({ key: 'node.cloudprovider.kubernetes.io/uninitialized', value: 'true', effect: 'NoSchedule' });
    // Nothing that does not tolerate the taint is scheduled: CoreDNS waits for the CCM.
    const dns = await kubectl('-n kube-system wait --for=condition=Available deployment/coredns --timeout=1s');
    expect(dns.code).toBe(1);
  });

  it('runs the CCM only once its Secret exists and it can read credentials from it', async () => {
    expect((await kubectl('apply -f -', EXOSCALE_CCM)).stdout).toContain('deployment.apps/exoscale-cloud-controller-manager created');
    const pod = async () => (await json<{ items: Array<{ metadata: { name: string }; status: { containerStatuses: Array<{ state: { waiting?: { reason: string; message?: string } } }> } }> }>('-n kube-system get pods')).items.find((p) => p.metadata.name.startsWith('exoscale-cloud-controller-manager-'))!;
    expect((await pod()).status.containerStatuses[0]!.state.waiting).toEqual({ reason: 'CreateContainerConfigError', message: 'secret "exoscale-credentials" not found' });
    expect((await eventsOf((await pod()).metadata.name, 'kube-system')).map((e) => `${e.reason}: ${e.message}`)).toContain('Failed: Error: secret "exoscale-credentials" not found');
    // The Secret with empty values: the CCM starts and exits (exoscale/client.go), the nodes stay tainted.
    await kubectl('apply -f -', secret('exoscale-credentials', { 'api-key': '""', 'api-secret': '""' }));
    expect((await pod()).status.containerStatuses[0]!.state.waiting?.reason).toBe('CrashLoopBackOff');
    const logs = await kubectl(`-n kube-system logs ${(await pod()).metadata.name}`);
    expect(logs.stdout).toContain('could not create Exoscale client: incomplete or missing Exoscale API credentials');
    expect((await nodes()).every((node) => node.spec.taints?.some((t) => t.key === 'node.cloudprovider.kubernetes.io/uninitialized'))).toBe(true);
  });

  it('initialises every tainted Node: providerID (the instance UUID, or the kubelet\'s), zone and type labels, taint removed', async () => {
    await kubectl('apply -f -', secret('exoscale-credentials', { 'api-key': 'EXOfleetkey', 'api-secret': 'fleet-secret' }));
    const available = await kubectl('-n kube-system wait --for=condition=Available deployment/exoscale-cloud-controller-manager deployment/coredns --timeout=10s');
    expect(available.code, available.stderr).toBe(0);
    const [cp, worker] = await nodes();
    expect(cp!.spec.providerID).toBe(`exoscale://${cp!.status.nodeInfo.systemUUID}`);
    expect(worker!.spec.providerID).toBe(KUBELET_ID);
    for (const node of [cp!, worker!]) {
      expect(node.spec.taints?.map((t) => t.key) ?? []).not.toContain('node.cloudprovider.kubernetes.io/uninitialized');
      expect(node.metadata.labels).toMatchObject({ 'topology.kubernetes.io/zone': 'de-fra-1', 'topology.kubernetes.io/region': 'de-fra-1', 'node.kubernetes.io/instance-type': 'standard.medium' });
    }
    // A node that joins later is initialised too, with its machine's type.
    await join('pooled');
    const pooled = (await nodes()).find((node) => node.metadata.name === 'pooled')!;
    expect(pooled.spec.providerID).toBe(`exoscale://${pooled.status.nodeInfo.systemUUID}`);
    expect(pooled.metadata.labels['node.kubernetes.io/instance-type']).toBe('standard.large');
  });

  it('gives an Exoscale LoadBalancer Service an NLB only through instance-pool members; standalone instances are skipped', async () => {
    // Only the standalone worker may take traffic: the control plane is excluded from load balancers.
    await run('cp1', `${KUBECTL} label node pooled node.kubernetes.io/exclude-from-external-load-balancers=`);
    await kubectl('apply -f -', service('web'));
    const pending = await kubectl('get service web');
    expect(pending.stdout).toMatch(/^web\s+LoadBalancer\s+10\.96\.0\.\d+\s+<pending>\s+80:3\d{4}\/TCP/m);
    expect(await eventsOf('web')).toContainEqual(expect.objectContaining({ type: 'Warning', reason: 'SyncLoadBalancerFailed', message: "Error syncing load balancer: failed to ensure load balancer: couldn't infer any Instance Pool from cluster Nodes" }));
    await run('cp1', `${KUBECTL} label node pooled node.kubernetes.io/exclude-from-external-load-balancers-`);
    const svc = await json<{ metadata: { annotations: Record<string, string> }; status: { loadBalancer: { ingress: Array<{ ip: string }> } } }>('get service web');
    expect(svc.status.loadBalancer.ingress).toEqual([{ ip: '198.51.100.10' }]);
    expect(svc.metadata.annotations['service.beta.kubernetes.io/exoscale-loadbalancer-service-instancepool-id']).toBe(POOL);
    expect((await eventsOf('web')).map((e) => e.reason)).toContain('EnsuredLoadBalancer');
  });

  it('binds a claim through the CSI driver at once (Immediate) once its controller runs with credentials', async () => {
    await kubectl('apply -f -', EXOSCALE_CSI);
    await kubectl('apply -f -', claim('data'));
    const waiting = await json<{ spec: { storageClassName: string }; status: { phase: string } }>('get pvc data');
    expect(waiting.spec.storageClassName).toBe('exoscale-sbs');
    expect(waiting.status.phase).toBe('Pending');
    expect((await eventsOf('data')).map((e) => e.reason)).toContain('ExternalProvisioning');
    await kubectl('apply -f -', secret('exoscale-csi-credentials', { EXOSCALE_API_KEY: 'EXOfleetkey', EXOSCALE_API_SECRET: 'fleet-secret' }));
    const bound = await kubectl("wait --for=jsonpath='{.status.phase}'=Bound pvc/data --timeout=10s");
    expect(bound.code, bound.stderr).toBe(0);
    const pvc = await json<{ spec: { volumeName: string } }>('get pvc data');
    const pv = await json<{ spec: { csi: { driver: string }; claimRef: { name: string } }; status: { phase: string } }>(`get pv ${pvc.spec.volumeName}`);
    expect(pv).toMatchObject({ spec: { csi: { driver: 'csi.exoscale.com' }, claimRef: { name: 'data' } }, status: { phase: 'Bound' } });
    expect((await kubectl('get storageclass')).stdout).toMatch(/^exoscale-sbs \(default\)\s+csi\.exoscale\.com\s+Delete\s+Immediate\s+true/m);
  });

  it('snapshots a bound claim once a snapshot-controller runs and the driver has a default VolumeSnapshotClass', async () => {
    const crd = `apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: volumesnapshots.snapshot.storage.k8s.io\nspec:\n  group: snapshot.storage.k8s.io\n  names: { kind: VolumeSnapshot, plural: volumesnapshots }\n  scope: Namespaced\n---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: volumesnapshotclasses.snapshot.storage.k8s.io\nspec:\n  group: snapshot.storage.k8s.io\n  names: { kind: VolumeSnapshotClass, plural: volumesnapshotclasses }\n  scope: Cluster\n`;
    await kubectl('apply -f -', crd);
    await kubectl('wait --for=condition=Established crd/volumesnapshots.snapshot.storage.k8s.io crd/volumesnapshotclasses.snapshot.storage.k8s.io --timeout=10s');
    const classAndSnapshot = `apiVersion: snapshot.storage.k8s.io/v1\nkind: VolumeSnapshotClass\nmetadata:\n  name: exoscale-snapshot\n  annotations:\n    snapshot.storage.kubernetes.io/is-default-class: "true"\ndriver: csi.exoscale.com\ndeletionPolicy: Delete\n---\napiVersion: snapshot.storage.k8s.io/v1\nkind: VolumeSnapshot\nmetadata:\n  name: data-snap\n  namespace: default\nspec:\n  source:\n    persistentVolumeClaimName: data\n`;
    expect((await kubectl('apply -f -', classAndSnapshot)).code).toBe(0);
    expect((await json<{ status?: unknown }>('get volumesnapshot data-snap')).status).toBeUndefined();
    const controller = `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: snapshot-controller\n  namespace: kube-system\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n        - name: snapshot-controller\n          image: registry.k8s.io/sig-storage/snapshot-controller:v8.6.0\n`;
    await kubectl('apply -f -', controller);
    const ready = await kubectl("wait --for=jsonpath='{.status.readyToUse}'=true volumesnapshot/data-snap --timeout=10s");
    expect(ready.code, ready.stderr).toBe(0);
    const snapshot = await json<{ spec: { volumeSnapshotClassName: string }; status: { boundVolumeSnapshotContentName: string } }>('get volumesnapshot data-snap');
    expect(snapshot.spec.volumeSnapshotClassName).toBe('exoscale-snapshot');
    expect(snapshot.status.boundVolumeSnapshotContentName).toMatch(/^snapcontent-[0-9a-f-]{36}$/);
  });

  it('binds a local-path claim (WaitForFirstConsumer) only once a Pod that uses it is scheduled, on that Pod\'s node', async () => {
    await kubectl('apply -f -', LOCAL_PATH);
    await kubectl('apply -f -', claim('local', 'local-path'));
    expect((await json<{ status: { phase: string } }>('get pvc local')).status.phase).toBe('Pending');
    expect((await eventsOf('local')).map((e) => e.message)).toContain('waiting for first consumer to be created before binding');
    await kubectl('create -f -', podUsing('app', 'local'));
    const bound = await kubectl("wait --for=jsonpath='{.status.phase}'=Bound pvc/local --timeout=10s");
    expect(bound.code, bound.stderr).toBe(0);
    const pvc = await json<{ metadata: { annotations: Record<string, string> }; spec: { volumeName: string } }>('get pvc local');
    const pv = await json<{ spec: { hostPath: { path: string }; nodeAffinity: unknown } }>(`get pv ${pvc.spec.volumeName}`);
    const node = pvc.metadata.annotations['volume.kubernetes.io/selected-node'];
    expect(['standalone', 'pooled']).toContain(node);
    expect(pv.spec.hostPath.path).toMatch(/^\/opt\/local-path-provisioner\/pvc-[0-9a-f-]+_default_local$/);
    expect(JSON.stringify(pv.spec.nodeAffinity)).toContain(node);
    const running = await kubectl("wait --for=jsonpath='{.status.phase}'=Running pod/app --timeout=10s");
    expect(running.code, running.stderr).toBe(0);
  });

  it('has MetalLB assign the next free pool address, and say so when the pool is exhausted', async () => {
    expect((await kubectl('delete deployment exoscale-cloud-controller-manager -n kube-system')).code).toBe(0);
    await kubectl('apply -f -', METALLB);
    await kubectl('wait --for=condition=Established crd/ipaddresspools.metallb.io crd/l2advertisements.metallb.io --timeout=10s');
    expect((await kubectl('-n metallb-system wait --for=condition=Available deployment/controller --timeout=10s')).code).toBe(0);
    expect((await kubectl('apply -f -', POOL_AND_AD)).code).toBe(0);
    for (const name of ['one', 'two', 'three']) await kubectl('apply -f -', service(name));
    const ips = await kubectl("get service one two -o jsonpath='{.items[*].status.loadBalancer.ingress[0].ip}'");
    expect(ips.stdout).toBe('10.0.0.200 10.0.0.201');
    expect(await eventsOf('one')).toContainEqual(expect.objectContaining({ reason: 'IPAllocated', message: 'Assigned IP ["10.0.0.200"]' }));
    expect((await eventsOf('one')).map((e) => e.reason)).toContain('nodeAssigned');
    expect(await eventsOf('three')).toContainEqual(expect.objectContaining({ type: 'Warning', reason: 'AllocationFailed', message: 'Failed to allocate IP for "default/three": no available IPs' }));
  });

  it('annotates a StorageClass as kubectl does: --overwrite needed to change a value', async () => {
    const refused = await kubectl('annotate storageclass exoscale-sbs storageclass.kubernetes.io/is-default-class=false');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe("error: --overwrite is false but found the following declared annotation(s): 'storageclass.kubernetes.io/is-default-class' already has a value (true)\n");
    const done = await kubectl('annotate storageclass exoscale-sbs storageclass.kubernetes.io/is-default-class=false --overwrite');
    expect(done.stdout).toBe('storageclass.storage.k8s.io/exoscale-sbs annotated\n');
    expect((await kubectl('get storageclass exoscale-sbs')).stdout).not.toContain('(default)');
  });

  it('waits and reports rollouts in kubectl\'s words: a controller no node takes times out, a DaemonSet rolls out', async () => {
    // Upstream's Cinder controller with a control-plane nodeSelector and no toleration of its taint: no node takes it.
    const stuck = `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: csi-cinder-controllerplugin\n  namespace: kube-system\nspec:\n  replicas: 1\n  selector:\n    matchLabels: { app: csi-cinder-controllerplugin }\n  template:\n    metadata:\n      labels: { app: csi-cinder-controllerplugin }\n    spec:\n      nodeSelector: { node-role.kubernetes.io/control-plane: "" }\n      containers:\n        - name: cinder-csi-plugin\n          image: registry.k8s.io/provider-os/cinder-csi-plugin:v1.36.0\n`;
    const nodeAgent = `apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: node-agent\n  namespace: kube-system\nspec:\n  selector:\n    matchLabels: { app: node-agent }\n  template:\n    metadata:\n      labels: { app: node-agent }\n    spec:\n      hostNetwork: true\n      tolerations: [{ operator: Exists }]\n      containers:\n        - name: agent\n          image: registry.k8s.io/pause:3.10\n`;
    expect((await kubectl('apply -f -', stuck)).code).toBe(0);
    const timedOut = await kubectl('-n kube-system wait --for=condition=Available deployment/csi-cinder-controllerplugin --timeout=1s');
    expect([timedOut.code, timedOut.stdout, timedOut.stderr]).toEqual([1, '', 'error: timed out waiting for the condition on deployments/csi-cinder-controllerplugin\n']);
    const pods = await json<{ items: Array<{ spec: { nodeName?: string }; status: { phase: string; message?: string } }> }>('-n kube-system get pods -l app=csi-cinder-controllerplugin');
    expect(pods.items).toHaveLength(1);
    expect(pods.items[0]!.spec.nodeName).toBeUndefined();
    expect(pods.items[0]!.status.phase).toBe('Pending');
    expect(pods.items[0]!.status.message).toMatch(/^0\/\d nodes are available: 1 node\(s\) had untolerated taint \{node-role\.kubernetes\.io\/control-plane: \}/);
    const stuckRollout = await kubectl('-n kube-system rollout status deployment/csi-cinder-controllerplugin --timeout=1s');
    expect([stuckRollout.code, stuckRollout.stdout, stuckRollout.stderr]).toEqual([1, 'Waiting for deployment "csi-cinder-controllerplugin" rollout to finish: 0 of 1 updated replicas are available...\n', 'error: timed out waiting for the condition\n']);

    expect((await kubectl('apply -f -', nodeAgent)).code).toBe(0);
    const rolled = await kubectl('-n kube-system rollout status daemonset/node-agent --timeout=10s');
    expect([rolled.code, rolled.stdout]).toEqual([0, 'daemon set "node-agent" successfully rolled out\n']);
    const met = await kubectl('-n kube-system wait --for=condition=Available deployment/coredns --timeout=10s');
    expect([met.code, met.stdout]).toEqual([0, 'deployment.apps/coredns condition met\n']);
    const missing = await kubectl('-n kube-system rollout status daemonset/nothing-here --timeout=1s');
    expect([missing.code, missing.stderr]).toEqual([1, 'Error from server (NotFound): daemonsets.apps "nothing-here" not found\n']);
    await kubectl('-n kube-system delete deployment csi-cinder-controllerplugin');
    await kubectl('-n kube-system delete daemonset node-agent');
  });
});
