/**
 * Generated user-written Codex TOML files for the setup property tests: comments (own-line
 * and trailing), blank lines, odd spacing and tabs, bare/quoted/literal/unicode keys, dotted
 * keys, sub-tables, arrays of tables, multi-line arrays with comments, inline tables, dates,
 * very long strings and multi-line strings whose lines look like headers and keys; LF or
 * CRLF, an optional byte-order mark and an optional final line break. None defines a key
 * Baton owns, so after setup and revert the file must be exactly what it was.
 */
import { editToml } from '@baton/core/native-config';
import fc from 'fast-check';

const text = fc
  .string({ unit: 'grapheme', maxLength: 12 })
  .map((value) => value.replace(/[\u0000-\u001f\u007f]/g, ''));
const commentText = text.map((value) => value.replace(/[\r\n]/g, ''));
const space = fc.constantFrom('', ' ', '  ', '\t', ' \t ');
const indent = fc.constantFrom('', '', '  ', '\t');

function basic(value: string): string {
  return JSON.stringify(value).replace(/\u007f/g, '\\u007F');
}

const scalarValue = fc.oneof(
  fc.integer().map(String),
  fc.constantFrom('0x1F', '1_000', '+42', '-0', '0o17', '0b101', 'inf', 'nan', 'true', '3.14'),
  fc.constantFrom('1979-05-27T07:32:00Z', '1979-05-27', '07:32:00'),
  text.map(basic),
  text.filter((value) => !value.includes("'")).map((value) => `'${value}'`),
  fc.integer({ min: 200, max: 2000 }).map((length) => `"${'x'.repeat(length)}"`),
  fc
    .array(
      fc.oneof(
        fc.constantFrom(
          '[model_providers.baton]',
          'model = "inside"',
          'model_provider = "x"',
          '# not a comment',
          "'''",
          '[[x]]',
        ),
        text.map((value) => value.replace(/["\\]/g, '')),
      ),
      { maxLength: 4 },
    )
    .map((lines) => `"""\n${lines.join('\n')}"""`),
  fc
    .array(fc.constantFrom('[profiles.baton-worker]', 'key = 1', '"""', 'C:\\path'), {
      maxLength: 3,
    })
    .map((lines) => `'''${lines.join('\n')}'''`),
);

const arrayValue = fc
  .tuple(
    fc.array(
      scalarValue.filter((value) => !value.includes('\n')),
      { maxLength: 3 },
    ),
    fc.boolean(),
    commentText,
  )
  .map(([items, multiline, comment]) =>
    multiline
      ? `[\n  ${items.map((item) => `${item}, # ${comment}`).join('\n  ')}\n]`
      : `[${items.join(', ')}]`,
  );

const inlineTable = fc
  .array(
    scalarValue.filter((value) => !value.includes('\n')),
    { maxLength: 3 },
  )
  .map(
    (items) =>
      `{ ${items.map((item, index) => `${index % 2 === 0 ? `i${index}` : `"q ü${index}"`} = ${item}`).join(', ')} }`,
  );

const value = fc.oneof({ weight: 5, arbitrary: scalarValue }, arrayValue, inlineTable);

/** Keys that never collide with what Baton owns (`model`, `model_provider`, `model_providers.baton`). */
const keyText = (index: number) =>
  fc.constantFrom(
    `k${index}`,
    `"ü key ${index}"`,
    `'literal ${index}'`,
    `d${index}.inner`,
    `"dotted.${index}" . x`,
    `"ключ${index}"`,
    `model_${index}`,
    `"model ${index}"`,
  );

const lines = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: fc.tuple(indent, space, space, value, fc.option(commentText)) },
      { weight: 1, arbitrary: fc.tuple(indent, commentText) },
      { weight: 1, arbitrary: fc.constantFrom('', '   ') },
    ),
    { maxLength: 5 },
  )
  .chain((raw) =>
    fc
      .tuple(
        ...raw.map((entry, index) =>
          Array.isArray(entry) && entry.length === 5 ? keyText(index) : fc.constant(''),
        ),
      )
      .map((keys) =>
        raw.map((entry, index) => {
          if (typeof entry === 'string') return entry;
          if (entry.length === 2) return `${entry[0]}# ${entry[1]}`;
          const [lead, before, after, valueText, comment] = entry;
          return `${lead}${keys[index]}${before}=${after}${valueText}${comment === null ? '' : ` # ${comment}`}`;
        }),
      ),
  );

const header = (index: number) =>
  fc.constantFrom(
    `[t${index}]`,
    `[ t${index} . sub ]  # header comment`,
    `["ü table ${index}"]`,
    `[[arr${index}]]`,
    `[model_providers.other${index}]`,
    `[mcp_servers.s${index}]`,
    `[profiles.p${index}]`,
  );

function isToml(source: string): boolean {
  try {
    editToml(source, []);
    return true;
  } catch {
    return false;
  }
}

/** A user's TOML file (valid, Baton's keys absent). */
export const userTomlFile: fc.Arbitrary<string> = fc
  .record({
    root: lines,
    tables: fc.array(lines, { maxLength: 4 }),
    eol: fc.constantFrom('\n', '\r\n'),
    bom: fc.boolean(),
    finalNewline: fc.boolean(),
  })
  .chain((document) =>
    fc.tuple(...document.tables.map((_, index) => header(index))).map((headers) => {
      const body = [
        ...document.root,
        ...document.tables.flatMap((tableLines, index) => [headers[index]!, ...tableLines]),
      ];
      const joined = body.join(document.eol);
      const withEnd = document.finalNewline && joined !== '' ? joined + document.eol : joined;
      return (document.bom ? '\uFEFF' : '') + withEnd;
    }),
  )
  .filter(isToml);

/** Lines of `text`, without their terminators. */
export function linesOf(source: string): string[] {
  return source.replace(/^\uFEFF/, '').split(/\r?\n/);
}

/**
 * The lines `after` has beyond `before`, when every line of `before` appears in `after` in
 * order; `undefined` when a line of `before` is missing or changed.
 */
export function addedLines(before: string, after: string): string[] | undefined {
  const original = linesOf(before);
  const result = linesOf(after);
  const added: string[] = [];
  let cursor = 0;
  for (const line of result) {
    if (cursor < original.length && line === original[cursor]) cursor += 1;
    else added.push(line);
  }
  return cursor === original.length ? added : undefined;
}

/** True when every line break of `text` is CRLF (vacuously for a single line). */
export function onlyCrlf(source: string): boolean {
  return !/(^|[^\r])\n/.test(source);
}
