/** Dotted-path access to a raw (not yet validated) spec document, e.g. "provider.zone". */
export type RawDoc = Record<string, unknown>;

export function getPath(doc: RawDoc, path: string): unknown {
  let node: unknown = doc;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = (node as RawDoc)[key];
  }
  return node;
}

/** True when the person already gave this field (flag, env, --config): the wizard does not ask it again. */
export function hasValue(doc: RawDoc, path: string): boolean {
  const value = getPath(doc, path);
  if (value === undefined || value === null || value === '') return false;
  return !(Array.isArray(value) && value.length === 0);
}

export function setPath(doc: RawDoc, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = doc;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as RawDoc;
  }
  node[keys[keys.length - 1]!] = value;
}
