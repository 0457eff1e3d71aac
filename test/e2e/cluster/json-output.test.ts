/**
 * The machine-output contract over every command, on one live static cluster: under
 * `--output json --yes` each stdout line is one JSON object with a `type`, and the last is the
 * command's only `{"type":"result","v":1,"command":"<name>",…}` line (dry runs, read-only
 * commands and status included). One prepared fleet, one cluster, the commands in a day's order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Fleet } from '../../fleet/fleet.js';
import { cli, failureText, fleetSkipReason, hostFlags, preparedFleetOf, tempDir } from './cluster-helpers.js';
import { jsonLines, resultOf, type JsonLine } from '../../helpers/json-lines.js';
import { EVENTS_VERSION } from '../../../src/engine/events.js';
import { KUBERNETES_PATCHES } from '../../../src/kube/pins.js';

const skip = fleetSkipReason();
const VERSION = '1.36.2';
/** The newest patch of the same minor: a valid --to that is not the running version. */
const NEXT_PATCH = KUBERNETES_PATCHES['1.36'];

describe.skipIf(skip)('--output json on every command (one static 1 + 1 cluster, a spare node to add)', () => {
  let fleet: Fleet;
  let cwd: string;
  let dir: string;

  /** Runs a command under --output json --yes; checks the stream and returns its lines and result. */
  async function json(command: string, args: string[], expectedCode = 0): Promise<{ lines: JsonLine[]; result: JsonLine }> {
    const run = await cli(['--dir', dir, '--output', 'json', '--yes', ...args], cwd);
    expect(run.code, failureText(run)).toBe(expectedCode);
    const lines = jsonLines(run.stdout);
    for (const line of lines) {
      expect(typeof line === 'object' && line !== null && !Array.isArray(line), JSON.stringify(line)).toBe(true);
      expect(typeof line.type, JSON.stringify(line)).toBe('string');
    }
    const result = resultOf(run.stdout, command);
    expect(result.v).toBe(EVENTS_VERSION);
    return { lines, result };
  }

  const planOf = (lines: JsonLine[]) => lines.find((line) => line.type === 'plan') as (JsonLine & { command: string; steps: Array<{ id: string }> }) | undefined;

  beforeAll(async () => {
    // The subject is the output, not node preparation: the nodes boot prepared at VERSION.
    expect(NEXT_PATCH).not.toBe(VERSION);
    fleet = await preparedFleetOf(1, 2, VERSION);
    cwd = tempDir('e2e-json');
    dir = join(cwd, 'cluster');
  }, 300_000);

  afterAll(() => fleet?.stop());

  const initArgs = () => [
    'init', '--name', 'stream', '--provider', 'static', ...hostFlags(fleet, ['cp-1', 'worker-1']),
    '--ssh-user', fleet.sshUser, '--ssh-key', fleet.privateKeyPath, '--cni', 'flannel',
    '--kubernetes-version', VERSION, '--timeout', '10m', '--ssh-timeout', '20s',
  ];
  const spare = () => ['--host', `${fleet.node('worker-2').address},name=worker-2`];

  it('init --dry-run: the plan, then the result', async () => {
    const { lines, result } = await json('init', [...initArgs(), '--dry-run']);
    expect(result).toMatchObject({ cluster: 'stream', dryRun: true });
    expect(planOf(lines)?.steps.map((step) => step.id)).toContain('init:cp-1');
  });

  it('init', async () => {
    const { result } = await json('init', initArgs());
    expect(result).toMatchObject({ cluster: 'stream', dryRun: false, kubeconfig: join(dir, 'kubeconfig') });
  }, 300_000);

  it('status', async () => {
    const { result } = await json('status', ['status']);
    expect(result).toMatchObject({ cluster: 'stream', healthy: true });
  });

  it('add-workers --dry-run', async () => {
    const { lines } = await json('add-workers', ['add-workers', ...spare(), '--dry-run']);
    expect(planOf(lines)).toMatchObject({ command: 'add-workers' });
  });

  it('add-workers --host', async () => {
    const { result } = await json('add-workers', ['add-workers', ...spare()]);
    expect(JSON.stringify(result)).toContain('worker-2');
  }, 300_000);

  it('remove-workers --dry-run', async () => {
    const { lines } = await json('remove-workers', ['remove-workers', '--node', 'worker-2', '--dry-run']);
    expect(planOf(lines)).toMatchObject({ command: 'remove-workers' });
  });

  it('remove-workers', async () => {
    const { result } = await json('remove-workers', ['remove-workers', '--node', 'worker-2']);
    expect(JSON.stringify(result)).toContain('worker-2');
  }, 300_000);

  it('upgrade --dry-run --to the next patch', async () => {
    const { lines } = await json('upgrade', ['upgrade', '--dry-run', '--to', NEXT_PATCH]);
    expect(planOf(lines)).toMatchObject({ command: 'upgrade' });
  });

  it('kubeconfig', async () => {
    const { result } = await json('kubeconfig', ['kubeconfig']);
    expect(result).toMatchObject({ cluster: 'stream', file: join(dir, 'kubeconfig') });
  });

  it('doctor --provider static', async () => {
    // static needs neither terraform nor packer, so the machine's own tool versions do not matter.
    const { result } = await json('doctor', ['doctor', '--provider', 'static']);
    expect(result).toMatchObject({ ok: true });
  });

  it('config validate', async () => {
    const file = join(dir, 'cluster.yaml');
    const { result } = await json('config validate', ['--config', file, 'config', 'validate']);
    expect(result).toMatchObject({ file, valid: true, cluster: 'stream' });
  });

  it('destroy', async () => {
    const { result } = await json('destroy', ['destroy']);
    expect(result).toMatchObject({ cluster: 'stream' });
  }, 300_000);
});
