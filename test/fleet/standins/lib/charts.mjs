// The charts the fleet's Helm repositories serve (canned/helm-charts.json lists their versions):
// per chart its default values (the keys the fleet honours, as the chart's values.yaml spells them)
// and a renderer that turns the coalesced values into the objects the chart's templates create.
// Only what an installer can observe is rendered: workloads (names, labels, images, pod templates
// with nodeSelector, tolerations, replicas, host ports, Secret references), Services, IngressClass,
// Ingresses, CRDs, APIService, webhooks, RBAC names. Sources are cited per chart; charts are read at
// the tags named there with `git show <tag>:<path>`.
import { createHash } from 'node:crypto';

// ---------------------------------------------------------------- shared helpers

const hash = (text) => createHash('sha256').update(text).digest('hex');

/** Helm's `<chart>.fullname`: the release name when it contains the chart name, else "<release>-<chart>", truncated. */
export function fullname(release, chart, max = 63) {
  const name = release.includes(chart) ? release : `${release}-${chart}`;
  return name.slice(0, max).replace(/-+$/, '');
}

/** `<chart>.chart` label: name-version with "+" replaced (every chart's _helpers.tpl). */
const chartLabel = (ctx) => `${ctx.chart}-${ctx.version}`.replace(/\+/g, '_').slice(0, 63).replace(/-+$/, '');

const standardLabels = (ctx, name, instance = ctx.release, extra = {}) => ({
  'app.kubernetes.io/name': name,
  'app.kubernetes.io/instance': instance,
  'app.kubernetes.io/managed-by': 'Helm',
  'helm.sh/chart': chartLabel(ctx),
  ...extra,
});

const metadata = (name, namespace, labels, annotations) => ({
  name,
  ...(namespace ? { namespace } : {}),
  ...(labels ? { labels } : {}),
  ...(annotations && Object.keys(annotations).length > 0 ? { annotations } : {}),
});

const obj = (apiVersion, kind, meta, rest = {}) => ({ apiVersion, kind, metadata: meta, ...rest });

/** The pod spec fields every chart passes through from values. */
function placement(values) {
  return {
    ...(values.nodeSelector && Object.keys(values.nodeSelector).length > 0 ? { nodeSelector: values.nodeSelector } : {}),
    ...(values.tolerations?.length ? { tolerations: values.tolerations } : {}),
    ...(values.affinity && Object.keys(values.affinity).length > 0 ? { affinity: values.affinity } : {}),
  };
}

function workload(kind, name, namespace, labels, selector, podSpec, { replicas, podLabels = {}, annotations } = {}) {
  return obj('apps/v1', kind, metadata(name, namespace, labels, annotations), {
    spec: {
      ...(kind !== 'DaemonSet' ? { replicas: replicas ?? 1 } : {}),
      ...(kind === 'StatefulSet' ? { serviceName: name } : {}),
      selector: { matchLabels: selector },
      template: { metadata: { labels: { ...labels, ...selector, ...podLabels } }, spec: podSpec },
    },
  });
}

const service = (name, namespace, labels, selector, ports, spec = {}, annotations) =>
  obj('v1', 'Service', metadata(name, namespace, labels, annotations), { spec: { type: 'ClusterIP', ...spec, selector, ports } });

const serviceAccount = (name, namespace, labels) => obj('v1', 'ServiceAccount', metadata(name, namespace, labels));

function rbac(name, namespace, labels, { clusterRole = name, account = name } = {}) {
  return [
    obj('rbac.authorization.k8s.io/v1', 'ClusterRole', metadata(clusterRole, undefined, labels), { rules: [] }),
    obj('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', metadata(clusterRole, undefined, labels), {
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
      subjects: [{ kind: 'ServiceAccount', name: account, namespace }],
    }),
  ];
}

/** A CustomResourceDefinition as the charts ship them (the fleet needs group, names, scope, versions). */
function crd(group, kind, plural, { scope = 'Namespaced', version = 'v1', labels, annotations } = {}) {
  return obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', metadata(`${plural}.${group}`, undefined, labels, annotations), {
    spec: { group, names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() }, scope, versions: [{ name: version, served: true, storage: true }] },
  });
}

/** `repository:tag`, the tag defaulting to the chart's appVersion (with a "v" prefix where the chart adds one). */
const image = (repository, tag) => `${repository}:${tag}`;

/** An Ingress from the `ingress:` block the charts share (enabled, ingressClassName, annotations, hosts, path(s), tls). */
function chartIngress(name, namespace, labels, block, serviceName, servicePort) {
  if (!block?.enabled) return [];
  const paths = block.paths?.length ? block.paths : [block.path ?? '/'];
  return [
    obj('networking.k8s.io/v1', 'Ingress', metadata(name, namespace, labels, block.annotations), {
      spec: {
        ...(block.ingressClassName ? { ingressClassName: block.ingressClassName } : {}),
        rules: (block.hosts ?? []).map((host) => ({
          host: typeof host === 'string' ? host : host.host,
          http: { paths: paths.map((path) => ({ path, pathType: block.pathType ?? 'Prefix', backend: { service: { name: serviceName, port: { number: servicePort } } } })) },
        })),
        ...(block.tls?.length ? { tls: block.tls } : {}),
      },
    }),
  ];
}

// ---------------------------------------------------------------- metrics-server

