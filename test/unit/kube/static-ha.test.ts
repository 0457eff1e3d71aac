import { describe, expect, it } from 'vitest';
import {
  assertHaproxyAvoidsApiPort,
  haproxyBindPorts,
  parseInterface,
  renderStaticHa,
  staticHaEndpoint,
  virtualRouterIdFor,
} from '../../../src/kube/static-ha.js';

const controlPlanes = [
  { name: 'cp-1', privateIp: '10.0.0.11' },
  { name: 'cp-2', privateIp: '10.0.0.12' },
  { name: 'cp-3', privateIp: '10.0.0.13' },
];
const input = { clusterName: 'demo', vip: '10.0.0.100', controlPlanes, interface: 'eth0', authPass: 'pass1234' };
const fileOf = (files: ReturnType<typeof renderStaticHa>, suffix: string) => files.find((f) => f.path.endsWith(suffix))!.content;

describe('static HA (keepalived + haproxy)', () => {
  it('haproxy binds 8443 only and balances the apiservers on 6443 with an HTTPS /readyz check', () => {
    for (const cp of controlPlanes) {
      const haproxy = fileOf(renderStaticHa({ ...input, self: cp.name }), 'haproxy.cfg');
      expect(haproxyBindPorts(haproxy)).toEqual([8443]);
      expect(haproxy).toContain('option httpchk GET /readyz');
      for (const other of controlPlanes) expect(haproxy).toContain(`server ${other.name} ${other.privateIp}:6443 check check-ssl verify none`);
      expect(haproxy).not.toMatch(/\{\{/);
    }
  });

  it('never lets haproxy bind 6443', () => {
    expect(() => renderStaticHa({ ...input, self: 'cp-1', frontendPort: 6443 })).toThrow(expect.objectContaining({ code: 'HaproxyPortConflict' }));
    expect(() => assertHaproxyAvoidsApiPort('frontend x\n    bind *:6443\n')).toThrow(/6443/);
    expect(haproxyBindPorts('frontend x\n  bind 10.0.0.100:6443\n')).toEqual([6443]);
  });

  it('keepalived: one MASTER, unicast peers are the other control planes, VIP held', () => {
    const first = fileOf(renderStaticHa({ ...input, self: 'cp-1' }), 'keepalived.conf');
    const second = fileOf(renderStaticHa({ ...input, self: 'cp-2' }), 'keepalived.conf');
    expect(first).toMatch(/state MASTER/);
    expect(first).toMatch(/priority 101/);
    expect(second).toMatch(/state BACKUP/);
    expect(second).toMatch(/priority 100/);
    expect(second).toMatch(/unicast_src_ip 10\.0\.0\.12/);
    const peers = /unicast_peer \{([^}]*)\}/.exec(second)![1]!.trim().split(/\s+/);
    expect(peers).toEqual(['10.0.0.11', '10.0.0.13']);
    expect(first).toContain('10.0.0.100');
    expect(first).toContain(`virtual_router_id ${virtualRouterIdFor('demo')}`);
    expect(first).not.toMatch(/\{\{/);
  });

  it('check script probes the local haproxy port', () => {
    const files = renderStaticHa({ ...input, self: 'cp-3' });
    const check = files.find((f) => f.path === '/etc/keepalived/check_apiserver.sh')!;
    expect(check.mode).toBe(0o755);
    expect(check.content).toContain('https://localhost:8443/readyz');
  });

  it('endpoint is VIP:8443', () => {
    expect(staticHaEndpoint('10.0.0.100')).toBe('10.0.0.100:8443');
    expect(() => staticHaEndpoint('not-an-ip')).toThrow(/virtualIp/);
  });

  it('refuses bad inputs', () => {
    expect(() => renderStaticHa({ ...input, self: 'cp-9' })).toThrow(/not one of the control planes/);
    expect(() => renderStaticHa({ ...input, self: 'cp-1', authPass: 'waytoolongpassword' })).toThrow(/VRRP/);
    expect(() => renderStaticHa({ ...input, self: 'cp-1', interface: 'eth0; reboot' })).toThrow(/interface/);
    expect(parseInterface('ens3\n')).toBe('ens3');
    expect(() => parseInterface('')).toThrow();
  });
});
