/**
 * A TOML scanner that locates statements, keys and values by offset, so editors can change
 * exactly the bytes they own. It understands comments, basic and literal strings (single- and
 * multi-line), arrays and inline tables spanning lines, dotted and quoted keys, and `[table]`
 * and `[[array.of.tables]]` headers. It does not build values: callers validate and read
 * values with smol-toml first and use this scanner only for positions.
 */

/** One segment of a (possibly dotted) key, decoded, with the offsets of its source text. */
export interface TomlKeySegment {
  name: string;
  start: number;
  end: number;
}

export interface TomlInlineEntry {
  key: TomlKeySegment[];
  value: TomlValueNode;
}

/** Where a value sits in the source (`end` is exclusive, trailing spaces excluded). */
export type TomlValueNode =
  | { kind: 'scalar'; start: number; end: number }
  | { kind: 'array'; start: number; end: number; items: TomlValueNode[] }
  | { kind: 'inline-table'; start: number; end: number; entries: TomlInlineEntry[] };

/**
 * One line-level statement. `start` is the start of its first line and `end` the offset after
 * the terminator of its last line (or the end of the text).
 */
export type TomlStatement =
  | { kind: 'blank'; start: number; end: number }
  | { kind: 'comment'; start: number; end: number; text: string }
  | {
      kind: 'header';
      start: number;
      end: number;
      array: boolean;
      path: string[];
      /** Offset just after the closing `]` / `]]`; the rest of the line is spacing or a comment. */
      closeEnd: number;
    }
  | {
      kind: 'keyval';
      start: number;
      end: number;
      /** The path of the table header the statement is under (`[]` before any header). */
      table: string[];
      /** Index of that header in the statement list, or -1 at the root. */
      headerIndex: number;
      key: TomlKeySegment[];
      value: TomlValueNode;
    };

export type TomlHeaderStatement = Extract<TomlStatement, { kind: 'header' }>;
export type TomlKeyvalStatement = Extract<TomlStatement, { kind: 'keyval' }>;

/** The scanner met text it does not understand (the caller validated it, so this is a bug). */
export class TomlScanError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = 'TomlScanError';
    this.offset = offset;
  }
}

const BARE_KEY = /[A-Za-z0-9_-]/;
const SIMPLE_ESCAPES: Record<string, string> = {
  b: '\b',
  t: '\t',
  n: '\n',
  f: '\f',
  r: '\r',
  e: '\u001b',
  '"': '"',
  '\\': '\\',
};

class Scanner {
  pos = 0;
  readonly text: string;

  constructor(text: string) {
    this.text = text;
  }

  fail(message: string): never {
    throw new TomlScanError(message, this.pos);
  }

  char(offset = 0): string | undefined {
    return this.text[this.pos + offset];
  }

  startsWith(token: string): boolean {
    return this.text.startsWith(token, this.pos);
  }

  skipSpaces(): void {
    while (this.char() === ' ' || this.char() === '\t') this.pos += 1;
  }

  atLineEnd(): boolean {
    return (
      this.pos >= this.text.length ||
      this.char() === '\n' ||
      (this.char() === '\r' && this.char(1) === '\n')
    );
  }

  skipLineEnd(): void {
    if (this.char() === '\r' && this.char(1) === '\n') this.pos += 2;
    else if (this.char() === '\n') this.pos += 1;
  }

  skipComment(): void {
    if (this.char() !== '#') return;
    while (!this.atLineEnd()) this.pos += 1;
  }

  /** Spacing, comments and line breaks, as allowed inside arrays (and TOML 1.1 inline tables). */
  skipTrivia(): void {
    for (;;) {
      this.skipSpaces();
      if (this.char() === '#') this.skipComment();
      if (this.pos < this.text.length && this.atLineEnd()) this.skipLineEnd();
      else return;
    }
  }

  /** The rest of the line must be spacing and an optional comment; consumes its terminator. */
  finishLine(): void {
    this.skipSpaces();
    this.skipComment();
    if (!this.atLineEnd()) this.fail('expected the end of the line');
    this.skipLineEnd();
  }

  key(): TomlKeySegment[] {
    const segments: TomlKeySegment[] = [];
    for (;;) {
      this.skipSpaces();
      const start = this.pos;
      let name: string;
      if (this.char() === '"') name = this.basicString();
      else if (this.char() === "'") name = this.literalString();
      else {
        while (this.pos < this.text.length && BARE_KEY.test(this.char()!)) this.pos += 1;
        if (this.pos === start) this.fail('expected a key');
        name = this.text.slice(start, this.pos);
      }
      segments.push({ name, start, end: this.pos });
      this.skipSpaces();
      if (this.char() !== '.') return segments;
      this.pos += 1;
    }
  }