// kubernetes-sigs/metrics-server charts/metrics-server @metrics-server-helm-chart-3.13.0: values.yaml
// (image.repository, image.tag "" → "v"+appVersion in _helpers.tpl "metrics-server.image", replicas,
// defaultArgs + args, hostNetwork.enabled, apiService.create, nodeSelector, tolerations, affinity),
// templates/deployment.yaml, service.yaml (443 → https), apiservice.yaml (v1beta1.metrics.k8s.io).
const metricsServer = {
  defaults: () => ({
    image: { repository: 'registry.k8s.io/metrics-server/metrics-server', tag: '', pullPolicy: 'IfNotPresent' },
    serviceAccount: { create: true, name: '' },
    rbac: { create: true },
    apiService: { create: true, insecureSkipTLSVerify: true },
    containerPort: 10250,
    hostNetwork: { enabled: false },
    replicas: 1,
    defaultArgs: ['--cert-dir=/tmp', '--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname', '--kubelet-use-node-status-port', '--metric-resolution=15s'],
    args: [],
    service: { type: 'ClusterIP', port: 443 },
    nodeSelector: {},
    tolerations: [],
    affinity: {},
  }),
  render(ctx) {
    const { values: v, namespace } = ctx;
    const name = fullname(ctx.release, 'metrics-server');
    const selector = { 'app.kubernetes.io/name': 'metrics-server', 'app.kubernetes.io/instance': ctx.release };
    const labels = standardLabels(ctx, 'metrics-server', ctx.release, { 'app.kubernetes.io/version': ctx.appVersion });
    const objects = [
      serviceAccount(name, namespace, labels),
      ...rbac(name, namespace, labels, { clusterRole: `system:${name}` }),
      service(name, namespace, labels, selector, [{ name: 'https', port: v.service.port, protocol: 'TCP', targetPort: 'https' }], { type: v.service.type }),
      workload('Deployment', name, namespace, labels, selector, {
        serviceAccountName: name,
        priorityClassName: 'system-cluster-critical',
        ...(v.hostNetwork?.enabled ? { hostNetwork: true } : {}),
        ...placement(v),
        containers: [{
          name: 'metrics-server',
          image: image(v.image.repository, v.image.tag || `v${ctx.appVersion}`),
          args: [`--secure-port=${v.containerPort}`, ...(v.defaultArgs ?? []), ...(v.args ?? [])],
          ports: [{ name: 'https', containerPort: v.containerPort, protocol: 'TCP' }],
        }],
      }, { replicas: v.replicas }),
    ];
    if (v.apiService?.create) {
      objects.push(obj('apiregistration.k8s.io/v1', 'APIService', metadata('v1beta1.metrics.k8s.io', undefined, labels), {
        spec: { group: 'metrics.k8s.io', groupPriorityMinimum: 100, insecureSkipTLSVerify: Boolean(v.apiService.insecureSkipTLSVerify), service: { name, namespace, port: v.service.port }, version: 'v1beta1', versionPriority: 100 },
      }));
    }
    return { crds: [], objects };
  },
};

// ---------------------------------------------------------------- traefik

// traefik/traefik-helm-chart traefik/ @v37.1.0 and @v41.3.0: values.yaml (image.registry/repository/tag
// — tag defaults to appVersion, _helpers.tpl "traefik.image-name"; deployment.kind Deployment|DaemonSet,
// deployment.replicas; ports.<name>.port/containerPort/hostPort/exposedPort/expose.default/nodePort;
// service.type (before v40) or service.spec.type (v40.0.0, commit b9f3ed34 "fix(service)!: align syntax
// with upstream"); ingressClass.enabled/isDefaultClass/name; hostNetwork; nodeSelector; tolerations),
// _helpers.tpl (fullname; instance label "<release>-<namespace>"; ClusterRole "<fullname>-<namespace>"),
// templates/ingressclass.yaml (controller traefik.io/ingress-controller, is-default-class annotation),
// crds/ (the traefik.io kinds; the Hub and Gateway API CRDs there are left out).
const TRAEFIK_CRDS = [
  ['IngressRoute', 'ingressroutes'], ['IngressRouteTCP', 'ingressroutetcps'], ['IngressRouteUDP', 'ingressrouteudps'], ['Middleware', 'middlewares'],
  ['MiddlewareTCP', 'middlewaretcps'], ['ServersTransport', 'serverstransports'], ['ServersTransportTCP', 'serverstransporttcps'], ['TLSOption', 'tlsoptions'],
  ['TLSStore', 'tlsstores'], ['TraefikService', 'traefikservices'],
];

const majorOf = (version) => Number(/^v?(\d+)/.exec(version)?.[1] ?? 0);
/** Compares dotted versions, a leading "v" ignored. */
function compareVersion(a, b) {
  const pa = String(a).replace(/^v/, '').split('.').map((part) => parseInt(part, 10) || 0);
  const pb = String(b).replace(/^v/, '').split('.').map((part) => parseInt(part, 10) || 0);
  for (let index = 0; index < Math.max(pa.length, pb.length); index++) if ((pa[index] ?? 0) !== (pb[index] ?? 0)) return (pa[index] ?? 0) - (pb[index] ?? 0);
  return 0;
}

