/** The add-on question's pieces: its choices, its check of the selection, the section it writes, and its answer without a terminal. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ON } from '../../../src/kube/addons/pins.js';
import { FLUENT_BIT_OUTPUTS } from '../../../src/config/schema.js';
import { validateSpec } from '../../../src/config/validate/index.js';
import { addonChoices, addonSelectionProblem, addonsDoc, FLUENT_BIT_ASKED_OPTIONS } from '../../../src/wizard/addon-questions.js';
import * as prompts from '../../../src/wizard/prompts.js';
import { awsDoc } from '../../helpers/config-fixtures.js';
import { Capture } from '../../helpers/fake-io.js';

describe('add-on questions', () => {
  it('offer the six add-ons in apply order, the default set ticked', () => {
    const choices = addonChoices();
    expect(choices.map((c) => c.value)).toEqual(['metrics-server', 'traefik', 'cert-manager', 'kube-prometheus-stack', 'fluent-bit', 'velero']);
    expect(choices.filter((c) => c.checked).map((c) => c.value)).toEqual([...DEFAULT_ON]);
    // One line each on an 80-column terminal.
    for (const choice of choices) expect(choice.name!.length).toBeLessThanOrEqual(74);
  });

  it('without a terminal the ticked ones are the answer', async () => {
    const ctx = { canPrompt: false, stdin: new PassThrough(), stderr: new Capture() };
    await expect(prompts.checkbox(ctx, { message: 'Add-ons', choices: addonChoices() })).resolves.toEqual([...DEFAULT_ON]);
  });

  it('kube-prometheus-stack needs Traefik and cert-manager ticked too', () => {
    expect(addonSelectionProblem(['traefik', 'cert-manager', 'kube-prometheus-stack'])).toBe(true);
    expect(addonSelectionProblem(['cert-manager', 'kube-prometheus-stack'])).toBe('kube-prometheus-stack needs traefik for its Ingresses: tick it too, or untick kube-prometheus-stack');
    expect(addonSelectionProblem(['kube-prometheus-stack'])).toBe('kube-prometheus-stack needs traefik and cert-manager for its Ingresses: tick them too, or untick kube-prometheus-stack');
    expect(addonSelectionProblem([])).toBe(true);
  });

  it('write only what differs from the defaults', () => {
    expect(addonsDoc([...DEFAULT_ON], {})).toBeUndefined();
    expect(addonsDoc(['traefik', 'velero'], { velero: { bucket: 'b-1', region: 'r' } })).toEqual({
      'metrics-server': { enabled: false },
      'cert-manager': { enabled: false },
      velero: { enabled: true, bucket: 'b-1', region: 'r' },
    });
  });

  it('ask an option for every output that needs one, and a section with them validates', () => {
    expect(Object.keys(FLUENT_BIT_ASKED_OPTIONS).sort()).toEqual([...FLUENT_BIT_OUTPUTS].sort());
    for (const name of FLUENT_BIT_OUTPUTS) {
      const options = Object.fromEntries(FLUENT_BIT_ASKED_OPTIONS[name].map((option) => [option.key, option.kind === 'host' ? 'logs.example.com' : option.kind === 'bucket' ? 'log-bucket' : 'eu-central-1']));
      const doc = { ...awsDoc(), addons: addonsDoc([...DEFAULT_ON, 'fluent-bit'], { 'fluent-bit': { output: { name, options } } }) };
      expect(validateSpec(doc).addons['fluent-bit'].output).toEqual({ name, options });
    }
  });
});
