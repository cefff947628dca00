/**
 * Generated user-written TOML and JSON/JSONC config files for native-config writers' setup
 * property tests (YAML: `./yaml-files`), and the helpers those tests share.
 *
 * Besides everything a real file may hold elsewhere, the generators put the containers Baton
 * writes into in every shape a user may have left them: missing, empty (`[table]` with
 * nothing under it, `x = {}`, `{ }`, `"agent": {}`, a file that is `{}` or empty), holding
 * the user's own keys and comments, as inline tables or through dotted keys, with CRLF, a
 * byte-order mark and (JSONC) trailing commas. They never hold a key Baton owns, so setup
 * followed by revert must give back the exact bytes.
 *
 * For adapters' writers and third parties testing theirs. Imported as
 * `@baton/core/testing/config-files`; needs `fast-check`.
 */
import fc from 'fast-check';
import { type ParseError, parse as parseJsonc } from 'jsonc-parser';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYamlText } from 'yaml';
import type { KeyPath } from '../native-config/values.js';

/** The value a config file holds, read the way the runtimes read it (byte-order mark ignored). */
export function readConfigValue(format: 'toml' | 'json' | 'jsonc' | 'yaml', text: string): unknown {
  const body = text.replace(/^\uFEFF/, '');
  if (format === 'toml') return parseToml(body);
  if (format === 'yaml') return parseYamlText(body) ?? {};
  if (body.trim() === '') return undefined;
  if (format === 'json') return JSON.parse(body);
  const errors: ParseError[] = [];
  const value = parseJsonc(body, errors, { allowTrailingComma: true });
  if (errors.length > 0) throw new SyntaxError(`invalid JSONC at offset ${errors[0]!.offset}`);
  return value;
}

/** Lines of `text`, without their terminators (and without a byte-order mark). */
export function linesOf(source: string): string[] {
  return source.replace(/^\uFEFF/, '').split(/\r?\n/);
}

/**
 * The lines `after` has beyond `before`, when every line of `before` appears in `after` in
 * order; `undefined` when a line of `before` is missing or changed.
 */
export function addedLines(before: string, after: string): string[] | undefined {
  const original = linesOf(before);
  const added: string[] = [];
  let cursor = 0;
  for (const line of linesOf(after)) {
    if (cursor < original.length && line === original[cursor]) cursor += 1;
    else added.push(line);
  }
  return cursor === original.length ? added : undefined;
}

/** True when every character of `before` appears in `after`, in order. */
export function isSubsequence(before: string, after: string): boolean {
  let cursor = 0;
  for (let index = 0; index < after.length && cursor < before.length; index += 1) {
    if (after[index] === before[cursor]) cursor += 1;
  }
  return cursor === before.length;
}

/** True when every line break of `text` is CRLF (vacuously for a single line). */
export function onlyCrlf(source: string): boolean {
  return !/(^|[^\r])\n/.test(source);
}

// ---------------------------------------------------------------------------------------
// TOML

const tomlText = fc
  .string({ unit: 'grapheme', maxLength: 12 })
  .map((value) => value.replace(/[\u0000-\u001f\u007f]/g, ''));
const tomlComment = tomlText.map((value) => value.replace(/[\r\n]/g, ''));
const tomlSpace = fc.constantFrom('', ' ', '  ', '\t', ' \t ');
const tomlIndent = fc.constantFrom('', '', '  ', '\t');

function basicString(value: string): string {
  return JSON.stringify(value).replace(/\u007f/g, '\\u007F');
}

const longString = fc.integer({ min: 200, max: 1500 }).map((length) => 'x'.repeat(length));