const traefik = {
  defaults: (version) => ({
    image: { registry: 'docker.io', repository: 'traefik', tag: null },
    deployment: { enabled: true, kind: 'Deployment', replicas: 1 },
    ingressClass: { enabled: true, isDefaultClass: true, name: '' },
    ports: {
      traefik: { port: 8080, hostPort: null, expose: { default: false }, exposedPort: 8080, protocol: 'TCP' },
      web: { port: 8000, expose: { default: true }, exposedPort: 80, protocol: 'TCP', nodePort: null },
      websecure: { port: 8443, hostPort: null, containerPort: null, expose: { default: true }, exposedPort: 443, protocol: 'TCP', nodePort: null },
      metrics: { port: 9100, expose: { default: false }, exposedPort: 9100, protocol: 'TCP' },
    },
    service: majorOf(version) >= 40
      ? { enabled: true, single: true, annotations: {}, labels: {}, spec: { type: 'LoadBalancer' } }
      : { enabled: true, single: true, type: 'LoadBalancer', annotations: {}, labels: {}, spec: {} },
    hostNetwork: false,
    nodeSelector: {},
    tolerations: [],
    affinity: {},
  }),
  render(ctx) {
    const { values: v, namespace } = ctx;
    const name = fullname(ctx.release, 'traefik');
    const instance = `${ctx.release}-${namespace}`.slice(0, 63).replace(/-+$/, '');
    const selector = { 'app.kubernetes.io/name': 'traefik', 'app.kubernetes.io/instance': instance };
    const labels = standardLabels(ctx, 'traefik', instance);
    const ports = Object.entries(v.ports ?? {}).filter(([, port]) => port && port.port);
    const objects = [serviceAccount(name, namespace, labels), ...rbac(name, namespace, labels, { clusterRole: `${name}-${namespace}`.slice(0, 63) })];
    if (v.service?.enabled) {
      const spec = { ...(v.service.spec ?? {}) };
      const type = majorOf(ctx.version) >= 40 ? spec.type ?? 'LoadBalancer' : v.service.type ?? 'LoadBalancer';
      const servicePorts = ports
        .filter(([, port]) => port.expose?.default)
        .map(([portName, port]) => ({ port: port.exposedPort ?? port.port, name: portName, targetPort: portName, protocol: port.protocol ?? 'TCP', ...(port.nodePort && type !== 'ClusterIP' ? { nodePort: port.nodePort } : {}) }));
      objects.push(service(name, namespace, { ...labels, ...(v.service.labels ?? {}) }, selector, servicePorts, { ...spec, type }, v.service.annotations));
    }
    if (v.deployment?.enabled) {
      const kind = v.deployment.kind === 'DaemonSet' ? 'DaemonSet' : 'Deployment';
      const containerPorts = ports.map(([portName, port]) => ({
        name: portName,
        containerPort: port.containerPort ?? port.port,
        protocol: port.protocol ?? 'TCP',
        ...(port.hostPort ? { hostPort: port.hostPort } : {}),
        ...(port.hostIP ? { hostIP: port.hostIP } : {}),
      }));
      objects.push(workload(kind, name, namespace, labels, selector, {
        serviceAccountName: name,
        ...(v.hostNetwork ? { hostNetwork: true } : {}),
        ...placement(v),
        containers: [{
          name,
          image: image(`${v.image.registry}/${v.image.repository}`, v.image.tag || ctx.appVersion),
          args: ports.map(([portName, port]) => `--entryPoints.${portName}.address=:${port.port}/${String(port.protocol ?? 'TCP').toLowerCase()}`),
          ports: containerPorts,
        }],
      }, { replicas: v.deployment.replicas ?? 1 }));
    }
    if (v.ingressClass?.enabled) {
      objects.push(obj('networking.k8s.io/v1', 'IngressClass', metadata(v.ingressClass.name || name, undefined, labels, v.ingressClass.isDefaultClass ? { 'ingressclass.kubernetes.io/is-default-class': 'true' } : undefined), {
        spec: { controller: 'traefik.io/ingress-controller' },
      }));
    }
    return { crds: TRAEFIK_CRDS.map(([kind, plural]) => crd('traefik.io', kind, plural, { version: 'v1alpha1' })), objects };
  },
};

// ---------------------------------------------------------------- cert-manager

// cert-manager/cert-manager deploy/charts/cert-manager @v1.19.1 and @v1.21.1: values.yaml (crds.enabled false,
// crds.keep true, installCRDs; replicaCount, image.repository quay.io/jetstack/cert-manager-controller
// (from v1.20.0 imageRegistry quay.io + imageNamespace jetstack + image.name), image.tag defaulting
// to appVersion (_helpers.tpl "image" / "cert-manager.image"), nodeSelector kubernetes.io/os: linux,
// tolerations; webhook.* and cainjector.* alike), _helpers.tpl (fullname; webhook/cainjector names
// and app.kubernetes.io/name "webhook"/"cainjector"), templates/crd-*.yaml (rendered when crds.enabled
// or installCRDs; `helm.sh/resource-policy: keep` when crds.keep), deployment.yaml, service.yaml
// (9402), webhook-service.yaml (443), webhook-{mutating,validating}-webhook.yaml. The startupapicheck
// Job is a post-install hook: the fleet runs no hooks.
const CERT_MANAGER_CRDS = [
  ['cert-manager.io', 'Certificate', 'certificates'], ['cert-manager.io', 'CertificateRequest', 'certificaterequests'], ['cert-manager.io', 'Issuer', 'issuers'],
  ['cert-manager.io', 'ClusterIssuer', 'clusterissuers', 'Cluster'], ['acme.cert-manager.io', 'Challenge', 'challenges'], ['acme.cert-manager.io', 'Order', 'orders'],
];

/** From v1.20.0 the image is imageRegistry/imageNamespace/image.name unless image.repository is set (values.yaml, _helpers.tpl "cert-manager.image" @v1.21.1). */
const certManagerNamedImages = (version) => compareVersion(version, '1.20.0') >= 0;

const componentDefaults = (version, name) => ({
  replicaCount: 1,
  image: certManagerNamedImages(version) ? { name, repository: '' } : { repository: `quay.io/jetstack/${name}` },
  nodeSelector: { 'kubernetes.io/os': 'linux' },
  tolerations: [],
  affinity: {},
});

