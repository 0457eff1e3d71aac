// The part of TOML that containerd's config.toml uses: [tables] with quoted key parts, key = value
// with strings, booleans, integers and one-line arrays, comments. Like the real parser it refuses
// a table or a key defined twice, so an installer that appends a table that exists already is
// caught the way containerd would catch it at start.

export class TomlError extends Error {}

/** Splits a dotted key or table name into its parts: a.'b.c'."d" → ['a', 'b.c', 'd']. */
export function keyParts(text) {
  const parts = [];
  let index = 0;
  const source = text.trim();
  while (index < source.length) {
    while (source[index] === ' ' || source[index] === '\t') index++;
    const quote = source[index];
    let part;
    if (quote === '"' || quote === "'") {
      const end = source.indexOf(quote, index + 1);
      if (end < 0) throw new TomlError(`unterminated quoted key in ${text}`);
      part = source.slice(index + 1, end);
      index = end + 1;
    } else {
      const match = /^[A-Za-z0-9_-]+/.exec(source.slice(index));
      if (!match) throw new TomlError(`invalid key ${text}`);
      part = match[0];
      index += part.length;
    }
    parts.push(part);
    while (source[index] === ' ' || source[index] === '\t') index++;
    if (index < source.length) {
      if (source[index] !== '.') throw new TomlError(`invalid key ${text}`);
      index++;
    }
  }
  if (parts.length === 0) throw new TomlError('empty key');
  return parts;
}

function parseValue(raw, line) {
  const text = raw.trim();
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (/^-?\d+$/.test(text)) return Number(text);
  if (/^"(?:[^"\\]|\\.)*"$/.test(text)) return JSON.parse(text);
  if (/^'[^']*'$/.test(text)) return text.slice(1, -1);
  if (text.startsWith('[') && text.endsWith(']')) {
    const inner = text.slice(1, -1).trim();
    if (inner === '') return [];
    const items = [];
    const pattern = /\s*("(?:[^"\\]|\\.)*"|'[^']*'|-?\d+|true|false)\s*(,|$)/y;
    let match;
    let consumed = 0;
    while (consumed < inner.length && (match = pattern.exec(inner))) {
      items.push(parseValue(match[1], line));
      consumed = pattern.lastIndex;
    }
    if (consumed < inner.trim().length) throw new TomlError(`unsupported array on line ${line}: ${text}`);
    return items;
  }
  if (text.startsWith('{') && text.endsWith('}')) return {};
  throw new TomlError(`invalid value on line ${line}: ${text}`);
}

/** Strips a trailing comment that is not inside a string. */
function stripComment(line) {
  let quote = null;
  for (let index = 0; index < line.length; index++) {
    const char = line[index];
    if (quote) {
      if (char === '\\' && quote === '"') index++;
      else if (char === quote) quote = null;
    } else if (char === '"' || char === "'") quote = char;
    else if (char === '#') return line.slice(0, index);
  }
  return line;
}

/** Parses TOML text into nested plain objects; throws TomlError like containerd's loader would. */
export function parseToml(text) {
  const root = {};
  const definedTables = new Set();
  let current = root;
  let currentName = '';
  const lines = text.split('\n');
  lines.forEach((rawLine, index) => {
    const lineNumber = index + 1;
    const line = stripComment(rawLine).trim();
    if (line === '') return;
    const table = /^\[([^[\]]+)\]$/.exec(line);
    if (table) {
      const parts = keyParts(table[1]);
      const name = JSON.stringify(parts);
      if (definedTables.has(name)) throw new TomlError(`toml: line ${lineNumber}: table ${parts.join('.')} already exists`);
      definedTables.add(name);
      current = root;
      for (const part of parts) {
        if (current[part] === undefined) current[part] = {};
        if (typeof current[part] !== 'object' || Array.isArray(current[part])) throw new TomlError(`toml: line ${lineNumber}: key ${part} is not a table`);
        current = current[part];
      }
      currentName = parts.join('.');
      return;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new TomlError(`toml: line ${lineNumber}: expected key = value, got ${line}`);
    const parts = keyParts(line.slice(0, eq));
    let target = current;
    for (const part of parts.slice(0, -1)) {
      target[part] ??= {};
      target = target[part];
    }
    const key = parts[parts.length - 1];
    if (Object.prototype.hasOwnProperty.call(target, key)) {
      throw new TomlError(`toml: line ${lineNumber}: key ${[currentName, ...parts].filter(Boolean).join('.')} is already defined`);
    }
    target[key] = parseValue(line.slice(eq + 1), lineNumber);
  });
  return root;
}

/** The value at a path of key parts, or undefined. */
export function lookup(object, parts) {
  let value = object;
  for (const part of parts) {
    if (value === undefined || value === null || typeof value !== 'object') return undefined;
    value = value[part];
  }
  return value;
}
