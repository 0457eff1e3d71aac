/**
 * `config schema | example | validate`: the spec layer, exposed as commands. Output goes to
 * stdout so that it can be redirected into files.
 */
import { resolve } from 'node:path';
import { formatIssue, UsageError } from '../../errors.js';
import { exampleSpec } from '../../config/example.js';
import { readSpecFile } from '../../config/load.js';
import { clusterJsonSchema, serializeSpec } from '../../config/serialize.js';
import { specWarnings, validateSpec } from '../../config/validate/index.js';
import type { ConfigExampleFlags } from '../commands/config.js';
import type { CliContext } from '../context.js';
import { printResult } from '../host.js';

// The schema and the example are the output (`> cluster.schema.json`); under --output json each
// is a field of the one result line, like every command's output.
export async function runConfigSchema(ctx: CliContext): Promise<void> {
  if (ctx.outputMode === 'json') printResult(ctx, 'config schema', { schema: clusterJsonSchema(), summary: [] });
  else ctx.write(`${JSON.stringify(clusterJsonSchema(), null, 2)}\n`);
}

export async function runConfigExample(ctx: CliContext, options: ConfigExampleFlags): Promise<void> {
  // commander has checked the value against the declared choices.
  const { provider } = options;
  const yaml = serializeSpec(exampleSpec(provider));
  if (ctx.outputMode === 'json') printResult(ctx, 'config example', { provider, yaml, summary: [] });
  else ctx.write(yaml);
}

export async function runConfigValidate(ctx: CliContext): Promise<void> {
  const file = ctx.globals.config;
  if (file === undefined || file === '') {
    throw new UsageError('MissingConfig', 'config validate needs a file: pass --config <file> (or set K8SB_CONFIG)', {
      hint: 'k8s-bootstrap config validate -c cluster.yaml',
    });
  }
  const spec = validateSpec(await readSpecFile(resolve(ctx.cwd, file)));
  const warnings = specWarnings(spec).map(formatIssue);
  for (const warning of warnings) ctx.error(`warning: ${warning}`);
  printResult(ctx, 'config validate', { file, valid: true, cluster: spec.name, warnings, summary: [`ok: ${file} is a valid cluster configuration`] });
}
