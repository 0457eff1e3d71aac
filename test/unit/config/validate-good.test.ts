import { describe, expect, it } from 'vitest';
import { DEFAULT_KUBERNETES_VERSION } from '../../../src/kube/versions.js';
import { DEFAULT_INSTANCE_TYPES, DEFAULT_NETWORK } from '../../../src/config/schema.js';
import { applyProviderDefaults } from '../../../src/config/defaults.js';
import { checkSpec, specWarnings, validateSpec } from '../../../src/config/validate/index.js';
import { awsDoc, patched, staticDoc } from '../../helpers/config-fixtures.js';

describe('validateSpec on good input', () => {
  it('fills every default for a minimal cloud document', () => {
    const spec = validateSpec(awsDoc());
    expect(spec.kubernetes).toEqual({ version: DEFAULT_KUBERNETES_VERSION, runtime: 'containerd', cni: 'calico' });
    expect(spec.network).toEqual({ ...DEFAULT_NETWORK });
    expect(spec.controlPlane).toEqual({ count: 1, type: DEFAULT_INSTANCE_TYPES.aws.controlPlane, diskGb: 50 });
    expect(spec.workers).toEqual({ count: 2, type: DEFAULT_INSTANCE_TYPES.aws.worker, diskGb: 50, min: 0 });
    expect(spec.ssh.user).toBe('ubuntu');
    expect(spec.provider).toEqual({ name: 'aws', region: 'eu-central-1' });
  });

  it('keeps given values over defaults', () => {
    const spec = validateSpec(
      patched(awsDoc(), {
        provider: { name: 'exoscale', zone: 'de-fra-1' },
        kubernetes: { version: '1.36.4', runtime: 'cri-o', cni: 'cilium' },
        controlPlane: { count: 3, type: 'standard.large' },
        network: { nodeCidr: '172.20.0.0/24', podCidr: '10.32.0.0/12', serviceCidr: '10.16.0.0/16' },
      }),
    );
    expect(spec.provider).toMatchObject({ name: 'exoscale', zone: 'de-fra-1' });
    expect(spec.kubernetes).toEqual({ version: '1.36.4', runtime: 'cri-o', cni: 'cilium' });
    expect(spec.controlPlane.type).toBe('standard.large');
    expect(spec.workers.type).toBe(DEFAULT_INSTANCE_TYPES.exoscale.worker);
    expect(spec.network.nodeCidr).toBe('172.20.0.0/24');
  });

  it('static: leaves nodeCidr unset and derives counts from the hosts', () => {
    const spec = validateSpec(
      patched(staticDoc(), {
        provider: {
          hosts: [
            { address: '192.0.2.10', role: 'control-plane' },
            { address: 'node-2.example.com', role: 'control-plane', privateAddress: '10.0.0.2' },
            { address: '192.0.2.12', role: 'control-plane', port: 2222, user: 'admin', name: 'third' },
            { address: '192.0.2.21', role: 'worker' },
          ],
          apiEndpoint: 'k8s-api.example.com:6443',
        },
      }),
    );
    expect(spec.network.nodeCidr).toBeUndefined();
    expect(spec.controlPlane.count).toBe(3);
    expect(spec.workers.count).toBe(1);
    expect(spec.controlPlane.type).toBeUndefined();
  });

  it('static: an explicit count that agrees with the hosts is fine', () => {
    expect(validateSpec(patched(staticDoc(), { controlPlane: { count: 1 }, workers: { count: 1 } })).workers.count).toBe(1);
  });

  it('accepts 0.0.0.0/0 and an image id next to build, with warnings', () => {
    const spec = validateSpec(patched(awsDoc(), { ssh: { adminCidrs: ['0.0.0.0/0'] }, image: { id: 'ami-0123456789abcdef0' } }));
    expect(specWarnings(spec).map((w) => `${w.path}: ${w.message}`)).toEqual([
      'ssh.adminCidrs: lets the whole internet reach SSH and the Kubernetes API',
      'image.build: is ignored: image.id is set, so that image is used',
    ]);
  });

  it('an old document without addons gets the default set: metrics-server, traefik and cert-manager on, the others off', () => {
    const addons = validateSpec(awsDoc()).addons;
    expect(Object.fromEntries(Object.entries(addons).map(([name, addon]) => [name, addon.enabled]))).toEqual({
      'metrics-server': true,
      traefik: true,
      'cert-manager': true,
      'kube-prometheus-stack': false,
      'fluent-bit': false,
      velero: false,
    });
    expect(addons.traefik).toEqual({ enabled: true, values: {}, expose: 'auto' });
    expect(addons['cert-manager'].acmeServer).toBe('https://acme-v02.api.letsencrypt.org/directory');
    expect(addons['kube-prometheus-stack'].retention).toBe('15d');
    expect(addons.velero).toMatchObject({ schedule: '0 3 * * *', ttl: '720h' });
    expect(specWarnings(validateSpec(awsDoc()))).toEqual([]);
  });

  it('accepts every optional add-on with its fields, and free values', () => {
    const spec = validateSpec(
      patched(awsDoc(), {
        addons: {
          traefik: { expose: 'nodeport', values: { deployment: { replicas: 2 } } },
          'cert-manager': { acmeEmail: 'ops@example.com', acmeServer: 'https://acme-staging-v02.api.letsencrypt.org/directory' },
          'kube-prometheus-stack': { enabled: true, domain: 'monitoring.example.com', retention: '4w2d' },
          'fluent-bit': { enabled: true, output: { name: 'loki', options: { host: 'loki.example.com', port: 3100, tls: true, http_passwd: '${LOKI_PASSWORD}' } } },
          velero: { enabled: true, bucket: 'demo-backups', region: 'ch-gva-2', s3Url: 'https://sos-ch-gva-2.exo.io', prefix: 'clusters/demo', schedule: '30 2 * * MON-FRI', ttl: '168h' },
          'metrics-server': { enabled: false },
        },
      }),
    );
    expect(spec.addons['fluent-bit'].output).toEqual({ name: 'loki', options: { host: 'loki.example.com', port: '3100', tls: 'true', http_passwd: '${LOKI_PASSWORD}' } });
    expect(spec.addons.traefik.values).toEqual({ deployment: { replicas: 2 } });
    expect(spec.addons['metrics-server'].enabled).toBe(false);
  });

  it('static hosts keep their add-ons (nothing of them is reset)', () => {
    const addons = { traefik: { expose: 'nodeport' }, velero: { enabled: true, bucket: 'lab-backups', region: 'us-east-1', s3Url: 'https://minio.lab.example:9000' } };
    const spec = validateSpec(patched(staticDoc(), { addons }));
    expect(spec.addons.traefik.expose).toBe('nodeport');
    expect(spec.addons.velero).toMatchObject(addons.velero);
  });

  it('warns about an exoscale load balancer, an ACME issuer it cannot reach, and secrets in values', () => {
    const exoscale = patched(awsDoc(), { provider: { name: 'exoscale' }, addons: { traefik: { expose: 'loadbalancer' } } });
    expect(specWarnings(validateSpec(exoscale)).map((w) => w.path)).toEqual(['addons.traefik.expose']);
    const nodePort = patched(awsDoc(), { addons: { traefik: { expose: 'nodeport' }, 'cert-manager': { acmeEmail: 'ops@example.com' } } });
    expect(specWarnings(validateSpec(nodePort)).map((w) => `${w.path}: ${w.message}`)).toEqual([
      'addons.cert-manager.acmeEmail: is set, but Let\'s Encrypt checks HTTP-01 challenges on port 80, and with addons.traefik.expose nodeport Traefik listens on a NodePort: certificates are issued only if something forwards port 80 to it',
    ]);
    const noTraefik = patched(awsDoc(), { addons: { traefik: { enabled: false }, 'cert-manager': { acmeEmail: 'ops@example.com' } } });
    expect(specWarnings(validateSpec(noTraefik)).map((w) => w.path)).toEqual(['addons.cert-manager.acmeEmail']);
    const secret = patched(awsDoc(), { addons: { traefik: { values: { extraObjects: [{ stringData: { apiToken: 'abc' } }], dashboard: { password: '' } } } } });
    expect(specWarnings(validateSpec(secret)).map((w) => w.path)).toEqual(['addons.traefik.values.extraObjects[0].stringData.apiToken']);
  });

  it('checkSpec finds nothing in a spec that validated', () => {
    expect(checkSpec(validateSpec(awsDoc()))).toEqual([]);
  });

  it('applyProviderDefaults does not touch static specs', () => {
    const spec = validateSpec(staticDoc());
    expect(applyProviderDefaults(spec)).toBe(spec);
  });
});
