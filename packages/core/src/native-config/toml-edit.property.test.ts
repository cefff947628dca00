import fc from 'fast-check';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import {
  isSubsequence,
  tomlScalarText,
  tomlTableLines,
  userTomlFile,
  withoutKeys,
} from '../testing/config-files.js';
import { editToml, setTomlValues, type TomlValue } from './toml-edit.js';
import { extractLegacyProfile } from './toml-legacy-profile.js';

/*
 * Generated Codex-like config.toml files (the generator every TOML setup property test
 * uses): comments (own-line and trailing), blank lines, odd spacing and tabs,
 * bare/quoted/literal/unicode keys, dotted keys, sub-tables, arrays of tables, multi-line
 * arrays with comments, inline tables, dates, very long strings, multi-line strings whose
 * lines look like headers and keys, LF or CRLF, a BOM, an optional final newline — and the
 * table Baton writes, `[model_providers.baton]`, or its parent, already there: empty, with
 * comments or the user's keys, inline (`model_providers = {}`) or beside dotted keys.
 */

const RUNS = { numRuns: 150 };

const TABLE = ['model_providers', 'baton'];
const documentArbitrary = userTomlFile({
  table: { path: TABLE, userKeys: ['request_max_retries', 'stream_max_retries'] },
});
const text = fc
  .string({ unit: 'grapheme', maxLength: 12 })
  .map((value) => value.replace(/[\u0000-\u001f\u007f]/g, ''));
const commentText = text.map((value) => value.replace(/[\r\n]/g, ''));
const space = fc.constantFrom('', ' ', '  ', '\t', ' \t ');
const longString = fc.integer({ min: 200, max: 1500 }).map((length) => 'x'.repeat(length));

const ownedTable = fc.record({
  name: text.filter((name) => name !== ''),
  base_url: fc.constant('http://127.0.0.1:4000/v1'),
  wire_api: fc.constant('responses'),
  developer_instructions: fc.constant('Line 1\n"quoted" — ü\n\tTab \\ slash\n'),
  query_params: fc.constant({ 'api-version': '2025', retries: 3 } as TomlValue),
  long: longString,
});

const ROOT = { model: 'baton/worker', model_provider: 'baton' };
const TABLE_KEYS = [
  'name',
  'base_url',
  'wire_api',
  'developer_instructions',
  'query_params',
  'long',
] as const;
const OWNED = [['model'], ['model_provider'], ...TABLE_KEYS.map((key) => [...TABLE, key])];

function withoutOwned(parsed: Record<string, unknown>): unknown {
  return withoutKeys(parsed, OWNED);
}

function apply(source: string, table: Record<string, TomlValue>): string {
  return setTomlValues(setTomlValues(source, [], ROOT), TABLE, table);
}

describe('TOML editing properties', () => {
  it('writes owned values, keeps every other value, is idempotent, and removal restores the bytes', () => {
    fc.assert(
      fc.property(documentArbitrary, ownedTable, ({ text: source, inline }, table) => {
        const result = apply(source, table);
        const parsed = parse(result) as Record<string, unknown>;
        expect(parsed.model).toBe(ROOT.model);
        expect(parsed.model_provider).toBe(ROOT.model_provider);
        expect((parsed.model_providers as Record<string, unknown>).baton).toMatchObject(table);
        expect(withoutOwned(parsed)).toEqual(
          withoutOwned(parse(source) as Record<string, unknown>),
        );
        if (inline) expect(isSubsequence(source, result)).toBe(true);
        expect(apply(result, table)).toBe(result);
        const removals = OWNED.map((path) => ({
          op: 'remove' as const,
          table: path.slice(0, -1),
          key: path.at(-1)!,
        }));
        expect(editToml(result, removals, { original: source })).toBe(source);
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
        tomlScalarText,
        commentText,
        ({ text: source }, before, after, oldValue, comment) => {
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
      fc.property(
        documentArbitrary,
        tomlTableLines,
        fc.boolean(),
        ({ text: source }, profileLines, selector) => {
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
        },
      ),
      RUNS,
    );
  });
});
