/**
 * The dry run's plan is the run: for several clusters, `describeInitPlan` lists exactly the step
 * ids a run checkpoints (the node steps run here against a FakeNodeOps, the provisioning steps
 * built as the run builds them), with the run's titles, and status counts the same ids.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ClusterSpec } from '../../../../src/config/schema.js';
import { validateSpec } from '../../../../src/config/validate/index.js';
import { describePhases, notConnected } from '../../../../src/engine/describe.js';
import { inventoryFromSpec } from '../../../../src/providers/static.js';
import { emptyState } from '../../../../src/state/state-store.js';
import { templatePath } from '../../../../src/tools/template.js';
import { provisionPhases } from '../../../../src/workflows/run/provision.js';
import { topologyFromInventory, type ClusterNode, type Topology } from '../../../../src/nodes/topology.js';
import { describeInitPlan, formatPlan } from '../../../../src/workflows/init/plan.js';
import { plannedStepIds } from '../../../../src/workflows/status/index.js';
import { awsDoc, patched, staticDoc } from '../../../helpers/config-fixtures.js';
import { FakeNodeOps } from '../../../helpers/fake-node-ops.js';
import { Recorder } from '../../../helpers/fake-steps.js';
import { runInitNodes, tempState } from './node-run.js';

const threeStatic = patched(staticDoc(), {
  provider: {
    virtualIp: '192.0.2.100',
    hosts: [
      { address: '192.0.2.10', role: 'control-plane', name: 'alpha' },
      { address: '192.0.2.11', role: 'control-plane' },
      { address: '192.0.2.12', role: 'control-plane' },
      { address: '192.0.2.21', role: 'worker' },
      { address: '192.0.2.22', role: 'worker' },
    ],
  },
});

const clusters: Array<[string, ClusterSpec]> = [
  ['static, 1 control plane', validateSpec(staticDoc())],
  ['static, 3 control planes behind a virtual IP', validateSpec(threeStatic)],
  ['aws, 3 control planes', validateSpec(patched(awsDoc(), { controlPlane: { count: 3 }, workers: { count: 2 } }))],
  ['exoscale with an image id', validateSpec(patched(awsDoc(), { provider: { name: 'exoscale', zone: 'de-fra-1' }, image: { id: 'template-0123' }, workers: { count: 1 } }))],
];

/**
 * The topology the run finds: the spec's hosts, or the machines the provider's Terraform module
 * creates, named as its nodes.tf names them (read from the module, so a rename there shows here).
 */
function runTopology(spec: ClusterSpec): Topology {
  if (spec.provider.name === 'static') return topologyFromInventory(inventoryFromSpec(spec));
  const module = readFileSync(templatePath('terraform', spec.provider.name, 'nodes.tf'), 'utf8');
  // Workers are counted (count.index + 1); control planes keyed by their number (each.key).
  const named = (role: string, count: number) => {
    const pattern = new RegExp(`"(\\$\\{var\\.cluster_name\\}-${role}-)\\$\\{(?:count\\.index \\+ 1|each\\.key)\\}"`).exec(module);
    if (!pattern) throw new Error(`no ${role} name in ${spec.provider.name}/nodes.tf`);
    return Array.from({ length: count }, (_, i) => `${pattern[1]!.replace('${var.cluster_name}', spec.name)}${i + 1}`);
  };
  const node = (role: ClusterNode['role']) => (name: string, i: number): ClusterNode => ({ name, role, host: `198.51.100.${i + 1}`, port: 22, privateIp: `10.240.0.${i + 1}` });
  return {
    apiEndpoint: '198.51.100.200:6443',
    sshUser: 'ubuntu',
    controlPlanes: named('cp', spec.controlPlane.count).map(node('control-plane')),
    workers: named('worker', spec.workers.count).map(node('worker')),
  };
}

describe.each(clusters)('%s', (_name, spec) => {
  it('the dry run lists the ids a run checkpoints, in the run order, with the run titles', async () => {
    const state = await tempState(spec.name);
    const provision = describePhases(provisionPhases({ spec, rebuildImage: false, state: state.current }, notConnected));
    const events = new Recorder();
    const topology = runTopology(spec);
    await runInitNodes({ spec, topology, ops: new FakeNodeOps(), state, events });

    const plan = describeInitPlan(spec);
    const checkpointed = Object.keys(state.current.steps);
    expect(plan.slice(0, provision.length)).toEqual(provision);
    expect(new Set(plan.slice(provision.length).map((step) => step.id))).toEqual(new Set(checkpointed));
    expect(plan).toHaveLength(provision.length + checkpointed.length);

    // Each node step's plan line carries the title the run showed, in the group it ran in.
    const started = new Map(events.of('started').map((event) => [event.stepId, event]));
    for (const step of plan.slice(provision.length)) {
      expect(started.get(step.id), step.id).toMatchObject({ title: step.title, group: step.group });
    }
    // The run order: a phase's steps start only after every earlier foreground phase's.
    const order = events.of('phase-started').map((event) => event.group);
    expect([...new Set(plan.slice(provision.length).map((step) => step.group))]).toEqual(order);
  });

  it('status plans the same steps', () => {
    expect(plannedStepIds({ spec, state: emptyState(spec.name) }, runTopology(spec))).toEqual(describeInitPlan(spec).map((step) => step.id));
  });
});

