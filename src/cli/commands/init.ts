/**
 * `init`: the spec-filling flags come from INIT_FIELDS (config/init-fields.ts), the table that also
 * drives the merge with --config and K8SB_*, ENV_VARS and the missing-value message; the flags
 * about the run itself are declared here.
 */
import { INIT_FIELDS, initFieldKey, type InitFieldKey, type InitFieldRow, type InitFieldValue } from '../../config/init-fields.js';
import { DEFAULTS } from '../../workflows/defaults.js';
import { MAX_INIT_CONCURRENCY } from '../../workflows/init/concurrency.js';
import { choice, defineCommand, duration, flag, integer, list, text, type OptionDecl, type OptionsOf } from '../command.js';

type InitFieldDecls = { [Row in InitFieldRow as InitFieldKey<Row>]: OptionDecl<InitFieldValue<Row>> };

function declare(row: InitFieldRow): OptionDecl<unknown> {
  const help = 'env' in row ? `${row.help} (${row.env.name})` : row.help;
  if (row.kind === 'integer') return integer(row.valueName, help);
  if (row.kind === 'list') return list(row.valueName, help);
  if (row.kind === 'choice') return choice(row.valueName, help, row.choices);
  return text(row.valueName, help);
}

const specOptions = Object.fromEntries(INIT_FIELDS.map((row) => [initFieldKey(row), declare(row)])) as InitFieldDecls;

const options = {
  ...specOptions,
  sshTimeout: duration('how long to wait for a node to answer SSH', { default: DEFAULTS.init.sshTimeoutMs }),
  rebuildImage: flag('build the node image even when an up-to-date one exists'),
  allowDestroy: flag('apply a Terraform plan that deletes or replaces existing resources (shown first; refused without this)'),
  // No declared default: unset, init works on every node at once up to a bound (initConcurrency).
  concurrency: integer('<n>', `nodes worked on at once; unset: ${DEFAULTS.init.concurrency}, or every node of a larger cluster (at most ${MAX_INIT_CONCURRENCY})`),
  timeout: duration('overall time limit, e.g. 45m', { default: DEFAULTS.init.timeoutMs }),
  dryRun: flag('validate and print the plan; run nothing, need no credentials'),
};

export type InitCommandFlags = OptionsOf<typeof options>;

export const init = defineCommand({
  name: 'init',
  summary: 'Create a cluster: wizard (or flags/--config), image, infrastructure, kubeadm, CNI, kubeconfig',
  examples: [
    'k8s-bootstrap init',
    'k8s-bootstrap init --dry-run --yes --name demo --provider aws --admin-cidr 203.0.113.0/24',
    'k8s-bootstrap init --yes --name lab --provider static --control-plane-host 10.0.0.5 --worker-host 10.0.0.6 --ssh-user ubuntu --ssh-key ~/.ssh/id_ed25519',
  ],
  options,
  load: async () => (await import('../handlers/init.js')).runInit,
});
