/**
 * cloudIntegration.credentials changed on a cluster init already built (terraform ⇄ environment):
 * the one change of a built cluster's spec init accepts, since it is a change of where the CCM
 * and CSI key comes from, not of the cluster. Its order is fixed by the run: Infrastructure
 * (Terraform) goes first and deletes the key the module made (or makes one), and only the CCM and
 * CSI steps after it apply the new Secrets and restart the controllers that read them
 * (SshNodeOps.applyCloudSecret). init says so, in its plan and before its question.
 */
import type { ClusterSpec } from '../../config/schema.js';
import { cloudCredentialSource } from '../../providers/cloud-credentials.js';
import { appliedSpec, clusterBuilt } from '../../state/spec-record.js';
import type { ClusterState } from '../../state/state-store.js';

/** The spec with the recorded credentials source, for comparing everything else with the record. */
export function withRecordedCredentialSource(spec: ClusterSpec, recorded: ClusterSpec): ClusterSpec {
  return { ...spec, cloudIntegration: { ...spec.cloudIntegration, credentials: recorded.cloudIntegration.credentials } };
}

/**
 * The warning for a switch of cloudIntegration.credentials against the spec recorded in
 * state.json of a built cluster; undefined when nothing switches (or the cluster needs no key).
 */
export function credentialSwitchWarning(state: Readonly<ClusterState>, spec: ClusterSpec): string | undefined {
  if (!clusterBuilt(state)) return undefined;
  const recorded = appliedSpec(state);
  if (!recorded) return undefined;
  const before = cloudCredentialSource(recorded);
  const after = cloudCredentialSource(spec);
  if (before === undefined || after === undefined || before === after) return undefined;
  const key = spec.provider.name === 'exoscale' ? 'Exoscale API key and IAM role' : 'OpenStack application credential';
  if (before === 'terraform') {
    return (
      `cloudIntegration.credentials changes from terraform to environment: the Infrastructure step deletes the ${key} the Terraform module made, ` +
      'while the cloud controller manager and the CSI driver still use it; until their steps apply the new Secrets with your key and restart them, ' +
      'LoadBalancer Services and volumes are not changed (a controller may log authentication errors). Let the run go through to its end.'
    );
  }
  return (
    `cloudIntegration.credentials changes from environment to terraform: the Infrastructure step makes a new ${key}; ` +
    'the cloud controller manager and CSI steps then apply it in their Secrets and restart the controllers with it. ' +
    'The key you made is no longer used by the cluster afterwards: delete it yourself once the run is done.'
  );
}
