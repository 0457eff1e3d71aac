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

  it('refuses a worker, the last control plane and a cloud; a name not in the cluster is nothing to do', () => {
    expect(() => planRemoveControlPlane(clusterOf(3), 'worker-1')).toThrow(/worker-1 is a worker.*/);
    expect(() => planRemoveControlPlane(clusterOf(1), 'cp-1')).toThrow(/only control plane/);
    expect(planRemoveControlPlane(clusterOf(3), 'cp-9')).toMatchObject({ kind: 'nothing' });
    expect(() => planRemoveControlPlane(clusterOf(3), undefined)).toThrow(UsageError);
    const aws = validateSpec({ apiVersion: 'k8s-bootstrap.io/v1alpha1', kind: 'Cluster', name: 'demo', provider: { name: 'aws' }, ssh: { adminCidrs: ['192.0.2.0/24'] }, controlPlane: { count: 3 } });
    const inventory = { api_endpoint: 'lb:6443', ssh_user: 'ubuntu', control_plane: [1, 2, 3].map((i) => ({ name: `demo-cp-${i}`, public_ip: `198.51.100.${i}`, private_ip: `10.0.0.${i}` })), workers: [] };
    expect(() => planRemoveControlPlane({ spec: aws, inventory }, 'demo-cp-3')).toThrow(/not supported on aws/);
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
