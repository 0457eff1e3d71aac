/**
 * The programmatic entry point; the CLI is one host of it. A script builds a Host (createHost),
 * gets a ClusterSpec (loadSpec or validateSpec), and calls a command: each takes the host and
 * typed options, reports progress as events, asks its questions through the host and resolves
 * with a result object. Errors are BootstrapError subclasses with a stable code and a hint.
 */
export { initCluster, addWorkers, removeWorkers, upgradeCluster, destroyCluster, clusterStatus } from './workflows/index.js';
export type {
  InitClusterOptions,
  InitResult,
  InitDryRunResult,
  InitRunResult,
  AddWorkersOptions,
  AddWorkersResult,
  RemoveWorkersOptions,
  RemoveWorkersResult,
  UpgradeOptions,
  UpgradeResult,
  DestroyOptions,
  DestroyResult,
  StatusOptions,
  StatusResult,
  ClusterRef,
} from './workflows/index.js';
export { loadSpec } from './config/load.js';
export { validateSpec } from './config/validate/index.js';
export type { ClusterSpec } from './config/schema.js';
export * from './errors.js';
export { createHost, type CreateHostOptions, type ScriptHost } from './engine/script-host.js';
export type { Host, ConfirmQuestion, SelectQuestion, SelectChoice, ResultBase } from './engine/host.js';
export { EVENTS_VERSION, type EngineEvent, type EventSink, type EventType, type ErrorSummary, type StepRef } from './engine/events.js';
export type { PlanStep } from './engine/describe.js';
export { DEFAULTS } from './workflows/defaults.js';
export type { StatusNode, StatusReport } from './workflows/status/report.js';
export type { StaticHostInput } from './config/schema.js';
export { SecretSet } from './engine/redact.js';
export { RunFailedError } from './engine/run-errors.js';
export { RunTimedOutError } from './workflows/run/session.js';
