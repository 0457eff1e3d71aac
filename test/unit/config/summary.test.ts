/** The summary init shows before its question, and the question's words, per provider. */
import { describe, expect, it } from 'vitest';
import { changeNotice, formatSpecSummary } from '../../../src/config/summary.js';
import { validateSpec } from '../../../src/config/validate/index.js';

const staticSpec = (provider: Record<string, unknown>, ssh: Record<string, unknown> = {}) =>
  validateSpec({ apiVersion: 'k8s-bootstrap.io/v1alpha1', kind: 'Cluster', name: 'lab', provider: { name: 'static', ...provider }, ssh });

const threeControlPlanes = ['10.0.0.5', '10.0.0.6', '10.0.0.7'].map((address) => ({ address, role: 'control-plane' }));

describe('spec summary', () => {
  it('static HA with keepalived: the virtual IP and the API endpoint it serves', () => {
    const text = formatSpecSummary(staticSpec({ hosts: threeControlPlanes, virtualIp: '10.0.0.100' }, { privateKey: '/k/id' }));
    expect(text).toMatch(/Virtual IP +10\.0\.0\.100 \(keepalived/);
    expect(text).toMatch(/API endpoint +10\.0\.0\.100:8443 \(haproxy/);
  });

  it('static with one control plane: the endpoint is that host', () => {
    const text = formatSpecSummary(staticSpec({ hosts: [{ address: '10.0.0.5', role: 'control-plane' }] }, { privateKey: '/k/id' }));
    expect(text).toMatch(/API endpoint +10\.0\.0\.5:6443 \(the first control plane\)/);
  });

  it('static without a key file: the ssh-agent, not a generated key', () => {
    const text = formatSpecSummary(staticSpec({ hosts: [{ address: '10.0.0.5', role: 'control-plane' }] }));
    expect(text).toMatch(/SSH +ubuntu, ssh-agent \(SSH_AUTH_SOCK\)/);
    expect(text).not.toContain('generated');
  });
});

describe('changeNotice', () => {
  it('static hosts are changed, not cloud resources created', () => {
    const notice = changeNotice(staticSpec({ hosts: threeControlPlanes, virtualIp: '10.0.0.100' }, { privateKey: '/k/id' }));
    expect(notice).toMatch(/^This changes the hosts/);
    expect(notice).not.toContain('cloud');
  });

  it('a cloud creates billed resources', () => {
    const spec = validateSpec({ apiVersion: 'k8s-bootstrap.io/v1alpha1', kind: 'Cluster', name: 'c', provider: { name: 'aws', region: 'eu-west-3' }, ssh: { adminCidrs: ['203.0.113.7/32'] } });
    expect(changeNotice(spec)).toMatch(/^This creates cloud resources in aws/);
    expect(changeNotice(spec)).not.toContain('hosts');
  });
});
