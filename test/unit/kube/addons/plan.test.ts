/**
 * The add-on plans of src/kube/addons/plan.ts per provider and exposure: values rendered from the
 * real templates/addons files, cluster.yaml's values merged last, Secrets kept out of the values,
 * and the manifests applied after the charts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { fluentBitOutputs } from '../../../../src/kube/addons/chart-values.js';
import { addonPlan, addonPlans, enabledAddons, type AddonPlan, type AddonSecretMaterial } from '../../../../src/kube/addons/plan.js';
import { ADDON_CHARTS, ADDON_NAMES, addonPin, VELERO_AWS_PLUGIN_IMAGE, type AddonName } from '../../../../src/kube/addons/pins.js';
import { apr1Hash } from '../../../../src/kube/addons/htpasswd.js';
import { addonSecretWithSha } from '../../../../src/kube/addons/secrets.js';
import { checkedChartVersions, deepMerge, sha256Hex, valuesToYaml } from '../../../../src/kube/addons/values.js';
import { CONTENT_SHA_ANNOTATION, secretContentSha256 } from '../../../../src/kube/cloud-integration.js';
import { templatePath, templateVariables } from '../../../../src/tools/template.js';
import { cloudSpec } from '../../../helpers/cloud-spec.js';

const MATERIAL: AddonSecretMaterial = {
  monitoring: { basicAuthPassword: 'basic-AUTH-pw-0123456789', grafanaPassword: 'grafana-ADMIN-pw-9876543210', htpasswdSalt: 'Qx.7/aB9' },
  velero: { accessKeyId: 'AKIAEXAMPLEKEYID0001', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
};
const SECRET_TEXTS = [MATERIAL.monitoring!.basicAuthPassword, MATERIAL.monitoring!.grafanaPassword, MATERIAL.velero!.accessKeyId, MATERIAL.velero!.secretAccessKey, apr1Hash(MATERIAL.monitoring!.basicAuthPassword, MATERIAL.monitoring!.htpasswdSalt)];

/** Every add-on on, with the settings the optional ones need. */
const ALL_ON = {
  'cert-manager': { acmeEmail: 'ops@example.com' },
  'kube-prometheus-stack': { enabled: true, domain: 'mon.example.com', retention: '30d' },
  'fluent-bit': { enabled: true, output: { name: 'es', options: { Host: 'elasticsearch.logging.svc', Port: 9200, Logstash_Format: 'On' } } },
  velero: { enabled: true, bucket: 'cluster-backups', region: 'us-east-1', s3Url: 'https://minio.example.com:9000', prefix: 'demo' },
};

const staticWithMetallb = (extra: Record<string, unknown> = {}) => cloudSpec('static', { loadBalancer: { metallb: { addresses: ['10.0.0.200-10.0.0.220'] } }, ...extra });
const byName = (plans: AddonPlan[], name: AddonName) => plans.find((plan) => plan.name === name)!;
const traefikOf = (spec: ReturnType<typeof cloudSpec>) => addonPlan('traefik', spec, '1.36', {});

describe('enabledAddons and addonPlans', () => {
  it('turns on metrics-server, traefik and cert-manager by default, in apply order', () => {
    const spec = cloudSpec('aws');
    expect(enabledAddons(spec)).toEqual(['metrics-server', 'traefik', 'cert-manager']);
    expect(addonPlans(spec, '1.36', {}).map((plan) => plan.name)).toEqual(['metrics-server', 'traefik', 'cert-manager']);
  });

  it('plans every add-on in the order of ADDON_NAMES when all are on, at the pins of the minor', () => {
    const plans = addonPlans(cloudSpec('aws', { addons: ALL_ON }), '1.36', MATERIAL);
    expect(plans.map((plan) => plan.name)).toEqual([...ADDON_NAMES]);
    for (const plan of plans) {
      const pin = addonPin(plan.name, '1.36')!;
      expect(plan).toMatchObject({ release: plan.name, namespace: ADDON_CHARTS[plan.name].namespace, chart: ADDON_CHARTS[plan.name].chart, repo: ADDON_CHARTS[plan.name].repo, version: pin.version, appVersion: pin.appVersion });
    }
  });

  it('keeps to `only`, and leaves out disabled add-ons even when named', () => {
    const spec = cloudSpec('aws', { addons: { 'metrics-server': { enabled: false } } });
    expect(addonPlans(spec, '1.36', {}, ['traefik', 'metrics-server']).map((plan) => plan.name)).toEqual(['traefik']);
  });

  it('has no version for a minor without a pin, and still renders its values', () => {
    const plan = addonPlan('traefik', cloudSpec('aws'), '1.30', {});
    expect(plan.version).toBeUndefined();
    expect(plan.values).toMatchObject({ ingressClass: { name: 'traefik' } });
  });

  it("says a pin's untested note as the plan's warning", () => {
    const note = addonPin('cert-manager', '1.37')?.untestedNote;
    expect(note).toBeDefined();
    expect(addonPlan('cert-manager', cloudSpec('aws'), '1.37', {}).warning).toContain(note);
  });
});

