/** Small valid documents and a patch helper shared by the spec tests. */
import { API_VERSION, KIND } from '../../src/config/schema.js';

export type Doc = Record<string, unknown>;

export const awsDoc = (): Doc => ({
  apiVersion: API_VERSION,
  kind: KIND,
  name: 'demo',
  provider: { name: 'aws' },
  ssh: { adminCidrs: ['203.0.113.0/24'] },
});

export const staticDoc = (): Doc => ({
  apiVersion: API_VERSION,
  kind: KIND,
  name: 'lab',
  provider: {
    name: 'static',
    hosts: [
      { address: '192.0.2.10', role: 'control-plane' },
      { address: '192.0.2.21', role: 'worker' },
    ],
  },
});

/** Deep-merges `patch` into `base`: arrays replace, `undefined` deletes the key. */
export function patched(base: Doc, patch: Doc): Doc {
  const out: Doc = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    if (value === undefined) delete out[key];
    else if (isMapping(value) && isMapping(current)) out[key] = patched(current, value);
    else out[key] = value;
  }
  return out;
}

function isMapping(value: unknown): value is Doc {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
