/**
 * End to end on the simulated fleet (three control planes, one worker): status shows every
 * control-plane certificate's expiry (kubeadm certs check-expiration) and the kubeconfig's; with
 * the fleet clock 340 days on, status and `certs check` warn (under 30 days); `certs renew`
 * renews every certificate (kubeadm certs renew all), restarts the static pods (manifests out and
 * back), waits for the control plane and the node, and writes the kubeconfig again with the new
 * client certificate; the CAs stay; one control plane at a time (the next one's renewal starts
 * only after the previous one's static pods restarted and it answered Ready).
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fleet } from '../../fleet/fleet.js';
import { resultOf } from '../../helpers/json-lines.js';
import type { CertStatus } from '../../../src/workflows/status/cert-status.js';
import { cli, failureText, fleetSkipReason, initArgs, nodesSeenBy, onNode, preparedFleetOf, tempDir } from './cluster-helpers.js';

const skip = fleetSkipReason();
const DAY = 86_400_000;

function kubeconfigNotAfter(dir: string): number {
  const data = /client-certificate-data: (\S+)/.exec(readFileSync(join(dir, 'kubeconfig'), 'utf8'))![1]!;
  return Date.parse(new X509Certificate(Buffer.from(data, 'base64')).validTo);
}

/** backup.json of every backup in the cluster folder, oldest first. */
function backupRecords(dir: string): Array<{ reason: string; node: string }> {
  const root = join(dir, 'backups');
  if (!existsSync(root)) return [];
  return readdirSync(root).sort().filter((name) => existsSync(join(root, name, 'backup.json'))).map((name) => JSON.parse(readFileSync(join(root, name, 'backup.json'), 'utf8')));
}

