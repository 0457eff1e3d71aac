/**
 * --ssh-timeout is honoured to the second (review P16: `--ssh-timeout 15s` gave up after 7 s,
 * because the backoff stopped as soon as its next sleep would pass the deadline). A refused port
 * on loopback fails every attempt at once, so the time the pool waits is all backoff.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HostKeyStore } from '../../../../src/tools/ssh/known-hosts.js';
import { SshPool } from '../../../../src/tools/ssh/pool.js';

const work = mkdtempSync(join(tmpdir(), 'k8sb-pool-deadline-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('SshPool waiting for a node that refuses connections', () => {
  it('keeps trying until the whole readyWaitMs has passed, then names the node and the time', async () => {
    const pool = new SshPool({
      user: 'nobody',
      // Never asked: the TCP connection is refused before authentication.
      agent: join(work, 'no-agent.sock'),
      knownHosts: new HostKeyStore({ file: join(work, 'known_hosts') }),
      readyWaitMs: 4_000,
      connectTimeoutMs: 1_000,
    });
    const started = Date.now();
    // Port 1 (tcpmux) is closed on loopback: ECONNREFUSED at once.
    const error = await pool.connect({ name: 'worker-9', host: '127.0.0.1', port: 1 }).catch((e: unknown) => e);
    const waited = Date.now() - started;
    expect(error).toMatchObject({ code: 'SshUnreachable' });
    // Backoff 1 s, 2 s, then the remaining 1 s and one last attempt (the old code stopped at 3 s).
    expect(waited).toBeGreaterThanOrEqual(3_900);
    expect(waited).toBeLessThan(6_000);
    expect((error as Error).message).toMatch(/worker-9 \(\[127\.0\.0\.1\]:1\) did not accept an SSH session within 4s/);
    await pool.closeAll();
  }, 15_000);
});
