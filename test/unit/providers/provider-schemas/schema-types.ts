/**
 * Shape of the provider-schema snapshots in this folder (<provider>-<version>.json), read by
 * provider-conformance.test.ts and written by extract-schema.ts.
 */

/** One resource, data source, provider block or nested block. */
export interface BlockSchema {
  arguments: {
    /** Must be set in the configuration. */
    required: string[];
    /** May be set (includes optional+computed). */
    optional: string[];
  };
  /** Read-only (computed-only) attributes: may be referenced, never set. */
  attributes: string[];
  /** Arguments or blocks the provider marks deprecated. */
  deprecated: string[];
  /** Nested blocks, written `name { ... }` (not `name = ...`). */
  blocks: Record<string, NestedBlockSchema>;
}

export interface NestedBlockSchema extends BlockSchema {
  nesting: 'single' | 'list' | 'set';
  /** 0 unless the provider requires the block. */
  minItems: number;
  /** Absent when unlimited. */
  maxItems?: number;
}

export interface ProviderSchemaSnapshot {
  /** Registry address, e.g. "exoscale/exoscale". */
  provider: string;
  /** Provider release, without the "v". */
  version: string;
  source: {
    repo: string;
    tag: string;
    commit: string;
    /** Files the snapshot was taken from, at that tag. */
    paths: string[];
    method: string;
  };
  /** Date the snapshot was taken (YYYY-MM-DD). */
  taken: string;
  providerBlock: BlockSchema;
  resources: Record<string, BlockSchema>;
  dataSources: Record<string, BlockSchema>;
  /** Names the source declares but the hand-written docs never mention, per type (OpenStack only). */
  notInDocs?: Record<string, string[]>;
}