/** The image of a component: image.repository (with image.registry prefixed), else the registry/namespace/name triple. */
function certManagerImage(values, image, appVersion) {
  let repository = image.repository || [values.imageRegistry, values.imageNamespace, image.name].filter(Boolean).join('/');
  if (image.registry) repository = `${image.registry}/${repository}`;
  return `${repository}:${image.tag || appVersion}`;
}

const certManager = {
  defaults: (version) => ({
    installCRDs: false,
    crds: { enabled: false, keep: true },
    ...(certManagerNamedImages(version) ? { imageRegistry: 'quay.io', imageNamespace: 'jetstack' } : {}),
    ...componentDefaults(version, 'cert-manager-controller'),
    webhook: { ...componentDefaults(version, 'cert-manager-webhook'), serviceType: 'ClusterIP' },
    cainjector: { enabled: true, ...componentDefaults(version, 'cert-manager-cainjector') },
    startupapicheck: { enabled: true },
  }),
  render(ctx) {
    const { values: v, namespace } = ctx;
    const base = fullname(ctx.release, 'cert-manager');
    const objects = [];
    if (v.crds?.enabled || v.installCRDs) {
      for (const [group, kind, plural, scope] of CERT_MANAGER_CRDS) {
        objects.push(crd(group, kind, plural, { scope, labels: standardLabels(ctx, 'cert-manager', ctx.release), annotations: v.crds?.keep ? { 'helm.sh/resource-policy': 'keep' } : undefined }));
      }
    }
    const component = (name, appName, component, values, extraPorts, withService) => {
      const selector = { 'app.kubernetes.io/name': appName, 'app.kubernetes.io/instance': ctx.release, 'app.kubernetes.io/component': component };
      const labels = { app: appName, ...standardLabels(ctx, appName, ctx.release, { 'app.kubernetes.io/component': component, 'app.kubernetes.io/version': ctx.appVersion }) };
      objects.push(serviceAccount(name, namespace, labels));
      if (withService) objects.push(service(name, namespace, labels, selector, extraPorts, { type: values.serviceType ?? 'ClusterIP' }));
      objects.push(workload('Deployment', name, namespace, labels, selector, {
        serviceAccountName: name,
        ...placement(values),
        containers: [{ name: `cert-manager-${component}`, image: certManagerImage(v, values.image, ctx.appVersion) }],
      }, { replicas: values.replicaCount ?? 1 }));
    };
    component(base, 'cert-manager', 'controller', v, [{ name: 'tcp-prometheus-servicemonitor', port: 9402, protocol: 'TCP', targetPort: 'http-metrics' }], true);
    const webhook = `${base.slice(0, 55).replace(/-+$/, '')}-webhook`;
    component(webhook, 'webhook', 'webhook', v.webhook, [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 'https' }], true);
    if (v.cainjector?.enabled !== false) component(`${base.slice(0, 52).replace(/-+$/, '')}-cainjector`, 'cainjector', 'cainjector', v.cainjector, [{ name: 'http-metrics', port: 9402, protocol: 'TCP' }], true);
    const hookLabels = standardLabels(ctx, 'webhook', ctx.release, { 'app.kubernetes.io/component': 'webhook' });
    const clientConfig = { service: { name: webhook, namespace, path: '/validate' } };
    objects.push(obj('admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', metadata(webhook, undefined, hookLabels), { webhooks: [{ name: 'webhook.cert-manager.io', clientConfig: { service: { ...clientConfig.service, path: '/mutate' } } }] }));
    objects.push(obj('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', metadata(webhook, undefined, hookLabels), { webhooks: [{ name: 'webhook.cert-manager.io', clientConfig }] }));
    return { crds: [], objects };
  },
};

// ---------------------------------------------------------------- kube-prometheus-stack

// prometheus-community/helm-charts charts/kube-prometheus-stack @kube-prometheus-stack-79.0.0 and
// @kube-prometheus-stack-88.5.3: Chart.yaml (dependencies crds — its crds/ dir holds the ten
// monitoring.coreos.com CRDs —, kube-state-metrics, prometheus-node-exporter, grafana), _helpers.tpl
// (fullname truncated to 26; "<fullname>-operator"; Prometheus/Alertmanager CR names
// "<fullname>-prometheus"/"-alertmanager"), templates/prometheus-operator/deployment.yaml (labels app
// "<name>-operator", app.kubernetes.io/name "<name>-prometheus-operator", release), values.yaml
// (prometheusOperator.*, prometheus.prometheusSpec.{replicas,image,nodeSelector,tolerations},
// alertmanager.alertmanagerSpec.*, grafana.{admin.existingSecret,userKey,passwordKey}, *.ingress,
// nodeExporter/kubeStateMetrics/grafana .enabled). The subcharts' names are "<release>-grafana",
// "<release>-kube-state-metrics", "<release>-prometheus-node-exporter" (their fullname helpers); the
// node exporter tolerates every NoSchedule taint and runs on the host network
// (prometheus-node-exporter-4.48.0 values.yaml). The StatefulSets of Prometheus and Alertmanager are
// the operator's (prometheus-operator.mjs), not the chart's.
const KPS_CRDS = [
  ['Alertmanager', 'alertmanagers'], ['AlertmanagerConfig', 'alertmanagerconfigs', 'v1alpha1'], ['PodMonitor', 'podmonitors'], ['Probe', 'probes'],
  ['Prometheus', 'prometheuses'], ['PrometheusAgent', 'prometheusagents', 'v1alpha1'], ['PrometheusRule', 'prometheusrules'], ['ScrapeConfig', 'scrapeconfigs', 'v1alpha1'],
  ['ServiceMonitor', 'servicemonitors'], ['ThanosRuler', 'thanosrulers'],
];

