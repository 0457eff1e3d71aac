/**
 * The commands driven the way a script drives them: through createHost, with options as data.
 * A host that answers no is refused before anything is locked or any node is asked; events from
 * outside a run reach the host redacted; paths are resolved against the host's cwd.
 */
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { emitTo, noteTo } from '../../../src/engine/host.js';
import { createHost } from '../../../src/engine/script-host.js';
import { loadCluster } from '../../../src/workflows/run/load-cluster.js';
import { addWorkers, removeWorkers } from '../../../src/workflows/index.js';
import { makeCluster, type ClusterFixture } from '../../helpers/cluster-fixture.js';

let fixture: ClusterFixture | undefined;
afterEach(async () => {
  if (fixture) await rm(fixture.cwd, { recursive: true, force: true });
  fixture = undefined;
});

describe('the commands through a script host', () => {
  it('add-workers --dry-run: a plan event with the run\'s step ids, and a result; nothing asked', async () => {
    fixture = await makeCluster('lib');
    const host = createHost({ cwd: fixture.cwd });
    const result = await addWorkers(host, { hosts: [{ address: '127.0.0.3', role: 'worker' }], dryRun: true });
    expect(result).toMatchObject({ cluster: 'lib', dryRun: true, added: [], workers: 2 });
    const plan = host.collected.find((event) => event.type === 'plan');
    expect(plan).toMatchObject({ type: 'plan', command: 'add-workers', dryRun: true });
    expect(plan?.type === 'plan' && plan.steps.map((step) => step.id)).toContain('join:worker-2');
  });

  it('a host that answers no is refused before the lock or any SSH (add-workers, remove-workers)', async () => {
    fixture = await makeCluster('lib');
    const host = createHost({ cwd: fixture.cwd });
    await expect(addWorkers(host, { hosts: [{ address: '127.0.0.3', role: 'worker' }] })).rejects.toMatchObject({ code: 'ConfirmationRequired' });
    await expect(removeWorkers(host, { nodes: ['worker-1'], force: true })).rejects.toMatchObject({ code: 'ConfirmationRequired' });
    // No run was opened: no run-started, and the cluster's lock is free for the next command.
    expect(host.collected.some((event) => event.type === 'run-started')).toBe(false);
    await expect(addWorkers(host, { hosts: [{ address: '127.0.0.3', role: 'worker' }], dryRun: true })).resolves.toMatchObject({ dryRun: true });
  });

  it('a host with a select function is interactive (an upgrade without a target asks it)', () => {
    expect(createHost().interactive).toBe(false);
    expect(createHost({ select: async (question) => question.choices[0]!.value }).interactive).toBe(true);
  });

  it('resolves --config-like paths against the host\'s cwd, not the process\'s', async () => {
    fixture = await makeCluster('lib');
    const cluster = await loadCluster(createHost({ cwd: fixture.cwd }), { config: 'clusters/lib/cluster.yaml' });
    expect(cluster.spec.name).toBe('lib');
  });
});

describe('events from outside a run', () => {
  it('reach the host redacted, like the events of a run', () => {
    const host = createHost();
    host.secrets.add('s3cr3t-token-value-0123456789');
    noteTo(host, 'the token s3cr3t-token-value-0123456789 was refused', 'warning');
    emitTo(host, { type: 'plan', time: 1, command: 'init', cluster: 'lab', dryRun: true, steps: [], text: 'uses s3cr3t-token-value-0123456789' });
    const text = JSON.stringify(host.collected);
    expect(text).not.toContain('s3cr3t-token-value-0123456789');
    expect(host.collected).toHaveLength(2);
    expect(host.collected[0]).toMatchObject({ type: 'note', level: 'warning' });
  });
});
