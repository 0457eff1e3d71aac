/**
 * inventory.json, read back: data like Terraform's outputs, validated the same way on every load
 * (its hosts, names and users reach ssh, ProxyCommand's %h included, and node configs).
 */
import { readFile } from 'node:fs/promises';
import { ExternalToolError, UsageError } from '../errors.js';
import { checkInventory } from '../providers/inventory-check.js';
import type { Inventory } from '../providers/inventory.js';
import type { ClusterSpec } from '../config/schema.js';
import type { ClusterDir } from './cluster-dir.js';

/** The inventory, or undefined when there is none; a file that fails the checks is refused (exit 2). */
export async function readInventory(dir: ClusterDir, spec: ClusterSpec): Promise<Inventory | undefined> {
  let text: string;
  try {
    text = await readFile(dir.inventoryFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw corruptInventory(dir, 'it is not valid JSON');
  }
  try {
    return checkInventory(raw, spec, { origin: { what: 'Its values', field: 'field' } });
  } catch (error) {
    if (!(error instanceof ExternalToolError)) throw error;
    throw corruptInventory(dir, error.message.replace(/^Its values /, 'its values '), error.details);
  }
}

function corruptInventory(dir: ClusterDir, why: string, details: string[] = []): UsageError {
  return new UsageError('InventoryCorrupt', `${dir.inventoryFile} cannot be used: ${why}`, {
    details,
    hint: 'Run "k8s-bootstrap init" again: it rewrites the inventory from Terraform or the static hosts.',
  });
}

