/** `certs`: the control-plane certificates kubeadm manages: check their expiry, renew them. */
import { CERTS_DEFAULTS, DEFAULTS } from '../../workflows/defaults.js';
import { defineCommand, duration, flag, type OptionsOf } from '../command.js';

const checkOptions = {
  timeout: duration('time limit', { default: DEFAULTS.status.timeoutMs }),
};

const renewOptions = {
  dryRun: flag('print the plan only'),
  skipBackup: flag('do not take the etcd snapshot taken first (not recommended)'),
  readyTimeout: duration('how long a control plane may take to be Ready after its static pods restarted', { default: CERTS_DEFAULTS.readyTimeoutMs }),
  sshTimeout: duration('how long to wait for a control plane to answer SSH', { default: CERTS_DEFAULTS.sshTimeoutMs }),
  timeout: duration('overall time limit', { default: CERTS_DEFAULTS.timeoutMs }),
};

export type CertsCheckFlags = OptionsOf<typeof checkOptions>;
export type CertsRenewFlags = OptionsOf<typeof renewOptions>;

export const certs = defineCommand({
  name: 'certs',
  summary: 'Control-plane certificates: check their expiry, renew them on every control plane',
  examples: ['k8s-bootstrap certs check', 'k8s-bootstrap certs renew --dry-run', 'k8s-bootstrap certs renew --yes'],
  subcommands: [
    defineCommand({
      name: 'check',
      summary: 'Show when each control plane\'s certificates, CAs and the kubeconfig expire (exit 1 when one has less than 30 days left)',
      examples: ['k8s-bootstrap certs check', 'k8s-bootstrap certs check --output json'],
      options: checkOptions,
      load: async () => (await import('../handlers/certs.js')).runCertsCheck,
    }),
    defineCommand({
      name: 'renew',
      summary: 'kubeadm certs renew all on every control plane, one at a time, restarting its static pods and waiting until it is Ready; then write the kubeconfig again (asks first unless --yes)',
      examples: ['k8s-bootstrap certs renew', 'k8s-bootstrap certs renew --dry-run', 'k8s-bootstrap certs renew --yes --output json'],
      options: renewOptions,
      load: async () => (await import('../handlers/certs.js')).runCertsRenew,
    }),
  ],
});