/**
 * Image tags of the stack's parts per chart version, from each tag's values.yaml and its subcharts'
 * Chart.yaml appVersions (kube-state-metrics 6.3.0 → 2.17.0, prometheus-node-exporter 4.48.0 → 1.9.1,
 * grafana 10.1.2 → 12.2.0 for 79.0.0; kube-state-metrics 8.4.0 → 2.20.0, node-exporter 4.56.1 → 1.12.1
 * for 88.5.3, whose grafana 12.11.1 was not read: its tag is left as 79.0.0's). A version not listed
 * takes the nearest listed one below it (a fleet approximation).
 */
const KPS_IMAGES = {
  79: { prometheus: 'v3.7.2', alertmanager: 'v0.28.1', grafana: '12.2.0', kubeStateMetrics: 'v2.17.0', nodeExporter: 'v1.9.1' },
  88: { prometheus: 'v3.14.0-distroless', alertmanager: 'v0.34.0', grafana: '12.2.0', kubeStateMetrics: 'v2.20.0', nodeExporter: 'v1.12.1' },
};
const kpsImages = (version) => {
  const majors = Object.keys(KPS_IMAGES).map(Number).sort((a, b) => a - b);
  const major = majorOf(version);
  return KPS_IMAGES[[...majors].reverse().find((entry) => entry <= major) ?? majors[0]];
};

