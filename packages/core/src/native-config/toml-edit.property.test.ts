import fc from 'fast-check';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { removeTomlKeys, removeTomlTable, setTomlValues, type TomlValue } from './toml-edit.js';
import { extractLegacyProfile } from './toml-legacy-profile.js';

/*
 * Generated Codex-like config.toml files: comments (own-line and trailing), blank lines,
 * odd spacing and tabs, bare/quoted/literal/unicode keys, dotted keys, sub-tables, arrays of
 * tables, multi-line arrays with comments, inline tables, dates, very long strings, and
 * multi-line strings whose lines look like headers and keys; LF or CRLF, an optional BOM
 * and an optional final newline.
 */

const RUNS = { numRuns: 150 };

function basic(value: string): string {
  return JSON.stringify(value).replace(/\u007f/g, '\\u007F');
}

const text = fc
  .string({ unit: 'grapheme', maxLength: 12 })
  .map((value) => value.replace(/[\u0000-\u001f\u007f]/g, ''));
const commentText = text.map((value) => value.replace(/[\r\n]/g, ''));
const space = fc.constantFrom('', ' ', '  ', '\t', ' \t ');
const indent = fc.constantFrom('', '', '  ', '\t');

const longString = fc.integer({ min: 200, max: 1500 }).map((length) => 'x'.repeat(length));

const scalarValue = fc.oneof(
  fc.integer().map(String),
  fc.constantFrom('0x1F', '1_000', '+42', '-0', '0o17', '0b101'),
  fc
    .double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 })
    .map((value) => (Number.isInteger(value) ? `${value}.0` : String(value))),
  fc.constantFrom('inf', '-inf', 'nan', 'true', 'false', '3.14', '-0.5e3'),
  fc.constantFrom('1979-05-27T07:32:00Z', '1979-05-27', '07:32:00', '1979-05-27 07:32:00.5-07:00'),
  text.map(basic),
  text.filter((value) => !value.includes("'")).map((value) => `'${value}'`),
  longString.map((value) => `"${value}"`),
  fc
    .array(
      fc.oneof(
        fc.constantFrom(
          '[model_providers.baton]',
          'model = "inside"',
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
    .array(fc.constantFrom('[profiles.fast]', 'key = 1', '"""', 'C:\\path'), { maxLength: 3 })
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

const keyText = (index: number) =>
  fc.constantFrom(
    `k${index}`,
    `"ü key ${index}"`,
    `'literal ${index}'`,
    `d${index}.inner`,
    `"dotted.${index}" . x`,
    `ключ${index}`.replace(/[^\x00-\x7f]/g, '') || `k${index}`,
  );

const lines = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: fc.tuple(indent, space, space, value, fc.option(commentText)) },
      { weight: 1, arbitrary: fc.tuple(indent, commentText) },
      { weight: 1, arbitrary: fc.constantFrom('', '   ') },
    ),
    { maxLength: 6 },
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
    `[profiles.p${index}]`,
  );

const documentArbitrary = fc
  .record({
    root: lines,
    tables: fc.array(fc.tuple(fc.nat(), lines), { maxLength: 5 }),
    eol: fc.constantFrom('\n', '\r\n'),
    bom: fc.boolean(),
    finalNewline: fc.boolean(),
  })
  .chain((document) =>
    fc.tuple(...document.tables.map((_, index) => header(index))).map((headers) => {
      const body = [
        ...document.root,
        ...document.tables.flatMap(([, tableLines], index) => [headers[index]!, ...tableLines]),
      ];
      const joined = body.join(document.eol);
      const withEnd = document.finalNewline && joined !== '' ? joined + document.eol : joined;
      return (document.bom ? '\uFEFF' : '') + withEnd;
    }),
  )
  .filter((source) => {
    try {
      parse(source);
      return true;
    } catch {
      return false;
    }
  });

const ownedTable = fc.record({
  name: text.filter((name) => name !== ''),
  base_url: fc.constant('http://127.0.0.1:4000/v1'),
  wire_api: fc.constant('responses'),
  developer_instructions: fc.constant('Line 1\n"quoted" — ü\n\tTab \\ slash\n'),
  query_params: fc.constant({ 'api-version': '2025', retries: 3 } as TomlValue),
  long: longString,
});

