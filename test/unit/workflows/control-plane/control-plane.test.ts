/**
 * remove-control-plane / add-control-plane decisions without SSH: etcd's quorum rule
 * (etcd-members.ts), the plans from cluster.yaml + inventory.json, and the transitional even count
 * an existing cluster may have.
 */
import { describe, expect, it } from 'vitest';
import { UsageError, ValidationError } from '../../../../src/errors.js';
import { inventoryFromSpec } from '../../../../src/providers/static.js';
import { validateSpec } from '../../../../src/config/validate/index.js';
import { parseMembers, removalVerdict, memberRemove, type EtcdMember } from '../../../../src/workflows/control-plane/etcd-members.js';
import { planAddControlPlane, planRemoveControlPlane } from '../../../../src/workflows/control-plane/plan.js';
import { withFirst } from '../../../../src/workflows/control-plane/phases.js';
import { topologyFromInventory } from '../../../../src/nodes/topology.js';
import { planNodeNames } from '../../../../src/config/node-names.js';
import { commonTfvars } from '../../../../src/providers/terraform-common.js';
import { nonControlPlaneRemovals } from '../../../../src/workflows/workers/terraform-guard.js';

const member = (name: string, healthy = true, learner = false): EtcdMember => ({ id: `${name.length}abc`, name, learner, clientUrls: [`https://${name}:2379`], healthy });

describe('removalVerdict (etcd runtime reconfiguration: a quorum now, and a quorum of the smaller cluster)', () => {
  it('lets a dead member of three go: 2 healthy of 2 left', () => {
    const verdict = removalVerdict([member('cp-1'), member('cp-2'), member('cp-3', false)], 'cp-3');
    expect(verdict).toMatchObject({ ok: true, member: { name: 'cp-3' } });
  });

  it('refuses a healthy member while another is dead: 1 healthy of 2 left', () => {
    const verdict = removalVerdict([member('cp-1'), member('cp-2'), member('cp-3', false)], 'cp-2');
    expect(verdict).toMatchObject({ ok: false, code: 'WouldBreakQuorum' });
    if (!verdict.ok) expect(verdict.hint).toContain('remove-control-plane cp-3');
  });

  it('refuses any change once the quorum is lost (1 of 2, 2 of 5), pointing at restore', () => {
    const lost = removalVerdict([member('cp-1'), member('cp-2', false)], 'cp-2');
    expect(lost).toMatchObject({ ok: false, code: 'EtcdQuorumLost' });
    if (!lost.ok) expect(lost.hint).toMatch(/restore/);
    expect(removalVerdict([member('a'), member('b'), member('c', false), member('d', false), member('e', false)], 'e')).toMatchObject({ ok: false, code: 'EtcdQuorumLost' });
  });

  it('allows 2 → 1 with both healthy, and two dead of five one at a time', () => {
    expect(removalVerdict([member('cp-1'), member('cp-2')], 'cp-2').ok).toBe(true);
    const five = [member('a'), member('b'), member('c'), member('d', false), member('e', false)];
    expect(removalVerdict(five, 'e').ok).toBe(true);
    expect(removalVerdict(five.slice(0, 4), 'd').ok).toBe(true);
  });

  it('refuses the only member, ignores learners for the count, and takes a missing member as already removed', () => {
    expect(removalVerdict([member('cp-1')], 'cp-1')).toMatchObject({ ok: false, code: 'LastControlPlane' });
    expect(removalVerdict([member('cp-1'), member('cp-2'), member('cp-3', false, true)], 'cp-3')).toMatchObject({ ok: true });
    expect(removalVerdict([member('cp-1'), member('cp-2')], 'cp-3')).toMatchObject({ ok: true, note: expect.stringContaining('already removed') });
  });
});

