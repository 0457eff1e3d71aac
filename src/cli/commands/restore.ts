/** `restore --from SNAPSHOT`: the cluster's etcd back to a backup, confirmed by typing the cluster's name. */
import { RESTORE_DEFAULTS } from '../../workflows/defaults.js';
import { defineCommand, duration, flag, text, type OptionsOf } from '../command.js';

const options = {
  from: text('<backup>', 'the backup: clusters/<name>/backups/<stamp>, its stamp, or its etcd-snapshot.db (required)'),
  confirmName: text('<cluster>', "the cluster's name, typed: confirms the restore without a prompt (--yes alone does not)"),
  skipBackup: flag('do not take a backup of the current state first (not recommended)'),
  sshTimeout: duration('how long to wait for a node to answer SSH', { default: RESTORE_DEFAULTS.sshTimeoutMs }),
  timeout: duration('overall time limit', { default: RESTORE_DEFAULTS.timeoutMs }),
  dryRun: flag('print the plan only'),
};

export type RestoreFlags = OptionsOf<typeof options>;

export const restore = defineCommand({
  name: 'restore',
  summary: "Restore the cluster's etcd from a backup (every change since it is lost)",
  examples: ['k8s-bootstrap restore --from clusters/prod/backups/20260101T120000Z', 'k8s-bootstrap restore --from 20260101T120000Z --confirm-name prod --output json'],
  options,
  load: async () => (await import('../handlers/restore.js')).runRestore,
});
