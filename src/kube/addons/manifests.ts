/**
 * What an add-on applies after its chart, with `kubectl apply --server-side` (idempotent: an
 * unchanged object is "unchanged"): cert-manager's ClusterIssuers, the monitoring basic-auth
 * Middleware and Ingresses. Real files under templates/addons/, filled with JSON scalars.
 */
import { parseAllDocuments } from 'yaml';
import { InternalError } from '../../errors.js';
import type { ClusterSpec } from '../../config/schema.js';
import { ADDON_CHARTS, type AddonName } from './pins.js';
import { MONITORING_UIS, monitoringHost, monitoringIssuer } from './chart-values.js';
import { renderAddonFile } from './values.js';

export interface AfterManifest {
  description: string;
  manifest: string;
}

/** A rendered manifest must parse, and land in the add-on's namespace when it is namespaced. */
function checked(addon: AddonName, text: string, file: string): string {
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new InternalError('AddonManifestInvalid', `templates/addons/${addon}/${file} does not render to YAML: ${doc.errors[0]!.message}`);
    const namespace = (doc.toJS() as { metadata?: { namespace?: string } } | null)?.metadata?.namespace;
    if (namespace !== undefined && namespace !== ADDON_CHARTS[addon].namespace) {
      throw new InternalError('AddonManifestInvalid', `templates/addons/${addon}/${file} is for namespace ${namespace}, not ${ADDON_CHARTS[addon].namespace}`);
    }
  }
  return text;
}

function certManagerManifests(spec: ClusterSpec): AfterManifest[] {
  const settings = spec.addons['cert-manager'];
  const out: AfterManifest[] = [{ description: 'ClusterIssuer selfsigned', manifest: checked('cert-manager', renderAddonFile('cert-manager', 'cluster-issuers.yaml'), 'cluster-issuers.yaml') }];
  if (settings.acmeEmail !== undefined) {
    const manifest = renderAddonFile('cert-manager', 'acme-issuer.yaml', { email: settings.acmeEmail, server: settings.acmeServer });
    out.push({ description: `ClusterIssuer letsencrypt (ACME ${settings.acmeServer}, HTTP-01 through Traefik)`, manifest: checked('cert-manager', manifest, 'acme-issuer.yaml') });
  }
  return out;
}

function monitoringManifests(spec: ClusterSpec): AfterManifest[] {
  const domain = spec.addons['kube-prometheus-stack'].domain;
  if (domain === undefined) throw new InternalError('AddonSettingMissing', 'addons.kube-prometheus-stack.domain is not set (the spec\'s validation should have refused it)');
  const issuer = monitoringIssuer(spec);
  const out: AfterManifest[] = [
    { description: 'Traefik Middleware monitoring-basic-auth', manifest: checked('kube-prometheus-stack', renderAddonFile('kube-prometheus-stack', 'middleware.yaml'), 'middleware.yaml') },
  ];
  for (const ui of MONITORING_UIS) {
    const host = monitoringHost(ui.name, domain);
    const manifest = renderAddonFile('kube-prometheus-stack', 'ingress.yaml', { name: ui.name, host, issuer, tlsSecret: `${ui.name}-tls`, service: ui.service, port: ui.port });
    out.push({ description: `Ingress ${ui.name} (https://${host}/, basic auth, certificate from ClusterIssuer ${issuer})`, manifest: checked('kube-prometheus-stack', manifest, 'ingress.yaml') });
  }
  return out;
}

/** The manifests applied after the chart of `name` succeeded, in order. */
export function afterManifests(name: AddonName, spec: ClusterSpec): AfterManifest[] {
  if (name === 'cert-manager') return certManagerManifests(spec);
  if (name === 'kube-prometheus-stack') return monitoringManifests(spec);
  return [];
}
