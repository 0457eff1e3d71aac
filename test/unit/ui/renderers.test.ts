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
