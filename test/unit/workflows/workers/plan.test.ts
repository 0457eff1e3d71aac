/** The decisions of add-workers and remove-workers, from cluster.yaml + inventory.json + state alone. */
import { parseHostFlag } from '../../../../src/config/resolve.js';
import { describe, expect, it } from 'vitest';
import { UsageError, ExternalToolError } from '../../../../src/errors.js';
import type { Inventory } from '../../../../src/providers/inventory.js';
import { inventoryFromSpec } from '../../../../src/providers/static.js';
import { serializeSpec } from '../../../../src/config/serialize.js';
import { validateSpec } from '../../../../src/config/validate/index.js';
import { nextWorkerIndex, planAddWorkers, type AddWorkersPlan } from '../../../../src/workflows/workers/plan-add.js';
import { planRemoveWorkers, type RemoveWorkersPlan } from '../../../../src/workflows/workers/plan-remove.js';
import { nonAdditions, nonRemovals, refusedPlanError, workerIndexes } from '../../../../src/workflows/workers/terraform-guard.js';
import { describeAddPlan, describeRemovePlan, formatAddPlan, formatRemovePlan } from '../../../../src/workflows/workers/describe.js';

function staticSpec(workers: number, extra: Record<string, unknown> = {}) {
  return validateSpec({
    apiVersion: 'k8s-bootstrap.io/v1alpha1',
    kind: 'Cluster',
    name: 'demo',
    provider: {
      name: 'static',
      hosts: [
        { address: '10.0.0.1', role: 'control-plane' },
        ...Array.from({ length: workers }, (_, i) => ({ address: `10.0.1.${i + 1}`, role: 'worker' })),
      ],
    },
    ...extra,
  });
}

function awsSpec(workers: number, min = 0) {
  return validateSpec({ apiVersion: 'k8s-bootstrap.io/v1alpha1', kind: 'Cluster', name: 'demo', provider: { name: 'aws' }, ssh: { adminCidrs: ['192.0.2.0/24'] }, workers: { count: workers, min } });
}

function exoscaleSpec(workers: number) {
  return validateSpec({ apiVersion: 'k8s-bootstrap.io/v1alpha1', kind: 'Cluster', name: 'demo', provider: { name: 'exoscale' }, ssh: { adminCidrs: ['192.0.2.0/24'] }, workers: { count: workers } });
}

function awsInventory(workers: number): Inventory {
  const node = (name: string, i: number) => ({ name, public_ip: `198.51.100.${i}`, private_ip: `10.240.0.${i}` });
  return {
    api_endpoint: 'lb.example:6443',
    ssh_user: 'ubuntu',
    control_plane: [node('demo-cp-1', 1)],
    workers: Array.from({ length: workers }, (_, i) => node(`demo-worker-${i + 1}`, 10 + i)),
  };
}

/** Every worker of the inventory joined, as after a successful init. */
function joinedState(inventory: Inventory, except: string[] = []) {
  const steps: Record<string, { finishedAt: string }> = {};
  for (const node of [...inventory.control_plane, ...inventory.workers]) if (!except.includes(node.name)) steps[`join:${node.name}`] = { finishedAt: 'x' };
  return { steps, kubernetesVersion: undefined as string | undefined };
}

function staticCluster(workers: number, extra: Record<string, unknown> = {}) {
  const spec = staticSpec(workers, extra);
  const inventory = inventoryFromSpec(spec);
  return { spec, inventory, state: joinedState(inventory) };
}

function added(decision: ReturnType<typeof planAddWorkers>): AddWorkersPlan {
  if (decision.kind !== 'add') throw new Error(`expected a plan, got: ${decision.message}`);
  return decision.plan;
}

function removal(decision: ReturnType<typeof planRemoveWorkers>): RemoveWorkersPlan {
  if (decision.kind !== 'remove') throw new Error(`expected a plan, got: ${decision.message}`);
  return decision.plan;
}

function usage(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error('expected a UsageError');
}


/** The --host flags as the CLI parses them for add-workers. */
function hostFlags(texts: string[]) {
  return texts.map((text) => parseHostFlag(text, 'worker', '--host'));
}

