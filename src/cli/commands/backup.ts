/** `backup`: an etcd snapshot and the PKI, verified, into clusters/<name>/backups/ (and spec.backup.s3). */
import { BACKUP_DEFAULTS } from '../../workflows/defaults.js';
import { defineCommand, duration, flag, type OptionsOf } from '../command.js';

const options = {
  sshTimeout: duration('how long to wait for a control plane to answer SSH', { default: BACKUP_DEFAULTS.sshTimeoutMs }),
  timeout: duration('overall time limit', { default: BACKUP_DEFAULTS.timeoutMs }),
  dryRun: flag('print the plan only'),
};

export type BackupFlags = OptionsOf<typeof options>;

export const backup = defineCommand({
  name: 'backup',
  summary: 'Take a verified etcd snapshot and the PKI into clusters/<name>/backups/',
  examples: ['k8s-bootstrap backup', 'k8s-bootstrap backup --dir clusters/prod --output json'],
  options,
  load: async () => (await import('../handlers/backup.js')).runBackup,
});
