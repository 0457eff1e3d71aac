/**
 * certs renew's phases (workflows/certs) and status's certificate section (status/cert-status.ts):
 * one control plane after the other, each renew → restart → ready, the kubeconfig last; warnings
 * under 30 days and for expired certificates.
 */
import { describe, expect, it } from 'vitest';
import { describePhases, notConnected } from '../../../../src/engine/describe.js';
import type { CertExpiry } from '../../../../src/kube/cert-expiry.js';
import type { Topology } from '../../../../src/nodes/topology.js';
import { renewPhases } from '../../../../src/workflows/certs/index.js';
import { formatCertStatus, summarise } from '../../../../src/workflows/status/cert-status.js';

const cp = (name: string, i: number) => ({ name, role: 'control-plane', host: `10.0.0.${i}`, port: 22, privateIp: `10.0.0.${i}` });
const topology = { controlPlanes: [cp('cp-1', 1), cp('cp-2', 2), cp('cp-3', 3)], workers: [], apiEndpoint: '10.0.0.100:6443', sshUser: 'k8sb' } as unknown as Topology;

describe('certs renew phases', () => {
  it('renews, restarts and waits on each control plane before the next, with the run id as inputs', () => {
    const phases = renewPhases({ topology, certOps: notConnected, runId: 'run-1', readyTimeoutMs: 300_000 });
    expect(phases.map((p) => p.concurrency ?? 1)).toEqual([1, 1, 1]);
    expect(describePhases(phases).map((s) => s.id)).toEqual([
      'certs-renew:renew:cp-1', 'certs-renew:restart:cp-1', 'certs-renew:ready:cp-1',
      'certs-renew:renew:cp-2', 'certs-renew:restart:cp-2', 'certs-renew:ready:cp-2',
      'certs-renew:renew:cp-3', 'certs-renew:restart:cp-3', 'certs-renew:ready:cp-3',
    ]);
    expect(new Set(phases.flatMap((p) => p.steps.map((s) => s.inputs)))).toEqual(new Set(['run-1']));
  });
});

const cert = (name: string, daysLeft: number, extra: Partial<CertExpiry> = {}): CertExpiry => ({ name, daysLeft, expires: new Date(Date.UTC(2027, 0, 1) + daysLeft * 86_400_000).toISOString(), externallyManaged: false, missing: false, ...extra });

describe('status certificate section', () => {
  it('warns under 30 days per node, says expired, names the fix, and shows a column per control plane', () => {
    const view = summarise([
      { node: 'cp-1', certificates: [cert('apiserver', 12), cert('admin.conf', 300)], authorities: [cert('ca', 3000)] },
      { node: 'cp-2', certificates: [cert('apiserver', -2), cert('admin.conf', 29)], authorities: [cert('ca', 3000)] },
      { node: 'cp-3', error: 'kubeadm certs check-expiration failed' },
    ]);
    expect(view.expired).toBe(true);
    expect(view.soonest).toMatchObject({ node: 'cp-2', name: 'apiserver', daysLeft: -2 });
    expect(view.warnings).toEqual([
      'cp-1: apiserver expires in 12 days (under 30): run "k8s-bootstrap certs renew"',
      'cp-2: apiserver expired: the control plane stops accepting them; run "k8s-bootstrap certs renew"',
      'cp-2: admin.conf expires in 29 days (under 30): run "k8s-bootstrap certs renew"',
      'cp-3: certificates not read: kubeadm certs check-expiration failed',
    ]);
    const text = formatCertStatus(view).join('\n');
    expect(text).toContain('\n  CERTIFICATE             cp-1                 cp-2\n  apiserver               2027-01-13 (12d)     2026-12-30 (expired)\n');
    expect(text).toContain('\n\n  CERTIFICATE AUTHORITY   cp-1                 cp-2\n  ca                      2035-03-20 (3000d)   2035-03-20 (3000d)\n');
    expect(summarise([{ node: 'cp-1', certificates: [cert('apiserver', 200)], authorities: [] }]).warnings).toEqual([]);
  });
});