describe('planAddWorkers on a static cluster', () => {
  it('appends --host hosts with the next worker-N names and the count they imply', () => {
    const plan = added(planAddWorkers(staticCluster(2), { hosts: hostFlags(['10.0.1.7', '10.0.1.8,name=big-1,private=192.168.0.8,user=ops,port=2222']) }));
    expect(plan.newNodes).toEqual(['worker-3', 'big-1']);
    expect(plan.addedHosts).toEqual([
      { address: '10.0.1.7', port: 22, role: 'worker', name: 'worker-3' },
      { address: '10.0.1.8', port: 2222, role: 'worker', name: 'big-1', privateAddress: '192.168.0.8', user: 'ops' },
    ]);
    expect(plan.targetCount).toBe(4);
    expect(plan.joined).toEqual(['worker-1', 'worker-2']);
    // Existing hosts keep their place, so their positional names do not change.
    const names = inventoryFromSpec(plan.target).workers.map((w) => w.name);
    expect(names).toEqual(['worker-1', 'worker-2', 'worker-3', 'big-1']);
    expect(serializeSpec(plan.target)).toContain('name: worker-3');
  });

  it('joins at the version the cluster runs now, not the one of cluster.yaml', () => {
    const cluster = staticCluster(1);
    const plan = added(planAddWorkers({ ...cluster, state: { ...cluster.state, kubernetesVersion: '1.37.1' } }, { hosts: hostFlags(['10.0.9.9']) }));
    expect(plan.version).toBe('1.37.1');
    expect(added(planAddWorkers(cluster, { hosts: hostFlags(['10.0.9.9']) })).version).toBe(cluster.spec.kubernetes.version);
  });

  it('takes hosts added to cluster.yaml by hand as the new ones', () => {
    const before = staticCluster(2);
    const grown = staticSpec(3);
    const plan = added(planAddWorkers({ ...before, spec: grown }, {}));
    expect(plan.newNodes).toEqual(['worker-3']);
    expect(plan.addedHosts).toEqual([]);
  });

  it('resumes an interrupted run: a worker in the inventory without a join checkpoint is joined again', () => {
    const cluster = staticCluster(3);
    const plan = added(planAddWorkers({ ...cluster, state: joinedState(cluster.inventory, ['worker-3']) }, {}));
    expect(plan.newNodes).toEqual(['worker-3']);
    expect(plan.joined).toEqual(['worker-1', 'worker-2']);
  });

  it('refuses --count without hosts, explaining --host', () => {
    const error = usage(() => planAddWorkers(staticCluster(2), { count: 2 }));
    expect(error.code).toBe('HostsRequired');
    expect(error.hint).toMatch(/--host ADDRESS/);
  });

  it('refuses --count that does not match the hosts, --count with --total, --count 0', () => {
    expect(usage(() => planAddWorkers(staticCluster(2), { count: 2, hosts: hostFlags(['10.0.9.9']) })).code).toBe('CountMismatch');
    expect(usage(() => planAddWorkers(staticCluster(2), { count: 1, total: 3 })).code).toBe('CountAndTotal');
    expect(usage(() => planAddWorkers(staticCluster(2), { count: 0 })).code).toBe('InvalidCount');
  });

  it('refuses --total below the current count, pointing to remove-workers; equal is nothing to do', () => {
    const error = usage(() => planAddWorkers(staticCluster(4), { total: 3 }));
    expect(error.code).toBe('TotalBelowCurrent');
    expect(error.hint).toContain('remove-workers --count 1');
    expect(planAddWorkers(staticCluster(4), { total: 4 }).kind).toBe('nothing');
    expect(planAddWorkers(staticCluster(4), {}).kind).toBe('nothing');
  });

  it('refuses hosts already in the cluster, names in use, duplicates and malformed --host (naming --host)', () => {
    expect(usage(() => planAddWorkers(staticCluster(2), { hosts: hostFlags(['10.0.1.1']) })).code).toBe('HostAlreadyInCluster');
    expect(usage(() => planAddWorkers(staticCluster(2), { hosts: hostFlags(['10.0.9.9,name=worker-1']) })).code).toBe('DuplicateNodeName');
    expect(usage(() => planAddWorkers(staticCluster(2), { hosts: hostFlags(['10.0.9.9', '10.0.9.9']) })).code).toBe('DuplicateHost');
    const bad = usage(() => planAddWorkers(staticCluster(2), { hosts: hostFlags(['10.0.9.9,colour=blue']) }));
    expect(bad.message).toContain('--host');
    expect(bad.message).not.toContain('--worker-host');
  });

  it('refuses a hostile node name before anything runs', () => {
    expect(() => planAddWorkers(staticCluster(1), { hosts: hostFlags(['10.0.9.9,name=a; rm -rf /']) })).toThrow(UsageError);
  });
});

