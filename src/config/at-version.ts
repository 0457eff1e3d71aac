/** The spec with another Kubernetes version: what a run that follows the cluster's running version provisions with. */
import type { ClusterSpec } from './schema.js';

export function atKubernetesVersion(spec: ClusterSpec, version: string): ClusterSpec {
  return { ...spec, kubernetes: { ...spec.kubernetes, version } };
}