describe('etcdctl output and arguments', () => {
  it('reads member list --hex and endpoint health --cluster JSON, health by client URL', () => {
    const list = JSON.stringify({ header: {}, members: [
      { ID: '8211F1D0F64F3269', name: 'cp-1', peerURLs: ['https://10.0.0.1:2380'], clientURLs: ['https://10.0.0.1:2379'] },
      { ID: '91bc3c398fb3c146', name: 'cp-2', peerURLs: ['https://10.0.0.2:2380'], clientURLs: ['https://10.0.0.2:2379'] },
      { ID: 'fd422379fda50e48', name: 'cp-3', peerURLs: ['https://10.0.0.3:2380'], isLearner: true },
    ] });
    const health = JSON.stringify([{ endpoint: 'https://10.0.0.1:2379', health: true, took: '9ms' }, { endpoint: 'https://10.0.0.2:2379', health: false, error: 'context deadline exceeded' }]);
    expect(parseMembers(list, health)).toEqual([
      { id: '8211f1d0f64f3269', name: 'cp-1', learner: false, clientUrls: ['https://10.0.0.1:2379'], healthy: true },
      { id: '91bc3c398fb3c146', name: 'cp-2', learner: false, clientUrls: ['https://10.0.0.2:2379'], healthy: false },
      { id: 'fd422379fda50e48', name: 'cp-3', learner: true, clientUrls: [], healthy: false },
    ]);
    // No health rows (etcdctl failed outright): nobody counts as healthy.
    expect(parseMembers(list, 'Error: context deadline exceeded').every((m) => !m.healthy)).toBe(true);
  });

  it('passes only a hex member ID to etcdctl member remove', () => {
    expect(memberRemove('cp-1', '8211f1d0f64f3269').slice(-3)).toEqual(['member', 'remove', '8211f1d0f64f3269']);
    expect(() => memberRemove('cp-1', '1; rm -rf /')).toThrow(UsageError);
  });
});

function staticSpec(controlPlanes: number, workers = 1, extra: Record<string, unknown> = {}) {
  return validateSpec(
    {
      apiVersion: 'k8s-bootstrap.io/v1alpha1',
      kind: 'Cluster',
      name: 'demo',
      provider: {
        name: 'static',
        virtualIp: '10.0.0.200',
        hosts: [
          ...Array.from({ length: controlPlanes }, (_, i) => ({ address: `10.0.0.${i + 1}`, role: 'control-plane' })),
          ...Array.from({ length: workers }, (_, i) => ({ address: `10.0.1.${i + 1}`, role: 'worker' })),
        ],
      },
      ...extra,
    },
    { existingCluster: true },
  );
}

const clusterOf = (controlPlanes: number) => {
  const spec = staticSpec(controlPlanes);
  return { spec, inventory: inventoryFromSpec(spec) };
};

describe('planRemoveControlPlane', () => {
  it('drops the host with explicit names left, keeps the endpoint, and says when the count is even', () => {
    const decision = planRemoveControlPlane(clusterOf(3), 'cp-1');
    if (decision.kind !== 'remove') throw new Error('expected a removal');
    const { plan } = decision;
    expect(plan.remaining).toEqual(['cp-2', 'cp-3']);
    expect(plan.even).toBe(true);
    expect(plan.targetInventory.api_endpoint).toBe('10.0.0.200:8443');
    expect(plan.targetInventory.control_plane[0]!.name).toBe('cp-2');
    if (plan.target.provider.name !== 'static') throw new Error('static');
    expect(plan.target.provider.hosts.map((h) => h.name)).toEqual(['cp-2', 'cp-3', 'worker-1']);
    // The spec written is one an existing cluster may load (2 control planes), and inventoryFromSpec agrees.
    expect(inventoryFromSpec(validateSpec(plan.target, { existingCluster: true })).control_plane.map((n) => n.name)).toEqual(['cp-2', 'cp-3']);
  });

  it('refuses a worker and the last control plane; a name not in the cluster is nothing to do', () => {
    expect(() => planRemoveControlPlane(clusterOf(3), 'worker-1')).toThrow(/worker-1 is a worker.*/);
    expect(() => planRemoveControlPlane(clusterOf(1), 'cp-1')).toThrow(/only control plane/);
    expect(planRemoveControlPlane(clusterOf(3), 'cp-9')).toMatchObject({ kind: 'nothing' });
    expect(() => planRemoveControlPlane(clusterOf(3), undefined)).toThrow(UsageError);
  });
});