describe('planAddWorkers on a cloud cluster', () => {
  const cloud = (workers: number) => {
    const inventory = awsInventory(workers);
    return { spec: awsSpec(workers), inventory, state: joinedState(inventory) };
  };

  it('--count N raises the Terraform worker count by N', () => {
    const plan = added(planAddWorkers(cloud(2), { count: 2 }));
    expect(plan).toMatchObject({ cloud: true, machinesToCreate: 2, targetCount: 4, newNodes: [] });
    expect(plan.target.workers.count).toBe(4);
  });

  it('--total sets the count; below the current is refused', () => {
    expect(added(planAddWorkers(cloud(2), { total: 5 })).machinesToCreate).toBe(3);
    expect(usage(() => planAddWorkers(cloud(3), { total: 2 })).code).toBe('TotalBelowCurrent');
    expect(planAddWorkers(cloud(3), { total: 3 }).kind).toBe('nothing');
  });

  it('repeating an interrupted --count 2 finishes it instead of adding two more', () => {
    const inventory = awsInventory(4);
    const cluster = { spec: awsSpec(4), inventory, state: joinedState(inventory, ['demo-worker-3', 'demo-worker-4']) };
    const plan = added(planAddWorkers(cluster, { count: 2 }));
    expect(plan).toMatchObject({ machinesToCreate: 0, targetCount: 4, newNodes: ['demo-worker-3', 'demo-worker-4'] });
  });

  it('refuses --host', () => {
    expect(usage(() => planAddWorkers(cloud(2), { hosts: hostFlags(['10.0.0.9']) })).code).toBe('HostOnCloud');
  });
});

describe('planRemoveWorkers', () => {
  it('--node drops the host from cluster.yaml and writes every remaining name out', () => {
    const plan = removal(planRemoveWorkers(staticCluster(3), { nodes: ['worker-2'] }));
    expect(plan.remove.map((n) => n.name)).toEqual(['worker-2']);
    expect(plan.remaining).toEqual(['worker-1', 'worker-3']);
    // worker-3 keeps its name although it moved up one place.
    expect(inventoryFromSpec(plan.target).workers.map((w) => w.name)).toEqual(['worker-1', 'worker-3']);
    expect(plan.target.workers.count).toBe(2);
    expect(plan.targetInventory.workers.map((w) => w.name)).toEqual(['worker-1', 'worker-3']);
  });

  it('--count takes the newest first', () => {
    expect(removal(planRemoveWorkers(staticCluster(3), { count: 2 })).remove.map((n) => n.name)).toEqual(['worker-3', 'worker-2']);
    expect(usage(() => planRemoveWorkers(staticCluster(3), { count: 4 })).code).toBe('CountTooHigh');
  });

  it('refuses control planes', () => {
    const error = usage(() => planRemoveWorkers(staticCluster(2), { nodes: ['cp-1'] }));
    expect(error.code).toBe('ControlPlaneRemoval');
  });

  it('refuses to go below workers.min unless --force', () => {
    const cluster = staticCluster(2, { workers: { min: 2 } });
    const error = usage(() => planRemoveWorkers(cluster, { nodes: ['worker-1'] }));
    expect(error.code).toBe('BelowMinimum');
    expect(error.hint).toContain('--force');
    expect(removal(planRemoveWorkers(cluster, { nodes: ['worker-1'], force: true })).remaining).toEqual(['worker-2']);
  });

  it('a worker that is already gone is reported, not an error', () => {
    const decision = planRemoveWorkers(staticCluster(2), { nodes: ['worker-9'] });
    expect(decision).toMatchObject({ kind: 'nothing' });
    expect(decision.kind === 'nothing' && decision.message).toMatch(/worker-9 is not a worker .*already removed/);
    expect(removal(planRemoveWorkers(staticCluster(2), { nodes: ['worker-9', 'worker-2'] })).alreadyGone).toEqual(['worker-9']);
  });

  it('needs --node or --count, not both', () => {
    expect(usage(() => planRemoveWorkers(staticCluster(2), {})).code).toBe('NothingToRemove');
    expect(usage(() => planRemoveWorkers(staticCluster(2), { nodes: ['worker-1'], count: 1 })).code).toBe('NodeAndCount');
  });

  it('on a cloud provider only the newest workers can go (Terraform removes the highest index)', () => {
    const cluster = { spec: awsSpec(3), inventory: awsInventory(3) };
    const error = usage(() => planRemoveWorkers(cluster, { nodes: ['demo-worker-1'] }));
    expect(error.code).toBe('NotNewestWorkers');
    expect(error.hint).toContain('--count 1');
    const plan = removal(planRemoveWorkers(cluster, { nodes: ['demo-worker-2', 'demo-worker-3'] }));
    expect(plan.remove.map((n) => n.name)).toEqual(['demo-worker-3', 'demo-worker-2']);
    expect(plan.target.workers.count).toBe(1);
  });
});