describe('the plan text', () => {
  it('shows each step with its detail, tool and nodes, grouped by phase, for a 3-control-plane static cluster', () => {
    const spec = validateSpec(threeStatic);
    const plan = describeInitPlan(spec, { dir: '/clusters/lab' });
    // The kubeadm HA order, each group once (the CLI test lists the ids of the same cluster).
    expect([...new Set(plan.map((step) => step.group))]).toEqual([
      'Preflight', 'Node preparation', 'Worker preparation', 'Load balancer', 'Control plane init', 'CNI', 'Control plane joins', 'Worker joins', 'Load balancers and storage', 'Verify', 'Kubeconfig', 'Helm', 'Add-ons',
    ]);
    // Static hosts get local-path as the default class (storage.defaultClass auto).
    expect(plan.filter((step) => step.group === 'Load balancers and storage').map((step) => step.id)).toEqual(['static:local-path', 'verify:cloud']);
    expect(plan.filter((step) => step.group === 'Control plane joins').map((step) => step.id)).toEqual(['join:cp-2', 'join:cp-3']);
    expect(plan.find((step) => step.id === 'lb:cp-2')).toMatchObject({ group: 'Load balancer', title: 'keepalived + haproxy on cp-2', detail: 'API endpoint 192.0.2.100:8443', tool: 'ssh', nodes: ['cp-2'] });
    expect(plan.find((step) => step.id === 'kubeconfig')).toMatchObject({ detail: '/clusters/lab/kubeconfig', nodes: ['alpha'] });
    const text = formatPlan(plan);
    expect(text).toMatch(/^Load balancer:$/m);
    expect(text).toMatch(/Prepare worker-1: swap off, kernel modules, containerd 2\.x, kubeadm 1\.\d+\.\d+\s+ssh\s+worker-1$/m);
    // Every host, as the run reaches them (review P16), workers too.
    expect(text).toMatch(/Reach the nodes over SSH \(host keys pinned\): alpha, cp-2, cp-3, worker-1, worker-2\s+ssh/);
    expect(text).toMatch(/kubeadm init on alpha\s+kubeadm\s+alpha$/m);
  });

  it('a cloud plan names the machines of its infrastructure step and builds the image only without an image id', () => {
    const aws = describeInitPlan(validateSpec(patched(awsDoc(), { workers: { count: 2 } })));
    expect(aws.find((step) => step.id === 'infrastructure')).toMatchObject({ tool: 'terraform', detail: 'demo-cp-1, demo-worker-1, demo-worker-2', nodes: [] });
    expect(aws.find((step) => step.id === 'image')).toMatchObject({ tool: 'packer', group: 'Image' });
    expect(aws.find((step) => step.id === 'preflight')?.title).toBe('Check terraform, packer and aws credentials');
    const withImage = describeInitPlan(validateSpec(patched(awsDoc(), { image: { id: 'ami-0123456789abcdef0' } })));
    expect(withImage.map((step) => step.id)).not.toContain('image');
    expect(withImage.find((step) => step.id === 'preflight')?.title).toBe('Check terraform and aws credentials');
  });

  it('lists the CCM right after the CNI and the rest after the joins, each step with its pinned version, warning where the pin is untested', () => {
    const exoscale = describeInitPlan(validateSpec(patched(awsDoc(), { provider: { name: 'exoscale', zone: 'de-fra-1' }, workers: { count: 1 } })));
    const ccm = exoscale.filter((step) => step.group === 'Cloud controller manager');
    const cloud = exoscale.filter((step) => step.group === 'Cloud integration and storage');
    expect(ccm.map((step) => step.id)).toEqual(['cloud:ccm']);
    expect(cloud.map((step) => step.id)).toEqual(['cloud:snapshots', 'cloud:csi', 'cloud:storage-class', 'verify:cloud']);
    expect(ccm[0]).toMatchObject({ title: 'Exoscale cloud controller manager 0.34.0 (untested on this Kubernetes minor)', detail: expect.stringMatching(/^warning: No Exoscale release supports Kubernetes 1\.35/) });
    expect(cloud[0]!.title).toBe('Volume snapshots: CRDs + snapshot-controller v8.6.0');
    expect(cloud[1]!.title).toBe('Exoscale CSI driver 0.34.3 (untested on this Kubernetes minor)');
    expect(cloud[3]!.title).toBe('Wait until every node is initialised by the cloud controller manager (providerID, no uninitialized taint) and exoscale-sbs is the default StorageClass');
    const groups = [...new Set(exoscale.map((step) => step.group))];
    expect(groups.indexOf('Cloud controller manager')).toBe(groups.indexOf('CNI') + 1);
    expect(groups.indexOf('Cloud integration and storage')).toBe(groups.indexOf('Worker joins') + 1);
    const off = describeInitPlan(validateSpec(patched(awsDoc(), { cloudIntegration: { ccm: false, csi: false } })));
    expect(off.some((step) => step.id.startsWith('cloud:') || step.id === 'verify:cloud')).toBe(false);
  });

  it('building the plan binds no tools: a step of it that ran would say so', async () => {
    const spec = validateSpec(staticDoc());
    const { initPlanPhases, plannedTopology } = await import('../../../../src/workflows/init/plan.js');
    const step = initPlanPhases(spec, plannedTopology(spec))[1]!.steps[0]!;
    const ctx = { signal: new AbortController().signal, attempt: 1, output: () => undefined, progress: () => undefined };
    await expect((async () => step.run(ctx))()).rejects.toThrow(/built for a plan/);
  });
});