describe('values', () => {
  const providers = [
    ['aws', cloudSpec('aws'), 'loadbalancer'],
    ['openstack', cloudSpec('openstack'), 'loadbalancer'],
    ['exoscale', cloudSpec('exoscale'), 'nodeport'],
    ['aws without the CCM', cloudSpec('aws', { cloudIntegration: { ccm: false } }), 'nodeport'],
    ['static with MetalLB', staticWithMetallb(), 'loadbalancer'],
    ['static without MetalLB', cloudSpec('static'), 'hostport'],
  ] as const;

  it.each(providers)('render as YAML that reads back as the values for %s (Traefik %s)', (_label, base, exposure) => {
    const spec = { ...base, addons: cloudSpec(base.provider.name, { addons: ALL_ON }).addons };
    for (const plan of addonPlans(spec, '1.36', MATERIAL)) {
      expect(parse(plan.valuesYaml), plan.name).toEqual(plan.values);
      expect(JSON.parse(JSON.stringify(plan.values)), plan.name).toEqual(plan.values);
      expect(plan.valuesSha256).toBe(sha256Hex(plan.valuesYaml));
    }
    expect(traefikOf(spec).exposure).toBe(exposure);
  });

  it('expose Traefik through a LoadBalancer Service, a NodePort Service or host ports 80/443 of a DaemonSet', () => {
    const lb = traefikOf(cloudSpec('aws', { addons: { traefik: { expose: 'loadbalancer' } } }));
    expect(lb.values).toMatchObject({ deployment: { kind: 'Deployment' }, service: { spec: { type: 'LoadBalancer' } } });
    expect(lb.values).not.toHaveProperty('ports');
    expect(lb.workloads).toEqual([{ namespace: 'traefik', kind: 'deployment', name: 'traefik', container: 'traefik' }]);

    const nodePort = traefikOf(cloudSpec('aws', { addons: { traefik: { expose: 'nodeport' } } }));
    expect(nodePort.values).toMatchObject({ deployment: { kind: 'Deployment' }, service: { spec: { type: 'NodePort' } } });

    const host = traefikOf(cloudSpec('aws', { addons: { traefik: { expose: 'hostport' } } }));
    expect(host.values).toMatchObject({
      deployment: { kind: 'DaemonSet' },
      ports: { web: { hostPort: 80 }, websecure: { hostPort: 443 } },
      service: { spec: { type: 'ClusterIP' } },
      updateStrategy: { rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
    });
    expect(host.workloads).toEqual([{ namespace: 'traefik', kind: 'daemonset', name: 'traefik', container: 'traefik' }]);

    for (const plan of [lb, nodePort, host]) {
      expect(plan.values).toMatchObject({ ingressClass: { enabled: true, isDefaultClass: true, name: 'traefik' }, providers: { kubernetesIngress: { enabled: true }, kubernetesCRD: { enabled: true } } });
    }
  });

  it('warn where the chosen exposure will not work', () => {
    expect(traefikOf(cloudSpec('exoscale', { addons: { traefik: { expose: 'loadbalancer' } } })).warning).toMatch(/stays pending/);
    const cilium = cloudSpec('aws', { kubernetes: { version: '1.36.2', cni: 'cilium', runtime: 'containerd' }, addons: { traefik: { expose: 'hostport' } } });
    expect(traefikOf(cilium).warning).toMatch(/Cilium serves hostPort only/);
    expect(traefikOf(cloudSpec('aws')).warning).toBeUndefined();
  });

  it('give metrics-server --kubelet-insecure-tls and InternalIP first', () => {
    const plan = addonPlan('metrics-server', cloudSpec('aws'), '1.36', {});
    expect(plan.values.args).toEqual(['--kubelet-insecure-tls']);
    expect(plan.values.defaultArgs).toContain('--kubelet-preferred-address-types=InternalIP,Hostname,ExternalIP');
  });

  it('install cert-manager with its CRDs, kept on uninstall', () => {
    expect(addonPlan('cert-manager', cloudSpec('aws'), '1.36', {}).values).toEqual({ crds: { enabled: true, keep: true } });
  });

  it('point kube-prometheus-stack at the grafana-admin Secret, with the retention and URLs of the spec', () => {
    const plan = addonPlan('kube-prometheus-stack', cloudSpec('aws', { addons: ALL_ON }), '1.36', MATERIAL);
    expect(plan.values).toMatchObject({
      grafana: { admin: { existingSecret: 'grafana-admin', userKey: 'admin-user', passwordKey: 'admin-password' } },
      prometheus: { prometheusSpec: { retention: '30d', externalUrl: 'https://prometheus.mon.example.com/' } },
      alertmanager: { alertmanagerSpec: { externalUrl: 'https://alertmanager.mon.example.com/' } },
      kubeControllerManager: { enabled: false },
      kubeScheduler: { enabled: false },
      kubeEtcd: { enabled: false },
      kubeProxy: { enabled: false },
    });
    expect(plan.referencedSecrets).toEqual([{ namespace: 'monitoring', name: 'grafana-admin' }]);
  });

  it("write fluent-bit's one [OUTPUT] from the spec, matching every input", () => {
    const plan = addonPlan('fluent-bit', cloudSpec('aws', { addons: ALL_ON }), '1.36', {});
    expect((plan.values.config as { outputs: string }).outputs).toBe('[OUTPUT]\n    Name es\n    Match *\n    Host elasticsearch.logging.svc\n    Port 9200\n    Logstash_Format On\n');
    expect(plan.values.tolerations).toEqual([{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }]);
  });

  it.each([
    ['a newline', { Host: 'a\n[OUTPUT]' }],
    ['a section bracket', { Host: '[x]' }],
    ['a directive', { Host: '@INCLUDE /etc/passwd' }],
    ['a Helm template', { Host: '{{ .Release.Name }}' }],
    ['a second Match', { match: 'kube.*' }],
    ['a bad key', { 'Host Name': 'x' }],
    ['a long value', { Host: 'x'.repeat(513) }],
  ])('refuse a fluent-bit option with %s', (_what, options) => {
    expect(() => fluentBitOutputs({ name: 'es', options })).toThrow(/fluent-bit output option/);
  });

  it('configure Velero: plugin image of the pins, one S3 location, the Secret by name, node agent, no snapshots, the daily schedule', () => {
    const plan = addonPlan('velero', cloudSpec('aws', { addons: ALL_ON }), '1.36', MATERIAL);
    expect(plan.values).toMatchObject({
      initContainers: [{ name: 'velero-plugin-for-aws', image: VELERO_AWS_PLUGIN_IMAGE, volumeMounts: [{ mountPath: '/target', name: 'plugins' }] }],
      configuration: {
        backupStorageLocation: [{ name: 'default', provider: 'aws', bucket: 'cluster-backups', prefix: 'demo', default: true, config: { region: 'us-east-1', s3Url: 'https://minio.example.com:9000', s3ForcePathStyle: 'true' } }],
      },
      credentials: { useSecret: true, existingSecret: 'velero-s3' },
      snapshotsEnabled: false,
      deployNodeAgent: true,
      schedules: { daily: { disabled: false, schedule: '0 3 * * *', template: { ttl: '720h', storageLocation: 'default' } } },
    });
    const aws = addonPlan('velero', cloudSpec('aws', { addons: { velero: { enabled: true, bucket: 'b-1', region: 'eu-west-1' } } }), '1.36', MATERIAL);
    expect((aws.values.configuration as { backupStorageLocation: unknown[] }).backupStorageLocation).toEqual([{ name: 'default', provider: 'aws', bucket: 'b-1', default: true, config: { region: 'eu-west-1' } }]);
  });

  it("merge cluster.yaml's values last: objects key by key, lists and scalars replaced, null kept for Helm", () => {
    const spec = cloudSpec('aws', {
      addons: {
        traefik: { values: { deployment: { replicas: 3 }, ingressClass: { isDefaultClass: false }, additionalArguments: ['--log.level=DEBUG'], service: null } },
        'metrics-server': { values: { args: ['--v=2'] } },
      },
    });
    const traefik = traefikOf(spec);
    expect(traefik.values).toMatchObject({ deployment: { kind: 'Deployment', replicas: 3 }, ingressClass: { enabled: true, isDefaultClass: false, name: 'traefik' }, additionalArguments: ['--log.level=DEBUG'], service: null });
    expect(addonPlan('metrics-server', spec, '1.36', {}).values.args).toEqual(['--v=2']);
    expect(deepMerge({ a: { b: 1, c: [1, 2] } }, { a: { c: [3] } })).toEqual({ a: { b: 1, c: [3] } });
  });

  it('are deterministic: the same spec gives the same YAML and sha, whatever order the keys come in', () => {
    const a = traefikOf(cloudSpec('aws', { addons: { traefik: { values: { b: 1, a: { y: 1, x: 2 } } } } }));
    const b = traefikOf(cloudSpec('aws', { addons: { traefik: { values: { a: { x: 2, y: 1 }, b: 1 } } } }));
    expect(a.valuesYaml).toBe(b.valuesYaml);
    expect(a.valuesSha256).toBe(b.valuesSha256);
    expect(a.contentSha256).toBe(b.contentSha256);
    expect(valuesToYaml({ z: 1, a: { d: 1, c: 2 } })).toBe('a:\n  c: 2\n  d: 1\nz: 1\n');
  });

  it('quote what Go\'s YAML 1.1 would not read as a string (Helm and kubectl parse with go-yaml)', () => {
    const plan = traefikOf(cloudSpec('aws', { addons: { traefik: { values: { a: 'on', b: 'yes', c: '0755', d: '1:20', n: 'x', e: 80, f: true } } } }));
    expect(plan.valuesYaml).toContain('a: "on"\n');
    expect(plan.valuesYaml).toContain('b: "yes"\n');
    expect(plan.valuesYaml).toContain('c: "0755"\n');
    expect(plan.valuesYaml).toContain('d: "1:20"\n');
    expect(plan.valuesYaml).toContain('"n": x\n');
    expect(plan.valuesYaml).toContain('e: 80\n');
    expect(plan.valuesYaml).toContain('f: true\n');
    expect(parse(plan.valuesYaml, { version: '1.1' })).toEqual(plan.values);
  });

  it('never hold a secret, nor does anything else but the Secrets', () => {
    for (const plan of addonPlans(cloudSpec('aws', { addons: ALL_ON }), '1.36', MATERIAL)) {
      const visible = [plan.valuesYaml, JSON.stringify(plan.values), ...plan.after.map((item) => item.manifest + item.description), plan.warning ?? ''].join('\n');
      for (const secret of SECRET_TEXTS) expect(visible, plan.name).not.toContain(secret);
    }
  });

  it.each(ADDON_NAMES.map((name) => [name]))('of %s were checked against every chart version pinned for it', (name) => {
    const checked = checkedChartVersions(name);
    const pinned = [...new Set(Object.values(ADDON_CHARTS[name].versions).map((pin) => pin!.version))];
    for (const version of pinned) expect(checked, `templates/addons/${name}/values.yaml: re-read the chart's values.yaml at ${version} and add it to checked-chart-versions`).toContain(version);
  });
});

describe('secrets', () => {
  const plans = addonPlans(cloudSpec('aws', { addons: ALL_ON }), '1.36', MATERIAL);

  it('render Grafana admin and the basic-auth htpasswd line for monitoring, with their content sha', () => {
    const secrets = byName(plans, 'kube-prometheus-stack').secrets;
    expect(secrets.map((secret) => `${secret.namespace}/${secret.name}`)).toEqual(['monitoring/grafana-admin', 'monitoring/monitoring-basic-auth']);
    const [grafana, basic] = secrets.map((secret) => parse(secret.rendered) as { kind: string; type: string; metadata: { annotations: Record<string, string> }; stringData: Record<string, string> });
    expect(grafana).toMatchObject({ kind: 'Secret', type: 'Opaque', stringData: { 'admin-user': 'admin', 'admin-password': MATERIAL.monitoring!.grafanaPassword } });
    expect(basic!.stringData).toEqual({ users: `admin:${apr1Hash(MATERIAL.monitoring!.basicAuthPassword, MATERIAL.monitoring!.htpasswdSalt)}\n` });
    for (const secret of secrets) {
      expect(secret.sha256).toBe(secretContentSha256(secret.content));
      expect((parse(secret.rendered) as { metadata: { annotations: Record<string, string> } }).metadata.annotations[CONTENT_SHA_ANNOTATION]).toBe(secret.sha256);
    }
    expect(secrets[0]!.readers).toEqual([{ namespace: 'monitoring', kind: 'deployment', name: 'kube-prometheus-stack-grafana', container: 'grafana' }]);
    expect(secrets[1]!.readers).toEqual([]);
  });

  it('quote a password Go would read as something else, and can carry another sha', () => {
    const plan = addonPlan('kube-prometheus-stack', cloudSpec('aws', { addons: ALL_ON }), '1.36', { monitoring: { ...MATERIAL.monitoring!, grafanaPassword: 'yes' } });
    const grafana = plan.secrets[0]!;
    expect(grafana.rendered).toContain('admin-password: "yes"');
    const older = addonSecretWithSha(grafana, 'f'.repeat(64));
    expect(parse(older, { version: '1.1' })).toEqual({ ...(parse(grafana.rendered) as object), metadata: { ...(parse(grafana.rendered) as { metadata: object }).metadata, annotations: { [CONTENT_SHA_ANNOTATION]: 'f'.repeat(64) } } });
    expect(addonSecretWithSha(grafana, grafana.sha256)).toBe(grafana.rendered);
    expect(parse(addonSecretWithSha(grafana, undefined))).toEqual(parse(grafana.content));
  });

  it('hash the same on every run for the same material, and differently when it changes', () => {
    const again = addonPlans(cloudSpec('aws', { addons: ALL_ON }), '1.36', MATERIAL);
    expect(byName(again, 'kube-prometheus-stack').secrets.map((s) => s.sha256)).toEqual(byName(plans, 'kube-prometheus-stack').secrets.map((s) => s.sha256));
    const changed = addonPlan('velero', cloudSpec('aws', { addons: ALL_ON }), '1.36', { velero: { ...MATERIAL.velero!, secretAccessKey: 'another' } });
    expect(changed.secrets[0]!.sha256).not.toBe(byName(plans, 'velero').secrets[0]!.sha256);
    expect(changed.contentSha256).not.toBe(byName(plans, 'velero').contentSha256);
    expect(changed.valuesSha256).toBe(byName(plans, 'velero').valuesSha256);
  });

  it("render Velero's S3 keys as an AWS credentials file in key cloud, read by the server and the node agent", () => {
    const [secret] = byName(plans, 'velero').secrets;
    expect(parse(secret!.rendered)).toMatchObject({ metadata: { namespace: 'velero', name: 'velero-s3' }, stringData: { cloud: `[default]\naws_access_key_id=${MATERIAL.velero!.accessKeyId}\naws_secret_access_key=${MATERIAL.velero!.secretAccessKey}\n` } });
    expect(secret!.readers.map((reader) => `${reader.kind}/${reader.name}`)).toEqual(['deployment/velero', 'daemonset/node-agent']);
  });

  it('leave Velero without its Secret when no keys are given (the one in the cluster stays), naming it as referenced', () => {
    const plan = addonPlan('velero', cloudSpec('aws', { addons: ALL_ON }), '1.36', {});
    expect(plan.secrets).toEqual([]);
    expect(plan.referencedSecrets).toEqual([{ namespace: 'velero', name: 'velero-s3' }]);
  });

  it('refuse to plan monitoring without its material, and keys with control characters', () => {
    expect(() => addonPlan('kube-prometheus-stack', cloudSpec('aws', { addons: ALL_ON }), '1.36', {})).toThrow(/monitoring secrets/);
    expect(() => addonPlan('velero', cloudSpec('aws', { addons: ALL_ON }), '1.36', { velero: { accessKeyId: 'a\nb', secretAccessKey: 'x' } })).toThrow(/control character/);
  });
});

describe('after-manifests', () => {
  const docs = (plan: AddonPlan) => plan.after.flatMap((item) => parseAllDocuments(item.manifest).map((doc) => doc.toJS() as Record<string, any>));

  it('are the selfsigned ClusterIssuer, and letsencrypt over HTTP-01 through Traefik when an ACME e-mail is set', () => {
    const plain = docs(addonPlan('cert-manager', cloudSpec('aws'), '1.36', {}));
    expect(plain).toEqual([{ apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'selfsigned' }, spec: { selfSigned: {} } }]);
    const acme = docs(addonPlan('cert-manager', cloudSpec('aws', { addons: ALL_ON }), '1.36', {}));
    expect(acme[1]).toEqual({
      apiVersion: 'cert-manager.io/v1',
      kind: 'ClusterIssuer',
      metadata: { name: 'letsencrypt' },
      spec: { acme: { email: 'ops@example.com', server: 'https://acme-v02.api.letsencrypt.org/directory', privateKeySecretRef: { name: 'letsencrypt-account-key' }, solvers: [{ http01: { ingress: { ingressClassName: 'traefik' } } }] } },
    });
  });

  it('put the monitoring UIs behind the basic-auth Middleware on websecure, with certificates of the ACME issuer when there is one', () => {
    const objects = docs(addonPlan('kube-prometheus-stack', cloudSpec('aws', { addons: ALL_ON }), '1.36', MATERIAL));
    expect(objects[0]).toEqual({ apiVersion: 'traefik.io/v1alpha1', kind: 'Middleware', metadata: { name: 'monitoring-basic-auth', namespace: 'monitoring' }, spec: { basicAuth: { secret: 'monitoring-basic-auth' } } });
    const ingresses = objects.slice(1);
    expect(ingresses.map((ing) => [ing.spec.rules[0].host, ing.spec.rules[0].http.paths[0].backend.service.name, ing.spec.rules[0].http.paths[0].backend.service.port.number])).toEqual([
      ['grafana.mon.example.com', 'kube-prometheus-stack-grafana', 80],
      ['prometheus.mon.example.com', 'kube-prometheus-stack-prometheus', 9090],
      ['alertmanager.mon.example.com', 'kube-prometheus-stack-alertmanager', 9093],
    ]);
    for (const ing of ingresses) {
      expect(ing).toMatchObject({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { namespace: 'monitoring' }, spec: { ingressClassName: 'traefik', tls: [{ hosts: [ing.spec.rules[0].host], secretName: `${ing.metadata.name}-tls` }] } });
      expect(ing.metadata.annotations).toEqual({
        'cert-manager.io/cluster-issuer': 'letsencrypt',
        'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure',
        'traefik.ingress.kubernetes.io/router.tls': 'true',
        'traefik.ingress.kubernetes.io/router.middlewares': 'monitoring-monitoring-basic-auth@kubernetescrd',
      });
    }
    const selfSigned = docs(addonPlan('kube-prometheus-stack', cloudSpec('aws', { addons: { 'kube-prometheus-stack': { enabled: true, domain: 'm.example.org' } } }), '1.36', MATERIAL));
    expect(selfSigned.slice(1).map((ing) => ing.metadata.annotations['cert-manager.io/cluster-issuer'])).toEqual(['selfsigned', 'selfsigned', 'selfsigned']);
  });

  it('are none for the other add-ons', () => {
    for (const name of ['metrics-server', 'traefik', 'fluent-bit', 'velero'] as const) expect(addonPlan(name, cloudSpec('aws', { addons: ALL_ON }), '1.36', MATERIAL).after).toEqual([]);
  });
});

