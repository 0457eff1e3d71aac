/**
 * The cluster's three entries (cluster, user, context) in a person's kubeconfig such as
 * ~/.kube/config. They are added, replaced or removed only when they are the tool's own: they
 * match what it recorded when it merged them, or what it would write now. An entry of the same
 * name that is someone else's is never touched: replacing it would point that person's other
 * contexts, and their credentials, at this cluster. The file is edited as a YAML document, so the
 * person's comments, order and other entries stay.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { Document, isMap, isScalar, isSeq, parseDocument, YAMLSeq, type Node as YamlNode } from 'yaml';
import { UsageError } from '../errors.js';
import { shown, type KubeconfigParts } from './kubeconfig-allowlist.js';

export interface KubeconfigNames {
  cluster: string;
  user: string;
  context: string;
}

/** What identifies the entries the tool merged (no secrets: fingerprints of certificates only). */
export interface MergedEntries {
  cluster: { name: string; server: string; caSha256: string };
  user: { name: string; clientCertificateSha256: string };
  context: { name: string; cluster: string; user: string };
}

type Kind = 'clusters' | 'users' | 'contexts';
const KINDS: Kind[] = ['clusters', 'users', 'contexts'];
const SINGULAR: Record<Kind, string> = { clusters: 'cluster', users: 'user', contexts: 'context' };

/** "sha256:<hex>" of a certificate's DER, from kubeconfig base64 data; undefined when it is none. */
export function certificateSha256(data: unknown): string | undefined {
  if (typeof data !== 'string') return undefined;
  try {
    const certificate = new X509Certificate(Buffer.from(data, 'base64'));
    return `sha256:${createHash('sha256').update(certificate.raw).digest('hex')}`;
  } catch {
    return undefined;
  }
}

/**
 * A user entry that an earlier release merged (no record then): kubeadm's admin certificate
 * (CN kubernetes-admin) issued by this cluster's CA, whose client certificate has been renewed since.
 */
function isAdminOf(entry: Record<string, unknown>, caData: string): boolean {
  const content = entry.user as Record<string, unknown> | undefined;
  const data = content?.['client-certificate-data'];
  if (typeof data !== 'string') return false;
  try {
    const certificate = new X509Certificate(Buffer.from(data, 'base64'));
    const ca = new X509Certificate(Buffer.from(caData, 'base64'));
    return certificate.checkIssued(ca) && certificate.verify(ca.publicKey) && /(^|\n)CN=kubernetes-admin(\n|$)/.test(certificate.subject);
  } catch {
    return false;
  }
}

export function mergedEntriesOf(parts: KubeconfigParts, names: KubeconfigNames): MergedEntries {
  return {
    cluster: { name: names.cluster, server: parts.server, caSha256: certificateSha256(parts.caData) ?? '' },
    user: { name: names.user, clientCertificateSha256: certificateSha256(parts.certData) ?? '' },
    context: { name: names.context, cluster: names.cluster, user: names.user },
  };
}

function entryBodies(parts: KubeconfigParts, names: KubeconfigNames): Record<Kind, Record<string, unknown>> {
  return {
    clusters: { name: names.cluster, cluster: { 'certificate-authority-data': parts.caData, server: parts.server } },
    users: { name: names.user, user: { 'client-certificate-data': parts.certData, 'client-key-data': parts.keyData } },
    contexts: { name: names.context, context: { cluster: names.cluster, user: names.user } },
  };
}

function nameOf(kind: Kind, claim: MergedEntries): string {
  return claim[SINGULAR[kind] as 'cluster' | 'user' | 'context'].name;
}

/** The entry (plain data) is the one `claim` describes. */
function owns(kind: Kind, entry: Record<string, unknown>, claim: MergedEntries): boolean {
  if (entry.name !== nameOf(kind, claim)) return false;
  const content = entry[SINGULAR[kind]] as Record<string, unknown> | undefined;
  if (!content || typeof content !== 'object') return false;
  switch (kind) {
    case 'clusters':
      return content.server === claim.cluster.server && claim.cluster.caSha256 !== '' && certificateSha256(content['certificate-authority-data']) === claim.cluster.caSha256;
    case 'users':
      return claim.user.clientCertificateSha256 !== '' && certificateSha256(content['client-certificate-data']) === claim.user.clientCertificateSha256;
    case 'contexts':
      return content.cluster === claim.context.cluster && content.user === claim.context.user;
  }
}

