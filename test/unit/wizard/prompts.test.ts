/**
 * The prompt wrapper: its non-interactive policy, and the real inquirer prompts it draws (driven
 * with @inquirer/testing), including validation messages shown while typing.
 */
import { input as inquirerInput } from '@inquirer/prompts';
import { render } from '@inquirer/testing';
import type { Context } from '@inquirer/type';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { validators } from '../../../src/wizard/validators.js';
import * as prompts from '../../../src/wizard/prompts.js';
import { Capture } from '../../helpers/fake-io.js';
import { PassThrough } from 'node:stream';

function nonInteractive(yes = true) {
  const stderr = new Capture();
  return { ctx: { canPrompt: false, stdin: new PassThrough(), stderr, globals: { yes } }, stderr };
}

/** Adapts a wrapper call to @inquirer/testing's render(): its streams become the wrapper's stdin/stderr. */
function viaWrapper<Q, V>(ask: (ctx: prompts.PromptContext, question: Q) => Promise<V>) {
  return ((question: Q, context?: Context) =>
    ask({ canPrompt: true, stdin: context!.input!, stderr: context!.output! }, question)) as unknown as Parameters<typeof render>[0];
}

/** Polls (bounded) until the condition holds: the wrapper imports inquirer before drawing. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('non-interactive policy', () => {
  it('a confirmation returns its fallback and says it was auto-confirmed', async () => {
    const { ctx, stderr } = nonInteractive();
    await expect(prompts.confirm(ctx, { message: 'Create cluster demo now?', fallback: true })).resolves.toBe(true);
    expect(stderr.text).toBe('Create cluster demo now? yes (auto-confirmed: --yes)\n');
  });

  it('names why nobody was asked when it was not --yes', async () => {
    const { ctx, stderr } = nonInteractive(false);
    await expect(prompts.confirm(ctx, { message: 'Replace it?', fallback: false })).resolves.toBe(false);
    expect(stderr.text).toBe('Replace it? no (auto-confirmed: non-interactive)\n');
  });

  it('a question with a default takes the default', async () => {
    const { ctx } = nonInteractive();
    await expect(prompts.input(ctx, { message: 'SSH user', default: 'ubuntu', flag: '--ssh-user' })).resolves.toBe('ubuntu');
    await expect(prompts.number(ctx, { message: 'Workers', default: 2, flag: '--workers' })).resolves.toBe(2);
    await expect(prompts.select(ctx, { message: 'CNI', choices: [{ value: 'calico' }], default: 'calico', flag: '--cni' })).resolves.toBe('calico');
  });

  it.each([
    ['input', (): Promise<unknown> => prompts.input(nonInteractive().ctx, { message: 'Cluster name', flag: '--name' }), '--name'],
    ['number', () => prompts.number(nonInteractive().ctx, { message: 'Workers', flag: '--workers' }), '--workers'],
    ['select', () => prompts.select(nonInteractive().ctx, { message: 'Provider', choices: [{ value: 'aws' }], flag: '--provider' }), '--provider'],
    ['password', () => prompts.password(nonInteractive().ctx, { message: 'AWS secret', flag: 'AWS_SECRET_ACCESS_KEY' }), 'AWS_SECRET_ACCESS_KEY'],
  ])('%s without a value throws a usage error naming the flag', async (_kind, ask, flag) => {
    const error = await ask().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    expect((error as UsageError).hint).toContain(`Pass ${flag}`);
  });
});

describe('real prompts', () => {
  it('a CIDR question shows the validation message as the person types, then accepts a fix', async () => {
    const { answer, events, getScreen } = await render(inquirerInput, { message: 'Pod network CIDR', validate: validators.cidr });
    events.type('10.244.0.0/33');
    events.keypress('enter');
    const message = validators.cidr('10.244.0.0/33') as string;
    await until(() => getScreen().includes(message), 'the validation message');
    expect(getScreen()).toContain(`> ${message}`);
    events.keypress({ name: 'u', ctrl: true });
    events.type('10.244.0.0/16');
    events.keypress('enter');
    await expect(answer).resolves.toBe('10.244.0.0/16');
  });

  it('the wrapper draws on the stream it is given and returns the typed answer', async () => {
    const { answer, events, getScreen } = await render(viaWrapper(prompts.input), {
      message: 'Cluster name',
      default: 'demo',
      validate: validators.name,
    });
    await until(() => getScreen().includes('Cluster name (demo)'), 'the question');
    events.type('Not_DNS');
    events.keypress('enter');
    // inquirer wraps long messages at 80 columns.
    const flat = () => getScreen().replace(/\s+/g, ' ');
    await until(() => flat().includes(validators.name('Not_DNS') as string), 'the validation message');
    events.keypress({ name: 'u', ctrl: true });
    events.type('lab');
    events.keypress('enter');
    await expect(answer).resolves.toBe('lab');
  });

  it('password input is masked on screen', async () => {
    const { answer, events, getFullOutput, getScreen } = await render(viaWrapper(prompts.password), { message: 'AWS secret access key' });
    await until(() => getScreen().includes('AWS secret access key'), 'the question');
    events.type('s3cr3t-value');
    events.keypress('enter');
    await expect(answer).resolves.toBe('s3cr3t-value');
    expect(getFullOutput()).not.toContain('s3cr3t-value');
    expect(getFullOutput()).toContain('************');
  });

  it('a select returns the chosen value', async () => {
    const { answer, events, getScreen } = await render(viaWrapper(prompts.select), {
      message: 'Container runtime',
      choices: [{ value: 'containerd' }, { value: 'cri-o' }],
      default: 'containerd',
    });
    await until(() => getScreen().includes('cri-o'), 'the choices');
    events.keypress('down');
    events.keypress('enter');
    await expect(answer).resolves.toBe('cri-o');
  });
});

describe('numbers and the way back', () => {
  it('a bounded number names its bounds, never "between 0 and Infinity"', async () => {
    const { answer, events, getScreen } = await render(viaWrapper(prompts.number), { message: 'Workers', min: 0, max: 1000 });
    await until(() => getScreen().includes('Workers'), 'the question');
    events.type('-3');
    events.keypress('enter');
    await until(() => getScreen().includes('must be a whole number from 0 to 1000 (got -3)'), 'the bounds message');
    expect(getScreen()).not.toContain('Infinity');
    events.keypress('backspace');
    events.keypress('backspace');
    events.type('2.5');
    events.keypress('enter');
    await until(() => getScreen().includes('(got 2.5)'), 'the whole-number message');
    for (let i = 0; i < 3; i += 1) events.keypress('backspace');
    events.type('7');
    events.keypress('enter');
    await expect(answer).resolves.toBe(7);
  });

  it('with allowBack, Esc abandons the question with BackRequested', async () => {
    const stdin = new PassThrough();
    const stderr = new Capture();
    const asked = prompts.input({ canPrompt: true, stdin, stderr, allowBack: true }, { message: 'Cluster name' });
    await until(() => stderr.text.includes('Cluster name'), 'the question');
    stdin.write('\x1b');
    await expect(asked).rejects.toBeInstanceOf(prompts.BackRequested);
  });

  it('without allowBack, Esc does nothing and the question stays open', async () => {
    const stdin = new PassThrough();
    const stderr = new Capture();
    const asked = prompts.input({ canPrompt: true, stdin, stderr }, { message: 'Cluster name' });
    await until(() => stderr.text.includes('Cluster name'), 'the question');
    stdin.write('\x1b');
    await new Promise((r) => setTimeout(r, 700)); // past readline's 500 ms escape wait
    stdin.write('lab\r');
    await expect(asked).resolves.toBe('lab');
  });

  it('a disabled choice is shown with its reason and cannot be picked', async () => {
    const { answer, events, getScreen } = await render(viaWrapper(prompts.select), {
      message: 'AWS credentials',
      choices: [{ value: 'profile', name: 'Named profile', disabled: 'none in ~/.aws/config' }, { value: 'typed', name: 'Typed here' }],
    });
    await until(() => getScreen().includes('none in ~/.aws/config'), 'the reason');
    events.keypress('enter');
    await expect(answer).resolves.toBe('typed');
  });
});
