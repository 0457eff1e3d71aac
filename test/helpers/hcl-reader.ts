/**
 * A small reader for Terraform's native HCL syntax, enough to list what a module declares:
 * blocks (with labels and nested blocks), attribute names, and the traversals (`a.b[0].c`) each
 * attribute's expression uses, with line numbers. It does not evaluate anything.
 *
 * node_modules has no HCL parser, so this is a tokenizer plus a body parser. It follows the HCL
 * native syntax spec (hashicorp/hcl, hclsyntax/spec.md): comments `#`, `//`, `/* *\/`; quoted
 * templates with `${...}` / `%{...}` and `$${` / `%%{` escapes; heredocs `<<EOT` and `<<-EOT`;
 * newlines end an attribute only outside brackets.
 */

export interface HclTraversal {
  /** Names along the traversal; index and splat steps are dropped (`a.b[0].c` -> [a, b, c]). */
  parts: string[];
  line: number;
}

export interface HclAttribute {
  name: string;
  line: number;
  /** Raw expression text, as written. */
  expression: string;
  traversals: HclTraversal[];
}

export interface HclBlock {
  type: string;
  labels: string[];
  line: number;
  attributes: HclAttribute[];
  blocks: HclBlock[];
}

export interface HclFile {
  path: string;
  attributes: HclAttribute[];
  blocks: HclBlock[];
}

export class HclSyntaxError extends Error {
  constructor(
    readonly path: string,
    readonly line: number,
    message: string,
  ) {
    super(`${path}:${line}: ${message}`);
  }
}

type TokenKind = 'ident' | 'number' | 'string' | 'heredoc' | 'punct' | 'newline' | 'eof';

interface Token {
  kind: TokenKind;
  text: string;
  start: number;
  end: number;
  /** Tokens of the interpolations inside a string or heredoc. */
  inner?: Token[];
}

const PUNCT = ['...', '==', '!=', '<=', '>=', '&&', '||', '=>', '{', '}', '[', ']', '(', ')', '=', '.', ',', ':', '?', '+', '-', '*', '/', '%', '<', '>', '!'];

class Tokenizer {
  private pos = 0;

  constructor(
    private readonly src: string,
    private readonly fail: (at: number, message: string) => never,
  ) {}

  /** Every token up to the end of input. */
  all(): Token[] {
    const out: Token[] = [];
    for (;;) {
      const token = this.next();
      out.push(token);
      if (token.kind === 'eof') return out;
    }
  }