describe('reviewing the Terraform plan', () => {
  it('add-workers accepts only creations, on Exoscale too (no worker pool grows in place any more)', () => {
    const changes = [
      { address: 'aws_instance.worker[2]', action: 'create' as const },
      { address: 'data.aws_ami.ubuntu', action: 'read' as const },
    ];
    expect(nonAdditions(changes, 'aws')).toEqual([]);
    expect(nonAdditions([{ address: 'exoscale_compute_instance.worker[2]', action: 'create' as const }], 'exoscale')).toEqual([]);
    const pool = { address: 'exoscale_instance_pool.workers[0]', action: 'update' as const };
    expect(nonAdditions([pool], 'exoscale')).toEqual([pool]);
    const network = { address: 'exoscale_private_network.nodes', action: 'update' as const };
    expect(nonAdditions([network], 'exoscale')).toEqual([network]);
    const replace = { address: 'aws_instance.control_plane["1"]', action: 'replace' as const, reason: 'ami changed' };
    expect(nonAdditions([...changes, replace], 'aws')).toEqual([replace]);
  });

  it('remove-workers accepts only destroying workers', () => {
    expect(nonRemovals([{ address: 'aws_instance.worker[2]', action: 'delete' as const }], 'aws')).toEqual([]);
    const cp = { address: 'aws_instance.control_plane["1"]', action: 'delete' as const };
    expect(nonRemovals([cp], 'aws')).toEqual([cp]);
    // The Exoscale pool shrink, where Exoscale picked the member, is no longer accepted.
    const pool = { address: 'exoscale_instance_pool.workers[0]', action: 'update' as const };
    expect(nonRemovals([pool], 'exoscale')).toEqual([pool]);
  });

  it('remove-workers on Exoscale destroys exactly the drained machine: the plan, the Terraform index and the name agree', () => {
    const cluster = { spec: exoscaleSpec(3), inventory: awsInventory(3) };
    // Only the newest (highest index) can go, as on AWS and OpenStack.
    expect(usage(() => planRemoveWorkers(cluster, { nodes: ['demo-worker-2'] })).code).toBe('NotNewestWorkers');
    const plan = removal(planRemoveWorkers(cluster, { nodes: ['demo-worker-3'] }));
    expect(plan.remove.map((n) => n.name)).toEqual(['demo-worker-3']);
    expect(plan.target.workers.count).toBe(2);
    const indexes = workerIndexes(cluster.inventory, plan.remove);
    expect(indexes).toEqual([2]);
    // exoscale_compute_instance.worker[2] is named demo-worker-3 (count.index + 1, nodes.tf).
    const drained = { address: 'exoscale_compute_instance.worker[2]', action: 'delete' as const };
    expect(nonRemovals([drained], 'exoscale', indexes)).toEqual([]);
    // A plan that would destroy any other worker is refused before anything is applied.
    const other = { address: 'exoscale_compute_instance.worker[1]', action: 'delete' as const };
    expect(nonRemovals([drained, other], 'exoscale', indexes)).toEqual([other]);
    const otherRule = { address: 'aws_vpc_security_group_ingress_rule.lb_worker[0]', action: 'delete' as const };
    expect(nonRemovals([otherRule], 'aws', indexes)).toEqual([otherRule]);
  });

  it('the refusal lists the whole plan', () => {
    const changes = [
      { address: 'aws_instance.worker[2]', action: 'create' as const },
      { address: 'aws_lb.api', action: 'update' as const },
    ];
    const error = refusedPlanError('add-workers', nonAdditions(changes, 'aws'), changes);
    expect(error).toBeInstanceOf(ExternalToolError);
    expect(error.message).toContain('update aws_lb.api');
    expect(error.details.join('\n')).toContain('create  aws_instance.worker[2]');
  });
});

