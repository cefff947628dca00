import fc from 'fast-check';
import { type ParseError, parse } from 'jsonc-parser';
import { describe, expect, it } from 'vitest';
import { editJson, type JsonValue } from './json-edit.js';

/*
 * Generated settings.json / opencode.jsonc files: nested objects and arrays printed with
 * 2/4-space or tab indentation, some objects on one line, own-line and trailing comments,
 * unicode keys and very long strings; LF or CRLF, an optional BOM and final newline. User
 * keys never collide with Baton's (`env.BATON_*`, `agent.baton-worker`), but `env` and
 * `agent` may already exist holding the user's own entries.
 */

const RUNS = { numRuns: 150 };

type Tree =
  | { kind: 'object'; entries: [string, Tree][]; inline: boolean }
  | { kind: 'array'; items: Tree[] }
  | { kind: 'leaf'; value: JsonValue };

const key = fc.oneof(
  fc.constantFrom(
    'model',
    'permissions',
    'theme',
    'ключ',
    'emoji 🚀',
    'with "quotes"',
    'back\\slash',
  ),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
);
const leaf: fc.Arbitrary<Tree> = fc
  .oneof(
    fc.string({ unit: 'grapheme', maxLength: 10 }),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.integer({ min: 200, max: 2000 }).map((length) => 'y'.repeat(length)),
  )
  .map((value): Tree => ({ kind: 'leaf', value: Object.is(value, -0) ? 0 : value }));

const tree: fc.Arbitrary<Tree> = fc.letrec<{ node: Tree }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc
      .tuple(
        fc.uniqueArray(fc.tuple(key, tie('node')), { selector: ([name]) => name, maxLength: 4 }),
        fc.boolean(),
      )
      .map(([entries, inline]): Tree => ({ kind: 'object', entries, inline })),
    fc.array(tie('node'), { maxLength: 3 }).map((items): Tree => ({ kind: 'array', items })),
  ),
})).node;

interface Style {
  unit: string;
  eol: string;
  comments: boolean;
  comment: string;
}

function print(node: Tree, depth: number, style: Style): string {
  if (node.kind === 'leaf') return JSON.stringify(node.value);
  const pad = style.unit.repeat(depth + 1);
  const close = style.unit.repeat(depth);
  if (node.kind === 'array') {
    if (node.items.length === 0) return '[]';
    return `[${style.eol}${node.items.map((item) => pad + print(item, depth + 1, style)).join(`,${style.eol}`)}${style.eol}${close}]`;
  }
  if (node.entries.length === 0) return '{}';
  if (node.inline) {
    return `{${node.entries.map(([name, value]) => `${JSON.stringify(name)}: ${print(value, depth + 1, { ...style, eol: ' ', unit: '', comments: false })}`).join(', ')}}`;
  }
  const lines = node.entries.map(([name, value], index) => {
    const before = style.comments && index % 2 === 0 ? `${pad}// ${style.comment}${style.eol}` : '';
    const comma = index < node.entries.length - 1 ? ',' : '';
    const after = style.comments && index % 3 === 1 ? ` /* ${style.comment} */` : '';
    return `${before}${pad}${JSON.stringify(name)}: ${print(value, depth + 1, style)}${comma}${after}`;
  });
  return `{${style.eol}${lines.join(style.eol)}${style.eol}${close}}`;
}

const userEntries = fc.uniqueArray(
  fc.tuple(
    key.filter((name) => name !== 'env' && name !== 'agent'),
    tree,
  ),
  { selector: ([name]) => name, maxLength: 5 },
);
const maybeObject = (names: fc.Arbitrary<string>) =>
  fc.option(
    fc
      .tuple(
        fc.uniqueArray(fc.tuple(names, leaf), {
          selector: ([name]) => name,
          minLength: 1,
          maxLength: 3,
        }),
        fc.boolean(),
      )
      .map(([entries, inline]): Tree => ({ kind: 'object', entries, inline })),
  );

const documentArbitrary = fc
  .record({
    entries: userEntries,
    env: maybeObject(fc.constantFrom('USER_A', 'USER_B', 'PATH')),
    agent: maybeObject(fc.constantFrom('plan', 'build', 'mine')),
    unit: fc.constantFrom('  ', '    ', '\t'),
    eol: fc.constantFrom('\n', '\r\n'),
    comments: fc.boolean(),
    comment: fc
      .string({ unit: 'grapheme', maxLength: 8 })
      .map((text) => text.replace(/[\r\n]|\*\//g, '')),
    bom: fc.boolean(),
    finalNewline: fc.boolean(),
    inlineTop: fc.boolean(),
  })
  .map((document) => {
    const entries: [string, Tree][] = [...document.entries];
    if (document.env !== null) entries.splice(entries.length > 0 ? 1 : 0, 0, ['env', document.env]);
    if (document.agent !== null) entries.push(['agent', document.agent]);
    const style = {
      unit: document.unit,
      eol: document.eol,
      comments: document.comments,
      comment: document.comment,
    };
    const text = print(
      { kind: 'object', entries, inline: document.inlineTop && !document.comments },
      0,
      style,
    );
    return `${document.bom ? '\uFEFF' : ''}${text}${document.finalNewline ? document.eol : ''}`;
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

function withoutOwned(value: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(value);
  for (const [parent, child] of [
    ['env', 'BATON_BASE_URL'],
    ['agent', 'baton-worker'],
  ] as const) {
    const object = copy[parent] as Record<string, unknown> | undefined;
    if (object === undefined) continue;
    delete object[child];
    if (Object.keys(object).length === 0) delete copy[parent];
  }
  return copy;
}

describe('JSON editing properties', () => {
  it('writes owned values, keeps every other value, is idempotent, and removal restores the bytes', () => {
    fc.assert(
      fc.property(documentArbitrary, owned, (source, values) => {
        const edits = [
          { op: 'set', path: ['env', 'BATON_BASE_URL'], value: values.url },
          { op: 'set', path: ['agent', 'baton-worker'], value: values.agent },
        ] as const;
        const result = editJson(source, edits);
        const parsed = read(result);
        expect((parsed.env as Record<string, unknown>).BATON_BASE_URL).toBe(values.url);
        expect((parsed.agent as Record<string, unknown>)['baton-worker']).toEqual(values.agent);
        expect(withoutOwned(parsed)).toEqual(withoutOwned(read(source)));
        expect(result.startsWith('\uFEFF')).toBe(source.startsWith('\uFEFF'));
        expect(result.includes('\r\n')).toBe(source.includes('\r\n'));
        expect(editJson(result, edits)).toBe(result);
        const removed = editJson(result, [
          { op: 'remove', path: ['agent', 'baton-worker'] },
          { op: 'remove', path: ['env', 'BATON_BASE_URL'] },
        ]);
        expect(removed).toBe(source);
      }),
      RUNS,
    );
  });
});
