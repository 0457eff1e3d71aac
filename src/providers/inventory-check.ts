/**
 * Terraform outputs are data from outside: validate them before anything connects to a node.
 * Every problem names the output, the node and the value.
 */
import { z } from 'zod';
import { ExternalToolError } from '../errors.js';
import { cidrContains, parseCidr, parseIpv4 } from '../config/cidr.js';
import { DEFAULT_NETWORK, type ClusterSpec } from '../config/schema.js';
import type { Inventory } from './inventory.js';
import { DNS1123_LABEL, DNS_NAME, LINUX_USER } from '../config/patterns.js';

// Names, addresses and users from outputs reach node commands and configs: same strict patterns as the spec.
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const isHost = (value: string) => IPV4.test(value) || DNS_NAME.test(value);
const host = z.string().refine(isHost, 'must be an IPv4 address or a DNS name');

const node = z.object({
  name: z.string().regex(DNS1123_LABEL, 'must be a DNS-1123 label (lowercase letters, digits, "-")'),
  public_ip: z.union([z.literal(''), host]),
  private_ip: z.string().min(1),
  ssh_port: z.number().int().min(1).max(65535).optional(),
  // These reach kubelet's --provider-id in the kubeadm config: as strict as the names.
  instance_id: z.string().regex(/^i-[0-9a-f]{8,17}$/, 'must be an EC2 instance id ("i-" and 8 to 17 hex digits)').optional(),
  availability_zone: z.string().regex(DNS1123_LABEL, 'must be an availability zone name (lowercase letters, digits, "-")').optional(),
  provider_id: z.string().regex(/^[a-z][a-z0-9]*:\/\/[A-Za-z0-9/._-]*$/, 'must be a providerID like aws:///<zone>/<instance-id>').optional(),
});

const inventorySchema = z.object({
  api_endpoint: z.string().refine((v) => /^[^\s:]+:\d{1,5}$/.test(v) && isHost(v.slice(0, v.lastIndexOf(':'))), 'must be host:port'),
  ssh_user: z.string().regex(LINUX_USER, 'must be a Linux user name'),
  bastion: z
    .object({ host, port: z.number().int().min(1).max(65535).optional(), user: z.string().regex(LINUX_USER, 'must be a Linux user name').optional() })
    .nullable()
    .optional(),
  control_plane: z.array(node).min(1, 'must list at least one control plane'),
  workers: z.array(node),
});

export interface CheckInventoryOptions {
  /** Where the values come from, for the messages. @default the Terraform outputs */
  origin?: { what: string; field: string };
}

const TERRAFORM_ORIGIN = { what: 'The Terraform outputs', field: 'output' };

/** `terraform output -json` wraps each value as {sensitive, type, value}; this unwraps it. */
export function outputValues(outputs: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(outputs).map(([name, entry]) => [
      name,
      entry !== null && typeof entry === 'object' && 'value' in entry && 'type' in entry ? (entry as { value: unknown }).value : entry,
    ]),
  );
}

export function checkInventory(raw: unknown, spec: ClusterSpec, options: CheckInventoryOptions = {}): Inventory {
  const values = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? outputValues(raw as Record<string, unknown>) : raw;
  const origin = options.origin ?? TERRAFORM_ORIGIN;
  const parsed = inventorySchema.safeParse(values, { reportInput: true });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const [output, ...rest] = issue.path.map(String);
      const missing = issue.code === 'invalid_type' && issue.input === undefined;
      return missing
        ? `${origin.field} "${[output, ...rest].join('.')}" is missing`
        : `${origin.field} "${[output, ...rest].join('.')}": ${issue.message}${typeof issue.input === 'string' ? ` (got ${JSON.stringify(issue.input)})` : ''}`;
    });
    throw new ExternalToolError('InventoryInvalid', `${origin.what} do not match the inventory contract: ${problems.join('; ')}`, {
      details: problems,
      hint: 'The module in the cluster folder\'s terraform/ must output api_endpoint, ssh_user, bastion, control_plane and workers.',
    });
  }
  const inventory = parsed.data as Inventory;
  const problems: string[] = [];
  const cidrText = spec.network.nodeCidr ?? (spec.provider.name === 'static' ? undefined : DEFAULT_NETWORK.nodeCidr);
  const cidr = cidrText === undefined ? undefined : parseCidr(cidrText);
  const names = new Map<string, number>();
  const privateIps = new Map<string, string>();
  // Every listed node is a machine the tool prepares and joins over SSH, with its node IP on the
  // node network. A future second kind of worker group (autoscaled pools whose members join
  // themselves through cloud-init with a bootstrap token, so Terraform never knows them) would be
  // its own output, e.g. `worker_pools: [{name, min, max}]`, checked here next to these groups and
  // never mixed into `workers`, which day-2 commands drain, reset and remove by name.
  const groups: Array<[string, Inventory['workers']]> = [['control_plane', inventory.control_plane], ['workers', inventory.workers]];
  for (const [group, nodes] of groups) {
    for (const item of nodes) {
      names.set(item.name, (names.get(item.name) ?? 0) + 1);
      const address = parseIpv4(item.private_ip);
      if (address === undefined) {
        problems.push(`${group} node "${item.name}": private_ip "${item.private_ip}" is not an IPv4 address`);
        continue;
      }
      if (cidr && typeof cidr === 'object' && !cidrContains(cidr, address)) {
        problems.push(`${group} node "${item.name}": private_ip ${item.private_ip} is outside network.nodeCidr ${cidrText}`);
      }
      const owner = privateIps.get(item.private_ip);
      if (owner !== undefined) problems.push(`node "${item.name}": private_ip ${item.private_ip} is also used by "${owner}"`);
      else privateIps.set(item.private_ip, item.name);
    }
  }
  for (const [name, count] of names) {
    if (count > 1) problems.push(`node name "${name}" appears ${count} times`);
  }
  if (problems.length > 0) {
    throw new ExternalToolError('InventoryInvalid', `${origin.what} describe an impossible inventory: ${problems.join('; ')}`, {
      details: problems,
    });
  }
  return { ...inventory, bastion: inventory.bastion ?? null };
}
