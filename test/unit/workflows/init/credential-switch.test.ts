/**
 * cloudIntegration.credentials switched on a built cluster: init accepts it (the only field that
 * may change) and warns, in the plan and before its question, that Infrastructure deletes the
 * module's key before the new Secrets are applied and the controllers restart with the new key.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { credentialSwitchWarning } from '../../../../src/workflows/init/credential-switch.js';
import { emptyState, type ClusterState } from '../../../../src/state/state-store.js';
import { FACT_APPLIED_SPEC } from '../../../../src/state/spec-record.js';
import type { ClusterSpecInput } from '../../../../src/config/schema.js';
import { runCli } from '../../../helpers/fake-io.js';
import { spec } from '../../../helpers/terraform.js';

const exoscale = (credentials: 'terraform' | 'environment', extra: Partial<ClusterSpecInput> = {}) => spec({ name: 'exoscale', zone: 'de-fra-1' }, { cloudIntegration: { credentials }, ...extra });

function builtState(recorded: unknown, steps: string[] = ['infrastructure', 'kubeadm:init']): ClusterState {
  const state = emptyState('demo');
  for (const step of steps) state.steps[step] = { finishedAt: '2026-12-01T10:00:00Z' } as never;
  state.facts[FACT_APPLIED_SPEC] = JSON.stringify(recorded);
  return state;
}

describe('credentialSwitchWarning', () => {
  it('terraform → environment on a built cluster: the old key is deleted first, the controllers restart with the new one', () => {
    const warning = credentialSwitchWarning(builtState(exoscale('terraform')), exoscale('environment'));
    expect(warning).toMatch(/^cloudIntegration\.credentials changes from terraform to environment: the Infrastructure step deletes the Exoscale API key and IAM role the Terraform module made, while the cloud controller manager and the CSI driver still use it/);
    expect(warning).toContain('until their steps apply the new Secrets with your key and restart them');
  });

  it('environment → terraform: a new key is made, and the user\'s own is theirs to delete', () => {
    const warning = credentialSwitchWarning(builtState(exoscale('environment')), exoscale('terraform'));
    expect(warning).toContain('changes from environment to terraform');
    expect(warning).toContain('delete it yourself once the run is done');
  });

  it('says nothing when the source is the same, nothing is built yet, nothing is recorded, or the cluster needs no key', () => {
    expect(credentialSwitchWarning(builtState(exoscale('terraform')), exoscale('terraform'))).toBeUndefined();
    expect(credentialSwitchWarning(builtState(exoscale('terraform'), ['preflight']), exoscale('environment'))).toBeUndefined();
    expect(credentialSwitchWarning(emptyState('demo'), exoscale('environment'))).toBeUndefined();
    const off = { cloudIntegration: { ccm: false, csi: false, credentials: 'environment' as const } };
    expect(credentialSwitchWarning(builtState(exoscale('terraform', { cloudIntegration: { ccm: false, csi: false } })), exoscale('environment', off))).toBeUndefined();
  });
});

describe('init --dry-run on a built cluster whose cluster.yaml switched the credentials source', () => {
  function folder(recorded: unknown): string {
    const dir = mkdtempSync(join(tmpdir(), 'k8sb-switch-'));
    writeFileSync(join(dir, 'state.json'), JSON.stringify(builtState(recorded)));
    return dir;
  }

  it('is accepted and warns; any other change is still refused', async () => {
    const dir = folder(exoscale('terraform'));
    const file = join(dir, 'cluster.yaml');
    writeFileSync(file, stringify(exoscale('environment')));
    const run = await runCli(['init', '--dry-run', '--config', file, '--dir', dir], { env: { K8SB_EXOSCALE_CCM_API_KEY: 'EXOusermade0000000001', K8SB_EXOSCALE_CCM_API_SECRET: 'user-made-secret-0123456789' } });
    expect(run.stderr).toContain('cloudIntegration.credentials changes from terraform to environment: the Infrastructure step deletes');
    expect(run.code).toBe(0);

    const other = folder(exoscale('terraform'));
    const changed = join(other, 'cluster.yaml');
    writeFileSync(changed, stringify(exoscale('environment', { network: { podCidr: '10.250.0.0/16' } })));
    const refused = await runCli(['init', '--dry-run', '--config', changed, '--dir', other], { env: {} });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('network.podCidr');
    expect(refused.stderr).not.toContain('cloudIntegration.credentials changes');
  });
});
