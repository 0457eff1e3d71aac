// What a pod's containers get from the API before they start, as the kubelet resolves it: env
// values (literal, secretKeyRef, envFrom secretRef) and files of Secret volumes. A Secret or key
// that is not there stops the pod the way the kubelet does: env → CreateContainerConfigError
// (`Error: secret "x" not found`), a volume → FailedMount and ContainerCreating.
import { getObject } from './objects.mjs';

/** A stored Secret's values, decoded: `data` is base64, `stringData` plain (the API server merges it into data). */
export function secretValues(api, namespace, name) {
  const stored = getObject(api, 'Secret', namespace, name);
  if (!stored) return null;
  const values = {};
  for (const [key, value] of Object.entries(stored.body?.data ?? {})) values[key] = Buffer.from(String(value), 'base64').toString('utf8');
  for (const [key, value] of Object.entries(stored.body?.stringData ?? {})) values[key] = String(value);
  return values;
}

/** Why the kubelet cannot start the pod's containers, or null: { reason, message, mount? }. */
export function podConfigProblem(api, namespace, podSpec) {
  for (const volume of podSpec?.volumes ?? []) {
    const name = volume.secret?.secretName;
    if (!name || volume.secret.optional) continue;
    if (!secretValues(api, namespace, name)) {
      return { reason: 'FailedMount', message: `MountVolume.SetUp failed for volume "${volume.name}" : secret "${name}" not found` };
    }
  }
  for (const container of [...(podSpec?.initContainers ?? []), ...(podSpec?.containers ?? [])]) {
    for (const source of container.envFrom ?? []) {
      const name = source.secretRef?.name;
      if (name && !source.secretRef.optional && !secretValues(api, namespace, name)) return { reason: 'CreateContainerConfigError', message: `secret "${name}" not found` };
    }
    for (const entry of container.env ?? []) {
      const ref = entry.valueFrom?.secretKeyRef;
      if (!ref || ref.optional) continue;
      const values = secretValues(api, namespace, ref.name);
      if (!values) return { reason: 'CreateContainerConfigError', message: `secret "${ref.name}" not found` };
      if (!(ref.key in values)) return { reason: 'CreateContainerConfigError', message: `couldn't find key ${ref.key} in Secret ${namespace}/${ref.name}` };
    }
  }
  return null;
}

/** The container's environment as the kubelet builds it (envFrom first, env overrides). */
export function containerEnv(api, namespace, container) {
  const env = {};
  for (const source of container?.envFrom ?? []) {
    if (source.secretRef?.name) Object.assign(env, secretValues(api, namespace, source.secretRef.name) ?? {});
  }
  for (const entry of container?.env ?? []) {
    const ref = entry.valueFrom?.secretKeyRef;
    if (ref) {
      const value = secretValues(api, namespace, ref.name)?.[ref.key];
      if (value !== undefined) env[entry.name] = value;
    } else if (entry.value !== undefined) env[entry.name] = String(entry.value).replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (_, name) => env[name] ?? `$(${name})`);
  }
  return env;
}

/** The content of `path` inside the container when a Secret volume provides it, else null. */
export function mountedFile(api, namespace, podSpec, container, path) {
  for (const mount of container?.volumeMounts ?? []) {
    const volume = (podSpec?.volumes ?? []).find((entry) => entry.name === mount.name);
    if (!volume?.secret) continue;
    const values = secretValues(api, namespace, volume.secret.secretName) ?? {};
    const base = mount.mountPath.replace(/\/$/, '');
    if (mount.subPath) {
      if (base === path) return values[mount.subPath] ?? null;
      continue;
    }
    if (!path.startsWith(`${base}/`)) continue;
    const file = path.slice(base.length + 1);
    const item = (volume.secret.items ?? []).find((entry) => entry.path === file);
    const key = item ? item.key : volume.secret.items ? null : file;
    if (key && values[key] !== undefined) return values[key];
  }
  return null;
}

/** `$(VAR)` in a container's args, expanded from its env as the kubelet does. */
export function expandedArgs(api, namespace, container) {
  const env = containerEnv(api, namespace, container);
  return [...(container?.command ?? []), ...(container?.args ?? [])].map((arg) => String(arg).replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (_, name) => env[name] ?? `$(${name})`));
}