export interface MergeOptions {
  names: KubeconfigNames;
  /** Entries the tool merged into this file before (its record). */
  owned: MergedEntries[];
  /** The file, for messages. */
  file: string;
  /** The cluster's own kubeconfig, offered in the hint when the merge is refused. */
  standalone: string;
  setCurrentContext?: boolean;
}

export interface MergeOutcome {
  text: string;
  changed: boolean;
  /** What to record as merged. */
  entries: MergedEntries;
}

/**
 * Adds or replaces the cluster's entries in `existing` (undefined: no file yet). current-context
 * is set when asked or when there is none. Refuses, changing nothing, when an entry of the same
 * name is not the tool's or a context of the person's already refers to a name it would add.
 */
export function mergeKubeconfig(existing: string | undefined, parts: KubeconfigParts, options: MergeOptions): MergeOutcome {
  const doc = loadDocument(existing, options.file);
  const entries = mergedEntriesOf(parts, options.names);
  const claims = [entries, ...options.owned];
  const bodies = entryBodies(parts, options.names);
  const contexts = plainEntries(doc, 'contexts', options.file);

  const conflicts: string[] = [];
  for (const kind of KINDS) {
    const name = nameOf(kind, entries);
    const current = plainEntries(doc, kind, options.file).find((entry) => entry.name === name);
    if (current) {
      const ours = claims.some((claim) => owns(kind, current, claim)) || (kind === 'users' && options.owned.length === 0 && isAdminOf(current, parts.caData));
      if (!ours) conflicts.push(foreignEntry(kind, current, contexts));
    } else if (kind !== 'contexts') {
      const key = SINGULAR[kind];
      for (const context of contexts) {
        const refersTo = (context.context as Record<string, unknown> | undefined)?.[key];
        if (refersTo === name && context.name !== options.names.context) {
          conflicts.push(`context ${shown(context.name)} refers to ${key} "${name}", which the file does not have: the ${key} k8s-bootstrap adds would receive that context's requests and credentials`);
        }
      }
    }
  }
  if (conflicts.length > 0) {
    throw new UsageError('KubeconfigEntryNotOurs', `Refusing to merge into ${options.file}: ${conflicts.join('; ')}`, {
      hint:
        'Nothing was changed. Rename your entries (kubectl config rename-context OLD NEW for a context; for a cluster or user, edit the file and the contexts that use it), ' +
        `or use this cluster's own kubeconfig instead: export KUBECONFIG=${options.standalone}`,
    });
  }

  let changed = false;
  for (const kind of KINDS) {
    const seq = ensureList(doc, kind);
    const name = nameOf(kind, entries);
    const index = seq.items.findIndex((item) => isMap(item) && item.get('name') === name);
    const body = bodies[kind];
    if (index < 0) {
      seq.items.push(doc.createNode(body));
      changed = true;
      continue;
    }
    const old = seq.items[index] as YamlNode;
    // The person's default namespace on our context stays.
    const namespace = kind === 'contexts' ? ((old.toJSON() as { context?: { namespace?: unknown } }).context?.namespace) : undefined;
    if (typeof namespace === 'string') (body as { context: Record<string, unknown> }).context.namespace = namespace;
    if (canonical(old.toJSON()) === canonical(body)) continue;
    const replacement = doc.createNode(body);
    replacement.commentBefore = old.commentBefore;
    replacement.comment = old.comment;
    seq.items[index] = replacement;
    changed = true;
  }
  const current = doc.get('current-context');
  if ((options.setCurrentContext || current === undefined || current === null || current === '') && current !== options.names.context) {
    doc.set('current-context', options.names.context);
    changed = true;
  }
  if (!changed) return { text: existing ?? '', changed, entries };
  return { text: render(doc, existing), changed, entries };
}

export interface RemoveOutcome {
  text: string;
  /** Entries removed, e.g. `context "demo-admin@demo"`. */
  removed: string[];
  /** Entries with the cluster's names that are not the tool's, left as they are. */
  leftAlone: string[];
}

