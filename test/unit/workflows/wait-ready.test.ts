/**
 * Verify: waits until every node is Ready at the expected version, and when time runs out names
 * each node that is not, with why (its Ready condition) and its kubelet's last lines.
 */
import { describe, expect, it } from 'vitest';
import { SshNodeOps } from '../../../src/nodes/ssh-node-ops.js';
import { SecretSet } from '../../../src/engine/redact.js';
import { ClusterDir } from '../../../src/state/cluster-dir.js';
import { validateSpec } from '../../../src/config/validate/index.js';
import type { StepContext } from '../../../src/engine/step.js';
import type { Topology } from '../../../src/nodes/topology.js';

const node = (name: string, ready: boolean, version = 'v1.37.1', message?: string) => ({
  metadata: { name, creationTimestamp: '2026-11-23T10:00:00Z', labels: name.startsWith('cp') ? { 'node-role.kubernetes.io/control-plane': '' } : {} },
  spec: {},
  status: {
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'KubeletReady' : 'KubeletNotReady', message }],
    nodeInfo: { kubeletVersion: version },
    addresses: [{ type: 'InternalIP', address: '10.0.0.1' }],
  },
});

/** A pool whose sessions answer from a script keyed by node and command. */
function fakePool(answer: (node: string, command: string) => { code: number; stdout: string; stderr?: string }) {
  const calls: string[] = [];
  return {
    calls,
    session: ({ name }: { name: string }) => ({
      exec: async (argv: string[]) => {
        const command = argv.join(' ');
        calls.push(`${name}: ${command}`);
        const result = answer(name, command);
        return { code: result.code, stdout: result.stdout, stderr: result.stderr ?? '' };
      },
    }),
  };
}

const topology: Topology = {
  apiEndpoint: '10.0.0.1:6443',
  sshUser: 'ubuntu',
  controlPlanes: [{ name: 'cp-1', role: 'control-plane', host: '192.0.2.1', port: 22, privateIp: '10.0.0.1' }],
  workers: [
    { name: 'worker-1', role: 'worker', host: '192.0.2.2', port: 22, privateIp: '10.0.0.2' },
    { name: 'worker-2', role: 'worker', host: '192.0.2.3', port: 22, privateIp: '10.0.0.3' },
  ],
};

const ctx = (): StepContext & { progressSeen: string[] } => {
  const progressSeen: string[] = [];
  return { signal: new AbortController().signal, attempt: 1, output: () => undefined, progress: (d, t, m) => progressSeen.push(`${d}/${t} ${m ?? ''}`), progressSeen };
};

function opsWith(pool: ReturnType<typeof fakePool>) {
  const spec = validateSpec({ apiVersion: 'k8s-bootstrap.io/v1alpha1', kind: 'Cluster', name: 'v', provider: { name: 'static', hosts: [{ address: '192.0.2.1', role: 'control-plane' }] } });
  return new SshNodeOps({ spec, dir: new ClusterDir('/nonexistent'), pool: pool as never, secrets: new SecretSet() });
}

describe('waitReady', () => {
  it('returns once every node is Ready at the version', async () => {
    let polls = 0;
    const pool = fakePool((_node, command) => {
      if (command.includes('get nodes')) {
        polls += 1;
        return { code: 0, stdout: JSON.stringify({ items: [node('cp-1', true), node('worker-1', true), node('worker-2', polls > 1)] }) };
      }
      return { code: 0, stdout: '' };
    });
    const c = ctx();
    await opsWith(pool).waitReady(topology.controlPlanes[0]!, topology, ['cp-1', 'worker-1', 'worker-2'], '1.37.1', 30_000, c);
    expect(polls).toBe(2);
    expect(c.progressSeen.at(-1)).toBe('3/3 all Ready');
  });

  it('names every node that is not Ready, why, and its kubelet journal', async () => {
    const pool = fakePool((name, command) => {
      if (command.includes('get nodes')) {
        return { code: 0, stdout: JSON.stringify({ items: [node('cp-1', true), node('worker-1', false, 'v1.37.1', 'container runtime network not ready')] }) };
      }
      if (command.startsWith('journalctl')) return { code: 0, stdout: `${name} kubelet line 1\n${name} kubelet line 2\n` };
      return { code: 0, stdout: '' };
    });
    const error = (await opsWith(pool)
      .waitReady(topology.controlPlanes[0]!, topology, ['cp-1', 'worker-1', 'worker-2'], '1.37.1', 0, ctx())
      .then(() => undefined, (e: unknown) => e)) as { code: string; message: string; details: string[] };
    expect(error).toMatchObject({ code: 'NodesNotReady' });
    expect(error.message).toMatch(/2 nodes are not Ready after 0s: worker-1, worker-2/);
    expect(error.details).toEqual([
      'worker-1: NotReady: container runtime network not ready',
      '  worker-1 kubelet: worker-1 kubelet line 1',
      '  worker-1 kubelet: worker-1 kubelet line 2',
      'worker-2: not registered with the API server',
      '  worker-2 kubelet: worker-2 kubelet line 1',
      '  worker-2 kubelet: worker-2 kubelet line 2',
    ]);
    expect(pool.calls.filter((c) => c.includes('journalctl')).map((c) => c.split(':')[0])).toEqual(['worker-1', 'worker-2']);
  });

  // Review P16: for ten minutes the progress repeated "0/3 waiting for cp-1, worker-1, worker-2".
  const CNI_MISSING = 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized';

  it('says while it waits why the nodes are not Ready, once when they share the reason', async () => {
    let polls = 0;
    const pool = fakePool(() => {
      polls += 1;
      const ready = polls > 1;
      return { code: 0, stdout: JSON.stringify({ items: ['cp-1', 'worker-1', 'worker-2'].map((name) => node(name, ready, 'v1.37.1', ready ? undefined : CNI_MISSING)) }) };
    });
    const c = ctx();
    await opsWith(pool).waitReady(topology.controlPlanes[0]!, topology, ['cp-1', 'worker-1', 'worker-2'], '1.37.1', 30_000, c);
    expect(c.progressSeen).toEqual(['0/3 waiting for cp-1, worker-1, worker-2: NotReady, cni plugin not initialized', '3/3 all Ready']);
  });

  it('names each node\'s own reason when they differ', async () => {
    const pool = fakePool(() => ({ code: 0, stdout: JSON.stringify({ items: [node('cp-1', true, 'v1.36.2'), node('worker-1', false, 'v1.37.1', CNI_MISSING)] }) }));
    const c = ctx();
    await opsWith(pool).waitReady(topology.controlPlanes[0]!, topology, ['cp-1', 'worker-1', 'worker-2'], '1.37.1', 0, c).catch(() => undefined);
    expect(c.progressSeen).toEqual([
      '0/3 waiting for cp-1 (runs v1.36.2, expected v1.37.1), worker-1 (NotReady, cni plugin not initialized), worker-2 (not registered yet)',
    ]);
  });

  it('a Ready node at another version is not done', async () => {
    const pool = fakePool(() => ({ code: 0, stdout: JSON.stringify({ items: [node('cp-1', true, 'v1.36.2')] }) }));
    const error = (await opsWith(pool)
      .waitReady(topology.controlPlanes[0]!, topology, ['cp-1'], '1.37.1', 0, ctx())
      .then(() => undefined, (e: unknown) => e)) as { details: string[] };
    expect(error.details[0]).toBe('cp-1: runs v1.36.2, expected v1.37.1');
  });
});
