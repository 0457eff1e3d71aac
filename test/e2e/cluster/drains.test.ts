/**
 * Safe drains end to end on the simulated fleet (1 control plane + 2 workers, one init):
 * - a PodDisruptionBudget (minAvailable 1) over the only pod of a Deployment: the dry-run plan of
 *   remove-workers names it and the single-replica workload; the real run fails before the cordon
 *   naming the budget and its pod, and the worker is not left cordoned;
 * - upgrade with a Deployment whose moved pods need a few seconds to be available again: after the
 *   first worker is back, the run waits for it before the second worker's batch starts;
 * - a workload that never becomes available again fails remove-workers with its name after
 *   --availability-timeout, before the worker is reset.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Fleet } from '../../fleet/fleet.js';
import { cli, failureText, fleetSkipReason, initArgs, nodesSeenBy, preparedFleetOf, tempDir } from './cluster-helpers.js';
import { upgradeArgs } from './upgrade-helpers.js';

const skip = fleetSkipReason();

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

const budget = (name: string) => `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: ${name}
  namespace: default
spec:
  minAvailable: 1
  selector:
    matchLabels: {app: ${name}}
`;

interface Pod { metadata: { name: string }; spec: { nodeName?: string } }

describe.skipIf(skip)('safe drains on a static 1+2 cluster', () => {
  let fleet: Fleet;
  let cwd: string;
  let dir: string;
  let init: Awaited<ReturnType<typeof cli>>;
  const global = () => ['--dir', dir, '--output', 'plain'];

  /** kubectl as root on cp-1 over plain OpenSSH, with stdin. */
  const kubectl = (args: string, input?: string) => {
    const cp = fleet.node('cp-1');
    return execFileSync(
      'ssh',
      ['-i', fleet.privateKeyPath, '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-p', String(cp.port), `${fleet.sshUser}@${cp.address}`, `sudo -n kubectl --kubeconfig /etc/kubernetes/admin.conf ${args}`],
      { encoding: 'utf8', timeout: 30_000, ...(input !== undefined ? { input } : {}) },
    );
  };
  const podsOf = (app: string) => (JSON.parse(kubectl('get pods -n default -o json')) as { items: Pod[] }).items.filter((p) => p.metadata.name.startsWith(`${app}-`));

  beforeAll(async () => {
    fleet = await preparedFleetOf(1, 2, '1.36.2', { evictRetryMs: 500 });
    cwd = tempDir('e2e-drains');
    dir = join(cwd, 'cluster');
    init = await cli(initArgs(fleet, { name: 'drains', dir, extra: ['--kubernetes-version', '1.36.2'] }), cwd);
  }, 300_000);

  afterAll(() => fleet?.stop());

  it('a PDB over the only pod on a worker: the plan names it, the run fails before the cordon naming the budget and its pod', async () => {
    expect(init.code, failureText(init)).toBe(0);
    kubectl('apply -f -', deployment('solo', 1));
    kubectl('apply -f -', budget('solo'));
    const [pod] = podsOf('solo');
    const node = pod!.spec.nodeName!;
    expect(node).toMatch(/^worker-/);

    const plan = await cli([...global(), 'remove-workers', '--node', node, '--force', '--dry-run'], cwd);
    expect(plan.code, failureText(plan)).toBe(0);
    const described = `PodDisruptionBudget default/solo (minAvailable 1; 1 healthy of 1, 1 needed, disruptionsAllowed 0) covers pod default/${pod!.metadata.name} on ${node}`;
    expect(plan.stdout + plan.stderr).toContain(`warning: ${node}: blocks the drain: ${described}`);
    expect(plan.stdout + plan.stderr).toContain(`warning: ${node}: Deployment default/solo has 1 replica`);

    const drainsBefore = fleet.toolCallsOn('cp-1').filter((c) => c.includes(' drain ')).length;
    const run = await cli([...global(), 'remove-workers', '--node', node, '--force', '--yes'], cwd);
    expect(run.code, failureText(run)).toBe(1);
    expect(run.stderr).toContain(`Draining ${node} would be blocked by a PodDisruptionBudget that allows no disruption now; nothing was cordoned`);
    expect(run.stderr).toContain(described);
    expect(run.stderr).toMatch(/kubectl scale deployment\/solo -n default --replicas=N/);
    expect(run.stderr).toContain('--wait-for-budgets');
    // No drain ran, and the worker is schedulable and still part of the cluster.
    expect(fleet.toolCallsOn('cp-1').filter((c) => c.includes(' drain ')).length).toBe(drainsBefore);
    const seen = (await nodesSeenBy(fleet)).find((n) => n.name === node);
    expect(seen?.unschedulable).toBe(false);

    kubectl('delete pdb solo -n default');
    kubectl('delete deployment solo -n default');
  });

  it('upgrade waits, after each worker, until the Deployment it moved is available again before the next worker', async () => {
    const delayS = 6;
    kubectl('apply -f -', deployment('slow', 2, { 'fleet.k8sb/ready-after-seconds': String(delayS) }));
    const run = await cli(upgradeArgs(dir, ['--to', '1.37.1', '--availability-timeout', '1m']), cwd);
    expect(run.code, failureText(run)).toBe(0);

    const events = fleet.events().filter((e) => e.kind === 'tool');
    const evictions = fleet.api().history.filter((h) => h.op === 'evict' && String(h.detail?.name).startsWith('slow-') && h.detail?.node === 'worker-1');
    expect(evictions.length).toBeGreaterThan(0);
    const availableAt = Date.parse(evictions.at(-1)!.time) + delayS * 1000;
    const time = (e: { startedAt?: string; time: string }) => Date.parse(e.startedAt ?? e.time);
    const uncordon1 = events.find((e) => e.node === 'cp-1' && /kubectl .*uncordon worker-1$/.test(e.command))!;
    const worker2 = events.find((e) => e.node === 'worker-2' && time(e) > time(uncordon1) && /kubeadm|apt/.test(e.command))!;
    const drain2 = events.find((e) => e.node === 'cp-1' && /kubectl .*drain worker-2 /.test(e.command))!;
    // worker-1 was back before the moved pod was available: the run waited (polling the workloads) …
    expect(Date.parse(uncordon1.time)).toBeLessThan(availableAt);
    const polls = events.filter((e) => e.node === 'cp-1' && e.command.includes('get deployments,statefulsets -A -o json') && time(e) > time(uncordon1) && time(e) < time(worker2));
    expect(polls.length).toBeGreaterThan(1);
    // … and worker-2's batch started only once it was available.
    expect(time(worker2)).toBeGreaterThanOrEqual(availableAt);
    expect(time(drain2)).toBeGreaterThan(time(worker2));
    expect(run.stdout + run.stderr).toMatch(/Workloads moved off worker-1 available again/);
    kubectl('delete deployment slow -n default');
  });

  it('a workload that never becomes available again fails remove-workers with its name after --availability-timeout, before the reset', async () => {
    kubectl('apply -f -', deployment('stuck', 1, { 'fleet.k8sb/ready-after-seconds': 'never' }));
    const node = podsOf('stuck')[0]!.spec.nodeName!;
    const started = Date.now();
    const run = await cli([...global(), 'remove-workers', '--node', node, '--force', '--yes', '--availability-timeout', '3s'], cwd);
    expect(run.code, failureText(run)).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`After ${node}: (.*, )?Deployment default/stuck \\(0/1 available\\)(, .*)? not available again within --availability-timeout \\(3s\\)`));
    expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
    expect(fleet.toolCallsOn(node).filter((c) => c.startsWith('kubeadm reset'))).toEqual([]);
    expect((await nodesSeenBy(fleet)).map((n) => n.name)).toContain(node);
  });
});