describe.skipIf(skip)('certs', () => {
  let fleet: Fleet;
  let cwd: string;
  let dir: string;
  let init: Awaited<ReturnType<typeof cli>>;

  beforeAll(async () => {
    fleet = await preparedFleetOf(3, 1, '1.37.1');
    cwd = tempDir('e2e-certs');
    dir = join(cwd, 'cluster');
    init = await cli(initArgs(fleet, { name: 'ct', dir, extra: ['--virtual-ip', `127.0.${fleet.id}.200`, '--kubernetes-version', '1.37.1'] }), cwd);
  }, 300_000);
  afterAll(() => fleet?.stop());

  it('status shows every certificate and CA of the control plane with its expiry, and the kubeconfig\'s', async () => {
    expect(init.code, failureText(init)).toBe(0);
    const status = await cli(['--dir', dir, '--output', 'plain', 'status'], cwd);
    expect(status.code, failureText(status)).toBe(0);
    const text = status.stdout + status.stderr;
    expect(text).toContain('Certificates (kubeadm certs check-expiration on each control plane):');
    expect(text).toMatch(/ {2}CERTIFICATE {2,}cp-1 {2,}cp-2 {2,}cp-3\n/);
    // kubeadm writes super-admin.conf on the first control plane only.
    expect(text).toMatch(/ {2}super-admin\.conf {2,}\d{4}-\d\d-\d\d \(364d\) {2,}missing {2,}missing\n/);
    expect(text).toMatch(/ {2}apiserver {2,}\d{4}-\d\d-\d\d \(364d\)/);
    expect(text).toMatch(/ {2}ca {2,}\d{4}-\d\d-\d\d \(\d{4}d\)/);
    expect(text).toMatch(/kubeconfig .*: client certificate valid until \d{4}-\d\d-\d\d \(364 days\)/);
    expect(text).not.toContain('warning: cp-1');

    const json = resultOf<{ certs: CertStatus; healthy: boolean }>((await cli(['--dir', dir, '--output', 'json', 'status'], cwd)).stdout, 'status');
    expect(json.certs.nodes.map((n) => n.node)).toEqual(['cp-1', 'cp-2', 'cp-3']);
    const table = json.certs.nodes[0]!;
    expect(table.certificates!.map((c) => c.name)).toEqual(['admin.conf', 'apiserver', 'apiserver-etcd-client', 'apiserver-kubelet-client', 'controller-manager.conf', 'etcd-healthcheck-client', 'etcd-peer', 'etcd-server', 'front-proxy-client', 'scheduler.conf', 'super-admin.conf']);
    expect(table.authorities!.map((c) => [c.name, c.daysLeft! > 3000])).toEqual([['ca', true], ['etcd-ca', true], ['front-proxy-ca', true]]);
    expect(json.certs.warnings).toEqual([]);
    expect(json.healthy).toBe(true);
  });

  it('warns under 30 days (fleet clock 340 days on): status names the certificates and the fix, certs check exits 1', async () => {
    fleet.advanceClock(340 * 24);
    const status = await cli(['--dir', dir, '--output', 'plain', 'status'], cwd);
    const text = status.stdout + status.stderr;
    expect(text).toMatch(/ {2}apiserver {2,}\d{4}-\d\d-\d\d \(24d\)/);
    expect(text).toContain('warning: cp-1: admin.conf, apiserver, apiserver-etcd-client, apiserver-kubelet-client, controller-manager.conf, etcd-healthcheck-client, etcd-peer, etcd-server, front-proxy-client, scheduler.conf, super-admin.conf expire in 24 days (under 30): run "k8s-bootstrap certs renew"');
    // Not expired yet: the cluster is still healthy.
    expect(status.code, failureText(status)).toBe(0);
    const check = await cli(['--dir', dir, '--output', 'plain', 'certs', 'check'], cwd);
    expect(check.code).toBe(1);
    expect(check.stdout + check.stderr).toContain('expire in 24 days (under 30)');
  });

  it('certs renew --dry-run prints the plan per control plane and changes nothing', async () => {
    const calls = fleet.toolCallsOn('cp-1').length;
    const dry = await cli(['--dir', dir, '--output', 'plain', 'certs', 'renew', '--dry-run'], cwd);
    expect(dry.code, failureText(dry)).toBe(0);
    const text = dry.stdout + dry.stderr;
    expect(text).toContain('kubeadm certs renew all on cp-1');
    expect(text).toContain('Restart the static pods on cp-1');
    expect(text).toContain('Wait for the control plane on cp-1');
    expect(text).toMatch(/Now the first to expire is \S+ on cp-1: \d{4}-\d\d-\d\d \(24 days\)/);
    expect(fleet.toolCallsOn('cp-1').slice(calls).some((c) => c.includes('certs renew'))).toBe(false);
  });

  it('certs renew renews every certificate, restarts the static pods, keeps the cluster Ready and refreshes the kubeconfig', async () => {
    const kubeconfigBefore = kubeconfigNotAfter(dir);
    const caBefore = (await onNode(fleet, 'cp-1', 'sudo -n kubeadm certs check-expiration')).split('\n\n')[2];
    const calls = fleet.toolCallsOn('cp-1').length;
    const backupsBefore = backupRecords(dir).length;
    const renew = await cli(['--dir', dir, '--output', 'json', '--yes', 'certs', 'renew'], cwd);
    expect(renew.code, failureText(renew)).toBe(0);
    // A verified etcd snapshot (and the PKI) first, before any certificate changed.
    expect(backupRecords(dir).slice(backupsBefore)).toEqual([expect.objectContaining({ reason: 'certs-renew', node: 'cp-1' })]);
    const firstCalls = fleet.toolCallsOn('cp-1').slice(calls);
    const savedAt = firstCalls.findIndex((c) => c.includes('etcdctl') && c.includes('snapshot save'));
    expect(savedAt).toBeGreaterThanOrEqual(0);
    expect(savedAt).toBeLessThan(firstCalls.findIndex((c) => c.startsWith('kubeadm certs renew all')));
    const result = resultOf<{ nodes: string[]; certs: CertStatus; kubeconfig: { daysLeft: number } }>(renew.stdout, 'certs renew');
    expect(result.nodes).toEqual(['cp-1', 'cp-2', 'cp-3']);
    for (const node of result.certs.nodes) {
      for (const cert of node.certificates!.filter((c) => !c.missing)) expect(cert.daysLeft, `${node.node} ${cert.name}`).toBeGreaterThanOrEqual(364);
    }
    expect(result.certs.warnings).toEqual([]);

    // renew, then the restart (the kubelet's mirror pods gone, then back), then the wait, in that order.
    const made = fleet.toolCallsOn('cp-1').slice(calls);
    const renewAt = made.findIndex((c) => c.startsWith('kubeadm certs renew all'));
    // The script's "stopped?" look: crictl (cri-tools, there wherever kubeadm is), as on real hosts.
    const restartAt = made.findIndex((c, i) => i > renewAt && c.startsWith('crictl ps -q --state running --name'));
    expect(renewAt).toBeGreaterThanOrEqual(0);
    expect(restartAt).toBeGreaterThan(renewAt);
    expect((await onNode(fleet, 'cp-1', 'sudo -n ls /etc/kubernetes/manifests; sudo -n ls -d /etc/kubernetes/k8sb-cert-restart 2>&1 || true')).split('\n').slice(0, 4)).toEqual(['etcd.yaml', 'kube-apiserver.yaml', 'kube-controller-manager.yaml', 'kube-scheduler.yaml']);

    // The CAs are not renewed; the kubeconfig carries admin.conf's new certificate.
    expect((await onNode(fleet, 'cp-1', 'sudo -n kubeadm certs check-expiration')).split('\n\n')[2]).toBe(caBefore);
    expect(kubeconfigNotAfter(dir) - kubeconfigBefore).toBeGreaterThan(339 * DAY);
    expect(result.kubeconfig.daysLeft).toBeGreaterThan(364 + 339);
    expect((await nodesSeenBy(fleet)).map((n) => [n.name, n.ready])).toEqual([['cp-1', true], ['cp-2', true], ['cp-3', true], ['worker-1', true]]);

    // One control plane at a time: cp-2's renewal starts after cp-1's restart (the script's crictl
    // check) and after the wait saw cp-1's Node Ready (the stand-ins' events, one clock).
    const tools = fleet.events().filter((e) => e.kind === 'tool');
    const at = (e: { startedAt?: string; time: string }) => Date.parse(e.startedAt ?? e.time);
    const renewedAt = (node: string) => at(tools.find((e) => e.node === node && e.command.startsWith('kubeadm certs renew all'))!);
    const lastOf = (node: string, part: string) => at(tools.filter((e) => e.node === node && e.command.includes(part)).at(-1)!);
    for (const [done, next] of [['cp-1', 'cp-2'], ['cp-2', 'cp-3']] as const) {
      expect(lastOf(done, 'crictl ps -q --state running --name'), `${done} restarted after its renewal`).toBeGreaterThan(renewedAt(done));
      expect(renewedAt(next), `${next} after ${done} was Ready`).toBeGreaterThan(lastOf(done, `get node ${done} -o json`));
    }

    // status no longer warns.
    const status = await cli(['--dir', dir, '--output', 'plain', 'status'], cwd);
    expect(status.code, failureText(status)).toBe(0);
    expect(status.stdout + status.stderr).not.toContain('warning: cp-1');
  });

  it('an interrupted renewal resumes where it stopped: the control planes already done are not renewed again', async () => {
    // Twice: the step's one retry fails too.
    const failure = { op: 'kubeadm certs renew all', message: 'error execution phase: failed to renew certificate apiserver: unable to sign: context deadline exceeded', exitCode: 1 };
    fleet.setFault('cp-2', { failOnce: [failure, failure] });
    const backupsBefore = backupRecords(dir).length;
    const first = await cli(['--dir', dir, '--output', 'plain', '--yes', 'certs', 'renew'], cwd);
    fleet.setFault('cp-2', {});
    expect(first.code).toBe(1);
    expect(first.stderr).toContain('kubeadm certs renew all failed on cp-2');
    expect(first.stderr).toContain('failed to renew certificate apiserver');
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
    expect(typeof state.facts['certs.renew.run']).toBe('string');

    const renewsOn = (node: string) => fleet.toolCallsOn(node).filter((c) => c.startsWith('kubeadm certs renew all')).length;
    const before = { 'cp-1': renewsOn('cp-1'), 'cp-2': renewsOn('cp-2'), 'cp-3': renewsOn('cp-3') };
    const resumed = await cli(['--dir', dir, '--output', 'plain', '--yes', 'certs', 'renew'], cwd);
    expect(resumed.code, failureText(resumed)).toBe(0);
    expect(resumed.stderr).toContain('resuming the renewal started earlier');
    // The interrupted renewal's backup protects the resumed one: one backup for both runs.
    expect(backupRecords(dir).slice(backupsBefore).map((r) => r.reason)).toEqual(['certs-renew']);
    expect([renewsOn('cp-1') - before['cp-1'], renewsOn('cp-2') - before['cp-2'], renewsOn('cp-3') - before['cp-3']]).toEqual([0, 1, 1]);
    expect(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')).facts['certs.renew.run']).toBeUndefined();
    expect((await nodesSeenBy(fleet)).every((n) => n.ready)).toBe(true);
  });
});
