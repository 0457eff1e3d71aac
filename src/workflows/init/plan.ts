/**
 * The init plan as data: every step init would run, in order, with the tool it uses and the
 * nodes it touches. `init --dry-run` prints it; the real workflow builds its engine steps with
 * the same ids, so the plan a newcomer reads is the run they get.
 */
import type { ClusterSpec } from '../../config/schema.js';
import type { ClusterDir } from '../../state/cluster-dir.js';
import { planNodeNames } from '../../config/node-names.js';

export interface PlanStep {
  /** Stable id, also the checkpoint key in state.json: `prepare:cp-1`, `join:worker-2`. */
  id: string;
  /** Phase title in the task tree. */
  group: string;
  title: string;
  /** What runs: packer, terraform, ssh, kubeadm, kubectl, local. */
  tool: string;
  /** Nodes the step touches; empty for steps that run on this machine only. */
  nodes: string[];
}

export const PLAN_GROUPS = [
  'Preflight',
  'Image',
  'Infrastructure',
  'Node preparation',
  'Worker preparation',
  'Load balancer',
  'Control plane init',
  'CNI',
  'Control plane joins',
  'Worker joins',
  'Verify',
  'Kubeconfig',
] as const;

export interface DescribeInitPlanOptions {
  /** Cluster folder, for the kubeconfig step's title. @default "the cluster folder" */
  dir?: string;
}

export function describeInitPlan(spec: ClusterSpec, options: DescribeInitPlanOptions = {}): PlanStep[] {
  const { controlPlanes, workers } = planNodeNames(spec);
  const all = [...controlPlanes, ...workers];
  const first = controlPlanes[0] ?? 'cp-1';
  const isStatic = spec.provider.name === 'static';
  const version = spec.kubernetes.version;
  const steps: PlanStep[] = [];
  const add = (group: (typeof PLAN_GROUPS)[number], id: string, title: string, tool: string, nodes: string[]) =>
    steps.push({ id, group, title, tool, nodes });

  add('Preflight', 'preflight', preflightTitle(spec), 'local', []);

  if (needsImageBuild(spec)) {
    add('Image', 'image', `Build the node image (Ubuntu, ${spec.kubernetes.runtime}, kubeadm/kubelet ${version})`, 'packer', []);
  }

  if (!isStatic) {
    add(
      'Infrastructure',
      'infrastructure',
      `Create network, firewall, API load balancer and ${all.length} machines on ${spec.provider.name}`,
      'terraform',
      all,
    );
  }

  for (const node of all) {
    // Workers are prepared alongside the control-plane steps that follow.
    const runtime = spec.kubernetes.runtime === 'containerd' ? 'containerd 2.x (the distribution\'s, else Docker\'s containerd.io)' : 'CRI-O';
    add(controlPlanes.includes(node) ? 'Node preparation' : 'Worker preparation', `prepare:${node}`, `Prepare ${node}: swap off, kernel modules, ${runtime}, kubeadm ${version}`, 'ssh', [node]);
  }

  if (isStatic && controlPlanes.length > 1 && spec.provider.name === 'static' && !spec.provider.apiEndpoint) {
    for (const node of controlPlanes) {
      add('Load balancer', `lb:${node}`, `keepalived + haproxy for the API on ${node}`, 'ssh', [node]);
    }
  }

  add('Control plane init', `init:${first}`, `kubeadm init on ${first}`, 'kubeadm', [first]);
  add('CNI', `cni:${spec.kubernetes.cni}`, `Install ${spec.kubernetes.cni} with pod CIDR ${spec.network.podCidr}`, 'kubectl', [first]);

  for (const node of controlPlanes.slice(1)) {
    add('Control plane joins', `join:${node}`, `kubeadm join --control-plane on ${node}`, 'kubeadm', [node]);
  }
  for (const node of workers) {
    add('Worker joins', `join:${node}`, `kubeadm join on ${node}`, 'kubeadm', [node]);
  }

  add('Verify', 'verify', `Wait until ${all.length} node${all.length === 1 ? ' is' : 's are'} Ready (kubectl get nodes)`, 'kubectl', [first]);
  add('Verify', 'verify:etcd', `etcd has ${controlPlanes.length} member${controlPlanes.length === 1 ? '' : 's'}, one per control plane (etcdctl member list)`, 'kubectl', [first]);
  add('Verify', 'verify:network', `Pod networking: CoreDNS available, a pod on ${workers[0] ?? first} resolves kubernetes.default`, 'kubectl', [first]);
  add('Kubeconfig', 'kubeconfig', `Write ${options.dir ? `${options.dir}/kubeconfig` : 'the admin kubeconfig'} (0600)`, 'ssh', [first]);
  return steps;
}

/** Static hosts are used as they are; an image id given by the person is used instead of a build. */
export function needsImageBuild(spec: ClusterSpec): boolean {
  return spec.provider.name !== 'static' && spec.image.build && !spec.image.id;
}

function preflightTitle(spec: ClusterSpec): string {
  if (spec.provider.name === 'static') return 'Check ssh key and reach every host over SSH';
  const tools = needsImageBuild(spec) ? 'terraform, packer' : 'terraform';
  return `Check ${tools} and ${spec.provider.name} credentials`;
}

/** Human table of the plan: one line per step, grouped by phase. */
export function formatPlan(steps: PlanStep[]): string {
  const rows = steps.map((step, i) => [String(i + 1), step.title, step.tool, step.nodes.join(', ') || '(this machine)']);
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
  });
  return `${out.join('\n')}\n`;
}

/**
 * Renders a file init would hand to a tool (tfvars, packer vars, kubeadm configs) into the
 * dry-run folder and returns the paths written. Later capabilities append their renderer here.
 */
export type DryRunRenderer = (spec: ClusterSpec, dir: ClusterDir) => Promise<string[]>;

export const dryRunRenderers: DryRunRenderer[] = [];
