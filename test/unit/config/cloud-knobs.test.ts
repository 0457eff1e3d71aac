/**
 * The module knobs of cluster.yaml (W6): provider.lbProvider, apiMonitorType, serverGroupPolicy and
 * dnsNameservers for OpenStack, firewall.allowAllBetweenNodes and nodePortCidrs for every cloud.
 * Bad values are refused with the field, the value and a fix; good ones pass.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError, type ValidationIssue } from '../../../src/errors.js';
import { specWarnings, validateSpec } from '../../../src/config/validate/index.js';
import { API_VERSION, KIND } from '../../../src/config/schema.js';
import { awsDoc, patched, staticDoc, type Doc } from '../../helpers/config-fixtures.js';

const openstack = (provider: Doc = {}, extra: Doc = {}): Doc => ({
  apiVersion: API_VERSION,
  kind: KIND,
  name: 'demo',
  provider: { name: 'openstack', ...provider },
  ssh: { adminCidrs: ['203.0.113.0/24'] },
  ...extra,
});

function issuesOf(doc: unknown): ValidationIssue[] {
  try {
    validateSpec(doc);
  } catch (error) {
    if (error instanceof ValidationError) return error.issues;
    throw error;
  }
  return [];
}

const cases: Array<{ title: string; doc: Doc; path: string; message: RegExp; value: unknown; fix: RegExp }> = [
  {
    title: 'an HTTPS monitor on OVN',
    doc: openstack({ lbProvider: 'ovn', apiMonitorType: 'HTTPS' }),
    path: 'provider.apiMonitorType',
    message: /OVN Octavia provider has only TCP and UDP-CONNECT/,
    value: 'HTTPS',
    fix: /apiMonitorType: TCP/,
  },
  {
    title: 'an unknown monitor type',
    doc: openstack({ apiMonitorType: 'HTTP' }),
    path: 'provider.apiMonitorType',
    message: /must be one of: HTTPS, TCP/,
    value: 'HTTP',
    fix: /HTTPS/,
  },
  {
    title: 'a server group policy that packs the control planes together',
    doc: openstack({ serverGroupPolicy: 'affinity' }),
    path: 'provider.serverGroupPolicy',
    message: /must be one of: soft-anti-affinity, anti-affinity/,
    value: 'affinity',
    fix: /anti-affinity/,
  },
  {
    title: 'a load-balancer provider with shell syntax',
    doc: openstack({ lbProvider: 'ovn; true' }),
    path: 'provider.lbProvider',
    message: /may contain only letters/,
    value: 'ovn; true',
    fix: /amphora or ovn/,
  },
  {
    title: 'a DNS server that is a name',
    doc: openstack({ dnsNameservers: ['1.1.1.1', 'dns.example'] }),
    path: 'provider.dnsNameservers[1]',
    message: /is not an IPv4 address/,
    value: 'dns.example',
    fix: /10\.0\.0\.5/,
  },
  {
    title: 'more DNS servers than Neutron takes',
    doc: openstack({ dnsNameservers: ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6'] }),
    path: 'provider.dnsNameservers',
    message: /at most 5/,
    value: ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6'],
    fix: /5 or fewer/,
  },
  {
    title: 'a NodePort CIDR that is not one',
    doc: patched(awsDoc(), { firewall: { nodePortCidrs: ['198.51.100.0/33'] } }),
    path: 'firewall.nodePortCidrs[0]',
    message: /./,
    value: '198.51.100.0/33',
    fix: /./,
  },
  {
    title: 'allowAllBetweenNodes as text',
    doc: patched(awsDoc(), { firewall: { allowAllBetweenNodes: 'yes' } }),
    path: 'firewall.allowAllBetweenNodes',
    message: /must be true or false, not a string/,
    value: 'yes',
    fix: /true or false/,
  },
];

describe.each(cases)('refuses $title', ({ doc, path, message, value, fix }) => {
  it('names the field, the value and what to write instead', () => {
    const issue = issuesOf(doc).find((candidate) => candidate.path === path);
    expect(issue, JSON.stringify(issuesOf(doc))).toBeDefined();
    expect(issue!.message).toMatch(message);
    expect(issue!.value).toEqual(value);
    // Where the schema itself refuses (an enum, a type), the message lists what is accepted.
    expect(`${issue!.message} ${issue!.fix ?? ''}`).toMatch(fix);
  });
});

describe('accepts the knobs', () => {
  it('takes every OpenStack knob and the firewall knobs with good values', () => {
    const spec = validateSpec(
      openstack(
        { lbProvider: 'ovn', apiMonitorType: 'TCP', serverGroupPolicy: 'anti-affinity', dnsNameservers: ['10.0.0.53', '9.9.9.9'] },
        { firewall: { allowAllBetweenNodes: false, nodePortCidrs: [] } },
      ),
    );
    expect(spec.provider).toMatchObject({ lbProvider: 'ovn', apiMonitorType: 'TCP', serverGroupPolicy: 'anti-affinity', dnsNameservers: ['10.0.0.53', '9.9.9.9'] });
    expect(spec.firewall).toEqual({ allowAllBetweenNodes: false, nodePortCidrs: [] });
  });

  it('leaves them unset by default, so the modules decide (and cluster.yaml does not grow)', () => {
    const spec = validateSpec(openstack());
    const provider = spec.provider as Record<string, unknown>;
    for (const key of ['lbProvider', 'apiMonitorType', 'serverGroupPolicy', 'dnsNameservers']) expect(provider[key]).toBeUndefined();
    expect(spec.firewall).toEqual({});
  });

  it('warns that firewall settings do nothing on static hosts', () => {
    const spec = validateSpec(patched(staticDoc(), { firewall: { allowAllBetweenNodes: false } }));
    expect(specWarnings(spec).map((w) => w.path)).toContain('firewall');
  });
});
