// Helm's values: the user-supplied ones from `-f/--values FILE|-` (stdin, helm/helm
// pkg/cli/values/options.go readFile) merged in order, then `--set`/`--set-string` (strvals), as
// Options.MergeValues does; and the chart's defaults coalesced under them (a null removes a default,
// pkg/chart/common/util/coalesce.go).
import { readFileSync } from 'node:fs';
import { fail } from './context.mjs';
import { loadYaml } from './yaml.mjs';

const isMap = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);

/** mergeMaps (options.go): b over a, maps merged deeply, everything else replaced. */
export function mergeMaps(a, b) {
  const out = { ...a };
  for (const [key, value] of Object.entries(b ?? {})) out[key] = isMap(value) && isMap(out[key]) ? mergeMaps(out[key], value) : value;
  return out;
}

/** The chart's defaults under the user's values; a user null deletes the default. */
export function coalesce(defaults, user) {
  const out = structuredClone(defaults ?? {});
  for (const [key, value] of Object.entries(user ?? {})) {
    if (value === null) delete out[key];
    else if (isMap(value) && isMap(out[key])) out[key] = coalesce(out[key], value);
    else out[key] = structuredClone(value);
  }
  return out;
}

function readStdin() {
  try {
    return readFileSync(0, 'utf8');
  } catch {
    return '';
  }
}

/** Splits on an unescaped separator (strvals honours "\\," and "\\."). */
function splitUnescaped(text, separator) {
  const parts = [];
  let current = '';
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (char === '\\' && index + 1 < text.length) {
      current += char + text[++index];
      continue;
    }
    if (char === separator) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts;
}

const unescape = (text) => text.replace(/\\(.)/g, '$1');

/** strvals' typing of a --set value: true/false, null, integers; --set-string keeps strings. */
function typed(value, asString) {
  if (asString) return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (value === 'null') return null;
  if (/^-?(0|[1-9]\d*)$/.test(value)) return Number(value);
  return value;
}

/** One `--set a.b[0].c=v,d={x,y}` into `target` (mutated). */
export function parseSet(expression, target, asString = false) {
  for (const pair of splitUnescaped(expression, ',').reduce((acc, part) => {
    // A list value "{a,b}" was split on its commas: glue it back.
    if (acc.length > 0 && /=\{[^}]*$/.test(acc[acc.length - 1])) acc[acc.length - 1] += `,${part}`;
    else acc.push(part);
    return acc;
  }, [])) {
    if (pair === '') continue;
    const eq = pair.search(/(?<!\\)=/);
    if (eq < 0) fail(1, `Error: failed parsing --set data: key "${pair}" has no value`);
    const path = splitUnescaped(pair.slice(0, eq), '.').map(unescape);
    const raw = pair.slice(eq + 1);
    const value = /^\{.*\}$/.test(raw) ? raw.slice(1, -1).split(',').filter((entry) => entry !== '').map((entry) => typed(unescape(entry), asString)) : typed(unescape(raw), asString);
    let node = target;
    path.forEach((segment, index) => {
      const list = /^(.+)\[(\d+)\]$/.exec(segment);
      const last = index === path.length - 1;
      if (list) {
        node[list[1]] = Array.isArray(node[list[1]]) ? node[list[1]] : [];
        const array = node[list[1]];
        if (last) array[Number(list[2])] = value;
        else node = array[Number(list[2])] = isMap(array[Number(list[2])]) ? array[Number(list[2])] : {};
      } else if (last) node[segment] = value;
      else node = node[segment] = isMap(node[segment]) ? node[segment] : {};
    });
  }
  return target;
}

/** The user-supplied values of a command line (files in order, then --set, then --set-string), or null when none. */
export async function userValues(flags) {
  const YAML = await loadYaml();
  let merged = {};
  let stdinUsed = false;
  for (const source of flags.values ?? []) {
    let text;
    if (source.trim() === '-') {
      // Only the first "-" gets stdin; it is read once.
      text = stdinUsed ? '' : readStdin();
      stdinUsed = true;
    } else if (/^https?:\/\//.test(source)) {
      fail(1, `Error: failed to fetch ${source} : the fleet's helm reads values from files and stdin only`);
    } else {
      try {
        text = readFileSync(source, 'utf8');
      } catch (error) {
        fail(1, `Error: open ${source}: ${error.code === 'EACCES' ? 'permission denied' : 'no such file or directory'}`);
      }
    }
    let parsed;
    try {
      parsed = YAML.parse(text);
    } catch (error) {
      fail(1, `Error: failed to parse ${source}: error converting YAML to JSON: yaml: ${String(error.message).split('\n')[0]}`);
    }
    if (parsed !== null && parsed !== undefined && !isMap(parsed)) fail(1, `Error: failed to parse ${source}: error unmarshaling JSON: json: cannot unmarshal ${Array.isArray(parsed) ? 'array' : typeof parsed} into Go value of type map[string]interface {}`);
    merged = mergeMaps(merged, parsed ?? {});
  }
  for (const expression of flags.set ?? []) parseSet(expression, merged);
  for (const expression of flags['set-string'] ?? []) parseSet(expression, merged, true);
  return Object.keys(merged).length > 0 ? merged : null;
}
