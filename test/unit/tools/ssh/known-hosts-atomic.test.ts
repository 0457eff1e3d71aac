/**
 * known_hosts goes through the project's crash-safe writer (temporary file, fsync, rename, fsync
 * of the folder), as SECURITY.md promises; a write that fails leaves the previous file whole.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import * as atomic from '../../../../src/state/atomic.js';
import { HostKeyStore } from '../../../../src/tools/ssh/known-hosts.js';

vi.mock('../../../../src/state/atomic.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../../../src/state/atomic.js')>();
  return { ...actual, writeFileAtomic: vi.fn(actual.writeFileAtomic) };
});

const blob = (tag: string) => Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, tag.length]), Buffer.from(tag)]);

describe('HostKeyStore and writeFileAtomic', () => {
  it('record and forget write the whole file with writeFileAtomic at 0600', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'k8sb-kh-')), 'known_hosts');
    const store = new HostKeyStore({ file });
    const write = vi.mocked(atomic.writeFileAtomic);
    write.mockClear();
    await store.record('203.0.113.1', 22, blob('AAAA'));
    await store.record('203.0.113.2', 22, blob('BBBB'));
    await store.forget('203.0.113.1');
    expect(write.mock.calls.map(([path, content, mode]) => [path, content, mode])).toEqual([
      [file, `203.0.113.1 ssh-ed25519 ${blob('AAAA').toString('base64')}\n`, 0o600],
      [file, `203.0.113.1 ssh-ed25519 ${blob('AAAA').toString('base64')}\n203.0.113.2 ssh-ed25519 ${blob('BBBB').toString('base64')}\n`, 0o600],
      [file, `203.0.113.2 ssh-ed25519 ${blob('BBBB').toString('base64')}\n`, 0o600],
    ]);
  });

  it('a write that fails (disk full) rejects and leaves the previous file whole', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8sb-kh-'));
    const file = join(dir, 'known_hosts');
    const before = `203.0.113.1 ssh-ed25519 ${blob('AAAA').toString('base64')}\n`;
    writeFileSync(file, before, { mode: 0o600 });
    vi.mocked(atomic.writeFileAtomic).mockRejectedValueOnce(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));
    await expect(new HostKeyStore({ file }).record('203.0.113.2', 22, blob('BBBB'))).rejects.toThrow(/ENOSPC/);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(readdirSync(dir)).toEqual(['known_hosts']);
  });
});
