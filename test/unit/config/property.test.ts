/**
 * No document, however random, crashes the loader: it loads, or it fails with a UsageError
 * (YAML) / ValidationError (content). Anything else (TypeError, RangeError, a zod error) is a bug.
 */
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { UsageError, ValidationError } from '../../../src/errors.js';
import { parseSpecYaml } from '../../../src/config/load.js';
import { API_VERSION, CNIS, KIND, PROVIDERS, RUNTIMES } from '../../../src/config/schema.js';
import { serializeSpec } from '../../../src/config/serialize.js';
import { validateSpec } from '../../../src/config/validate/index.js';

function loadsOrRefuses(run: () => unknown, allowed: new (...args: never[]) => Error): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof allowed)) throw error;
  }
}

const interesting = fc.oneof(
  fc.constantFrom('10.0.0.0/8', '10.244.0.0/16', '10.96.0.0/12', '192.0.2.10', '0.0.0.0/0', '1.37.1', '1.30.0', 'v1.36.0', 'a; rm -rf /', '', 'demo', 'cp-1'),
  fc.constantFrom(...PROVIDERS, ...RUNTIMES, ...CNIS, 'control-plane', 'worker'),
  fc.integer({ min: -3, max: 70_000 }),
  fc.jsonValue({ maxDepth: 2 }),
);

const host = fc.record(
  {
    address: interesting,
    role: fc.constantFrom('control-plane', 'worker', 'etcd'),
    port: interesting,
    privateAddress: interesting,
    name: interesting,
    user: interesting,
  },
  { requiredKeys: [] },
);

const section = (keys: string[]) => fc.dictionary(fc.constantFrom(...keys), interesting, { maxKeys: keys.length });

const realisticDocument = fc.record(
  {
    apiVersion: fc.oneof(fc.constant(API_VERSION), interesting),
    kind: fc.oneof(fc.constant(KIND), interesting),
    name: interesting,
    provider: fc.oneof(
      fc.record(
        {
          name: fc.oneof(fc.constantFrom(...PROVIDERS), interesting),
          zone: interesting,
          region: interesting,
          hosts: fc.oneof(fc.array(host, { maxLength: 6 }), interesting),
          apiEndpoint: interesting,
          virtualIp: interesting,
        },
        { requiredKeys: ['name'] },
      ),
      interesting,
    ),
    kubernetes: fc.oneof(section(['version', 'runtime', 'cni', 'extra']), interesting),
    network: fc.oneof(section(['nodeCidr', 'podCidr', 'serviceCidr', 'podCIDR']), interesting),
    controlPlane: fc.oneof(section(['count', 'type', 'diskGb']), interesting),
    workers: fc.oneof(section(['count', 'type', 'diskGb', 'min']), interesting),
    ssh: fc.oneof(
      fc.record({ user: interesting, adminCidrs: fc.oneof(fc.array(interesting, { maxLength: 3 }), interesting), bastion: interesting }, { requiredKeys: [] }),
      interesting,
    ),
    image: fc.oneof(section(['build', 'id']), interesting),
  },
  { requiredKeys: [] },
);

describe('the loader never crashes', () => {
  it('parseSpecYaml on random text returns or throws UsageError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 })), (text) => {
        loadsOrRefuses(() => parseSpecYaml(text, 'random.yaml'), UsageError);
      }),
      { numRuns: 400 },
    );
  });

  it('parseSpecYaml on YAML-ish text built from YAML tokens returns or throws UsageError', () => {
    const token = fc.constantFrom('a:', ' ', '\n', '- ', '&x ', '*x', '[', ']', '{', '}', ',', '"', "'", '!!str ', '!t ', '---\n', '? ', '|\n ', '#', '<<: *x', '%YAML 1.2\n');
    fc.assert(
      fc.property(fc.array(token, { maxLength: 60 }), (tokens) => {
        loadsOrRefuses(() => parseSpecYaml(tokens.join(''), 'tokens.yaml'), UsageError);
      }),
      { numRuns: 400 },
    );
  });

  it('validateSpec on any value returns or throws ValidationError', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        loadsOrRefuses(() => validateSpec(value), ValidationError);
      }),
      { numRuns: 300 },
    );
  });

  it('random documents with the real keys, through YAML, load or give validation errors', () => {
    fc.assert(
      fc.property(realisticDocument, (doc) => {
        loadsOrRefuses(() => validateSpec(parseSpecYaml(stringify(doc), 'doc.yaml')), UsageError);
      }),
      { numRuns: 500 },
    );
  });

  it('whatever validates survives serializeSpec and loads back to the same spec', () => {
    const valid = fc.record({
      provider: fc.constantFrom('exoscale', 'openstack', 'aws'),
      controlPlanes: fc.constantFrom(1, 3, 5),
      workers: fc.integer({ min: 0, max: 50 }),
      cni: fc.constantFrom(...CNIS),
      runtime: fc.constantFrom(...RUNTIMES),
    });
    fc.assert(
      fc.property(valid, (v) => {
        const spec = validateSpec({
          apiVersion: API_VERSION,
          kind: KIND,
          name: 'prop',
          provider: { name: v.provider },
          controlPlane: { count: v.controlPlanes },
          workers: { count: v.workers },
          kubernetes: { cni: v.cni, runtime: v.runtime },
          ssh: { adminCidrs: ['203.0.113.0/24'] },
        });
        expect(validateSpec(parseSpecYaml(serializeSpec(spec), 'round.yaml'))).toEqual(spec);
      }),
      { numRuns: 100 },
    );
  });
});
