/** config/addons.ts: what the other layers ask of the add-ons section, with `auto` and the defaults resolved. */
import { describe, expect, it } from 'vitest';
import {
  addonEnabled,
  enabledAddonNames,
  loadBalancerServicesWork,
  readVeleroS3Credentials,
  resolvedTraefikExpose,
  VELERO_S3_VARIABLES,
  withAddonsOf,
} from '../../../src/config/addons.js';
import { ENV_VARS } from '../../../src/config/env-vars.js';
import { formatSpecSummary } from '../../../src/config/summary.js';
import { childEnvironment } from '../../../src/tools/subprocess.js';
import { validateSpec } from '../../../src/config/validate/index.js';
import { awsDoc, patched, staticDoc, type Doc } from '../../helpers/config-fixtures.js';

const aws = (patch: Doc = {}) => validateSpec(patched(awsDoc(), patch));
const lab = (patch: Doc = {}) => validateSpec(patched(staticDoc(), patch));

describe('enabled add-ons', () => {
  it('the default set, in apply order', () => {
    expect(enabledAddonNames(aws())).toEqual(['metrics-server', 'traefik', 'cert-manager']);
    expect(addonEnabled(aws(), 'velero')).toBe(false);
  });

  it('follow the spec, still in apply order', () => {
    const spec = aws({ addons: { velero: { enabled: true, bucket: 'b-1', region: 'r' }, 'metrics-server': { enabled: false } } });
    expect(enabledAddonNames(spec)).toEqual(['traefik', 'cert-manager', 'velero']);
  });
});

describe('withAddonsOf', () => {
  it('compares specs apart from their add-ons', () => {
    const before = aws();
    const after = aws({ addons: { traefik: { values: { deployment: { replicas: 3 } } } } });
    expect(withAddonsOf(after, before)).toEqual(before);
    expect(withAddonsOf(before, after).addons.traefik.values).toEqual({ deployment: { replicas: 3 } });
  });
});

describe('Traefik exposure', () => {
  it.each([
    ['aws with the CCM', aws(), 'loadbalancer'],
    ['aws without the CCM (NodePorts: the security groups admit them, not 80/443)', aws({ cloudIntegration: { ccm: false } }), 'nodeport'],
    ['openstack with the CCM', aws({ provider: { name: 'openstack' } }), 'loadbalancer'],
    ['exoscale (single instances get no NLB)', aws({ provider: { name: 'exoscale' } }), 'nodeport'],
    ['static with MetalLB', lab({ loadBalancer: { metallb: { addresses: ['192.0.2.200-192.0.2.210'] } } }), 'loadbalancer'],
    ['static without MetalLB', lab(), 'hostport'],
    ['static with Cilium (no hostPort without its kube-proxy replacement)', lab({ kubernetes: { cni: 'cilium' } }), 'nodeport'],
  ] as const)('auto on %s: %s', (_title, spec, expected) => {
    expect(resolvedTraefikExpose(spec)).toBe(expected);
    expect(loadBalancerServicesWork(spec)).toBe(expected === 'loadbalancer');
  });

  it('an explicit choice stands', () => {
    expect(resolvedTraefikExpose(aws({ addons: { traefik: { expose: 'nodeport' } } }))).toBe('nodeport');
    expect(resolvedTraefikExpose(lab({ addons: { traefik: { expose: 'hostport' } } }))).toBe('hostport');
  });
});

describe("Velero's S3 keys", () => {
  it('are declared with the other variables', () => {
    expect(ENV_VARS).toHaveProperty('K8SB_VELERO_S3_ACCESS_KEY_ID');
    expect(ENV_VARS).toHaveProperty('K8SB_VELERO_S3_SECRET_ACCESS_KEY');
    expect(VELERO_S3_VARIABLES[0]).toEqual({ accessKeyId: 'K8SB_VELERO_S3_ACCESS_KEY_ID', secretAccessKey: 'K8SB_VELERO_S3_SECRET_ACCESS_KEY' });
  });

  it('never reach a tool the run starts (terraform, packer, ssh): they go only into the cluster', () => {
    const env = childEnvironment({ PATH: '/usr/bin', K8SB_DIR: '/c', K8SB_VELERO_S3_ACCESS_KEY_ID: 'id', K8SB_VELERO_S3_SECRET_ACCESS_KEY: 'secret' });
    expect(env).toEqual({ PATH: '/usr/bin', K8SB_DIR: '/c' });
  });

  it("only the tool's own pair, complete: never the operator's AWS keys, never half a pair", () => {
    const own = { K8SB_VELERO_S3_ACCESS_KEY_ID: 'own-id', K8SB_VELERO_S3_SECRET_ACCESS_KEY: 'own-secret' };
    const aws = { AWS_ACCESS_KEY_ID: 'aws-id', AWS_SECRET_ACCESS_KEY: 'aws-secret' };
    expect(readVeleroS3Credentials({ ...own, ...aws })).toEqual({ accessKeyId: 'own-id', secretAccessKey: 'own-secret', source: 'K8SB_VELERO_S3_ACCESS_KEY_ID/K8SB_VELERO_S3_SECRET_ACCESS_KEY' });
    expect(readVeleroS3Credentials(aws)).toBeUndefined();
    expect(readVeleroS3Credentials({ K8SB_VELERO_S3_ACCESS_KEY_ID: 'own-id', ...aws })).toBeUndefined();
    expect(readVeleroS3Credentials({ K8SB_VELERO_S3_ACCESS_KEY_ID: ' ', K8SB_VELERO_S3_SECRET_ACCESS_KEY: 'x' })).toBeUndefined();
  });
});

describe('the summary names the add-ons', () => {
  it('the default set, with how Traefik is reached', () => {
    expect(formatSpecSummary(aws())).toMatch(/Add-ons +metrics-server, traefik \(LoadBalancer Service\), cert-manager \(self-signed issuer\)\n/);
    expect(formatSpecSummary(lab())).toMatch(/traefik \(ports 80\/443 on the workers\)/);
  });

  it('the optional ones with what they need', () => {
    const spec = aws({
      addons: {
        'cert-manager': { acmeEmail: 'ops@example.com' },
        'kube-prometheus-stack': { enabled: true, domain: 'mon.example.com' },
        'fluent-bit': { enabled: true, output: { name: 'stdout' } },
        velero: { enabled: true, bucket: 'demo-backups', region: 'eu-central-1' },
      },
    });
    const text = formatSpecSummary(spec);
    expect(text).toContain('cert-manager (self-signed and ACME for ops@example.com)');
    expect(text).toContain('kube-prometheus-stack (grafana.mon.example.com)');
    expect(text).toContain('fluent-bit (to stdout)');
    expect(text).toContain('velero (bucket demo-backups, schedule 0 3 * * *)');
  });

  it('none when every add-on is off', () => {
    const off = { enabled: false };
    const spec = aws({ addons: { 'metrics-server': off, traefik: off, 'cert-manager': off } });
    expect(formatSpecSummary(spec)).toMatch(/Add-ons +none\n/);
  });
});