const ROOT = { model: 'baton/worker', model_provider: 'baton' };
const TABLE = ['model_providers', 'baton'];

function withoutOwned(parsed: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(parsed);
  delete copy.model;
  delete copy.model_provider;
  const providers = copy.model_providers as Record<string, unknown> | undefined;
  if (providers !== undefined) {
    delete providers.baton;
    if (Object.keys(providers).length === 0) delete copy.model_providers;
  }
  return copy;
}

function apply(source: string, table: Record<string, TomlValue>): string {
  return setTomlValues(setTomlValues(source, [], ROOT), TABLE, table);
}

describe('TOML editing properties', () => {
  it('writes owned values, keeps every other value, is idempotent, and removal restores the bytes', () => {
    fc.assert(
      fc.property(documentArbitrary, ownedTable, (source, table) => {
        const result = apply(source, table);
        const parsed = parse(result) as Record<string, unknown>;
        expect(parsed.model).toBe(ROOT.model);
        expect(parsed.model_provider).toBe(ROOT.model_provider);
        expect((parsed.model_providers as Record<string, unknown>).baton).toEqual(table);
        expect(withoutOwned(parsed)).toEqual(
          withoutOwned(parse(source) as Record<string, unknown>),
        );
        expect(apply(result, table)).toBe(result);
        const removed = removeTomlKeys(removeTomlTable(result, TABLE), [], Object.keys(ROOT));
        expect(removed).toBe(source);
      }),
      RUNS,
    );
  });

  it('changes only the value text of owned keys the user already wrote', () => {
    fc.assert(
      fc.property(
        documentArbitrary,
        space,
        space,
        scalarValue.filter((valueText) => !valueText.includes('\n')),
        commentText,
        (source, before, after, oldValue, comment) => {
          const eol = source.includes('\r\n') ? '\r\n' : '\n';
          const { bom, body } = source.startsWith('\uFEFF')
            ? { bom: '\uFEFF', body: source.slice(1) }
            : { bom: '', body: source };
          const line = `model${before}=${after}${oldValue} # ${comment}`;
          const original = `${bom}${line}${eol}${body}`;
          fc.pre(parse(original).model !== ROOT.model);
          const result = setTomlValues(original, [], { model: ROOT.model });
          expect(result).toBe(
            `${bom}model${before}=${after}"baton/worker" # ${comment}${eol}${body}`,
          );
          expect(setTomlValues(result, [], { model: ROOT.model })).toBe(result);
        },
      ),
      RUNS,
    );
  });

  it('extracts a legacy profile leaving every other byte in place', () => {
    fc.assert(
      fc.property(documentArbitrary, lines, fc.boolean(), (source, profileLines, selector) => {
        const eol = source.includes('\r\n') ? '\r\n' : '\n';
        const { bom, body } = source.startsWith('\uFEFF')
          ? { bom: '\uFEFF', body: source.slice(1) }
          : { bom: '', body: source };
        const block = ['[profiles.legacy]', ...profileLines].join(eol) + eol;
        const separated = body === '' || body.endsWith('\n') ? body : body + eol;
        const original = `${bom}${selector ? `profile = "legacy"${eol}` : ''}${separated}${block}`;
        fc.pre(
          (() => {
            try {
              parse(original);
              return true;
            } catch {
              return false;
            }
          })(),
        );
        const extracted = extractLegacyProfile(original, 'legacy');
        let trailing = 0;
        while (
          trailing < profileLines.length &&
          profileLines[profileLines.length - 1 - trailing]!.trim() === ''
        ) {
          trailing += 1;
        }
        const kept = profileLines.slice(profileLines.length - trailing).map((line) => line + eol);
        expect(extracted?.configText).toBe(`${bom}${separated}${kept.join('')}`);
        expect(parse(extracted!.profileText)).toEqual(
          (parse(original).profiles as Record<string, unknown>).legacy,
        );
      }),
      RUNS,
    );
  });
});
