/**
 * A plan as data: the steps a command would run, read from the same phases the run executes,
 * so `--dry-run`, `status` and the run cannot drift apart.
 */
import type { Phase } from './step.js';

export interface PlanStep {
  /** Stable id, also the checkpoint key in state.json: `prepare:cp-1`, `join:worker-2`. */
  id: string;
  /** Phase title in the task tree. */
  group: string;
  title: string;
  /** The longer line a dry run prints ("swap off, kernel modules, containerd, kubeadm 1.37.1"). */
  detail?: string;
  /** What runs: packer, terraform, ssh, kubeadm, kubectl, local. */
  tool: string;
  /** Nodes the step touches; empty for steps that run on this machine only. */
  nodes: string[];
  /** Why the run would stop at this step, found without running it (a Packer too old for the templates). */
  problem?: string;
}

/** The tools of phases built only to be read (a plan, status): running one of their steps is a bug. */
export function notConnected(): never {
  throw new Error('these phases were built for a plan: their steps have no tools to run with');
}

/** The steps of `phases` in run order; building phases runs nothing, so this is the plan. */
export function describePhases(phases: Phase[]): PlanStep[] {
  return phases.flatMap((phase) =>
    phase.steps.map((step) => ({
      id: step.stepId,
      group: phase.title,
      title: step.title,
      ...(step.detail ? { detail: step.detail } : {}),
      tool: step.tool ?? 'local',
      nodes: step.node ? [step.node] : [],
    })),
  );
}

/** Human table of the plan: one line per step, grouped by phase; a step's detail follows its title. */
export function formatPlan(steps: PlanStep[]): string {
  const rows = steps.map((step, i) => [String(i + 1), step.detail ? `${step.title}: ${step.detail}` : step.title, step.tool, step.nodes.join(', ') || '(this machine)']);
  const headers = ['#', 'Step', 'Tool', 'Nodes'];
  const widths = headers.map((h, col) => Math.max(h.length, ...rows.map((row) => row[col]!.length)));
  const line = (cells: string[]) => cells.map((cell, col) => cell.padEnd(widths[col]!)).join('  ').trimEnd();
  const out: string[] = [line(headers)];
  let group = '';
  steps.forEach((step, i) => {
    if (step.group !== group) {
      group = step.group;
      out.push(`${group}:`);
    }
    out.push(line(rows[i]!));
    if (step.problem) out.push(`   PROBLEM: ${step.problem}`);
  });
  return `${out.join('\n')}\n`;
}
