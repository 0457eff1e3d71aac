/**
 * `config schema | example | validate`: the spec layer, exposed as commands. Output goes to
 * stdout so that it can be redirected into files.
 */
import { resolve } from 'node:path';
import { formatIssue, UsageError } from '../../errors.js';
import { exampleSpec } from '../../config/example.js';
import { readSpecFile } from '../../config/load.js';
import { clusterJsonSchema, clusterJsonSchemaText, serializeSpec } from '../../config/serialize.js';
import { specWarnings, validateSpec } from '../../config/validate/index.js';
import type { ConfigExampleFlags } from '../commands/config.js';
import type { CliContext } from '../context.js';
import { printResult } from '../host.js';

// The schema and the example are the output (`> cluster.schema.json`); under --output json each
// is a field of the one result line, like every command's output.
export async function runConfigSchema(ctx: CliContext): Promise<void> {
  if (ctx.outputMode === 'json') printResult(ctx, 'config schema', { schema: clusterJsonSchema(), summary: [] });
  else ctx.write(clusterJsonSchemaText());
}

export async function runConfigExample(ctx: CliContext, options: ConfigExampleFlags): Promise<void> {
  // commander has checked the value against the declared choices.
  const { provider } = options;
  const yaml = serializeSpec(exampleSpec(provider), { schemaHint: true });
  if (ctx.outputMode === 'json') printResult(ctx, 'config example', { provider, yaml, summary: [] });
  else ctx.write(yaml);
}

export async function runConfigValidate(ctx: CliContext, _options: unknown, args: string[] = []): Promise<void> {
  const file = validateTarget(ctx, args[0]);
  const spec = validateSpec(await readSpecFile(resolve(ctx.cwd, file)), { localFiles: true, env: ctx.env });
  const warnings = specWarnings(spec).map(formatIssue);
  for (const warning of warnings) ctx.error(`warning: ${warning}`);
  printResult(ctx, 'config validate', { file, valid: true, cluster: spec.name, warnings, summary: [`ok: ${file} is a valid cluster configuration`] });
}

/** `config validate FILE`, or the global --config / K8SB_CONFIG; two different files are refused. */
function validateTarget(ctx: CliContext, argument: string | undefined): string {
  const fromFlag = ctx.globals.config === '' ? undefined : ctx.globals.config;
  if (argument !== undefined && fromFlag !== undefined && resolve(ctx.cwd, argument) !== resolve(ctx.cwd, fromFlag)) {
    throw new UsageError('TwoConfigs', `config validate got two files: ${argument} (argument) and ${fromFlag} (--config or K8SB_CONFIG)`, {
      hint: `Name one: k8s-bootstrap config validate ${argument}`,
    });
  }
  const file = argument ?? fromFlag;
  if (file === undefined || file === '') {
    throw new UsageError('MissingConfig', 'config validate needs a file: name it, or pass --config <file> (or set K8SB_CONFIG)', {
      hint: 'k8s-bootstrap config validate cluster.yaml',
    });
  }
  return file;
}
