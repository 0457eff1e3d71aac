/**
 * A cluster bootstrapped before the cloud integration existed (review of #14, finding 1): its
 * kubelets never ran with cloud-provider external and its Terraform state has no credentials
 * outputs, so add-workers, upgrade, status and a repeated init must not expect a CCM or CSI.
 */
import { describe, expect, it } from 'vitest';
import { validateSpec } from '../../../../src/config/validate/index.js';
import { specAsBuilt } from '../../../../src/workflows/run/load-cluster.js';
import { awsDoc, staticDoc } from '../../../helpers/config-fixtures.js';

const state = (steps: string[], kubernetesVersion?: string) => ({
  version: 1,
  cluster: 'demo',
  kubernetesVersion,
  facts: {},
  steps: Object.fromEntries(steps.map((id) => [id, { finishedAt: '2026-01-01T00:00:00Z', inputs: '' }])),
});

describe('specAsBuilt', () => {
  const aws = validateSpec(awsDoc());

  it('a finished cluster without any cloud step runs without CCM, CSI or a default class', () => {
    const built = specAsBuilt(aws, state(['init:demo-cp-1', 'cni:calico', 'verify'], '1.36.4') as never);
    expect(built.cloudIntegration).toEqual({ ccm: false, csi: false, credentials: 'terraform' });
    expect(built.storage.defaultClass).toBe('none');
  });

  it('a cluster init built with the integration, and one still being built, keep the spec as written', () => {
    expect(specAsBuilt(aws, state(['init:demo-cp-1', 'cloud:ccm'], '1.37.1') as never)).toBe(aws);
    // kubernetesVersion is recorded only after Verify: a resumed first init installs it all.
    expect(specAsBuilt(aws, state(['init:demo-cp-1', 'cni:calico']) as never)).toBe(aws);
  });

  it('an explicit storage class is kept; static hosts had no CCM anyway', () => {
    const lab = validateSpec({ ...staticDoc(), storage: { defaultClass: 'local-path' } });
    expect(specAsBuilt(lab, state(['init:cp-1'], '1.36.4') as never).storage.defaultClass).toBe('local-path');
  });
});
