import { describe, expect, it } from 'vitest';
import { createRenderer } from '../../../src/ui/create-renderer.js';
import { fixedEvents } from './event-fixture.js';
import { FakeStream, stripAnsi } from '../../helpers/fake-stream.js';

async function render(mode: 'tty' | 'plain' | 'json', opts = { color: false, verbose: false }, tty = false) {
  const stdout = new FakeStream(tty);
  const stderr = new FakeStream(tty);
  const renderer = createRenderer(mode, { stdout, stderr }, opts);
  for (const event of fixedEvents()) renderer.emit(event);
  await renderer.close?.();
  return { stdout: stdout.text, stderr: stderr.text };
}

describe('json renderer', () => {
  it('prints one parseable JSON object per event on stdout and nothing on stderr', async () => {
    const { stdout, stderr } = await render('json');
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(fixedEvents().length);
    expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual(fixedEvents());
    expect(stderr).toBe('');
  });
});

describe('plain renderer', () => {
  it('prints one line per event with ISO time, group and node; output only with verbose; failure tail always', async () => {
    const { stdout, stderr } = await render('plain');
    expect(stdout).toBe('');
    const lines = stderr.trimEnd().split('\n');
    const eventLines = lines.filter((line) => !line.startsWith('    '));
    expect(eventLines).toHaveLength(fixedEvents().filter((e) => e.type !== 'output').length);
    for (const line of eventLines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[[^\]]+\] /);
    expect(stderr).toContain('2026-11-23T10:00:00.007Z [Workers] w-1: kubeadm join: started');
    expect(stderr).toContain('[Control plane] cp-1: kubeadm init: skipped (already done)');
    expect(stderr).toContain('[Workers] w-2: kubeadm join: retrying (attempt 2) in 1s: connection reset');
    expect(stderr).toMatch(/\[Workers\] w-1: kubeadm join: FAILED .*\[JoinFailed\] kubeadm join exited with 1/);
    expect(stderr).toContain('    | unable to fetch the kubeadm-config ConfigMap');
    expect(stderr).not.toContain('Running pre-flight checks');
    expect(stderr).not.toContain('\u001b[');
  });

  it('a step on no node has no "-:" placeholder (review P16)', async () => {
    const { stderr } = await render('plain');
    expect(stderr).toContain('2026-11-23T10:00:00.001Z [Preflight] check tools: started (terraform)');
    expect(stderr).not.toContain('-:');
  });

  it('shows tool output with verbose', async () => {
    const { stderr } = await render('plain', { color: false, verbose: true });
    expect(stderr).toContain('[Workers] w-1: kubeadm join: | [preflight] Running pre-flight checks');
  });

  it('colours only when asked', async () => {
    const { stderr } = await render('plain', { color: true, verbose: false });
    expect(stderr).toContain('\u001b[');
  });
});

describe('tty renderer', () => {
  it('draws the group titles, the node subtasks and the failure tail on a terminal', async () => {
    const { stdout, stderr } = await render('tty', { color: false, verbose: false }, true);
    expect(stdout).toBe('');
    const text = stripAnsi(stderr);
    const order = ['Preflight', 'Control plane', 'Workers'].map((group) => text.indexOf(group));
    for (const index of order) expect(index).toBeGreaterThanOrEqual(0);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(text).toContain('w-1: kubeadm join');
    expect(text).toContain('w-2: kubeadm join');
    expect(text).toContain('already done');
    expect(text).toContain('kubeadm join exited with 1');
    expect(text).toContain('unable to fetch the kubeadm-config ConfigMap');
  });
});

describe('tty renderer width (review P16: with stdout piped the tree wrapped at 80 columns)', () => {
  it('wraps at the width of the stream it draws on, not at process.stdout\'s', async () => {
    const stderr = new FakeStream(true);
    stderr.columns = 160;
    const stdout = new FakeStream(false);
    const renderer = createRenderer('tty', { stdout, stderr }, { color: false, verbose: false });
    const step = { group: 'Worker preparation', stepId: 'prepare:worker-1', title: 'Prepare worker-1', node: 'worker-1' };
    const reason = 'already prepared (image or earlier run), the checkpoint and the node agree, nothing to do here at all';
    renderer.emit({ type: 'phase-started', time: 1, group: step.group, concurrency: 1, steps: [{ stepId: step.stepId, title: step.title, node: step.node }] });
    renderer.emit({ type: 'skipped', time: 2, reason, ...step });
    renderer.emit({ type: 'phase-finished', time: 3, group: step.group, outcome: 'succeeded', durationMs: 2 });
    await renderer.close?.();
    // One line of about 140 characters: more than 80, less than the stream's 160.
    expect(stripAnsi(stderr.text)).toContain(`worker-1: Prepare worker-1: skipped, ${reason}`);
  });
});

describe('tty renderer and a background group (review P16: worker preparation was drawn finishing before the control plane init started)', () => {
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('draws the groups that run alongside a background group in the same tree, while they run', async () => {
    const stderr = new FakeStream(true);
    const renderer = createRenderer('tty', { stdout: new FakeStream(false), stderr }, { color: false, verbose: false });
    const prep = { group: 'Worker preparation', stepId: 'prepare:worker-1', title: 'Prepare worker-1', node: 'worker-1' };
    const init = { group: 'Control plane init', stepId: 'init:cp-1', title: 'kubeadm init on cp-1', node: 'cp-1' };
    const cni = { group: 'CNI', stepId: 'cni:calico', title: 'Install calico', node: 'cp-1' };
    const join = { group: 'Worker joins', stepId: 'join:worker-1', title: 'kubeadm join on worker-1', node: 'worker-1' };
    const announce = (ref: typeof prep, background = false) =>
      renderer.emit({ type: 'phase-started', time: 0, group: ref.group, concurrency: 1, steps: [{ stepId: ref.stepId, title: ref.title, node: ref.node }], ...(background ? { background: true as const } : {}) });
    const done = (ref: typeof prep) => {
      renderer.emit({ type: 'succeeded', time: 0, durationMs: 1, ...ref });
      renderer.emit({ type: 'phase-finished', time: 0, group: ref.group, outcome: 'succeeded', durationMs: 1 });
    };
    announce(prep, true);
    renderer.emit({ type: 'started', time: 0, ...prep });
    announce(init);
    renderer.emit({ type: 'started', time: 0, ...init });
    await pause(250);
    done(init);
    announce(cni);
    renderer.emit({ type: 'started', time: 0, ...cni });
    await pause(250);
    done(cni);
    await pause(250);
    // Only now does the worker finish its preparation; the joins wait for it, as the runner does.
    done(prep);
    announce(join);
    renderer.emit({ type: 'started', time: 0, ...join });
    done(join);
    await renderer.close?.();

    const frames = stderr.chunks.map(stripAnsi);
    const line = (frame: string, text: string) => frame.split('\n').find((l) => l.includes(text)) ?? '';
    // A frame where the control plane init and the CNI have finished while worker-1 still prepares.
    const alongside = frames.find((frame) => line(frame, 'Install calico').includes('✔') && line(frame, 'Prepare worker-1') !== '' && !line(frame, 'Prepare worker-1').includes('✔'));
    expect(alongside, frames.join('\n-----\n').slice(-3000)).toBeDefined();
    // The groups keep their level: the lane adds no level of its own.
    const indent = (text: string) => line(alongside!, text).search(/\S/);
    expect(indent('Control plane init')).toBe(indent('Worker preparation'));
    expect(indent('CNI')).toBe(indent('Worker preparation'));
    const last = frames.join('');
    expect(last).toContain('Worker joins');
  });
});
