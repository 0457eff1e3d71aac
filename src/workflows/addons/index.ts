/**
 * The add-on commands as functions, `(host, options) => result`, as the CLI's handlers and a
 * script call them: list and diff are read-only (no lock), apply changes the cluster under it.
 */
export { addonsList, type AddonsListOptions, type AddonsListResult, type AddonRow } from './list.js';
export { addonsDiff, type AddonsDiffOptions, type AddonsDiffResult } from './diff.js';
export { addonsApply, type AddonsApplyOptions, type AddonsApplyResult } from './apply.js';
export type { AddonDiffRow } from './inspect.js';
export type { AddonStepResult } from './phases.js';