const kubePrometheusStack = {
  defaults: (version) => {
    const tags = kpsImages(version);
    const ingress = { enabled: false, ingressClassName: '', annotations: {}, labels: {}, hosts: [], paths: [], tls: [] };
    return {
      crds: { enabled: true },
      prometheusOperator: { enabled: true, image: { registry: 'quay.io', repository: 'prometheus-operator/prometheus-operator', tag: '' }, nodeSelector: {}, tolerations: [], affinity: {} },
      prometheus: { enabled: true, ingress, prometheusSpec: { replicas: 1, image: { registry: 'quay.io', repository: 'prometheus/prometheus', tag: tags.prometheus }, nodeSelector: {}, tolerations: [], affinity: {}, retention: '10d' } },
      alertmanager: { enabled: true, ingress, alertmanagerSpec: { replicas: 1, image: { registry: 'quay.io', repository: 'prometheus/alertmanager', tag: tags.alertmanager }, nodeSelector: {}, tolerations: [], affinity: {}, retention: '120h' } },
      grafana: { enabled: true, adminUser: 'admin', admin: { existingSecret: '', userKey: 'admin-user', passwordKey: 'admin-password' }, image: { registry: 'docker.io', repository: 'grafana/grafana', tag: '' }, ingress: { ...ingress, path: '/' }, nodeSelector: {}, tolerations: [], affinity: {} },
      kubeStateMetrics: { enabled: true },
      'kube-state-metrics': { image: { registry: 'registry.k8s.io', repository: 'kube-state-metrics/kube-state-metrics', tag: '' }, nodeSelector: {}, tolerations: [], affinity: {} },
      nodeExporter: { enabled: true },
      'prometheus-node-exporter': { image: { registry: 'quay.io', repository: 'prometheus/node-exporter', tag: '' }, hostNetwork: true, nodeSelector: { 'kubernetes.io/os': 'linux' }, tolerations: [{ effect: 'NoSchedule', operator: 'Exists' }], affinity: {} },
    };
  },
  render(ctx) {
    const { values: v, namespace, release } = ctx;
    const tags = kpsImages(ctx.version);
    const full = fullname(release, 'kube-prometheus-stack', 26);
    const stackLabels = (extra) => ({
      'app.kubernetes.io/managed-by': 'Helm', 'app.kubernetes.io/instance': release, 'app.kubernetes.io/version': ctx.version, 'app.kubernetes.io/part-of': 'kube-prometheus-stack',
      chart: chartLabel(ctx), release, heritage: 'Helm', ...extra,
    });
    const objects = [];
    if (v.prometheusOperator?.enabled) {
      const name = `${full}-operator`;
      const selector = { app: 'kube-prometheus-stack-operator', release };
      const labels = stackLabels({ app: 'kube-prometheus-stack-operator', 'app.kubernetes.io/name': 'kube-prometheus-stack-prometheus-operator', 'app.kubernetes.io/component': 'prometheus-operator' });
      const operator = v.prometheusOperator;
      objects.push(serviceAccount(name, namespace, labels), ...rbac(name, namespace, labels),
        service(name, namespace, labels, selector, [{ name: 'https', port: 443, targetPort: 'https' }]),
        workload('Deployment', name, namespace, labels, selector, {
          serviceAccountName: name,
          ...placement(operator),
          containers: [{ name: 'kube-prometheus-stack', image: image(`${operator.image.registry}/${operator.image.repository}`, operator.image.tag || ctx.appVersion) }],
        }));
    }
    if (v.prometheus?.enabled) {
      const name = `${full}-prometheus`;
      const spec = v.prometheus.prometheusSpec;
      const labels = stackLabels({ app: 'kube-prometheus-stack-prometheus' });
      objects.push(serviceAccount(name, namespace, labels),
        service(name, namespace, labels, { 'app.kubernetes.io/name': 'prometheus', 'operator.prometheus.io/name': name }, [{ name: 'http-web', port: 9090, targetPort: 9090 }]),
        obj('monitoring.coreos.com/v1', 'Prometheus', metadata(name, namespace, labels), {
          spec: { replicas: spec.replicas ?? 1, image: image(`${spec.image.registry}/${spec.image.repository}`, spec.image.tag || tags.prometheus), version: spec.image.tag || tags.prometheus, serviceAccountName: name, retention: spec.retention, ...placement(spec) },
        }),
        ...chartIngress(name, namespace, labels, v.prometheus.ingress, name, 9090));
    }
    if (v.alertmanager?.enabled) {
      const name = `${full}-alertmanager`;
      const spec = v.alertmanager.alertmanagerSpec;
      const labels = stackLabels({ app: 'kube-prometheus-stack-alertmanager' });
      objects.push(serviceAccount(name, namespace, labels),
        obj('v1', 'Secret', metadata(`alertmanager-${name}`, namespace, labels), { type: 'Opaque', data: { 'alertmanager.yaml': Buffer.from('route:\n  receiver: "null"\nreceivers:\n  - name: "null"\n').toString('base64') } }),
        service(name, namespace, labels, { 'app.kubernetes.io/name': 'alertmanager', alertmanager: name }, [{ name: 'http-web', port: 9093, targetPort: 9093 }]),
        obj('monitoring.coreos.com/v1', 'Alertmanager', metadata(name, namespace, labels), {
          spec: { replicas: spec.replicas ?? 1, image: image(`${spec.image.registry}/${spec.image.repository}`, spec.image.tag || tags.alertmanager), version: spec.image.tag || tags.alertmanager, serviceAccountName: name, retention: spec.retention, ...placement(spec) },
        }),
        ...chartIngress(name, namespace, labels, v.alertmanager.ingress, name, 9093));
    }
    if (v.grafana?.enabled) {
      const g = v.grafana;
      const name = fullname(release, 'grafana');
      const selector = { 'app.kubernetes.io/name': 'grafana', 'app.kubernetes.io/instance': release };
      const labels = standardLabels({ ...ctx, chart: 'grafana', version: 'subchart' }, 'grafana', release, { 'app.kubernetes.io/version': tags.grafana });
      const adminSecret = g.admin?.existingSecret || name;
      if (!g.admin?.existingSecret) {
        const password = hash(`${release}/${namespace}/grafana`).slice(0, 40);
        objects.push(obj('v1', 'Secret', metadata(name, namespace, labels), { type: 'Opaque', data: { 'admin-user': Buffer.from(g.adminUser ?? 'admin').toString('base64'), 'admin-password': Buffer.from(password).toString('base64') } }));
      }
      objects.push(serviceAccount(name, namespace, labels),
        service(name, namespace, labels, selector, [{ name: 'http-web', port: 80, targetPort: 3000, protocol: 'TCP' }]),
        workload('Deployment', name, namespace, labels, selector, {
          serviceAccountName: name,
          ...placement(g),
          containers: [{
            name: 'grafana',
            image: image(`${g.image.registry}/${g.image.repository}`, g.image.tag || tags.grafana),
            env: [
              { name: 'GF_SECURITY_ADMIN_USER', valueFrom: { secretKeyRef: { name: adminSecret, key: g.admin?.userKey ?? 'admin-user' } } },
              { name: 'GF_SECURITY_ADMIN_PASSWORD', valueFrom: { secretKeyRef: { name: adminSecret, key: g.admin?.passwordKey ?? 'admin-password' } } },
            ],
          }],
        }),
        ...chartIngress(name, namespace, labels, g.ingress, name, 80));
    }
    if (v.kubeStateMetrics?.enabled) {
      const k = v['kube-state-metrics'];
      const name = fullname(release, 'kube-state-metrics');
      const selector = { 'app.kubernetes.io/name': 'kube-state-metrics', 'app.kubernetes.io/instance': release };
      const labels = standardLabels({ ...ctx, chart: 'kube-state-metrics', version: 'subchart' }, 'kube-state-metrics', release, { release });
      objects.push(serviceAccount(name, namespace, labels), ...rbac(name, namespace, labels),
        service(name, namespace, labels, selector, [{ name: 'http', port: 8080, targetPort: 8080 }]),
        workload('Deployment', name, namespace, labels, selector, { serviceAccountName: name, ...placement(k), containers: [{ name: 'kube-state-metrics', image: image(`${k.image.registry}/${k.image.repository}`, k.image.tag || tags.kubeStateMetrics) }] }));
    }
    if (v.nodeExporter?.enabled) {
      const n = v['prometheus-node-exporter'];
      const name = fullname(release, 'prometheus-node-exporter');
      const selector = { 'app.kubernetes.io/name': 'prometheus-node-exporter', 'app.kubernetes.io/instance': release };
      const labels = standardLabels({ ...ctx, chart: 'prometheus-node-exporter', version: 'subchart' }, 'prometheus-node-exporter', release, { release });
      objects.push(serviceAccount(name, namespace, labels),
        service(name, namespace, labels, selector, [{ name: 'http-metrics', port: 9100, targetPort: 9100 }]),
        workload('DaemonSet', name, namespace, labels, selector, { serviceAccountName: name, hostNetwork: n.hostNetwork !== false, hostPID: true, ...placement(n), containers: [{ name: 'node-exporter', image: image(`${n.image.registry}/${n.image.repository}`, n.image.tag || tags.nodeExporter), ports: [{ name: 'http-metrics', containerPort: 9100, hostPort: 9100 }] }] }));
    }
    const crds = v.crds?.enabled ? KPS_CRDS.map(([kind, plural, version]) => crd('monitoring.coreos.com', kind, plural, { version: version ?? 'v1' })) : [];
    return { crds, objects };
  },
};

