// sha256sum as GNU coreutils 9.1 prints it (src/digest.c): `sha256sum [-b|-t] [FILE…]` and
// `sha256sum -c|--check [--status] [--quiet] [--warn] [--strict] [--ignore-missing] [FILE|-]`.
// It hashes truthfully with one deliberate exception: a file whose bytes are exactly the fleet's
// stand-in of a release tarball (download.mjs: the Helm tarballs of canned/helm-releases.json)
// hashes to the sha256 the real release publishes, because that file stands for the real one
// (test/fleet/README.md, "sha256sum"). A download with one byte changed hashes truthfully and fails
// any check, as it would on a real machine.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from './context.mjs';
import { publishedSha256Of } from './download.mjs';

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** The digest a real machine would print for these bytes (see the header). */
function digestOf(bytes) {
  return publishedSha256Of(bytes) ?? sha256(bytes);
}

function readInput(name) {
  try {
    return { bytes: readFileSync(name === '-' ? 0 : name) };
  } catch (error) {
    return { error: error.code === 'ENOENT' ? 'No such file or directory' : error.code === 'EACCES' ? 'Permission denied' : error.code === 'EISDIR' ? 'Is a directory' : error.message };
  }
}

export async function run(_tool, argv) {
  const { flags, positional } = parseArgs(argv, { aliases: { '--check': '-c', '--binary': '-b', '--text': '-t', '-w': '--warn' } });
  const files = positional.length > 0 ? positional : ['-'];
  if (flags.c) return check(files, flags);
  let code = 0;
  let out = '';
  for (const name of files) {
    const input = readInput(name);
    if (input.error) {
      process.stdout.write(out);
      out = '';
      process.stderr.write(`sha256sum: ${name}: ${input.error}\n`);
      code = 1;
      continue;
    }
    out += flags.tag ? `SHA256 (${name}) = ${digestOf(input.bytes)}\n` : `${digestOf(input.bytes)} ${flags.b ? '*' : ' '}${name}\n`;
  }
  process.stdout.write(out);
  return code;
}

/** One checksum line: GNU ("<hex>  name", "<hex> *name") or BSD tag ("SHA256 (name) = <hex>"); null if malformed. */
function parseLine(line) {
  const tagged = /^SHA256 \((.+)\) = ([0-9a-fA-F]{64})$/.exec(line);
  if (tagged) return { name: tagged[1], hex: tagged[2].toLowerCase() };
  const gnu = /^\\?([0-9a-fA-F]{64}) [ *](.+)$/.exec(line);
  return gnu ? { name: gnu[2], hex: gnu[1].toLowerCase() } : null;
}

const plural = (count, one, many) => `${count} ${count === 1 ? one : many}`;

function check(files, flags) {
  const status = Boolean(flags.status);
  const quiet = Boolean(flags.quiet);
  let code = 0;
  for (const list of files) {
    const label = list === '-' ? "'standard input'" : list;
    const input = readInput(list);
    if (input.error) {
      process.stderr.write(`sha256sum: ${list}: ${input.error}\n`);
      code = 1;
      continue;
    }
    const lines = input.bytes.toString('utf8').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    let malformed = 0;
    let mismatched = 0;
    let unreadable = 0;
    let verified = 0;
    let properLines = 0;
    for (const [index, line] of lines.entries()) {
      if (line.trim() === '' || line.startsWith('#')) continue;
      const entry = parseLine(line);
      if (!entry) {
        malformed++;
        if (flags.warn) process.stderr.write(`sha256sum: ${label}: ${index + 1}: improperly formatted SHA256 checksum line\n`);
        continue;
      }
      properLines++;
      const target = readInput(entry.name);
      if (target.error) {
        if (flags['ignore-missing'] && target.error === 'No such file or directory') continue;
        unreadable++;
        if (!status) {
          process.stderr.write(`sha256sum: ${entry.name}: ${target.error}\n`);
          process.stdout.write(`${entry.name}: FAILED open or read\n`);
        }
        continue;
      }
      verified++;
      const ok = digestOf(target.bytes) === entry.hex;
      if (!ok) mismatched++;
      if (!status && (!ok || !quiet)) process.stdout.write(`${entry.name}: ${ok ? 'OK' : 'FAILED'}\n`);
    }
    if (properLines === 0) {
      process.stderr.write(`sha256sum: ${label}: no properly formatted checksum lines found\n`);
      code = 1;
      continue;
    }
    if (!status) {
      if (malformed > 0) process.stderr.write(`sha256sum: WARNING: ${plural(malformed, 'line is', 'lines are')} improperly formatted\n`);
      if (unreadable > 0) process.stderr.write(`sha256sum: WARNING: ${plural(unreadable, 'listed file could not be read', 'listed files could not be read')}\n`);
      if (mismatched > 0) process.stderr.write(`sha256sum: WARNING: ${plural(mismatched, 'computed checksum did NOT match', 'computed checksums did NOT match')}\n`);
    }
    if (flags['ignore-missing'] && verified === 0 && unreadable === 0 && mismatched === 0) {
      process.stderr.write(`sha256sum: ${label}: no file was verified\n`);
      code = 1;
    }
    if (mismatched > 0 || unreadable > 0 || (flags.strict && malformed > 0)) code = 1;
  }
  return code;
}
