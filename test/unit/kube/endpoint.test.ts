/** "host:port" endpoints: the parts, IPv6 in brackets, and a UsageError naming the field otherwise. */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { parseEndpoint } from '../../../src/kube/endpoint.js';

describe('parseEndpoint', () => {
  it('splits a name, an IPv4 and a bracketed IPv6 endpoint', () => {
    expect(parseEndpoint('api.example.com:6443')).toEqual({ host: 'api.example.com', port: 6443 });
    expect(parseEndpoint('10.0.0.10:443')).toEqual({ host: '10.0.0.10', port: 443 });
    expect(parseEndpoint('[fd00::1]:6443')).toEqual({ host: 'fd00::1', port: 6443 });
  });

  it.each(['10.0.0.10', 'api.example.com:0', 'api.example.com:65536', 'fd00::1:6443', 'bad host:6443'])('refuses %j', (endpoint) => {
    expect(() => parseEndpoint(endpoint, 'provider.apiEndpoint')).toThrow(UsageError);
    expect(() => parseEndpoint(endpoint, 'provider.apiEndpoint')).toThrow(/^provider\.apiEndpoint: /);
  });
});