describe('templates/addons', () => {
  const files = (dir: string): string[] => readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : [join(dir, name)]));

  it('every file parses as YAML once its placeholders hold JSON strings, and every placeholder is one word', () => {
    const all = files(templatePath('addons'));
    expect(all.length).toBeGreaterThanOrEqual(12);
    for (const path of all) {
      const text = readFileSync(path, 'utf8');
      const filled = text.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g, (_m, key: string) => JSON.stringify(`value-of-${key}`));
      for (const doc of parseAllDocuments(filled)) expect(doc.errors, path).toEqual([]);
      for (const name of templateVariables(text)) expect(name, path).toMatch(/^[A-Za-z]+$/);
    }
  });

  it('each values.yaml cites the chart it was read from', () => {
    for (const name of ADDON_NAMES) {
      const text = readFileSync(templatePath('addons', name, 'values.yaml'), 'utf8');
      expect(text, name).toMatch(/github\.com\/[\w.-]+\/[\w.-]+/);
      expect(text, name).toContain(ADDON_CHARTS[name].repo.replace(/\/$/, ''));
    }
  });
});

describe('selectors and workloads', () => {
  it('name the pods and workloads of each add-on in its namespace', () => {
    for (const plan of addonPlans(cloudSpec('aws', { addons: ALL_ON }), '1.36', MATERIAL)) {
      expect(plan.selectors.length, plan.name).toBeGreaterThan(0);
      expect(plan.workloads.length, plan.name).toBeGreaterThan(0);
      for (const selector of plan.selectors) expect(selector.namespace).toBe(plan.namespace);
      for (const workload of plan.workloads) expect(workload.namespace).toBe(plan.namespace);
      expect(plan.helmTimeoutS).toBeGreaterThanOrEqual(300);
    }
  });
});
