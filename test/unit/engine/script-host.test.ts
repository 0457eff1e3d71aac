/**
 * The library's Host for scripts: it keeps every event, says no unless the script said yes,
 * and answers a choice only with its default (or the script's own function).
 */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import type { EngineEvent } from '../../../src/engine/events.js';
import type { ConfirmQuestion } from '../../../src/engine/host.js';
import { createHost } from '../../../src/engine/script-host.js';

const goAhead: ConfirmQuestion = { command: 'init', message: 'Create cluster lab now?', doing: 'creating cluster lab' };
const typeName: ConfirmQuestion = { command: 'destroy', message: 'Type lab to destroy it', doing: 'destroying lab', typeToConfirm: 'lab' };
const sideMatter: ConfirmQuestion = { command: 'init', message: 'Replace the differing cluster.yaml?', doing: 'replacing', safeAnswer: false };
const note = (text: string): EngineEvent => ({ type: 'note', time: 1, level: 'info', text });

describe('createHost', () => {
  it('collects every event in order and passes each to onEvent', () => {
    const seen: EngineEvent[] = [];
    const host = createHost({ onEvent: (event) => seen.push(event) });
    host.events.emit(note('one'));
    host.events.emit(note('two'));
    expect(host.collected).toEqual([note('one'), note('two')]);
    expect(seen).toEqual(host.collected);
  });

  it('says no by default, and refuses up front a command that needs a yes', async () => {
    const host = createHost();
    expect(host.interactive).toBe(false);
    expect(await host.confirm(goAhead)).toBe(false);
    expect(await host.confirm(typeName)).toBe(false);
    expect(() => host.assertCanConfirm('destroy')).toThrow(UsageError);
    expect(() => host.assertCanConfirm('destroy')).toThrow(/destroy changes things only after a yes/);
  });

  it('with confirm: true says yes (the typed name too) but keeps the safe answer of a side matter', async () => {
    const host = createHost({ confirm: true });
    expect(() => host.assertCanConfirm('init')).not.toThrow();
    expect(await host.confirm(goAhead)).toBe(true);
    expect(await host.confirm(typeName)).toBe(true);
    expect(await host.confirm(sideMatter)).toBe(false);
  });

  it('lets a function decide each question', async () => {
    const asked: string[] = [];
    const host = createHost({ confirm: (question) => (asked.push(question.command), question.command === 'init') });
    expect(await host.confirm(goAhead)).toBe(true);
    expect(await host.confirm(typeName)).toBe(false);
    expect(asked).toEqual(['init', 'destroy']);
  });

  it('answers a choice with its default, else fails naming the option', async () => {
    const host = createHost();
    const choices = [{ value: '1.36.3', name: '1.36.3' }];
    expect(await host.select({ message: 'Upgrade to?', choices, flag: '--to', default: '1.36.3' })).toBe('1.36.3');
    await expect(host.select({ message: 'Upgrade to?', choices, flag: '--to' })).rejects.toThrow(UsageError);
    await expect(host.select({ message: 'Upgrade to?', choices, flag: '--to' })).rejects.toMatchObject({ code: 'MissingValue', hint: expect.stringContaining('--to') });
    const chosen = createHost({ select: async (question) => question.choices[0]!.value });
    expect(await chosen.select({ message: 'Upgrade to?', choices, flag: '--to' })).toBe('1.36.3');
  });

  it('uses the given env, cwd and signal, with a fresh secret set per host', () => {
    const controller = new AbortController();
    const host = createHost({ env: { HOME: '/home/script' }, cwd: '/srv/clusters', signal: controller.signal });
    expect(host).toMatchObject({ env: { HOME: '/home/script' }, cwd: '/srv/clusters', signal: controller.signal });
    host.secrets.add('a-long-secret-value');
    expect([...createHost().secrets.values()]).toEqual([]);
    expect(createHost().signal.aborted).toBe(false);
  });
});
