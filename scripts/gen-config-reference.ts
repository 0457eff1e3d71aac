/**
 * Writes docs/config-reference.md from the ClusterSpec schema.
 * Usage: npx tsx scripts/gen-config-reference.ts        (write)
 *        npx tsx scripts/gen-config-reference.ts --check (exit 1 when the file is out of date)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderConfigReference } from '../src/config/config-reference.js';

const target = fileURLToPath(new URL('../docs/config-reference.md', import.meta.url));
const text = renderConfigReference();
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // missing counts as out of date
  }
  if (current !== text) {
    console.error('docs/config-reference.md is out of date: run npx tsx scripts/gen-config-reference.ts');
    process.exit(1);
  }
} else {
  writeFileSync(target, text);
  console.log(`wrote ${target}`);
}