  basicString(): string {
    this.pos += 1;
    let value = '';
    for (;;) {
      const char = this.char();
      if (char === undefined || char === '\n') this.fail('unterminated string');
      this.pos += 1;
      if (char === '"') return value;
      if (char !== '\\') {
        value += char;
        continue;
      }
      const escaped = this.char();
      this.pos += 1;
      if (escaped !== undefined && escaped in SIMPLE_ESCAPES) value += SIMPLE_ESCAPES[escaped];
      else if (escaped === 'x' || escaped === 'u' || escaped === 'U') {
        const length = escaped === 'x' ? 2 : escaped === 'u' ? 4 : 8;
        const hex = this.text.slice(this.pos, this.pos + length);
        if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== length) this.fail('bad escape');
        value += String.fromCodePoint(Number.parseInt(hex, 16));
        this.pos += length;
      } else this.fail('bad escape');
    }
  }

  literalString(): string {
    const end = this.text.indexOf("'", this.pos + 1);
    if (end === -1) this.fail('unterminated string');
    const value = this.text.slice(this.pos + 1, end);
    if (value.includes('\n')) this.fail('unterminated string');
    this.pos = end + 1;
    return value;
  }

  /** Skips a multi-line string; the closing delimiter may carry up to two extra quotes. */
  multilineString(quote: string): void {
    this.pos += 3;
    for (;;) {
      if (this.pos >= this.text.length) this.fail('unterminated multi-line string');
      const char = this.char();
      if (quote === '"' && char === '\\') {
        this.pos += 2;
        continue;
      }
      if (char === quote && this.char(1) === quote && this.char(2) === quote) {
        let run = 3;
        while (run < 5 && this.char(run) === quote) run += 1;
        this.pos += run;
        return;
      }
      this.pos += 1;
    }
  }

  value(): TomlValueNode {
    const start = this.pos;
    const char = this.char();
    if (this.startsWith('"""') || this.startsWith("'''")) {
      this.multilineString(char!);
      return { kind: 'scalar', start, end: this.pos };
    }
    if (char === '"') {
      this.basicString();
      return { kind: 'scalar', start, end: this.pos };
    }
    if (char === "'") {
      this.literalString();
      return { kind: 'scalar', start, end: this.pos };
    }
    if (char === '[') return this.array();
    if (char === '{') return this.inlineTable();
    while (this.pos < this.text.length && !/[,\]}#\r\n]/.test(this.char()!)) this.pos += 1;
    let end = this.pos;
    while (end > start && (this.text[end - 1] === ' ' || this.text[end - 1] === '\t')) end -= 1;
    if (end === start) this.fail('expected a value');
    this.pos = end;
    return { kind: 'scalar', start, end };
  }

  array(): TomlValueNode {
    const start = this.pos;
    this.pos += 1;
    const items: TomlValueNode[] = [];
    for (;;) {
      this.skipTrivia();
      if (this.char() === ']') break;
      items.push(this.value());
      this.skipTrivia();
      if (this.char() === ',') this.pos += 1;
      else if (this.char() !== ']') this.fail('expected , or ]');
    }
    this.pos += 1;
    return { kind: 'array', start, end: this.pos, items };
  }

  inlineTable(): TomlValueNode {
    const start = this.pos;
    this.pos += 1;
    const entries: TomlInlineEntry[] = [];
    for (;;) {
      this.skipTrivia();
      if (this.char() === '}') break;
      const key = this.key();
      if (this.char() !== '=') this.fail('expected =');
      this.pos += 1;
      this.skipSpaces();
      entries.push({ key, value: this.value() });
      this.skipTrivia();
      if (this.char() === ',') this.pos += 1;
      else if (this.char() !== '}') this.fail('expected , or }');
    }
    this.pos += 1;
    return { kind: 'inline-table', start, end: this.pos, entries };
  }
}

/** Splits TOML text (without a byte-order mark) into statements covering every byte. */
export function scanToml(text: string): TomlStatement[] {
  const scanner = new Scanner(text);
  const statements: TomlStatement[] = [];
  let table: string[] = [];
  let headerIndex = -1;
  while (scanner.pos < text.length) {
    const start = scanner.pos;
    scanner.skipSpaces();
    if (scanner.atLineEnd()) {
      scanner.skipLineEnd();
      statements.push({ kind: 'blank', start, end: scanner.pos });
      continue;
    }
    if (scanner.char() === '#') {
      const commentStart = scanner.pos;
      scanner.skipComment();
      const textOfComment = text.slice(commentStart, scanner.pos);
      scanner.skipLineEnd();
      statements.push({ kind: 'comment', start, end: scanner.pos, text: textOfComment });
      continue;
    }
    if (scanner.char() === '[') {
      const array = scanner.char(1) === '[';
      scanner.pos += array ? 2 : 1;
      const key = scanner.key();
      if (scanner.char() !== ']' || (array && scanner.char(1) !== ']')) scanner.fail('expected ]');
      scanner.pos += array ? 2 : 1;
      const closeEnd = scanner.pos;
      scanner.finishLine();
      table = key.map((segment) => segment.name);
      headerIndex = statements.length;
      statements.push({ kind: 'header', start, end: scanner.pos, array, path: table, closeEnd });
      continue;
    }
    const key = scanner.key();
    if (scanner.char() !== '=') scanner.fail('expected =');
    scanner.pos += 1;
    scanner.skipSpaces();
    const value = scanner.value();
    scanner.finishLine();
    statements.push({ kind: 'keyval', start, end: scanner.pos, table, headerIndex, key, value });
  }
  return statements;
}
