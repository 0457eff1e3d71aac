/** `addons`: the versioned add-on set (Helm charts on the first control plane): list, diff, apply. */
import { ADDON_NAMES } from '../../kube/addons/pins.js';
import { DEFAULTS } from '../../workflows/defaults.js';
import { defineCommand, duration, flag, type OptionsOf } from '../command.js';

const readOptions = {
  timeout: duration('time limit', { default: DEFAULTS.status.timeoutMs }),
};

const applyOptions = {
  dryRun: flag('print the plan (what would change) only'),
  timeout: duration('overall time limit', { default: DEFAULTS.addons.timeoutMs }),
  sshTimeout: duration('how long to wait for the first control plane to answer SSH', { default: DEFAULTS.addons.sshTimeoutMs }),
};

export type AddonsReadFlags = OptionsOf<typeof readOptions>;
export type AddonsApplyFlags = OptionsOf<typeof applyOptions>;

export const addons = defineCommand({
  name: 'addons',
  summary: `Manage the add-ons (${ADDON_NAMES.join(', ')}): list, diff, apply`,
  examples: ['k8s-bootstrap addons list', 'k8s-bootstrap addons diff traefik', 'k8s-bootstrap addons apply --yes'],
  subcommands: [
    defineCommand({
      name: 'list',
      summary: 'Show each add-on: enabled, installed and wanted version, Helm status, health (exit 1 when an enabled add-on is not installed or not ready)',
      examples: ['k8s-bootstrap addons list', 'k8s-bootstrap addons list --output json'],
      options: readOptions,
      load: async () => (await import('../handlers/addons.js')).runAddonsList,
    }),
    defineCommand({
      name: 'diff',
      arguments: '[names...]',
      summary: 'Show what addons apply would change, per add-on (value paths only, never values)',
      examples: ['k8s-bootstrap addons diff', 'k8s-bootstrap addons diff traefik cert-manager'],
      options: readOptions,
      load: async () => (await import('../handlers/addons.js')).runAddonsDiff,
    }),
    defineCommand({
      name: 'apply',
      arguments: '[names...]',
      summary: 'Install or upgrade the enabled add-ons (or the named ones) with Helm; asks before changing anything unless --yes',
      examples: ['k8s-bootstrap addons apply', 'k8s-bootstrap addons apply traefik --yes', 'k8s-bootstrap addons apply --dry-run'],
      options: applyOptions,
      load: async () => (await import('../handlers/addons.js')).runAddonsApply,
    }),
  ],
});
