/**
 * `k8s-bootstrap doctor`: what this machine has (terraform/tofu, packer, ssh, node), what is
 * missing and how to install it, and whether the chosen provider's credentials are present.
 * Credential VALUES are never printed: only where they were found, or the names that are missing.
 * Exit 0 when everything the provider needs is there, 1 otherwise.
 */
import { isAbsolute, resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { credentialIssue, discoverCredentials } from '../../providers/credentials.js';
import { CLOUD_CREDENTIAL_VARIABLES } from '../../providers/cloud-credentials.js';
import { readSpecFile } from '../../config/load.js';
import { CLOUD_CREDENTIAL_SOURCES, PROVIDERS, type CloudCredentialSource, type ProviderName } from '../../config/schema.js';
import { parsePackerVersion } from '../../tools/packer-machine-readable.js';
import { PACKER_INSTALL_HINT, packerVersionProblem } from '../../tools/packer.js';
import { findExecutable, runTool } from '../../tools/subprocess.js';
import type { DoctorFlags } from '../commands/doctor.js';
import { printResult } from '../host.js';
import type { CliContext } from '../context.js';

export type ToolName = 'terraform' | 'tofu' | 'packer' | 'ssh' | 'node';

export interface ToolReport {
  name: ToolName;
  found: boolean;
  path?: string;
  version?: string;
  /** Found but unusable (too old, or the version command failed). */
  problem?: string;
  /** How to install or upgrade, when not found or with a problem. */
  install?: string;
  required: boolean;
}

export interface DoctorReport {
  ok: boolean;
  provider?: ProviderName;
  tools: ToolReport[];
  credentials?: { ok: boolean; source: string; missing: string[]; hint?: string };
  /**
   * Where the CCM and CSI get their cloud credentials (cloudIntegration.credentials of --config,
   * else the default terraform): names only, never values. Absent for static.
   */
  cloudControllers?: { source: CloudCredentialSource | 'instance profiles'; fromConfig: boolean; ok: boolean; variables: string[]; missing: string[] };
  problems: string[];
}

const MIN_NODE_MAJOR = 20;

export const INSTALL_HINTS: Record<ToolName, string> = {
  terraform:
    'Terraform: https://developer.hashicorp.com/terraform/install (apt: add the HashiCorp apt repository, then apt install terraform; brew install hashicorp/tap/terraform) ' +
    'or OpenTofu: https://opentofu.org/docs/intro/install/ (brew install opentofu)',
  tofu: 'OpenTofu: https://opentofu.org/docs/intro/install/ (brew install opentofu), or use Terraform instead',
  packer: PACKER_INSTALL_HINT,
  ssh: 'OpenSSH client: apt install openssh-client (macOS ships ssh; Windows: the OpenSSH optional feature)',
  node: `Node.js >= ${MIN_NODE_MAJOR}: https://nodejs.org/en/download (brew install node, or nvm install ${MIN_NODE_MAJOR})`,
};

// Terraform and Packer call checkpoint.hashicorp.com on `version` unless told not to.
const QUIET_ENV = { CHECKPOINT_DISABLE: '1' };

export async function runDoctor(ctx: CliContext, options: DoctorFlags): Promise<number> {
  const { provider, cloudCredentials } = await chooseProvider(ctx, options.provider);
  const report = await buildDoctorReport(ctx, provider, cloudCredentials);
  printResult(ctx, 'doctor', { ...report, summary: [formatDoctorReport(report)] });
  return report.ok ? 0 : 1;
}

async function chooseProvider(ctx: CliContext, flag: unknown): Promise<{ provider?: ProviderName; cloudCredentials?: CloudCredentialSource }> {
  const config = async () => {
    if (!ctx.globals.config) return null;
    const path = isAbsolute(ctx.globals.config) ? ctx.globals.config : resolve(ctx.cwd, ctx.globals.config);
    // Only the provider name and the credential source are needed; a spec with other problems should not stop the checkup.
    return (await readSpecFile(path)) as { provider?: { name?: unknown }; cloudIntegration?: { credentials?: unknown } } | null;
  };
  const raw = await config();
  const source = raw?.cloudIntegration?.credentials;
  const cloudCredentials = (CLOUD_CREDENTIAL_SOURCES as readonly unknown[]).includes(source) ? (source as CloudCredentialSource) : undefined;
  if (typeof flag === 'string') return { provider: asProvider(flag, '--provider'), cloudCredentials };
  const name = raw?.provider?.name;
  return { provider: typeof name === 'string' ? asProvider(name, `provider.name in ${ctx.globals.config}`) : undefined, cloudCredentials };
}

function asProvider(value: string, where: string): ProviderName {
  if ((PROVIDERS as readonly string[]).includes(value)) return value as ProviderName;
  throw new UsageError('UnknownProvider', `${where}: unknown provider "${value}"`, { hint: `use one of ${PROVIDERS.join(', ')}` });
}

/** Inspects the machine; `ctx.env.PATH` decides where tools are looked for. */
export async function buildDoctorReport(ctx: Pick<CliContext, 'env' | 'signal'>, provider?: ProviderName, cloudCredentials?: CloudCredentialSource): Promise<DoctorReport> {
  const cloud = provider !== 'static';
  const pathEnv = ctx.env.PATH ?? '';
  const [terraform, tofu, packer, ssh] = await Promise.all([
    inspect('terraform', pathEnv, ctx.signal, ['version', '-json'], parseTerraformVersion),
    inspect('tofu', pathEnv, ctx.signal, ['version', '-json'], parseTerraformVersion),
    inspect('packer', pathEnv, ctx.signal, ['version', '-machine-readable'], parsePackerVersion),
    // `ssh -V` prints to stderr: "OpenSSH_9.6p1 Ubuntu-3ubuntu13.5, OpenSSL 3.0.13 30 Jan 2024".
    inspect('ssh', pathEnv, ctx.signal, ['-V'], (out) => /OpenSSH_[^\s,]+/.exec(out)?.[0] ?? out.split('\n')[0]?.trim()),
  ]);
  const node: ToolReport = { name: 'node', found: true, path: process.execPath, version: process.versions.node, required: true };
  if (Number(process.versions.node.split('.')[0]) < MIN_NODE_MAJOR) {
    node.problem = `Node.js ${process.versions.node} is older than ${MIN_NODE_MAJOR}`;
    node.install = INSTALL_HINTS.node;
  }
  // The same rule as init's preflight and dry run (tools/packer.ts).
  const packerProblem = packer.found && packer.version ? packerVersionProblem(packer.version) : undefined;
  if (packerProblem) {
    packer.problem = packerProblem;
    packer.install = INSTALL_HINTS.packer;
  }
  // Either terraform or tofu will do; the one that is absent is then optional.
  const anyTerraform = (terraform.found && !terraform.problem) || (tofu.found && !tofu.problem);
  terraform.required = cloud && !anyTerraform;
  tofu.required = false;
  packer.required = cloud;
  ssh.required = false;
  const tools = [terraform, tofu, packer, ssh, node];

  const problems: string[] = [];
  if (cloud && !anyTerraform) problems.push('neither terraform nor tofu is usable');
  for (const tool of tools) {
    if (!tool.required) continue;
    if (tool.name === 'terraform') continue;
    if (!tool.found) problems.push(`${tool.name} is missing`);
    else if (tool.problem) problems.push(tool.problem);
  }

  let credentials: DoctorReport['credentials'];
  if (provider) {
    const found = discoverCredentials(provider, ctx.env);
    // Deliberately drops `values`: the report is printed.
    credentials = { ok: found.ok, source: found.source, missing: found.missing };
    const hint = found.ok ? undefined : credentialIssue(provider, ctx.env)?.fix;
    if (hint) credentials.hint = hint;
    if (!found.ok) problems.push(`${provider} credentials are missing (${found.missing.join(', ')})`);
  }
  const cloudControllers = provider ? cloudControllerReport(provider, cloudCredentials, ctx.env) : undefined;
  if (cloudControllers && !cloudControllers.ok) problems.push(`the CCM/CSI key of cloudIntegration.credentials: environment is missing (${cloudControllers.missing.join(', ')})`);
  return { ok: problems.length === 0, provider, tools, credentials, ...(cloudControllers ? { cloudControllers } : {}), problems };
}

/** cloudIntegration.credentials: which source, and for environment whether its variables are set (names only). */
function cloudControllerReport(provider: ProviderName, source: CloudCredentialSource | undefined, env: NodeJS.ProcessEnv): DoctorReport['cloudControllers'] {
  const fromConfig = source !== undefined;
  if (provider === 'static') return undefined;
  // validate/cloud-integration.ts refuses environment on aws; the instance profiles are all there is.
  if (provider === 'aws') return { source: 'instance profiles', fromConfig, ok: true, variables: [], missing: [] };
  if (source !== 'environment') return { source: 'terraform', fromConfig, ok: true, variables: [], missing: [] };
  const variables: string[] = Object.values(CLOUD_CREDENTIAL_VARIABLES[provider]);
  const missing = variables.filter((name) => (env[name] ?? '').trim() === '');
  return { source, fromConfig, ok: missing.length === 0, variables, missing };
}

function cloudControllerLine(report: DoctorReport): string[] {
  const cc = report.cloudControllers;
  if (!cc) return [];
  const label = '  CCM/CSI credentials:';
  const given = cc.fromConfig ? 'cloudIntegration.credentials: terraform' : 'the default; pass --config to check a cluster.yaml\'s cloudIntegration.credentials';
  if (cc.source === 'instance profiles') return [`${label} the nodes' IAM instance profiles, created by Terraform`];
  if (cc.source === 'terraform') {
    const what = report.provider === 'exoscale' ? 'a restricted IAM role and API key' : 'an application credential';
    return [`${label} ${what} created by Terraform (${given})`];
  }
  if (cc.ok) return [`${label} your own key from the environment (${cc.variables.join(', ')})`];
  return [`${label} MISSING (${cc.missing.join(', ')})`, `             how: export ${cc.variables.join(' and ')} (README "Cloud integration and storage"), or set cloudIntegration.credentials: terraform`];
}

async function inspect(
  name: ToolName,
  pathEnv: string,
  signal: AbortSignal | undefined,
  args: string[],
  parse: (output: string) => string | undefined,
): Promise<ToolReport> {
  const path = await findExecutable(name, pathEnv);
  if (!path) return { name, found: false, install: INSTALL_HINTS[name], required: false };
  try {
    const result = await runTool(path, args, { env: QUIET_ENV, signal, timeoutMs: 20_000, allowFailure: true });
    const version = parse(`${result.stdout}\n${result.stderr}`.trim());
    if (result.exitCode !== 0 || !version) {
      return { name, found: true, path, problem: `${name} ${args.join(' ')} failed (exit ${result.exitCode})`, install: INSTALL_HINTS[name], required: false };
    }
    return { name, found: true, path, version, required: false };
  } catch (error) {
    return { name, found: true, path, problem: `${name} could not be run: ${(error as Error).message}`, install: INSTALL_HINTS[name], required: false };
  }
}

/** `terraform version -json` → {"terraform_version":"1.11.0",...}; tofu prints the same key. */
export function parseTerraformVersion(output: string): string | undefined {
  const start = output.indexOf('{');
  if (start >= 0) {
    try {
      const parsed = JSON.parse(output.slice(start, output.lastIndexOf('}') + 1)) as Record<string, unknown>;
      const version = parsed.terraform_version ?? parsed.tofu_version;
      if (typeof version === 'string') return version;
    } catch {
      // fall through to the human form
    }
  }
  return /v(\d+\.\d+\.\d+\S*)/.exec(output)?.[1];
}

export function formatDoctorReport(report: DoctorReport): string {
  const lines = ['Tools:'];
  for (const tool of report.tools) {
    const label = tool.name.padEnd(10);
    if (!tool.found) {
      const need = tool.required ? 'MISSING' : 'not found';
      lines.push(`  ${label} ${need}${tool.required ? '' : ' (optional)'}`);
      if (tool.required || tool.name === 'ssh') lines.push(`             install: ${tool.install}`);
      continue;
    }
    lines.push(`  ${label} ${tool.version ?? 'unknown version'}  ${tool.path ?? ''}`.trimEnd());
    if (tool.problem) {
      lines.push(`             ${tool.required ? 'PROBLEM' : 'warning'}: ${tool.problem}`);
      if (tool.install) lines.push(`             install: ${tool.install}`);
    }
  }
  if (report.provider) {
    lines.push(`Provider: ${report.provider}`);
    const credentials = report.credentials;
    // Static hosts have no provider account: say what they do need instead of "found (none needed)".
    if (report.provider === 'static') lines.push('  credentials: none needed; static hosts are reached over SSH (--ssh-key FILE or ssh-agent)');
    else if (credentials?.ok) lines.push(`  credentials: found (${credentials.source})`);
    else if (credentials) {
      lines.push(`  credentials: MISSING (${credentials.missing.join(', ')})`);
      if (credentials.hint) lines.push(`             how: ${credentials.hint}`);
    }
    lines.push(...cloudControllerLine(report));
  } else {
    lines.push('Provider: none chosen (pass --provider or --config to check credentials)');
  }
  lines.push(report.ok ? 'Result: ready' : `Result: not ready: ${report.problems.join('; ')}`);
  return `${lines.join('\n')}\n`;
}
