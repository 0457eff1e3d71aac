import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../../src/engine/events.js';
import { LogFileSink, logFilePath } from '../../../src/engine/log-file.js';
import { createRedactor } from '../../../src/engine/redact.js';

describe('LogFileSink', () => {
  it('writes every event as a timestamped, redacted line into a 0600 file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'k8sb-log-'));
    const path = logFilePath(join(dir, 'logs'), new Date('2026-11-23T10:00:00.000Z'));
    expect(path).toBe(join(dir, 'logs', '2026-11-23T10-00-00-000Z.log'));
    const log = LogFileSink.open(path);
    expect(log.path).toBe(path);
    const bus = new EventBus();
    bus.addTransform(createRedactor(() => ['cloud-secret-xyz']));
    bus.addSink(log);
    const ref = { stepId: 'join:w1', group: 'Workers', title: 'join', node: 'w1' };
    const t = Date.parse('2026-11-23T10:00:01.000Z');
    bus.emit({ type: 'started', time: t, ...ref });
    bus.emit({ type: 'output', time: t, line: 'kubeadm join --token abcdef.0123456789abcdef', stream: 'stdout', ...ref });
    bus.emit({ type: 'output', time: t, line: 'using cloud-secret-xyz', stream: 'stderr', ...ref });
    bus.emit({ type: 'failed', time: t, durationMs: 5, error: { code: 'JoinFailed', message: 'join failed', details: ['tail line 1'] }, ...ref });
    await bus.close();
    log.emit({ type: 'started', time: t, ...ref }); // after close: ignored, no throw

    const text = await readFile(path, 'utf8');
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    for (const line of lines) expect(line).toMatch(/^2026-11-23T10:00:01\.000Z /);
    expect(text).toContain('[Workers] w1: join: | kubeadm join --token [REDACTED]');
    expect(text).toContain('tail line 1');
    expect(text).not.toContain('abcdef.0123456789abcdef');
    expect(text).not.toContain('cloud-secret-xyz');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });
});