  private next(): Token {
    this.skipSpaceAndComments();
    const start = this.pos;
    const src = this.src;
    if (this.pos >= src.length) return { kind: 'eof', text: '', start, end: start };
    const c = src[this.pos]!;
    if (c === '\n') {
      this.pos++;
      return { kind: 'newline', text: '\n', start, end: this.pos };
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(src.slice(this.pos))!;
      this.pos += m[0].length;
      return { kind: 'ident', text: m[0], start, end: this.pos };
    }
    if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(src.slice(this.pos))!;
      this.pos += m[0].length;
      return { kind: 'number', text: m[0], start, end: this.pos };
    }
    if (c === '"') return this.quotedTemplate();
    if (src.startsWith('<<', this.pos) && /^<<-?[A-Za-z_]/.test(src.slice(this.pos, this.pos + 4))) return this.heredoc();
    const punct = PUNCT.find((p) => src.startsWith(p, this.pos));
    if (!punct) this.fail(start, `unexpected character ${JSON.stringify(c)}`);
    this.pos += punct.length;
    return { kind: 'punct', text: punct, start, end: this.pos };
  }

  private skipSpaceAndComments(): void {
    const src = this.src;
    for (;;) {
      const c = src[this.pos];
      if (c === ' ' || c === '\t' || c === '\r') this.pos++;
      else if (c === '#' || (c === '/' && src[this.pos + 1] === '/')) {
        // A line comment ends at (not including) the newline, which still ends an attribute.
        const nl = src.indexOf('\n', this.pos);
        this.pos = nl < 0 ? src.length : nl;
      } else if (c === '/' && src[this.pos + 1] === '*') {
        const end = src.indexOf('*/', this.pos + 2);
        if (end < 0) this.fail(this.pos, 'unterminated /* comment');
        this.pos = end + 2;
      } else return;
    }
  }

  /** `"..."` with interpolations; the tokens inside `${}` / `%{}` go to `inner`. */
  private quotedTemplate(): Token {
    const start = this.pos;
    const src = this.src;
    const inner: Token[] = [];
    this.pos++;
    for (;;) {
      const c = src[this.pos];
      if (c === undefined || c === '\n') this.fail(start, 'unterminated string');
      if (c === '"') break;
      if (c === '\\') this.pos += 2;
      else if ((c === '$' || c === '%') && src[this.pos + 1] === c && src[this.pos + 2] === '{') this.pos += 3;
      else if ((c === '$' || c === '%') && src[this.pos + 1] === '{') {
        this.pos += 2;
        inner.push(...this.interpolation());
      } else this.pos++;
    }
    this.pos++;
    return { kind: 'string', text: src.slice(start, this.pos), start, end: this.pos, inner };
  }

  /** Tokens up to the `}` that closes an interpolation (the `${` is already consumed). */
  private interpolation(): Token[] {
    const out: Token[] = [];
    let depth = 0;
    for (;;) {
      const token = this.next();
      if (token.kind === 'eof') this.fail(token.start, 'unterminated ${ interpolation');
      if (token.kind === 'punct' && token.text === '{') depth++;
      if (token.kind === 'punct' && token.text === '}') {
        if (depth === 0) return out;
        depth--;
      }
      out.push(token);
    }
  }

  /** `<<EOT` / `<<-EOT` up to the line that holds only the marker; interpolations are read too. */
  private heredoc(): Token {
    const start = this.pos;
    const src = this.src;
    const m = /^<<(-?)([A-Za-z_][A-Za-z0-9_-]*)\r?\n/.exec(src.slice(this.pos));
    if (!m) this.fail(start, 'a heredoc marker must end its line');
    const marker = m[2]!;
    const bodyStart = this.pos + m[0].length;
    const closing = new RegExp(`^[ \\t]*${marker}[ \\t]*\\r?$`, 'm');
    const rest = src.slice(bodyStart);
    const end = closing.exec(rest);
    if (!end) this.fail(start, `heredoc ${marker} is never closed`);
    const bodyEnd = bodyStart + end.index;
    const inner: Token[] = [];
    for (this.pos = bodyStart; this.pos < bodyEnd; ) {
      const c = src[this.pos];
      if ((c === '$' || c === '%') && src[this.pos + 1] === c && src[this.pos + 2] === '{') this.pos += 3;
      else if ((c === '$' || c === '%') && src[this.pos + 1] === '{') {
        this.pos += 2;
        inner.push(...this.interpolation());
      } else this.pos++;
    }
    this.pos = bodyEnd + end[0].length;
    return { kind: 'heredoc', text: src.slice(start, this.pos), start, end: this.pos, inner };
  }
}

const OPENERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/** Parses one file's text. Throws HclSyntaxError (with the line) on what it cannot read. */
export function parseHcl(text: string, path = '<input>'): HclFile {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  const lineOf = (at: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= at) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const fail = (at: number, message: string): never => {
    throw new HclSyntaxError(path, lineOf(at), message);
  };
  const tokens = new Tokenizer(text, fail).all();
  let i = 0;
  const peek = () => tokens[i]!;
  const isPunct = (t: Token, p: string) => t.kind === 'punct' && t.text === p;

  /** Expression tokens up to a newline (or the body's `}`) outside brackets. */
  const expression = (): Token[] => {
    const out: Token[] = [];
    const stack: string[] = [];
    for (;;) {
      const t = peek();
      if (t.kind === 'eof') {
        if (stack.length > 0) fail(t.start, `missing ${stack[stack.length - 1]}`);
        return out;
      }
      if (stack.length === 0 && (t.kind === 'newline' || isPunct(t, '}'))) return out;
      if (t.kind === 'punct' && OPENERS[t.text]) stack.push(OPENERS[t.text]!);
      else if (t.kind === 'punct' && (t.text === ')' || t.text === ']' || t.text === '}')) {
        if (stack.pop() !== t.text) fail(t.start, `unexpected ${t.text}`);
      }
      out.push(t);
      i++;
    }
  };

  const body = (closed: boolean): { attributes: HclAttribute[]; blocks: HclBlock[] } => {
    const attributes: HclAttribute[] = [];
    const blocks: HclBlock[] = [];
    for (;;) {
      while (peek().kind === 'newline') i++;
      const t = peek();
      if (t.kind === 'eof') {
        if (closed) fail(t.start, 'missing } at end of block');
        return { attributes, blocks };
      }
      if (isPunct(t, '}')) {
        if (!closed) fail(t.start, 'unexpected }');
        i++;
        return { attributes, blocks };
      }
      if (t.kind !== 'ident') fail(t.start, `expected an attribute or block name, found ${JSON.stringify(t.text)}`);
      i++;
      if (isPunct(peek(), '=')) {
        i++;
        const expr = expression();
        if (expr.length === 0) fail(t.start, `attribute ${t.text} has no value`);
        const from = expr[0]!.start;
        const to = expr[expr.length - 1]!.end;
        if (attributes.some((a) => a.name === t.text)) fail(t.start, `attribute ${t.text} is set twice`);
        attributes.push({ name: t.text, line: lineOf(t.start), expression: text.slice(from, to), traversals: traversals(expr, lineOf) });
        continue;
      }
      const labels: string[] = [];
      while (peek().kind === 'string' || peek().kind === 'ident') {
        const label = peek();
        labels.push(label.kind === 'string' ? label.text.slice(1, -1) : label.text);
        i++;
      }
      if (!isPunct(peek(), '{')) fail(peek().start, `expected = or { after ${t.text}`);
      i++;
      const inner = body(true);
      blocks.push({ type: t.text, labels, line: lineOf(t.start), ...inner });
    }
  };

  return { path, ...body(false) };
}

/**
 * Every traversal that starts with a name: `a.b`, `a.b[0].c`, `a[*].b`, `a.*.b`, also inside
 * string interpolations. Attribute names of object constructors (`{ name = x }`) are not
 * traversals and are skipped; so are function names (`f(`).
 */
function traversals(tokens: Token[], lineOf: (at: number) => number): HclTraversal[] {
  const flat: Token[] = [];
  const flatten = (list: Token[]) => {
    for (const t of list) {
      if (t.inner) flatten(t.inner);
      else flat.push(t);
    }
  };
  flatten(tokens);
  const out: HclTraversal[] = [];
  for (let k = 0; k < flat.length; k++) {
    const t = flat[k]!;
    const prev = flat[k - 1];
    if (t.kind !== 'ident' || (prev && prev.kind === 'punct' && prev.text === '.')) continue;
    const after = flat[k + 1];
    if (after && after.kind === 'punct' && (after.text === '(' || after.text === '=')) continue;
    const parts = [t.text];
    let j = k + 1;
    for (;;) {
      const step = flat[j];
      if (step && step.kind === 'punct' && step.text === '.') {
        const name = flat[j + 1];
        if (name && name.kind === 'ident') parts.push(name.text);
        else if (!(name && name.kind === 'punct' && name.text === '*')) break;
        j += 2;
      } else if (step && step.kind === 'punct' && step.text === '[') {
        let depth = 0;
        for (; j < flat.length; j++) {
          const b = flat[j]!;
          if (b.kind === 'punct' && (b.text === '[' || b.text === '(' || b.text === '{')) depth++;
          if (b.kind === 'punct' && (b.text === ']' || b.text === ')' || b.text === '}')) depth--;
          if (depth === 0) break;
        }
        j++;
      } else break;
    }
    out.push({ parts, line: lineOf(t.start) });
  }
  return out;
}

/** The block's nested blocks with every `dynamic "x" { content { ... } }` read as a block `x`. */
export function effectiveBlocks(block: Pick<HclBlock, 'blocks'>): HclBlock[] {
  return block.blocks.map((nested) => {
    if (nested.type !== 'dynamic') return nested;
    const content = nested.blocks.find((b) => b.type === 'content');
    return { type: nested.labels[0] ?? '', labels: [], line: nested.line, attributes: content?.attributes ?? [], blocks: content?.blocks ?? [] };
  });
}
