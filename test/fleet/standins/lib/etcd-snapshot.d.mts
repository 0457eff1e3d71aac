// Types of etcd-snapshot.mjs for the fleet's TypeScript side (tests).
export interface FleetSnapshot {
  format: 'k8sb-fleet-etcd-snapshot';
  formatVersion: 1;
  storageVersion: string;
  revision: number;
  takenAt: string;
  takenFrom: string | null;
  members: Array<Record<string, unknown>>;
  state: Record<string, any>;
}
export interface FleetSnapshotStatus { hash: number; revision: number; totalKey: number; totalSize: number; version: string }
export declare const SNAPSHOT_FORMAT: string;
export declare const SNAPSHOT_STATE_KEYS: string[];
export declare function countKeys(state: Record<string, any>): number;
export declare function snapshotOf(api: Record<string, any>, options?: { storageVersion?: string; takenFrom?: string }): FleetSnapshot;
export declare function encodeSnapshot(snapshot: FleetSnapshot): Buffer;
export declare function writeSnapshot(path: string, snapshot: FleetSnapshot): void;
export declare function decodeSnapshot(bytes: Buffer): { snapshot: FleetSnapshot; body: Buffer; error?: undefined } | { error: string; snapshot?: undefined; body?: undefined };
export declare function readSnapshot(path: string): FleetSnapshot;
export declare function snapshotStatus(decoded: { snapshot: FleetSnapshot; body: Buffer }): FleetSnapshotStatus;
export declare function podPath(host: string, path: string): { file: string; onHost: boolean } | null;
