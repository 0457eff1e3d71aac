import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HostKeyStore } from '../../../../src/tools/ssh/known-hosts.js';
import { SshPool, type NodeAddress, type SshPoolOptions } from '../../../../src/tools/ssh/pool.js';
import { missingRequirement } from '../../../helpers/require-tool.js';
import { sshdAvailable, TEST_USER, TestSshd } from '../../../helpers/sshd-harness.js';

const skip = missingRequirement(sshdAvailable(), 'SSH layer tests need root and OpenSSH sshd (apt-get install openssh-server)');

describe.skipIf(skip)('SshPool against a real sshd', () => {
  let sshd: TestSshd;
  let work: string;
  const pools: SshPool[] = [];

  beforeAll(async () => {
    sshd = await TestSshd.start(6);
    work = mkdtempSync(join(tmpdir(), 'k8sb-ssh-test-'));
    // The test user's commands write markers here.
    chmodSync(work, 0o1777);
  });

  afterAll(async () => {
    await sshd?.dispose();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  afterEach(async () => {
    for (const pool of pools.splice(0)) await pool.closeAll();
  });

  let storeCounter = 0;
  function newPool(overrides: Partial<SshPoolOptions> = {}): SshPool {
    const pool = new SshPool({
      user: TEST_USER,
      privateKeyPath: sshd.clientKey,
      knownHosts: new HostKeyStore({ file: join(work, `known_hosts_${storeCounter++}`) }),
      connectTimeoutMs: 5000,
      readyWaitMs: 5000,
      // These tests stand for init: first contact pins.
      pinNew: true,
      ...overrides,
    });
    pools.push(pool);
    return pool;
  }

  const node = (index = 0, name = `node-${index}`): NodeAddress => ({ name, host: sshd.hosts[index]!, port: sshd.port });

  it('runs a command and streams stdout and stderr line by line', async () => {
    const session = await newPool().connect(node());
    const lines: Array<[string, string]> = [];
    const result = await session.exec({ script: "printf 'a\\nb\\n'; printf 'err1\\n' >&2; printf 'c'" }, {
      timeoutMs: 10_000,
      onLine: (line, stream) => lines.push([stream, line]),
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('a\nb\nc');
    expect(lines.filter(([s]) => s === 'stdout').map(([, l]) => l)).toEqual(['a', 'b', 'c']);
    expect(lines.filter(([s]) => s === 'stderr').map(([, l]) => l)).toEqual(['err1']);
  });

  it('passes arguments verbatim, whatever characters they contain', async () => {
    const session = await newPool().connect(node());
    const nasty = `it's $HOME; \`id\` "q" \\ * \n newline`;
    const result = await session.exec(['printf', '%s', nasty], { timeoutMs: 10_000 });
    expect(result.stdout).toBe(nasty);
  });

  it('runs as root through sudo -n, with env that survives sudo', async () => {
    const session = await newPool().connect(node());
    const result = await session.exec(['sh', '-c', 'echo "$(id -u) $K8SB_TEST"'], { sudo: true, env: { K8SB_TEST: 'v a l' }, timeoutMs: 10_000 });
    expect(result.stdout.trim()).toBe('0 v a l');
  });

  it('fails with the node, the redacted command, the exit code and the last output lines', async () => {
    const session = await newPool().connect(node(0, 'cp-1'));
    const error = await session
      .exec(['sh', '-c', 'for i in $(seq 1 30); do echo line$i; done; exit 3'], { env: { TOKEN: 'abcdef.0123456789abcdef' }, secretEnv: ['TOKEN'], timeoutMs: 10_000 })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'RemoteCommandFailed', node: 'cp-1', remoteExitCode: 3 });
    const e = error as Error & { details: string[] };
    expect(e.message).toContain('cp-1');
    expect(e.message).toContain('TOKEN=***');
    expect(e.message).not.toContain('abcdef.0123456789abcdef');
    expect(e.details).toHaveLength(20);
    expect(e.details.at(-1)).toBe('line30');
  });

  it('masks secrets in streamed lines', async () => {
    const session = await newPool().connect(node());
    const lines: string[] = [];
    await session.exec(['echo', 'key is 0123456789abcdef'], { secrets: ['0123456789abcdef'], timeoutMs: 10_000, onLine: (l) => lines.push(l) });
    expect(lines).toEqual(['key is ***']);
  });

  it('returns non-zero codes with allowFailure', async () => {
    const session = await newPool().connect(node());
    const result = await session.exec(['sh', '-c', 'exit 7'], { allowFailure: true, timeoutMs: 10_000 });
    expect(result.code).toBe(7);
  });

  it('stops a command at its timeout and names node and command', async () => {
    const session = await newPool().connect(node(0, 'worker-9'));
    const error = await session.exec(['sleep', '31.5'], { timeoutMs: 700 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'RemoteCommandTimedOut', node: 'worker-9' });
    expect((error as Error).message).toContain('sleep 31.5');
    // The connection is still usable afterwards.
    expect((await session.exec(['true'], { timeoutMs: 10_000 })).code).toBe(0);
  });

  it.each([false, true])('stops the remote process at the timeout (sudo: %s)', async (sudo) => {
    const session = await newPool().connect(node());
    const pidFile = join(work, `timeout-${sudo}-${Date.now()}.pid`);
    const error = await session.exec({ script: `echo $$ > ${pidFile}; exec sleep 33` }, { sudo, timeoutMs: 700 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'RemoteCommandTimedOut' });
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    let alive = true;
    for (let i = 0; i < 100 && alive; i++) {
      await new Promise((r) => setTimeout(r, 100));
      alive = existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
    }
    expect(alive).toBe(false);
  });

  it('stops a command that prints more than its output cap, and the remote process with it', async () => {
    const session = await newPool().connect(node(0, 'worker-8'));
    const pidFile = join(work, `flood-${Date.now()}.pid`);
    const error = await session
      .exec({ script: `echo $$ > ${pidFile}; while :; do printf '%065536d' 0; done` }, { timeoutMs: 30_000 })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'RemoteOutputTooLarge', node: 'worker-8' });
    expect((error as Error).message).toMatch(/^On node worker-8: `bash -c .*` printed more than 1 MiB on stdout; it was stopped\.$/);
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    let alive = true;
    for (let i = 0; i < 100 && alive; i++) {
      await new Promise((r) => setTimeout(r, 100));
      alive = existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
    }
    expect(alive).toBe(false);
    expect((await session.exec(['true'], { timeoutMs: 10_000 })).code).toBe(0);
  });

  it('refuses a host without a pinned key when the pool may not pin (day-2 commands), before logging in', async () => {
    const storeFile = join(work, 'unpinned_known_hosts');
    const loginsBefore = sshd.acceptedLogins();
    const error = await newPool({ knownHosts: new HostKeyStore({ file: storeFile }), pinNew: false })
      .session(node(3, 'worker-3'))
      .exec(['touch', join(work, 'must-not-exist-either')], { timeoutMs: 10_000 })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'HostKeyNotPinned', node: 'worker-3' });
    expect(existsSync(join(work, 'must-not-exist-either'))).toBe(false);
    expect(existsSync(storeFile)).toBe(false);
    expect(sshd.acceptedLogins()).toBe(loginsBefore);
  });

  it('reuses one connection per node across commands and transfers', async () => {
    const before = sshd.acceptedLogins();
    const pool = newPool();
    const session = await pool.connect(node(1));
    for (let i = 0; i < 5; i++) await session.exec(['true'], { timeoutMs: 10_000 });
    await Promise.all([1, 2, 3].map(() => session.exec(['true'], { timeoutMs: 10_000 })));
    await session.upload('x', `/tmp/k8sb/reuse-${process.pid}`, { mode: 0o600 });
    expect(await pool.connect(node(1))).toBe(session);
    expect(sshd.acceptedLogins() - before).toBe(1);
    await session.exec(['rm', '-f', `/tmp/k8sb/reuse-${process.pid}`], { timeoutMs: 10_000 });
  });

  it('uploads by SFTP and installs files with sudo install -m -D, removing the staged copy', async () => {
    const session = await newPool().connect(node());
    const dest = join(work, `installed-${Date.now()}`, 'sub', 'file.conf');
    const stagedBefore = readdirSync('/tmp/k8sb').length;
    await session.installFile('content: 1\n', dest, 0o640, { sudo: true });
    expect(readFileSync(dest, 'utf8')).toBe('content: 1\n');
    const stat = statSync(dest);
    expect(stat.mode & 0o777).toBe(0o640);
    expect(stat.uid).toBe(0);
    expect(readdirSync('/tmp/k8sb').length).toBe(stagedBefore);
    expect(statSync('/tmp/k8sb').mode & 0o777).toBe(0o700);
    expect(await session.readFile(dest)).toBe('content: 1\n');
  });

  it('pins the first host key (TOFU), then refuses a changed key before running anything', async () => {
    const storeFile = join(work, 'pinned_known_hosts');
    const learned: string[] = [];
    const first = newPool({ knownHosts: new HostKeyStore({ file: storeFile }), onHostKeyLearned: (info) => learned.push(`${info.node} ${info.fingerprint}`) });
    await first.connect(node(2, 'cp-2'));
    expect(learned).toHaveLength(1);
    expect(learned[0]).toMatch(/^cp-2 SHA256:/);
    expect(readFileSync(storeFile, 'utf8')).toContain(`[${sshd.hosts[2]}]:${sshd.port} ssh-ed25519 `);
    expect(statSync(storeFile).mode & 0o777).toBe(0o600);
    await first.closeAll();

    // Same key again: accepted silently.
    const again = newPool({ knownHosts: new HostKeyStore({ file: storeFile }), onHostKeyLearned: (info) => learned.push(info.node) });
    await again.connect(node(2, 'cp-2'));
    expect(learned).toHaveLength(1);
    await again.closeAll();

    await sshd.rotateHostKey();
    const loginsBefore = sshd.acceptedLogins();
    const marker = join(work, 'must-not-exist');
    const third = newPool({ knownHosts: new HostKeyStore({ file: storeFile }) });
    const error = await third.session(node(2, 'cp-2')).exec(['touch', marker], { timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'HostKeyMismatch', node: 'cp-2' });
    const message = (error as Error & { hint: string }).message;
    expect(message).toContain(`[${sshd.hosts[2]}]:${sshd.port}`);
    expect(message).toMatch(/expected: ssh-ed25519 SHA256:\S+/);
    expect(message).toMatch(/presented: ssh-ed25519 SHA256:\S+/);
    expect((error as { hint: string }).hint).toContain(storeFile);
    expect(existsSync(marker)).toBe(false);
    expect(sshd.acceptedLogins()).toBe(loginsBefore);
  });

  it('refuses a private key readable by others', () => {
    const key = join(work, 'loose_key');
    writeFileSync(key, readFileSync(sshd.clientKey));
    chmodSync(key, 0o644);
    expect(() => newPool({ privateKeyPath: key })).toThrow(expect.objectContaining({ code: 'UnprotectedPrivateKey' }));
  });

  it('reconnects and retries an idempotent command whose connection drops', async () => {
    const pool = newPool();
    const session = await pool.connect(node(3));
    const before = sshd.acceptedLogins();
    const mark = join(work, `drop-${Date.now()}`);
    const script = `if [ ! -e ${mark} ]; then echo $PPID > ${mark}.pid; touch ${mark}; sleep 30; fi; echo finished`;
    const infos: string[] = [];
    const running = session.exec({ script }, { idempotent: true, timeoutMs: 60_000, onLine: (l, s) => s === 'info' && infos.push(l) });
    await killSessionProcess(`${mark}.pid`);
    const result = await running;
    expect(result.stdout.trim()).toBe('finished');
    expect(infos.join('\n')).toMatch(/node-3 lost .*reconnecting/);
    expect(sshd.acceptedLogins() - before).toBe(1);
  });

  it('does not retry a non-idempotent command whose connection drops, and says so', async () => {
    const session = await newPool().connect(node(3, 'worker-3'));
    const mark = join(work, `drop-once-${Date.now()}`);
    const script = `echo $PPID > ${mark}.pid; sleep 30`;
    const running = session.exec({ script }, { timeoutMs: 60_000 }).catch((e: unknown) => e);
    await killSessionProcess(`${mark}.pid`);
    const error = await running;
    expect(error).toMatchObject({ code: 'ConnectionLost', node: 'worker-3' });
    expect((error as Error).message).toContain('worker-3');
    expect((error as Error).message).toContain('bash -c');
  });

  it('honours the concurrency limit across nodes', async () => {
    const pool = newPool({ concurrency: 2 });
    const dir = join(work, `conc-${Date.now()}`);
    const script = `mkdir -p ${dir}; touch ${dir}/$$; sleep 0.4; ls ${dir} | wc -l; sleep 0.4; rm -f ${dir}/$$`;
    const nodes = sshd.hosts.map((_, i) => node(i, `n${i}`));
    const results = await Promise.all(nodes.map(async (n) => (await pool.connect(n)).exec({ script }, { timeoutMs: 30_000 })));
    const counts = results.map((r) => Number(r.stdout.trim()));
    expect(Math.max(...counts)).toBeLessThanOrEqual(2);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(1);
  });

  it('fails a node that never answers within readyWaitMs, naming it', async () => {
    const pool = newPool({ readyWaitMs: 2500, connectTimeoutMs: 1000 });
    const error = await pool.connect({ name: 'ghost-1', host: sshd.hosts[0]!, port: 1 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SshUnreachable' });
    expect((error as Error).message).toContain('ghost-1');
  });

  it('reaches a node through a bastion (jump host)', async () => {
    const before = sshd.acceptedLogins();
    const pool = newPool({ bastion: { host: sshd.hosts[4]!, port: sshd.port, user: TEST_USER } });
    const session = await pool.connect(node(5, 'private-1'));
    const result = await session.exec(['sh', '-c', 'echo $SSH_CONNECTION'], { timeoutMs: 10_000 });
    // Server address of the node's session is the node's own address, reached via the tunnel.
    expect(result.stdout.trim().split(' ')[2]).toBe(sshd.hosts[5]);
    expect(sshd.acceptedLogins() - before).toBe(2);
    expect(sshd.log()).toMatch(new RegExp(`direct-tcpip|port forwarding|connect.*${sshd.hosts[5]!.replace(/\./g, '\\.')}`, 'i'));
  });
});

/** Waits for the remote shell to report its parent (the sshd session process) and kills it by pid. */
async function killSessionProcess(pidFile: string): Promise<void> {
  for (let i = 0; i < 200 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 25));
  await new Promise((r) => setTimeout(r, 100));
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  if (!comm.startsWith('sshd')) throw new Error(`expected an sshd session process, found ${comm} (${pid})`);
  process.kill(pid, 'SIGKILL');
}
