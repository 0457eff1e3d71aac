/**
 * The commands as functions, each `(host, options) => result`: what the CLI's handlers call, and
 * what a script imports from the package.
 */
export { initCluster, type InitClusterOptions, type InitResult, type InitDryRunResult, type InitRunResult } from './init/index.js';
export { addWorkers, type AddWorkersOptions, type AddWorkersResult } from './workers/add.js';
export { removeWorkers, type RemoveWorkersOptions, type RemoveWorkersResult } from './workers/remove.js';
export { upgradeCluster, type UpgradeOptions, type UpgradeResult } from './upgrade/index.js';
export { destroyCluster, type DestroyOptions, type DestroyResult } from './destroy/index.js';
export { clusterStatus, type StatusOptions, type StatusResult } from './status/cluster-status.js';
export type { ClusterRef } from './run/cluster-ref.js';
export { DEFAULTS } from './defaults.js';
