/** The node scripts are read from templates/scripts and filled before the SSH session sends them. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { loadNodeScript } from '../../../src/kube/node-scripts.js';
import { templatePath, TemplateError } from '../../../src/tools/template.js';

describe('loadNodeScript', () => {
  it('sends a script without vars exactly as the file is', async () => {
    const script = await loadNodeScript('prepare-node');
    expect(script).toEqual({ name: 'prepare-node', content: readFileSync(templatePath('scripts', 'prepare-node.sh'), 'utf8') });
  });

  it('fills the placeholders of a script with vars', async () => {
    const script = await loadNodeScript('install-cilium-cli', { ciliumCliVersion: 'v9.8.7' });
    expect(script.content).toContain("version='v9.8.7'");
    expect(script.content).not.toContain('{{');
  });

  it('refuses a name that is not a plain file stem, and a script that does not exist', async () => {
    await expect(loadNodeScript('../cni/calico')).rejects.toBeInstanceOf(UsageError);
    await expect(loadNodeScript('no-such-script')).rejects.toBeInstanceOf(TemplateError);
  });
});
