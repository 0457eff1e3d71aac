/**
 * `k8s-bootstrap addons list | diff | apply`: the add-on workflows through the CLI host. list
 * exits 1 when an enabled add-on is not installed or not ready (as status does for nodes).
 *
 * A password apply generates is shown once, on stderr, only when stderr is a terminal, after
 * the live view has ended, and never as an event or in the log; elsewhere the run names the
 * file it is kept in.
 */
import { addonsApply } from '../../workflows/addons/apply.js';
import { addonsDiff } from '../../workflows/addons/diff.js';
import { addonsList } from '../../workflows/addons/list.js';
import type { AddonsApplyFlags, AddonsReadFlags } from '../commands/addons.js';
import type { CliContext } from '../context.js';
import { clusterRefOf, runCommand } from '../host.js';

export async function runAddonsList(ctx: CliContext, options: AddonsReadFlags): Promise<number> {
  const result = await runCommand(ctx, 'addons list', (host) => addonsList(host, { ...clusterRefOf(ctx), timeoutMs: options.timeout }));
  return result.healthy ? 0 : 1;
}

export async function runAddonsDiff(ctx: CliContext, options: AddonsReadFlags, args: string[] = []): Promise<number> {
  await runCommand(ctx, 'addons diff', (host) => addonsDiff(host, { ...clusterRefOf(ctx), names: namesOf(args), timeoutMs: options.timeout }));
  return 0;
}

export async function runAddonsApply(ctx: CliContext, options: AddonsApplyFlags, args: string[] = []): Promise<number> {
  const revealed: string[] = [];
  try {
    await runCommand(ctx, 'addons apply', (host) =>
      addonsApply(host, {
        ...clusterRefOf(ctx),
        names: namesOf(args),
        dryRun: options.dryRun,
        timeoutMs: options.timeout,
        sshTimeoutMs: options.sshTimeout,
        reveal: revealerFor(ctx, revealed),
      }),
    );
  } finally {
    showRevealed(ctx, revealed);
  }
  return 0;
}

/** commander hands a variadic argument as one array. */
function namesOf(args: unknown[]): string[] {
  return args.flatMap((arg) => (Array.isArray(arg) ? arg.map(String) : typeof arg === 'string' ? [arg] : []));
}

/** Collects what is shown once, when stderr is a terminal (only a person there sees it). */
export function revealerFor(ctx: CliContext, into: string[]): ((text: string) => void) | undefined {
  return ctx.stderr.isTTY ? (text) => into.push(text) : undefined;
}

/** The collected lines, straight to the terminal: no renderer, no event, no log. */
export function showRevealed(ctx: CliContext, lines: readonly string[]): void {
  for (const line of lines) ctx.error(line);
}