// ---------------------------------------------------------------- fluent-bit

// fluent/helm-charts charts/fluent-bit @fluent-bit-0.54.0: values.yaml (kind DaemonSet|Deployment,
// replicaCount, image.repository cr.fluentbit.io/fluent/fluent-bit, image.tag → appVersion,
// service.type ClusterIP port 2020, config.service/inputs/filters/outputs/customParsers, nodeSelector,
// tolerations [] — so not on tainted control planes —, hostNetwork), templates/configmap.yaml
// (fluent-bit.conf = service + inputs + filters + outputs), daemonset.yaml (name = fullname).
const fluentBit = {
  defaults: () => ({
    kind: 'DaemonSet',
    replicaCount: 1,
    image: { repository: 'cr.fluentbit.io/fluent/fluent-bit', tag: null },
    service: { type: 'ClusterIP', port: 2020 },
    hostNetwork: false,
    config: {
      service: '[SERVICE]\n    Daemon Off\n    Flush {{ .Values.flush }}\n    Log_Level {{ .Values.logLevel }}\n    HTTP_Server On\n    HTTP_Port {{ .Values.metricsPort }}\n',
      inputs: '[INPUT]\n    Name tail\n    Path /var/log/containers/*.log\n    multiline.parser docker, cri\n    Tag kube.*\n',
      filters: '[FILTER]\n    Name kubernetes\n    Match kube.*\n    Merge_Log On\n',
      outputs: '[OUTPUT]\n    Name es\n    Match kube.*\n    Host elasticsearch-master\n',
      customParsers: '',
    },
    nodeSelector: {},
    tolerations: [],
    affinity: {},
  }),
  render(ctx) {
    const { values: v, namespace } = ctx;
    const name = fullname(ctx.release, 'fluent-bit');
    const selector = { 'app.kubernetes.io/name': 'fluent-bit', 'app.kubernetes.io/instance': ctx.release };
    const labels = standardLabels(ctx, 'fluent-bit', ctx.release, { 'app.kubernetes.io/version': ctx.appVersion });
    const config = v.config ?? {};
    const kind = v.kind === 'Deployment' ? 'Deployment' : 'DaemonSet';
    return {
      crds: [],
      objects: [
        serviceAccount(name, namespace, labels),
        ...rbac(name, namespace, labels),
        obj('v1', 'ConfigMap', metadata(name, namespace, labels), { data: { 'custom_parsers.conf': config.customParsers ?? '', 'fluent-bit.conf': [config.service, config.inputs, config.filters, config.outputs].filter(Boolean).join('\n') } }),
        service(name, namespace, labels, selector, [{ name: 'http', port: v.service.port, targetPort: 'http', protocol: 'TCP' }], { type: v.service.type }),
        workload(kind, name, namespace, labels, selector, {
          serviceAccountName: name,
          ...(v.hostNetwork ? { hostNetwork: true } : {}),
          ...placement(v),
          containers: [{ name: 'fluent-bit', image: image(v.image.repository, v.image.tag || ctx.appVersion), ports: [{ name: 'http', containerPort: 2020 }] }],
          volumes: [{ name: 'config', configMap: { name } }, { name: 'varlog', hostPath: { path: '/var/log' } }],
        }, { replicas: v.replicaCount }),
      ],
    };
  },
};

// ---------------------------------------------------------------- velero

// vmware-tanzu/helm-charts charts/velero @velero-11.1.0: values.yaml (image.repository velero/velero,
// image.tag "v1.17.0" (the chart sets it), initContainers, credentials.useSecret/name/existingSecret/
// secretContents, configuration.backupStorageLocation and volumeSnapshotLocation lists,
// backupsEnabled, snapshotsEnabled, deployNodeAgent false, nodeAgent.{tolerations,nodeSelector},
// schedules, metrics.enabled), _helpers.tpl ("velero.secretName": existingSecret, else credentials.name
// or fullname), templates/deployment.yaml (the cloud-credentials Secret volume when useSecret),
// node-agent-daemonset.yaml (DaemonSet "node-agent", label name: node-agent), schedule.yaml
// ("<fullname>-<schedule name>"), backupstoragelocation.yaml ("default" unless named), crds/ (13
// velero.io CRDs). The upgrade-crds Job is a hook: the fleet runs no hooks.
const VELERO_CRDS = [
  ['BackupRepository', 'backuprepositories'], ['Backup', 'backups'], ['BackupStorageLocation', 'backupstoragelocations'], ['DeleteBackupRequest', 'deletebackuprequests'],
  ['DownloadRequest', 'downloadrequests'], ['PodVolumeBackup', 'podvolumebackups'], ['PodVolumeRestore', 'podvolumerestores'], ['Restore', 'restores'],
  ['Schedule', 'schedules'], ['ServerStatusRequest', 'serverstatusrequests'], ['VolumeSnapshotLocation', 'volumesnapshotlocations'], ['DataDownload', 'datadownloads', 'v2alpha1'],
  ['DataUpload', 'datauploads', 'v2alpha1'],
];

