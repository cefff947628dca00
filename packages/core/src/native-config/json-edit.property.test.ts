import fc from 'fast-check';
import { type ParseError, parse } from 'jsonc-parser';
import { describe, expect, it } from 'vitest';
import { userJsonFile, withoutKeys } from '../testing/config-files.js';
import { editJson } from './json-edit.js';

/*
 * Generated settings.json / opencode.jsonc files (the generator every JSON setup property
 * test uses): nested objects and arrays printed compact or with 2/4-space or tab
 * indentation, some objects on one line, own-line and trailing comments, trailing commas,
 * unicode keys and very long strings, LF or CRLF, a BOM, an optional final newline, a file
 * that is `{}`, `{ }` or blank. User keys never collide with Baton's (`env.BATON_*`,
 * `agent.baton-worker`), but `env` and `agent` may already exist: empty in any spelling,
 * holding only a comment, or holding the user's own entries.
 */

const RUNS = { numRuns: 150 };

const documentArbitrary = userJsonFile({
  flavor: 'jsonc',
  objects: [
    { path: [], userKeys: [] },
    { path: ['env'], userKeys: ['USER_A', 'USER_B', 'PATH'] },
    { path: ['agent'], userKeys: ['plan', 'build', 'mine'] },
  ],
});

const owned = fc.record({
  url: fc.string({ unit: 'grapheme', maxLength: 20 }),
  agent: fc.record({
    description: fc.string({ unit: 'grapheme', maxLength: 20 }),
    model: fc.constant('baton/worker'),
    tools: fc.constant({ write: true, bash: false }),
    prompt: fc.constant('Line 1\n"quoted"\tü'),
  }),
});

function read(text: string): Record<string, unknown> {
  const errors: ParseError[] = [];
  const value = parse(text.replace(/^\uFEFF/, ''), errors, { allowTrailingComma: true });
  expect(errors).toEqual([]);
  return value as Record<string, unknown>;
}

const OWNED = [
  ['env', 'BATON_BASE_URL'],
  ['agent', 'baton-worker'],
];

describe('JSON editing properties', () => {
  it('writes owned values, keeps every other value, is idempotent, and removal restores the bytes', () => {
    fc.assert(
      fc.property(documentArbitrary, owned, ({ text: source, value }, values) => {
        const edits = [
          { op: 'set', path: ['env', 'BATON_BASE_URL'], value: values.url },
          { op: 'set', path: ['agent', 'baton-worker'], value: values.agent },
        ] as const;
        const result = editJson(source, edits);
        const parsed = read(result);
        expect((parsed.env as Record<string, unknown>).BATON_BASE_URL).toBe(values.url);
        expect((parsed.agent as Record<string, unknown>)['baton-worker']).toEqual(values.agent);
        expect(withoutKeys(parsed, OWNED)).toEqual(withoutKeys(value, OWNED));
        expect(result.startsWith('\uFEFF')).toBe(source.startsWith('\uFEFF'));
        if (source.includes('\r\n')) expect(/(^|[^\r])\n/.test(result)).toBe(false);
        expect(editJson(result, edits)).toBe(result);
        const removed = editJson(
          result,
          [
            { op: 'remove', path: ['agent', 'baton-worker'] },
            { op: 'remove', path: ['env', 'BATON_BASE_URL'] },
          ],
          { original: source },
        );
        expect(removed).toBe(source);
      }),
      RUNS,
    );
  });
});
