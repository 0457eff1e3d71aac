/**
 * Regions, zones and instance types the provider is not known to offer draw a warning with a
 * "did you mean" (config/known-values.ts); a credential written into cluster.yaml is told where
 * it belongs instead of "is not a known field".
 */
import { describe, expect, it } from 'vitest';
import { formatIssue, ValidationError } from '../../../src/errors.js';
import { specWarnings, validateSpec } from '../../../src/config/validate/index.js';
import { API_VERSION, KIND } from '../../../src/config/schema.js';
import { EXOSCALE_ZONES as WIZARD_ZONES } from '../../../src/wizard/init-wizard.js';
import { EXOSCALE_ZONES } from '../../../src/config/known-values.js';
import { awsDoc, patched, type Doc } from '../../helpers/config-fixtures.js';
import { REDACTED, redactText } from '../../../src/engine/redact.js';

const exoscaleDoc = (): Doc => ({ apiVersion: API_VERSION, kind: KIND, name: 'demo', provider: { name: 'exoscale' }, ssh: { adminCidrs: ['203.0.113.0/24'] } });
const warningsOf = (doc: Doc) => specWarnings(validateSpec(doc)).map(formatIssue);
const issuesOf = (doc: Doc) => {
  try {
    validateSpec(doc);
  } catch (error) {
    return (error as ValidationError).issues.map(formatIssue);
  }
  throw new Error('expected a ValidationError');
};

describe('known regions, zones and instance types', () => {
  it('an unknown AWS region is a warning, not an error', () => {
    expect(warningsOf(patched(awsDoc(), { provider: { region: 'xx-fake-9' } }))[0]).toMatch(/^provider\.region: is not a known AWS region \(got "xx-fake-9"\): known: us-east-1, /);
  });

  it('a misspelt region gets a "did you mean"', () => {
    expect(warningsOf(patched(awsDoc(), { provider: { region: 'eu-centrl-1' } }))).toEqual([
      'provider.region: is not a known AWS region (got "eu-centrl-1"): did you mean "eu-central-1"?',
    ]);
  });

  it('an unknown EC2 size keeps the family and lists the sizes', () => {
    const [warning] = warningsOf(patched(awsDoc(), { workers: { type: 't3.bogus' } }));
    expect(warning).toMatch(/^workers\.type: is not a known EC2 instance type \(FAMILY\.SIZE, e\.g\. t2\.medium\) \(got "t3\.bogus"\): known sizes: nano, micro, /);
  });

  it('a misspelt EC2 type gets a "did you mean"', () => {
    expect(warningsOf(patched(awsDoc(), { controlPlane: { type: 'm6i.xlarg' } }))).toEqual([
      'controlPlane.type: is not a known EC2 instance type (FAMILY.SIZE, e.g. t2.medium) (got "m6i.xlarg"): did you mean "m6i.xlarge"?',
    ]);
  });

  it('an unknown Exoscale zone is a warning that lists the zones', () => {
    expect(warningsOf(patched(exoscaleDoc(), { provider: { zone: 'mars-1' } }))).toEqual([
      `provider.zone: is not a known Exoscale zone (got "mars-1"): known: ${EXOSCALE_ZONES.join(', ')}`,
    ]);
  });

  it('a misspelt Exoscale type gets a "did you mean"', () => {
    expect(warningsOf(patched(exoscaleDoc(), { workers: { type: 'standard.larg' } }))).toEqual([
      'workers.type: is not a known Exoscale instance type (FAMILY.SIZE, e.g. standard.medium) (got "standard.larg"): did you mean "standard.large"?',
    ]);
  });

  it('the defaults and the example values draw no warning', () => {
    expect(warningsOf(awsDoc())).toEqual([]);
    expect(warningsOf(exoscaleDoc())).toEqual([]);
    expect(warningsOf(patched(awsDoc(), { provider: { region: 'us-west-2' }, workers: { type: 'm7g.2xlarge' } }))).toEqual([]);
  });

  it('the wizard offers the same zone list validation checks', () => {
    expect(WIZARD_ZONES).toBe(EXOSCALE_ZONES);
  });
});

describe('credentials written into cluster.yaml', () => {
  it('provider.apiSecret on exoscale names EXOSCALE_API_SECRET, and never echoes the value', () => {
    const issues = issuesOf(patched(exoscaleDoc(), { provider: { apiKey: 'EXOabc', apiSecret: 'super-secret-value' } }));
    expect(issues).toContain('provider.apiKey: credentials never go in cluster.yaml: use EXOSCALE_API_KEY in the environment instead, and remove this field');
    expect(issues).toContain('provider.apiSecret: credentials never go in cluster.yaml: use EXOSCALE_API_SECRET in the environment instead, and remove this field');
    expect(issues.join('\n')).not.toContain('super-secret-value');
    expect(issues.join('\n')).not.toContain('is not a known field');
  });

  it('AWS keys name the AWS variables', () => {
    const issues = issuesOf(patched(awsDoc(), { provider: { accessKeyId: 'AKIA', secretAccessKey: 'x', sessionToken: 'y' } }));
    expect(issues).toEqual([
      'provider.accessKeyId: credentials never go in cluster.yaml: use AWS_ACCESS_KEY_ID in the environment instead, and remove this field',
      'provider.secretAccessKey: credentials never go in cluster.yaml: use AWS_SECRET_ACCESS_KEY in the environment instead, and remove this field',
      'provider.sessionToken: credentials never go in cluster.yaml: use AWS_SESSION_TOKEN in the environment instead, and remove this field',
    ]);
  });

  it('a password or token outside provider is a secret too, without a cloud variable to name', () => {
    const neutral = 'secrets never go in cluster.yaml: remove this field (cloud credentials go in the provider\'s environment variables: k8s-bootstrap doctor lists them)';
    expect(issuesOf(patched(awsDoc(), { ssh: { password: 'hunter2' } }))).toEqual([`ssh.password: ${neutral}`]);
    expect(issuesOf(patched(exoscaleDoc(), { workers: { token: 'abcdef' } }))).toEqual([`workers.token: ${neutral}`]);
  });

  it('the message survives redaction (a "token:" value rule must not swallow it)', () => {
    const issues = issuesOf(patched(exoscaleDoc(), { workers: { token: 'abcdef' } }));
    expect(redactText(issues.join('\n'))).toContain('workers.token: secrets never go in cluster.yaml');
    expect(redactText('token: abcdef')).toBe(`token: ${REDACTED}`);
  });

  it('an ordinary typo still gets "did you mean"', () => {
    expect(issuesOf(patched(exoscaleDoc(), { provider: { zon: 'ch-gva-2' } }))).toEqual(['provider.zon: is not a known field: did you mean "zone"?']);
  });
});
