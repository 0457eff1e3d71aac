/**
 * What one add-on step did, for a run's summary and the commands' JSON results. A module of its
 * own, free of the SSH layer's types: the library's declarations (init's result) reference it.
 */
import type { AddonName } from './pins.js';

/** What applying an add-on did (nodes/addon-ops.ts AddonNodeOps.apply answers one of these). */
export type AddonOutcome = 'unchanged' | 'installed' | 'upgraded' | 'reconfigured';

export interface AddonStepResult {
  name: AddonName;
  /** The chart version it is at now (the pin), when it has one for the minor. */
  version?: string;
  outcome: AddonOutcome | 'not-installed' | 'no-pin';
}
