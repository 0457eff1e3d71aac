/**
 * What one hostile node costs this process when it prints one endless line: peak RSS, wall time
 * and the longest event-loop stall while the SSH layer reads it. The node (test/fixtures/hostile-node,
 * on 127.0.0.1) runs in a child process so that only the client side is measured.
 * Prints figures, asserts nothing.
 *
 *   node --import tsx bench/ssh-flood.ts [MB=50] [capture|stream]
 *
 * capture: a normal exec (its stdout is kept for the result, capped); stream: captureOutput false,
 * as `k8s-bootstrap ssh NODE -- CMD` does (lines streamed and cut, nothing kept).
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { hostKeyPair, startHostileNode } from '../test/fixtures/hostile-node/hostile-node.js';
import { HostKeyStore } from '../src/tools/ssh/known-hosts.js';
import { SshPool } from '../src/tools/ssh/pool.js';

const MiB = 1024 * 1024;

async function serve(bytes: number): Promise<void> {
  const node = await startHostileNode({
    reply: () => async (channel) => {
      let closed = false;
      const gone = once(channel, 'close').then(() => (closed = true));
      const chunk = Buffer.alloc(256 * 1024, 'x');
      for (let sent = 0; sent < bytes && !closed; sent += chunk.length) {
        if (!channel.write(chunk.subarray(0, Math.min(chunk.length, bytes - sent)))) await Promise.race([once(channel, 'drain'), gone]);
      }
      if (closed) return;
      channel.write('\n');
      channel.exit(0);
      channel.end();
    },
  });
  process.send!(node.port);
}

async function measure(megabytes: number, mode: 'capture' | 'stream'): Promise<void> {
  const server = fork(process.argv[1]!, ['--serve', String(megabytes)], { execArgv: process.execArgv });
  const [port] = (await once(server, 'message')) as [number];
  const work = mkdtempSync(join(tmpdir(), 'k8sb-bench-flood-'));
  const key = join(work, 'client_key');
  writeFileSync(key, hostKeyPair().privateKey, { mode: 0o600 });
  const pool = new SshPool({ user: 'root', privateKeyPath: key, knownHosts: new HostKeyStore({ file: join(work, 'known_hosts') }), pinNew: true, readyWaitMs: 10_000 });
  const session = await pool.connect({ name: 'flood-node', host: '127.0.0.1', port });

  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const stalls = monitorEventLoopDelay({ resolution: 10 });
  stalls.enable();
  let lines = 0;
  let longest = 0;
  const started = performance.now();
  let outcome: string;
  try {
    const result = await session.exec(['flood'], {
      timeoutMs: 120_000,
      captureOutput: mode === 'stream' ? false : undefined,
      onLine: (line) => {
        lines++;
        longest = Math.max(longest, line.length);
      },
    });
    outcome = `exit ${result.code}, stdout kept: ${result.stdout.length} chars`;
  } catch (error) {
    outcome = `${(error as { code?: string }).code ?? 'Error'}: ${(error as Error).message}`;
  }
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  stalls.disable();
  peak = Math.max(peak, process.memoryUsage().rss);

  console.log(`${megabytes} MB on one line, mode ${mode}`);
  console.log(`  outcome:               ${outcome}`);
  console.log(`  wall time:             ${seconds.toFixed(2)} s`);
  console.log(`  RSS before / peak:     ${(before / MiB).toFixed(0)} MiB / ${(peak / MiB).toFixed(0)} MiB (sampled every 10 ms)`);
  console.log(`  max RSS of process:    ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB (getrusage, whole run)`);
  console.log(`  longest loop stall:    ${(stalls.max / 1e6).toFixed(0)} ms`);
  console.log(`  lines streamed:        ${lines}, longest ${longest} chars`);

  await pool.closeAll();
  server.kill();
  rmSync(work, { recursive: true, force: true });
}

if (process.argv[2] === '--serve') {
  await serve(Number(process.argv[3]) * MiB);
} else {
  const megabytes = Number(process.argv[2] ?? 50);
  const mode = process.argv[3] === 'stream' ? 'stream' : 'capture';
  await measure(megabytes, mode);
}