describe('nextWorkerIndex', () => {
  it('is one past the highest worker-N and never below the count + 1', () => {
    expect(nextWorkerIndex(['cp-1', 'worker-1', 'worker-7'], 2)).toBe(8);
    expect(nextWorkerIndex(['cp-1', 'big-1', 'big-2'], 2)).toBe(3);
  });
});

describe('the plan text shown before confirmation', () => {
  it('add-workers names the new nodes, what runs on the first control plane, and the untouched nodes', () => {
    const cluster = staticCluster(2);
    const text = formatAddPlan(cluster, added(planAddWorkers(cluster, { hosts: hostFlags(['10.0.9.9']) })));
    expect(text).toContain('2 → 3 workers');
    expect(text).toContain('new host worker-3: 10.0.9.9');
    expect(text).toMatch(/on cp-1: kubeadm token create --print-join-command/);
    expect(text).toContain('untouched (worker-1, worker-2)');
    // The steps are the run's: only the new worker is prepared, joined and waited for.
    expect(text).toMatch(/Prepare worker-3: swap off, kernel modules, .*\s+ssh\s+worker-3$/m);
    expect(text).toMatch(/kubeadm join on worker-3\s+kubeadm\s+worker-3$/m);
    expect(text).toMatch(/Wait until 1 node is Ready/);
    expect(text).not.toMatch(/(Prepare|join on) worker-[12]\b/);
  });

  it('add-workers lists the run\'s steps: preflight, the new workers, verify, kubeconfig', () => {
    const cluster = staticCluster(2);
    const plan = added(planAddWorkers(cluster, { hosts: hostFlags(['10.0.9.9', '10.0.9.10']) }));
    expect(describeAddPlan(cluster, plan).map((step) => step.id)).toEqual([
      'preflight:ssh', 'prepare:worker-3', 'prepare:worker-4', 'join:worker-3', 'join:worker-4', 'verify', 'verify:etcd', 'verify:network', 'kubeconfig',
    ]);
  });

  it('add-workers on a cloud provider shows the Terraform count change', () => {
    const inventory = awsInventory(2);
    const cluster = { spec: awsSpec(2), inventory, state: joinedState(inventory) };
    const plan = added(planAddWorkers(cluster, { count: 3 }));
    const text = formatAddPlan(cluster, plan);
    expect(text).toContain('terraform: workers.count 2 → 5 (3 new machine(s)); the plan must only add');
    // The new machines by the names Terraform gives them; the image is built once for the cluster.
    const ids = describeAddPlan(cluster, plan).map((step) => step.id);
    expect(ids.slice(0, 3)).toEqual(['preflight', 'image', 'infrastructure']);
    expect(ids.filter((id) => id.startsWith('join:'))).toEqual(['join:demo-worker-3', 'join:demo-worker-4', 'join:demo-worker-5']);
  });

  it('remove-workers lists drain, delete and reset per node and what leaves the files', () => {
    const cluster = staticCluster(3);
    const plan = removal(planRemoveWorkers(cluster, { nodes: ['worker-2', 'worker-7'] }));
    const text = formatRemovePlan(cluster, plan, 5 * 60_000);
    expect(text).toMatch(/Drain worker-2: kubectl drain --ignore-daemonsets on cp-1, timeout 5m\s+kubectl\s+worker-2$/m);
    expect(text).toMatch(/kubectl delete node worker-2: on cp-1\s+kubectl\s+worker-2$/m);
    // The order of the run (the kubeadm docs): drain (checked for budgets before, its moved
    // workloads available again after), reset, delete; then the rest must be Ready.
    expect(describeRemovePlan(cluster, plan, 5 * 60_000).map((step) => step.id)).toEqual([
      'remove-disruption:worker-2',
      'remove-drain:worker-2',
      'remove-available:worker-2',
      'remove-reset:worker-2',
      'remove-delete:worker-2',
      'remove-workers:verify',
    ]);
    // Without a read of the cluster (the unit has none) the plan says the drains check for themselves.
    expect(text).toContain('PodDisruptionBudgets and workloads: not read (each drain checks them before it cordons)');
    expect(text).toMatch(/--availability-timeout 10m/);
    expect(text).toContain('drop worker-2');
    expect(text).toContain('worker-7: not a worker of this cluster');
  });
});