/** Takes out the entries that match a claim; a same-named entry that matches none stays. */
export function removeFromKubeconfig(existing: string, owned: MergedEntries[], file: string): RemoveOutcome {
  const doc = loadDocument(existing, file);
  const removed: string[] = [];
  const leftAlone: string[] = [];
  const removedContexts = new Set<string>();
  for (const kind of KINDS) {
    const names = new Set(owned.map((claim) => nameOf(kind, claim)));
    const seq = doc.get(kind);
    if (!isSeq(seq)) continue;
    const removedHere: string[] = [];
    const leftHere: string[] = [];
    for (let index = seq.items.length - 1; index >= 0; index--) {
      const item = seq.items[index];
      if (!isMap(item)) continue;
      const entry = item.toJSON() as Record<string, unknown>;
      if (typeof entry.name !== 'string' || !names.has(entry.name)) continue;
      const label = `${SINGULAR[kind]} ${shown(entry.name)}`;
      if (owned.some((claim) => owns(kind, entry, claim))) {
        seq.items.splice(index, 1);
        removedHere.unshift(label);
        if (kind === 'contexts') removedContexts.add(entry.name);
      } else {
        leftHere.unshift(label);
      }
    }
    removed.push(...removedHere);
    leftAlone.push(...leftHere);
  }
  const current = doc.get('current-context');
  if (typeof current === 'string' && removedContexts.has(current)) doc.delete('current-context');
  return { text: removed.length > 0 ? render(doc, existing) : existing, removed, leftAlone };
}

function loadDocument(text: string | undefined, file: string): Document {
  if (text === undefined || text.trim() === '') return new Document({ apiVersion: 'v1', kind: 'Config' });
  const doc = parseDocument(text);
  const problem = doc.errors[0];
  if (problem) {
    throw new UsageError('InvalidKubeconfig', `${file} is not valid YAML (${problem.message.split('\n')[0]})`, {
      hint: 'Nothing was changed. Fix the file (kubectl must be able to read it too), then run the command again.',
    });
  }
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    doc.contents = doc.createNode({ apiVersion: 'v1', kind: 'Config' }) as unknown as typeof doc.contents;
  }
  if (!isMap(doc.contents)) {
    throw new UsageError('InvalidKubeconfig', `${file} is not a kubeconfig (its top level is not a mapping)`, {
      hint: 'Nothing was changed. Fix the file or set KUBECONFIG to another one, then run the command again.',
    });
  }
  return doc;
}

/** The list's entries as plain data; `clusters: null` (kubectl writes that) is an empty list. */
function plainEntries(doc: Document, kind: Kind, file: string): Array<Record<string, unknown>> {
  const node = doc.get(kind, true);
  if (node === undefined || (isScalar(node) && node.value === null)) return [];
  if (!isSeq(node)) {
    throw new UsageError('InvalidKubeconfig', `${file}: ${kind} is not a list`, { hint: 'Nothing was changed. Fix the file, then run the command again.' });
  }
  return node.items.filter(isMap).map((item) => item.toJSON() as Record<string, unknown>);
}

function ensureList(doc: Document, kind: Kind): YAMLSeq {
  const node = doc.get(kind, true);
  if (isSeq(node)) {
    // `contexts: []` would otherwise stay a flow list with block entries in it.
    node.flow = false;
    return node;
  }
  const seq = new YAMLSeq();
  doc.set(kind, seq);
  return seq;
}

function foreignEntry(kind: Kind, entry: Record<string, unknown>, contexts: Array<Record<string, unknown>>): string {
  const content = (entry[SINGULAR[kind]] ?? {}) as Record<string, unknown>;
  const facts: string[] = [];
  if (kind === 'clusters' && content.server !== undefined) facts.push(`server ${shown(content.server)}`);
  if (kind === 'contexts') facts.push(`cluster ${shown(content.cluster)}, user ${shown(content.user)}`);
  if (kind !== 'contexts') {
    const users = contexts.filter((context) => (context.context as Record<string, unknown> | undefined)?.[SINGULAR[kind]] === entry.name).map((context) => shown(context.name));
    if (users.length > 0) facts.push(`used by context ${users.join(', ')}`);
  }
  return `it already has ${SINGULAR[kind]} ${shown(entry.name)}${facts.length > 0 ? ` (${facts.join('; ')})` : ''}, which k8s-bootstrap did not create`;
}

/** kubectl writes lists unindented (`clusters:\n- name:`); keep whichever style the file has. */
function render(doc: Document, original: string | undefined): string {
  const indented = original !== undefined && /^(?:clusters|users|contexts):[ \t]*\r?\n[ \t]+-[ \t]/m.test(original);
  return doc.toString({ lineWidth: 0, indentSeq: indented });
}

/** JSON with sorted keys: the same entry written in another key order is the same entry. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === 'object' && !Array.isArray(item) ? Object.fromEntries(Object.entries(item as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))) : item,
  );
}
