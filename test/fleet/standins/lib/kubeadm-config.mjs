// Reading kubeadm configuration files the way kubeadm does: multi-document YAML, API versions
// accepted by the installed kubeadm, and the v1beta3 → v1beta4 shape changes.
import { existsSync, readFileSync } from 'node:fs';
import { fail } from './context.mjs';
import { parseDocuments } from './yaml.mjs';

const SCHEME = 'k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/scheme/scheme.go:31';
const OTHER_KINDS = {
  'kubelet.config.k8s.io/v1beta1': ['KubeletConfiguration'],
  'kubeproxy.config.k8s.io/v1alpha1': ['KubeProxyConfiguration'],
};

/** kubeadm API versions a kubeadm of this minor accepts. */
export function acceptedKubeadmApis(minor) {
  const apis = [];
  if (minor < 36) apis.push('kubeadm.k8s.io/v1beta3');
  if (minor >= 31) apis.push('kubeadm.k8s.io/v1beta4');
  return apis;
}

/** Returns { [kind]: document } or fails like kubeadm. */
export async function loadKubeadmConfig(file, kubeadmMinor, allowedKinds) {
  if (!existsSync(file)) fail(1, `unable to read config from "${file}" : open ${file}: no such file or directory`);
  let docs;
  try {
    docs = await parseDocuments(readFileSync(file, 'utf8'));
  } catch (error) {
    fail(1, `error converting YAML to JSON: yaml: ${error.message}`);
  }
  const byKind = {};
  for (const doc of docs) {
    if (typeof doc !== 'object' || !doc.apiVersion || !doc.kind) {
      fail(1, `couldn't parse the config file: Object 'Kind' is missing in '${JSON.stringify(doc)}'`);
    }
    const { apiVersion, kind } = doc;
    if (apiVersion.startsWith('kubeadm.k8s.io/')) {
      if (!acceptedKubeadmApis(kubeadmMinor).includes(apiVersion)) {
        fail(1, `no kind "${kind}" is registered for version "${apiVersion}" in scheme "${SCHEME}"`);
      }
      if (!allowedKinds.includes(kind)) {
        process.stderr.write(`W1123 [config] WARNING: Ignored configuration document with GroupVersionKind ${apiVersion}, Kind=${kind}\n`);
        continue;
      }
      checkArgShapes(doc);
    } else if (!OTHER_KINDS[apiVersion]?.includes(kind)) {
      fail(1, `no kind "${kind}" is registered for version "${apiVersion}" in scheme "${SCHEME}"`);
    }
    byKind[kind] = doc;
  }
  return byKind;
}

/** v1beta4 made extraArgs lists of {name, value}; v1beta3 has maps. Mixing them fails to decode. */
function checkArgShapes(doc) {
  const version = doc.apiVersion.split('/')[1];
  const wantList = version !== 'v1beta3';
  const places = [
    ['nodeRegistration.kubeletExtraArgs', 'NodeRegistrationOptions', doc.nodeRegistration?.kubeletExtraArgs],
    ['apiServer.extraArgs', 'APIServer', doc.apiServer?.extraArgs],
    ['controllerManager.extraArgs', 'ControlPlaneComponent', doc.controllerManager?.extraArgs],
    ['scheduler.extraArgs', 'ControlPlaneComponent', doc.scheduler?.extraArgs],
    ['etcd.local.extraArgs', 'LocalEtcd', doc.etcd?.local?.extraArgs],
  ];
  for (const [path, struct, value] of places) {
    if (value === undefined || value === null) continue;
    const isList = Array.isArray(value);
    if (isList !== wantList) {
      const gvk = `schema.GroupVersionKind{Group:"kubeadm.k8s.io", Version:"${version}", Kind:"${doc.kind}"}`;
      const target = wantList ? `[]${version}.Arg` : 'map[string]string';
      fail(1, `error unmarshaling configuration ${gvk}: json: cannot unmarshal ${isList ? 'array' : 'object'} into Go struct field ${struct}.${path} of type ${target}`);
    }
  }
}

/** kubeletExtraArgs value by name in either shape. */
export function extraArg(args, name) {
  if (!args) return undefined;
  if (Array.isArray(args)) return args.filter((entry) => entry.name === name).pop()?.value;
  return args[name];
}
