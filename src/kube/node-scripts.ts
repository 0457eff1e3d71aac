/**
 * The node scripts (templates/scripts/<name>.sh), the files the installer runs on a node with
 * `sudo -n env K=V … bash /tmp/k8sb/<name>.sh`. This module finds and fills them; sending and
 * running one is the SSH session's job (tools/ssh/session.ts#runScript).
 */
import { UsageError } from '../errors.js';
import { readTemplate, renderTemplate } from '../tools/template.js';
import type { NodeScript } from '../tools/ssh/session.js';

/** Script names are file name stems: they become /tmp/k8sb/<name>.sh on the node. */
const SCRIPT_NAME = /^[a-z0-9][a-z0-9-]*$/;

/**
 * templates/scripts/<name>.sh, with `{{name}}` placeholders filled from `vars`. With no vars the
 * text is sent as it is: those scripts take their inputs as environment variables (the prepare
 * script is the same file Packer runs).
 */
export async function loadNodeScript(name: string, vars: Record<string, string> = {}): Promise<NodeScript> {
  if (!SCRIPT_NAME.test(name)) throw new UsageError('InvalidScriptName', `Invalid script name ${JSON.stringify(name)}`);
  const relative = `scripts/${name}.sh`;
  const source = await readTemplate('scripts', `${name}.sh`);
  const content = Object.keys(vars).length > 0 ? renderTemplate(source, vars, relative) : source;
  return { name, content };
}
