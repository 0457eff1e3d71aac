/**
 * `config schema | example | validate`: the spec layer, exposed as commands. Output goes to
 * stdout so that it can be redirected into files.
 */
import { resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { exampleSpec } from '../../config/example.js';
import { readSpecFile } from '../../config/load.js';
import { PROVIDERS, type ProviderName } from '../../config/schema.js';
import { clusterJsonSchema, serializeSpec } from '../../config/serialize.js';
import { specWarnings, validateSpec } from '../../config/validate/index.js';
import { formatIssue } from '../../errors.js';
import type { CommandHandler } from '../command.js';

export const runConfigSchema: CommandHandler = async (ctx) => {
  ctx.write(`${JSON.stringify(clusterJsonSchema(), null, 2)}\n`);
};

export const runConfigExample: CommandHandler = async (ctx, options) => {
  const provider = (options.provider ?? 'exoscale') as ProviderName;
  if (!PROVIDERS.includes(provider)) {
    throw new UsageError('InvalidProvider', `--provider must be one of ${PROVIDERS.join(', ')}, got "${String(provider)}"`);
  }
  ctx.write(serializeSpec(exampleSpec(provider)));
};

export const runConfigValidate: CommandHandler = async (ctx) => {
  const file = ctx.globals.config;
  if (file === undefined || file === '') {
    throw new UsageError('MissingConfig', 'config validate needs a file: pass --config <file> (or set K8SB_CONFIG)', {
      hint: 'k8s-bootstrap config validate -c cluster.yaml',
    });
  }
  const spec = validateSpec(await readSpecFile(resolve(ctx.cwd, file)));
  for (const warning of specWarnings(spec)) ctx.error(`warning: ${formatIssue(warning)}`);
  ctx.write(`ok: ${file} is a valid cluster configuration`);
};