/** An AWS cluster whose control planes are the machines of `numbers` (cluster.yaml and inventory.json agree). */
function cloudCluster(numbers: number[], inventoryNumbers = numbers) {
  const spec = validateSpec(
    { apiVersion: 'k8s-bootstrap.io/v1alpha1', kind: 'Cluster', name: 'demo', provider: { name: 'aws' }, ssh: { adminCidrs: ['192.0.2.0/24'] }, controlPlane: { count: numbers.length, numbers } },
    { existingCluster: true },
  );
  const inventory = { api_endpoint: 'lb:6443', ssh_user: 'ubuntu', control_plane: inventoryNumbers.map((i) => ({ name: `demo-cp-${i}`, public_ip: `198.51.100.${i}`, private_ip: `10.0.0.${i}` })), workers: [] };
  return { spec, inventory };
}

describe('control planes on a cloud (machines <name>-cp-N by number)', () => {
  it('removing a middle machine keeps the others\' numbers; Terraform is told which one goes', () => {
    const decision = planRemoveControlPlane(cloudCluster([1, 2, 3]), 'demo-cp-2');
    if (decision.kind !== 'remove') throw new Error('expected a removal');
    expect(decision.plan.machine).toBe(2);
    expect(decision.plan.target.controlPlane).toMatchObject({ count: 2, numbers: [1, 3] });
    expect(decision.plan.remaining).toEqual(['demo-cp-1', 'demo-cp-3']);
    expect(decision.plan.even).toBe(true);
    expect(planNodeNames(decision.plan.target).controlPlanes).toEqual(['demo-cp-1', 'demo-cp-3']);
  });

  it('maps inventory positions to numbers, not names: a team module may name its machines otherwise', () => {
    const cluster = cloudCluster([1, 3, 4]);
    const renamed = { ...cluster, inventory: { ...cluster.inventory, control_plane: cluster.inventory.control_plane.map((node, i) => ({ ...node, name: `m${i}` })) } };
    const decision = planRemoveControlPlane(renamed, 'm2');
    expect(decision).toMatchObject({ kind: 'remove', plan: { machine: 4, target: { controlPlane: { numbers: [1, 3] } } } });
  });

  it('refuses when cluster.yaml and inventory.json disagree on the number of machines', () => {
    expect(() => planRemoveControlPlane(cloudCluster([1, 3], [1, 2, 3]), 'demo-cp-2')).toThrow(/names 2 control-plane machines.*lists 3/);
  });

  it('adds the lowest free number, by default as many as end on an odd count', () => {
    expect(planAddControlPlane({ ...cloudCluster([1, 3]), joined: () => true }, [])).toMatchObject({ kind: 'add', plan: { machines: [2], added: ['demo-cp-2'], target: { controlPlane: { count: 3, numbers: [1, 2, 3] } } } });
    expect(planAddControlPlane({ ...cloudCluster([1]), joined: () => true }, [])).toMatchObject({ kind: 'add', plan: { machines: [2, 3] } });
    expect(planAddControlPlane({ ...cloudCluster([2, 3, 4]), joined: () => true }, [], 2)).toMatchObject({ kind: 'add', plan: { machines: [1, 5], target: { controlPlane: { numbers: [1, 2, 3, 4, 5] } } } });
  });

  it('refuses a module whose control_plane output does not follow the numbers, and a sixth control plane', () => {
    const cluster = cloudCluster([1, 3]);
    const swapped = { ...cluster, inventory: { ...cluster.inventory, control_plane: [...cluster.inventory.control_plane].reverse() } };
    expect(() => planRemoveControlPlane(swapped, 'demo-cp-1')).toThrow(/lists demo-cp-3 where cluster\.yaml's controlPlane\.numbers has 1/);
    expect(() => planAddControlPlane({ ...cloudCluster([1, 2, 3, 4, 5]), joined: () => true }, [])).toThrow(/has 5 control planes, the most/);
  });

  it('refuses an even result, more than five, and --host on a cloud', () => {
    expect(() => planAddControlPlane({ ...cloudCluster([1, 2, 3]), joined: () => true }, [], 1)).toThrow(/makes 4/);
    expect(() => planAddControlPlane({ ...cloudCluster([1, 2, 3]), joined: () => true }, [], 4)).toThrow(/makes 7/);
    expect(() => planAddControlPlane({ ...cloudCluster([1, 3]), joined: () => true }, [{ address: '10.0.0.9', role: 'control-plane' as const }])).toThrow(/--host is for static clusters/);
    expect(() => planAddControlPlane({ ...clusterOf(2), joined: () => true }, [{ address: '10.0.0.9', role: 'control-plane' as const }], 1)).toThrow(/--count is for cloud clusters/);
  });

  it('resumes: numbers saved without their machine, or a machine not joined yet, whatever --count says', () => {
    const saved = cloudCluster([1, 2, 3], [1, 3]);
    expect(planAddControlPlane({ ...saved, joined: () => true }, [], 2)).toMatchObject({ kind: 'add', plan: { added: ['demo-cp-2'], target: { controlPlane: { numbers: [1, 2, 3] } } } });
    const made = cloudCluster([1, 2, 3]);
    expect(planAddControlPlane({ ...made, joined: (name) => name !== 'demo-cp-2' }, [])).toMatchObject({ kind: 'add', plan: { added: ['demo-cp-2'] } });
  });

  it('validates controlPlane.numbers: one distinct number per control plane, 1 to 5', () => {
    const spec = (controlPlane: Record<string, unknown>) => () => validateSpec({ apiVersion: 'k8s-bootstrap.io/v1alpha1', kind: 'Cluster', name: 'demo', provider: { name: 'aws' }, ssh: { adminCidrs: ['192.0.2.0/24'] }, controlPlane }, { existingCluster: true });
    expect(spec({ count: 3, numbers: [1, 2] })).toThrow(/controlPlane\.numbers.*lists 2 control planes but controlPlane\.count is 3/s);
    expect(spec({ count: 3, numbers: [1, 1, 2] })).toThrow(/controlPlane\.numbers.*twice/s);
    expect(spec({ count: 3, numbers: [1, 2, 6] })).toThrow(/controlPlane\.numbers/);
    expect(spec({ count: 3, numbers: [3, 1, 2] })().controlPlane.numbers).toEqual([3, 1, 2]);
  });

  it('passes the numbers to Terraform only when set (unset: the module counts 1 to count)', () => {
    const extras = { sshPublicKey: 'ssh-ed25519 AAAA test', imageId: 'ami-0123456789abcdef0' };
    expect(commonTfvars(cloudCluster([1, 3]).spec, extras, 'aws')).toMatchObject({ control_plane_count: 2, control_plane_numbers: [1, 3] });
    const plain = validateSpec({ apiVersion: 'k8s-bootstrap.io/v1alpha1', kind: 'Cluster', name: 'demo', provider: { name: 'aws' }, ssh: { adminCidrs: ['192.0.2.0/24'] }, controlPlane: { count: 3 } });
    expect(JSON.parse(JSON.stringify(commonTfvars(plain, extras, 'aws')))).not.toHaveProperty('control_plane_numbers');
  });
});

describe('the Terraform plan review of remove-control-plane', () => {
  it('lets only the removed machine\'s own objects go; moves of a cluster made with a count pass', () => {
    const changes = [
      { address: 'aws_instance.control_plane["2"]', action: 'delete' },
      { address: 'aws_lb_target_group_attachment.api["2"]', action: 'delete' },
      { address: 'aws_instance.control_plane["1"]', action: 'move' },
      { address: 'data.aws_ami.x', action: 'read' },
    ];
    expect(nonControlPlaneRemovals(changes, 2)).toEqual([]);
    expect(nonControlPlaneRemovals([...changes, { address: 'aws_instance.control_plane["3"]', action: 'delete' }], 2)).toEqual([{ address: 'aws_instance.control_plane["3"]', action: 'delete' }]);
    expect(nonControlPlaneRemovals([{ address: 'aws_lb.api', action: 'update' }], 2)).toHaveLength(1);
    expect(nonControlPlaneRemovals([{ address: 'aws_instance.worker[2]', action: 'delete' }], 2)).toHaveLength(1);
  });
});

describe('planAddControlPlane', () => {
  const joinedAll = () => true;

  it('adds a host back to an odd count, after the control planes, keeping the first first', () => {
    const cluster = clusterOf(2);
    const decision = planAddControlPlane({ ...cluster, joined: joinedAll }, [{ address: '10.0.0.14', name: 'cp-4' , role: 'control-plane' as const }]);
    if (decision.kind !== 'add') throw new Error('expected an addition');
    expect(decision.plan.added).toEqual(['cp-4']);
    expect(decision.plan.targetInventory.control_plane.map((n) => n.name)).toEqual(['cp-1', 'cp-2', 'cp-4']);
    if (decision.plan.target.provider.name !== 'static') throw new Error('static');
    expect(decision.plan.target.provider.hosts.map((h) => `${h.role}:${h.name}`)).toEqual(['control-plane:cp-1', 'control-plane:cp-2', 'control-plane:cp-4', 'worker:worker-1']);
  });

  it('names an unnamed host after the highest cp-N, and grows 1 → 3 with two hosts', () => {
    const decision = planAddControlPlane({ ...clusterOf(1), joined: joinedAll }, [{ address: '10.0.0.8' , role: 'control-plane' as const }, { address: '10.0.0.9' , role: 'control-plane' as const }]);
    expect(decision).toMatchObject({ kind: 'add', plan: { added: ['cp-2', 'cp-3'] } });
  });

  it('refuses an even result, a host already in the cluster under another role, a name in use, and no host', () => {
    expect(() => planAddControlPlane({ ...clusterOf(3), joined: joinedAll }, [{ address: '10.0.0.9' , role: 'control-plane' as const }])).toThrow(/makes 4/);
    expect(() => planAddControlPlane({ ...clusterOf(2), joined: joinedAll }, [{ address: '10.0.1.1' , role: 'control-plane' as const }])).toThrow(/already worker-1/);
    expect(() => planAddControlPlane({ ...clusterOf(2), joined: joinedAll }, [{ address: '10.0.0.9', name: 'worker-1' , role: 'control-plane' as const }])).toThrow(/already a node/);
    expect(() => planAddControlPlane({ ...clusterOf(2), joined: joinedAll }, [])).toThrow(/Say which machine/);
  });

  it('resumes an interrupted add: the host saved in cluster.yaml but not joined is joined, with or without the flag again', () => {
    const cluster = clusterOf(3);
    const joined = (name: string) => name !== 'cp-3';
    expect(planAddControlPlane({ ...cluster, joined }, [])).toMatchObject({ kind: 'add', plan: { added: ['cp-3'] } });
    expect(planAddControlPlane({ ...cluster, joined }, [{ address: '10.0.0.3' , role: 'control-plane' as const }])).toMatchObject({ kind: 'add', plan: { added: ['cp-3'] } });
    expect(planAddControlPlane({ ...cluster, joined: joinedAll }, [{ address: '10.0.0.3' , role: 'control-plane' as const }])).toMatchObject({ kind: 'nothing' });
  });
});

describe('even control-plane counts', () => {
  it('are refused for a new cluster and accepted for an existing one (the transitional 2 or 4)', () => {
    expect(() => staticSpecStrict(2)).toThrow(ValidationError);
    expect(staticSpec(2).provider.name).toBe('static');
    expect(staticSpec(4).controlPlane.count).toBe(4);
    expect(() => staticSpec(6)).toThrow(ValidationError);
  });
});

function staticSpecStrict(controlPlanes: number) {
  return validateSpec({ apiVersion: 'k8s-bootstrap.io/v1alpha1', kind: 'Cluster', name: 'demo', provider: { name: 'static', virtualIp: '10.0.0.200', hosts: Array.from({ length: controlPlanes }, (_, i) => ({ address: `10.0.0.${i + 1}`, role: 'control-plane' })) } });
}

describe('withFirst', () => {
  it('puts the control plane the run works through first, the others in order', () => {
    const topology = topologyFromInventory(inventoryFromSpec(staticSpec(3)));
    expect(withFirst(topology, 'cp-2').controlPlanes.map((cp) => cp.name)).toEqual(['cp-2', 'cp-1', 'cp-3']);
    expect(withFirst(topology, 'nope')).toBe(topology);
  });
});