const tomlScalar = fc.oneof(
  fc.integer().map(String),
  fc.constantFrom('0x1F', '1_000', '+42', '-0', '0o17', '0b101'),
  fc
    .double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 })
    .map((value) => (Number.isInteger(value) ? `${value}.0` : String(value))),
  fc.constantFrom('inf', '-inf', 'nan', 'true', 'false', '3.14', '-0.5e3'),
  fc.constantFrom('1979-05-27T07:32:00Z', '1979-05-27', '07:32:00', '1979-05-27 07:32:00.5-07:00'),
  tomlText.map(basicString),
  tomlText.filter((value) => !value.includes("'")).map((value) => `'${value}'`),
  longString.map((value) => `"${value}"`),
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
          'x = {}',
        ),
        tomlText.map((value) => value.replace(/["\\]/g, '')),
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
const oneLineScalar = tomlScalar.filter((value) => !value.includes('\n'));

/** A TOML value as written on one line: every spelling of numbers, dates and strings. */
export const tomlScalarText: fc.Arbitrary<string> = oneLineScalar;

const tomlArray = fc
  .tuple(fc.array(oneLineScalar, { maxLength: 3 }), fc.boolean(), tomlComment)
  .map(([items, multiline, comment]) =>
    multiline
      ? `[\n  ${items.map((item) => `${item}, # ${comment}`).join('\n  ')}\n]`
      : `[${items.join(', ')}]`,
  );

/** Inline tables, empty ones included, in the spellings people use. */
const tomlInlineTable = fc.oneof(
  fc.constantFrom('{}', '{ }'),
  fc
    .array(oneLineScalar, { minLength: 1, maxLength: 3 })
    .map(
      (items) =>
        `{ ${items.map((item, index) => `${index % 2 === 0 ? `i${index}` : `"q ü${index}"`} = ${item}`).join(', ')} }`,
    ),
  oneLineScalar.map((item) => `{ nested = { deep = ${item} }, empty = {} }`),
);

const tomlValue = fc.oneof(
  { weight: 5, arbitrary: tomlScalar },
  { weight: 1, arbitrary: tomlArray },
  { weight: 1, arbitrary: tomlInlineTable },
);

/** Keys that never collide with keys Baton owns (`model`, `model_provider`, …). */
const tomlKey = (index: number) =>
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

/** Lines of a table body: `key = value` (odd spacing, trailing comments), comments, blanks. */
export const tomlTableLines: fc.Arbitrary<string[]> = fc
  .array(
    fc.oneof(
      {
        weight: 3,
        arbitrary: fc.tuple(tomlIndent, tomlSpace, tomlSpace, tomlValue, fc.option(tomlComment)),
      },
      { weight: 1, arbitrary: fc.tuple(tomlIndent, tomlComment) },
      { weight: 1, arbitrary: fc.constantFrom('', '   ') },
    ),
    { maxLength: 5 },
  )
  .chain((raw) =>
    fc
      .tuple(
        ...raw.map((entry, index) =>
          Array.isArray(entry) && entry.length === 5 ? tomlKey(index) : fc.constant(''),
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

const tomlHeader = (index: number, sibling: string | undefined) =>
  fc.constantFrom(
    `[t${index}]`,
    `[ t${index} . sub ]  # header comment`,
    `["ü table ${index}"]`,
    `[[arr${index}]]`,
    `[mcp_servers.s${index}]`,
    `[profiles.p${index}]`,
    ...(sibling === undefined ? [] : [`[${sibling}.other${index}]`]),
  );

export interface TomlFileOptions {
  /**
   * A table Baton writes keys into (`['model_providers', 'baton']`), and the keys the user
   * may have in it (never Baton's). The file may already have that table or its parent:
   * as a `[header]` with nothing, comments or the user's keys under it, as an inline table
   * (`model_providers = {}`, `baton = { … }`, `model_providers.baton = {}`), or beside
   * dotted keys of the parent (`model_providers.other.name = "o"`).
   */
  readonly table?: { readonly path: KeyPath; readonly userKeys: readonly string[] };
}

/** A generated TOML file, and whether Baton's table in it is an inline table. */
export interface TomlFile {
  readonly text: string;
  /** Baton's table (or its parent) is written inline: Baton edits a line instead of adding lines. */
  readonly inline: boolean;
}

interface TableBlock {
  /** Lines at the top level. */
  readonly rootLines: readonly string[];
  /** A `[header]` and its lines. */
  readonly table: readonly string[] | undefined;
  readonly inline: boolean;
  /** The parent is an inline table: no `[parent.x]` header may appear. */
  readonly parentInline: boolean;
}

function tableBlock(path: KeyPath, userKeys: readonly string[]): fc.Arbitrary<TableBlock> {
  const name = path.at(-1)!;
  const parent = path.slice(0, -1).join('.');
  const full = path.join('.');
  const userLines = fc
    .tuple(
      fc.subarray([...userKeys]),
      fc.array(oneLineScalar, { minLength: userKeys.length, maxLength: userKeys.length }),
      fc.array(
        fc.oneof(
          tomlComment.map((note) => `# ${note}`),
          fc.constant(''),
        ),
        {
          maxLength: 2,
        },
      ),
      tomlIndent,
    )
    .map(([keys, values, extras, indent]) => [
      ...keys.map((key, index) => `${indent}${key} = ${values[index]}`),
      ...extras,
    ]);
  const userEntries = fc
    .tuple(
      fc.subarray([...userKeys]),
      fc.array(oneLineScalar, { minLength: userKeys.length, maxLength: userKeys.length }),
    )
    .map(([keys, values]) =>
      keys.length === 0
        ? '{}'
        : `{ ${keys.map((key, index) => `${key} = ${values[index]}`).join(', ')} }`,
    );
  const note = fc.option(
    tomlComment.map((text) => `  # ${text}`),
    { nil: '' },
  );
  const none: TableBlock = { rootLines: [], table: undefined, inline: false, parentInline: false };
  const forms: fc.Arbitrary<TableBlock>[] = [
    fc.constant(none),
    // `[parent.name]` with nothing, comments or the user's keys under it.
    fc.tuple(userLines, note).map(([lines, comment]) => ({
      ...none,
      table: [`[${full}]${comment}`, ...lines],
    })),
    // The dotted-key spelling of an inline table: `parent.name = {}`.
    fc
      .tuple(fc.constantFrom('{}', '{ }'), userEntries, fc.boolean(), note)
      .map(([empty, entries, useEmpty, comment]) => ({
        ...none,
        rootLines: [`${full} = ${useEmpty ? empty : entries}${comment}`],
        inline: true,
      })),
  ];
  if (parent !== '') {
    forms.push(
      // `[parent]` with nothing under it, other keys, or `name = { … }`.
      fc
        .tuple(
          fc.constantFrom('none', 'empty', 'entries'),
          userEntries,
          fc.array(fc.constantFrom('other = { name = "o" }', 'setting = 1', '# about these', ''), {
            maxLength: 2,
          }),
        )
        .map(([kind, entries, others]) => ({
          ...none,
          table: [
            `[${parent}]`,
            ...others,
            ...(kind === 'none' ? [] : [`${name} = ${kind === 'empty' ? '{}' : entries}`]),
          ],
          inline: kind !== 'none',
        })),
      // `parent = { … }` inline: empty, holding other tables, or holding `name`.
      fc
        .tuple(
          fc.constantFrom(
            '{}',
            '{ }',
            '{ other = { name = "o" } }',
            `{ ${name} = {} }`,
            `{ ${name} = {}, other = {} }`,
          ),
          note,
        )
        .map(([value, comment]) => ({
          ...none,
          rootLines: [`${parent} = ${value}${comment}`],
          inline: true,
          parentInline: true,
        })),
      // Dotted keys of the parent beside a `[parent.name]` Baton adds or edits.
      fc.tuple(fc.boolean(), userLines).map(([withTable, lines]) => ({
        ...none,
        rootLines: [`${parent}.other.name = "o"`],
        table: withTable ? [`[${full}]`, ...lines] : undefined,
      })),
    );
  }
  return fc.oneof(...forms);
}

function isToml(source: string): boolean {
  try {
    parseToml(source);
    return true;
  } catch {
    return false;
  }
}

/** A user's TOML file (valid; Baton's keys absent). */
export function userTomlFile(options: TomlFileOptions = {}): fc.Arbitrary<TomlFile> {
  const block =
    options.table === undefined
      ? fc.constant<TableBlock | undefined>(undefined)
      : tableBlock(options.table.path, options.table.userKeys);
  const sibling =
    options.table === undefined || options.table.path.length < 2
      ? undefined
      : options.table.path.slice(0, -1).join('.');
  return fc
    .record({
      root: tomlTableLines,
      tables: fc.array(tomlTableLines, { maxLength: 4 }),
      block,
      blockAt: fc.nat(),
      rootFirst: fc.boolean(),
      eol: fc.constantFrom('\n', '\r\n'),
      bom: fc.boolean(),
      finalNewline: fc.boolean(),
    })
    .chain((document) =>
      fc
        .tuple(
          ...document.tables.map((_, index) =>
            tomlHeader(index, document.block?.parentInline ? undefined : sibling),
          ),
        )
        .map((headers): TomlFile => {
          const tables = document.tables.map((lines, index) => [headers[index]!, ...lines]);
          const blockTable = document.block?.table;
          if (blockTable !== undefined) {
            tables.splice(document.blockAt % (tables.length + 1), 0, [...blockTable]);
          }
          const blockRoot = document.block?.rootLines ?? [];
          const root = document.rootFirst
            ? [...blockRoot, ...document.root]
            : [...document.root, ...blockRoot];
          const joined = [...root, ...tables.flat()].join(document.eol);
          const withEnd = document.finalNewline && joined !== '' ? joined + document.eol : joined;
          return {
            text: (document.bom ? '\uFEFF' : '') + withEnd,
            inline: document.block?.inline ?? false,
          };
        }),
    )
    .filter((file) => isToml(file.text.replace(/^\uFEFF/, '')));
}

// ---------------------------------------------------------------------------------------
// JSON and JSONC

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** How an object with no members is written. */
type EmptySpelling = 'tight' | 'spaced' | 'lines' | 'block-comment' | 'line-comment';

type JsonNode =
  | { kind: 'leaf'; value: Json }
  | { kind: 'array'; items: JsonNode[] }
  | { kind: 'object'; entries: [string, JsonNode][]; inline: boolean; empty: EmptySpelling };

interface JsonStyle {
  readonly indent: string;
  readonly colon: string;
  readonly comma: string;
  readonly eol: string;
  readonly comments: boolean;
  readonly trailingComma: boolean;
  readonly blankLines: boolean;
  readonly notes: readonly string[];
}

const jsonKey = fc.oneof(
  fc.constantFrom(
    'env',
    'permissions',
    'theme',
    'share',
    'ü-key',
    'ключ',
    'emoji 🚀',
    'with "quotes"',
    'back\\slash',
    '',
  ),
  fc.string({ unit: 'grapheme', maxLength: 10 }),
);

const jsonLeaf: fc.Arbitrary<Json> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc
    .double({ noNaN: true, noDefaultInfinity: true })
    .map((value) => (Object.is(value, -0) ? 0 : value)),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(
    '// not a comment',
    '/* nor this */',
    'Line 1\nLine 2',
    'tab\there',
    'quote " and \\ slash',
    '\u2028',
    '🎉',
  ),
  fc.integer({ min: 200, max: 3000 }).map((length) => 'q'.repeat(length)),
);

const { jsonValue } = fc.letrec<{ jsonValue: Json }>((tie) => ({
  jsonValue: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    jsonLeaf,
    fc.array(tie('jsonValue'), { maxLength: 3 }),
    fc.dictionary(jsonKey, tie('jsonValue'), { maxKeys: 3 }),
  ),
}));

const emptySpelling = (jsonc: boolean): fc.Arbitrary<EmptySpelling> =>
  fc.constantFrom<EmptySpelling>(
    'tight',
    'spaced',
    'lines',
    ...(jsonc ? (['block-comment', 'line-comment'] as const) : []),
  );

function toNode(value: Json, inline: boolean, empty: EmptySpelling): JsonNode {
  if (Array.isArray(value))
    return { kind: 'array', items: value.map((item) => toNode(item, inline, empty)) };
  if (value !== null && typeof value === 'object') {
    return {
      kind: 'object',
      entries: Object.entries(value).map(([key, item]) => [key, toNode(item, inline, empty)]),
      inline,
      empty,
    };
  }
  return { kind: 'leaf', value };
}

function toJson(node: JsonNode): Json {
  if (node.kind === 'leaf') return node.value;
  if (node.kind === 'array') return node.items.map(toJson);
  const result: Record<string, Json> = {};
  for (const [key, item] of node.entries) {
    Object.defineProperty(result, key, {
      value: toJson(item),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return result;
}

function note(style: JsonStyle, seed: number): string {
  return style.notes[seed % Math.max(style.notes.length, 1)] ?? '';
}

function renderEmpty(spelling: EmptySpelling, style: JsonStyle, depth: number): string {
  const close = style.indent.repeat(depth);
  if (spelling === 'tight') return '{}';
  if (spelling === 'spaced') return '{ }';
  if (spelling === 'lines') return `{${style.eol}${close}}`;
  if (spelling === 'block-comment') return `{ /* ${note(style, depth)} */ }`;
  return `{${style.eol}${close}${style.indent || ' '}// ${note(style, depth)}${style.eol}${close}}`;
}

function renderJson(node: JsonNode, style: JsonStyle, depth: number): string {
  if (node.kind === 'leaf') return JSON.stringify(node.value);
  if (node.kind === 'object' && node.entries.length === 0)
    return renderEmpty(node.empty, style, depth);
  const inline = style.indent === '' || (node.kind === 'object' && node.inline);
  const inner: JsonStyle = inline ? { ...style, indent: '', comments: false } : style;
  const entries =
    node.kind === 'array'
      ? node.items.map((item) => renderJson(item, inner, depth + 1))
      : node.entries.map(
          ([name, item]) =>
            `${JSON.stringify(name)}${style.colon}${renderJson(item, inner, depth + 1)}`,
        );
  const [open, close] = node.kind === 'array' ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) return open + close;
  if (inline) {
    const comment = style.comments ? ` /* ${note(style, depth)} */ ` : '';
    const trailing = style.trailingComma ? ',' : '';
    return `${open}${comment}${entries.join(`,${style.comma}`)}${trailing}${close}`;
  }
  const pad = style.indent.repeat(depth + 1);
  const lines = entries.map((entry, index) => {
    const last = index === entries.length - 1;
    const comma = last ? (style.trailingComma ? ',' : '') : ',';
    const trailing = style.comments && index % 2 === 0 ? ` // ${note(style, depth + index)}` : '';
    const before =
      style.comments && index === 1 ? `${pad}/* ${note(style, depth)} */${style.eol}` : '';
    const blank = style.blankLines && index > 0 ? style.eol : '';
    return `${blank}${before}${pad}${entry}${comma}${trailing}`;
  });
  const closing = style.comments && depth === 0 ? `${pad}// ${note(style, 1)}${style.eol}` : '';
  return `${open}${style.eol}${lines.join(style.eol)}${style.eol}${closing}${style.indent.repeat(depth)}${close}`;
}

/** One object Baton writes into, and the keys the user may have in it (never Baton's). */
export interface JsonObjectSpot {
  readonly path: KeyPath;
  readonly userKeys: readonly string[];
}

export interface JsonFileOptions {
  /** `json`: strict JSON (Claude Code); `jsonc`: comments and trailing commas (OpenCode). */
  readonly flavor: 'json' | 'jsonc';
  /**
   * Objects Baton writes into, outermost first. Each may be missing, empty in any spelling
   * (`{}`, `{ }`, on two lines, holding only a comment), or hold the user's members and
   * comments. `[]` names the file itself, which may then also be `{}`, `{ }`, blank or empty.
   */
  readonly objects?: readonly JsonObjectSpot[];
  /** Top-level keys the file never has (Baton's own). */
  readonly reservedKeys?: readonly string[];
}

/** A generated JSON file and the value it holds (`undefined` for a blank file). */
export interface JsonFile {
  readonly text: string;
  readonly value: Record<string, Json> | undefined;
}

type SpotShape =
  | { kind: 'absent' }
  | { kind: 'empty'; spelling: EmptySpelling }
  | {
      kind: 'members';
      members: [string, Json][];
      inline: boolean;
      first: boolean;
      spelling: EmptySpelling;
    };

function spotShape(spot: JsonObjectSpot, jsonc: boolean): fc.Arbitrary<SpotShape> {
  return fc.oneof(
    fc.constant<SpotShape>({ kind: 'absent' }),
    emptySpelling(jsonc).map((spelling): SpotShape => ({ kind: 'empty', spelling })),
    fc
      .record({
        keys: fc.subarray([...spot.userKeys], { minLength: spot.userKeys.length > 0 ? 1 : 0 }),
        values: fc.array(jsonValue, {
          minLength: spot.userKeys.length,
          maxLength: spot.userKeys.length,
        }),
        inline: fc.boolean(),
        first: fc.boolean(),
        spelling: emptySpelling(jsonc),
      })
      .map(
        ({ keys, values, inline, first, spelling }): SpotShape => ({
          kind: 'members',
          members: keys.map((key, index) => [key, values[index]!]),
          inline,
          first,
          spelling,
        }),
      ),
  );
}

/** Puts the spots (outermost first) into the root object's entries. */
function placeSpots(
  root: [string, JsonNode][],
  spots: readonly JsonObjectSpot[],
  shapes: readonly SpotShape[],
  position: number,
  style: { inline: boolean; empty: EmptySpelling },
): void {
  spots.forEach((spot, index) => {
    const shape = shapes[index]!;
    if (spot.path.length === 0 || shape.kind === 'absent') return;
    let entries = root;
    for (const segment of spot.path.slice(0, -1)) {
      const found = entries.find(([name]) => name === segment)?.[1];
      // The parent is missing or empty: a spot inside it cannot be there.
      if (found?.kind !== 'object' || (found.entries.length === 0 && entries !== root)) return;
      entries = found.entries;
    }
    const node: JsonNode =
      shape.kind === 'empty'
        ? { kind: 'object', entries: [], inline: false, empty: shape.spelling }
        : {
            kind: 'object',
            entries: shape.members.map(([name, value]) => [
              name,
              toNode(value, style.inline, style.empty),
            ]),
            inline: shape.inline,
            empty: shape.spelling,
          };
    const entry: [string, JsonNode] = [spot.path.at(-1)!, node];
    if (entries === root) entries.splice(position % (entries.length + 1), 0, entry);
    else if (shape.kind === 'members' && shape.first) entries.unshift(entry);
    else entries.push(entry);
  });
}

/** A user's JSON or JSONC file (valid; Baton's keys absent). */
export function userJsonFile(options: JsonFileOptions): fc.Arbitrary<JsonFile> {
  const jsonc = options.flavor === 'jsonc';
  const spots = [...(options.objects ?? [])].sort(
    (left, right) => left.path.length - right.path.length,
  );
  const rootListed = spots.some((spot) => spot.path.length === 0);
  const taken = new Set([
    ...(options.reservedKeys ?? []),
    ...spots.filter((spot) => spot.path.length > 0).map((spot) => spot.path[0]!),
  ]);
  const rootEmpty = fc.constantFrom(
    '{}',
    '{ }',
    '{\n}',
    '',
    '\n',
    ...(jsonc ? ['{ /* nothing yet */ }', '{\n  // nothing yet\n}'] : []),
  );
  return fc
    .record({
      members: rootListed
        ? fc.oneof(fc.constant({}), fc.dictionary(jsonKey, jsonValue, { maxKeys: 4 }))
        : fc.dictionary(jsonKey, jsonValue, { minKeys: 1, maxKeys: 4 }),
      shapes: fc.tuple(...spots.map((spot) => spotShape(spot, jsonc))),
      position: fc.nat(),
      style: fc.record({
        indent: fc.constantFrom('', '  ', '    ', '\t'),
        colon: fc.constantFrom(':', ': ', ' : ', ':\t'),
        comma: fc.constantFrom('', ' '),
        eol: fc.constantFrom('\n', '\r\n'),
        comments: jsonc ? fc.boolean() : fc.constant(false),
        trailingComma: jsonc ? fc.boolean() : fc.constant(false),
        blankLines: fc.boolean(),
        notes: fc.array(
          fc
            .string({ unit: 'grapheme', maxLength: 12 })
            .map((text) => text.replace(/[\r\n\u2028\u2029]/g, '').replace(/\*\//g, '')),
          { minLength: 1, maxLength: 3 },
        ),
      }),
      compactInline: fc.boolean(),
      empty: emptySpelling(jsonc),
      rootEmpty,
      leadingComment: fc.boolean(),
      bom: fc.boolean(),
      finalNewline: fc.boolean(),
    })
    .map((document): JsonFile => {
      const style: JsonStyle = document.style;
      const entries: [string, JsonNode][] = Object.entries(document.members)
        .filter(([name]) => !taken.has(name))
        .map(([name, value]) => [name, toNode(value, document.compactInline, document.empty)]);
      placeSpots(entries, spots, document.shapes, document.position, {
        inline: document.compactInline,
        empty: document.empty,
      });
      const bom = document.bom ? '\uFEFF' : '';
      if (entries.length === 0 && rootListed) {
        const text = document.rootEmpty.replace(/\n/g, style.eol);
        const blank = text.trim() === '';
        return {
          text: bom + text + (document.finalNewline && !blank ? style.eol : ''),
          value: blank ? undefined : {},
        };
      }
      const root: JsonNode = { kind: 'object', entries, inline: false, empty: 'tight' };
      const head =
        document.leadingComment && style.comments ? `// ${note(style, 0)}${style.eol}` : '';
      return {
        text: bom + head + renderJson(root, style, 0) + (document.finalNewline ? style.eol : ''),
        value: toJson(root) as Record<string, Json>,
      };
    })
    .filter((file) => {
      // Generated keys may repeat a name under one object, which JSON files must not.
      try {
        return deepSame(readConfigValue(options.flavor, file.text), file.value);
      } catch {
        return false;
      }
    });
}

function deepSame(left: unknown, right: unknown): boolean {
  return JSON.stringify(left) === JSON.stringify(right);
}

/**
 * A copy of a parsed config value without the keys at `paths`, and without the tables,
 * objects or mappings along those paths that are then empty (or null, or an empty list: YAML
 * spellings of an empty container). Applied to a file before setup and after it, it must give
 * the same value: setup changed nothing but Baton's keys.
 */
export function withoutKeys(value: unknown, paths: readonly KeyPath[]): unknown {
  const copy = structuredClone(value ?? {}) as Record<string, unknown>;
  const holderOf = (path: KeyPath): Record<string, unknown> | undefined => {
    let current: unknown = copy;
    for (const segment of path) {
      if (typeof current !== 'object' || current === null || Array.isArray(current)) return;
      current = (current as Record<string, unknown>)[segment];
    }
    return typeof current === 'object' && current !== null && !Array.isArray(current)
      ? (current as Record<string, unknown>)
      : undefined;
  };
  const isEmpty = (item: unknown) =>
    item === null ||
    (Array.isArray(item) && item.length === 0) ||
    (typeof item === 'object' && item !== null && Object.keys(item).length === 0);
  for (const path of paths) {
    delete holderOf(path.slice(0, -1))?.[path.at(-1)!];
    for (let length = path.length - 1; length > 0; length -= 1) {
      const holder = holderOf(path.slice(0, length - 1));
      const key = path[length - 1]!;
      if (holder === undefined || !Object.hasOwn(holder, key)) continue;
      if (!isEmpty(holder[key])) break;
      delete holder[key];
    }
  }
  return copy;
}