const velero = {
  defaults: (_version, appVersion) => ({
    image: { repository: 'velero/velero', tag: `v${appVersion}` },
    initContainers: null,
    credentials: { useSecret: true, name: null, existingSecret: null, secretContents: {} },
    configuration: { backupStorageLocation: [], volumeSnapshotLocation: [] },
    backupsEnabled: true,
    snapshotsEnabled: true,
    deployNodeAgent: false,
    nodeAgent: { tolerations: [], nodeSelector: {}, affinity: {} },
    schedules: {},
    metrics: { enabled: true },
    nodeSelector: {},
    tolerations: [],
    affinity: {},
  }),
  render(ctx) {
    const { values: v, namespace } = ctx;
    const name = fullname(ctx.release, 'velero');
    const selector = { 'app.kubernetes.io/name': 'velero', 'app.kubernetes.io/instance': ctx.release };
    const labels = standardLabels(ctx, 'velero', ctx.release);
    const secretName = v.credentials?.existingSecret || v.credentials?.name || name;
    const useSecret = v.credentials?.useSecret !== false;
    const credentialVolume = useSecret ? [{ name: 'cloud-credentials', secret: { secretName } }] : [];
    const veleroImage = image(v.image.repository, v.image.tag || `v${ctx.appVersion}`);
    const objects = [obj('v1', 'ServiceAccount', metadata(`${name}-server`, namespace, labels)), ...rbac(`${name}-server`, namespace, labels)];
    if (useSecret && !v.credentials?.existingSecret) {
      objects.push(obj('v1', 'Secret', metadata(secretName, namespace, labels), { type: 'Opaque', data: Object.fromEntries(Object.entries(v.credentials?.secretContents ?? {}).map(([key, value]) => [key, Buffer.from(String(value)).toString('base64')])) }));
    }
    if (v.metrics?.enabled) objects.push(service(name, namespace, labels, selector, [{ name: 'http-monitoring', port: 8085, targetPort: 'http-monitoring' }]));
    objects.push(workload('Deployment', name, namespace, labels, selector, {
      serviceAccountName: `${name}-server`,
      ...placement(v),
      ...(v.initContainers?.length ? { initContainers: v.initContainers } : {}),
      containers: [{ name: 'velero', image: veleroImage, args: ['server', `--uploader-type=kopia`], volumeMounts: [...(useSecret ? [{ name: 'cloud-credentials', mountPath: '/credentials' }] : []), { name: 'plugins', mountPath: '/plugins' }] }],
      volumes: [...credentialVolume, { name: 'plugins', emptyDir: {} }, { name: 'scratch', emptyDir: {} }],
    }));
    if (v.deployNodeAgent) {
      const agent = v.nodeAgent ?? {};
      objects.push(workload('DaemonSet', 'node-agent', namespace, labels, { name: 'node-agent' }, {
        serviceAccountName: `${name}-server`,
        ...placement(agent),
        containers: [{ name: 'node-agent', image: veleroImage, args: ['node-agent', 'server'] }],
        volumes: [...credentialVolume, { name: 'host-pods', hostPath: { path: '/var/lib/kubelet/pods' } }],
      }, { podLabels: { role: 'node-agent' } }));
    }
    if (v.backupsEnabled) {
      for (const location of [].concat(v.configuration?.backupStorageLocation ?? [])) {
        objects.push(obj('velero.io/v1', 'BackupStorageLocation', metadata(location.name || 'default', namespace, labels), {
          spec: {
            provider: location.provider,
            objectStorage: { bucket: location.bucket, ...(location.prefix ? { prefix: location.prefix } : {}) },
            ...(location.default ? { default: true } : {}),
            ...(location.config ? { config: location.config } : {}),
            ...(location.credential?.name ? { credential: location.credential } : {}),
            ...(location.accessMode ? { accessMode: location.accessMode } : {}),
          },
        }));
      }
    }
    if (v.snapshotsEnabled) {
      for (const location of [].concat(v.configuration?.volumeSnapshotLocation ?? [])) {
        objects.push(obj('velero.io/v1', 'VolumeSnapshotLocation', metadata(location.name || 'default', namespace, labels), { spec: { provider: location.provider, ...(location.config ? { config: location.config } : {}) } }));
      }
    }
    for (const [scheduleName, schedule] of Object.entries(v.schedules ?? {})) {
      if (!schedule || schedule.disabled) continue;
      objects.push(obj('velero.io/v1', 'Schedule', metadata(`${name}-${scheduleName}`, namespace, { 'app.kubernetes.io/name': 'velero', 'app.kubernetes.io/instance': ctx.release, 'app.kubernetes.io/managed-by': 'Helm', 'helm.sh/chart': chartLabel(ctx), ...(schedule.labels ?? {}) }, schedule.annotations), {
        spec: { schedule: schedule.schedule, ...(schedule.paused ? { paused: true } : {}), ...(schedule.useOwnerReferencesInBackup ? { useOwnerReferencesInBackup: true } : {}), template: schedule.template ?? {} },
      }));
    }
    return { crds: VELERO_CRDS.map(([kind, plural, version]) => crd('velero.io', kind, plural, { version: version ?? 'v1' })), objects };
  },
};

// ---------------------------------------------------------------- catalogue

const CHARTS = { 'metrics-server': metricsServer, traefik, 'cert-manager': certManager, 'kube-prometheus-stack': kubePrometheusStack, 'fluent-bit': fluentBit, velero };

export const knownChart = (chart) => Object.hasOwn(CHARTS, chart);

/** The chart's values.yaml defaults (the keys the fleet honours). */
export function chartDefaults(chart, version, appVersion) {
  return CHARTS[chart].defaults(version, appVersion);
}

/**
 * The chart's objects for coalesced values: { crds (its crds/ directory: installed on first install,
 * never upgraded or deleted by Helm), objects (templates, in template order) }.
 */
export function renderChart(chart, ctx) {
  return CHARTS[chart].render({ ...ctx, chart });
}
