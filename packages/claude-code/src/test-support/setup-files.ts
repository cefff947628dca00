/**
 * Generated user-written Claude Code settings files for the setup property tests: nested
 * objects and arrays, unicode keys and values, escapes, very long strings, numbers in every
 * spelling JSON allows, compact and pretty layouts (two or four spaces, tabs), odd spacing
 * around colons and commas, blank lines between members, LF or CRLF, with or without a
 * final line break. None holds a key Baton owns (`$schema`, `model`) at the top level.
 */
import fc from 'fast-check';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Style {
  readonly indent: string;
  readonly colon: string;
  readonly comma: string;
  readonly eol: string;
  readonly blankLines: boolean;
}

const key = fc.oneof(
  fc.constantFrom('env', 'permissions', 'hooks', 'statusLine', 'outputStyle', 'ü-key', 'ключ', ''),
  fc.string({ unit: 'grapheme', maxLength: 10 }),
);

const leaf: fc.Arbitrary<Json> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('Line 1\nLine 2', 'tab\there', 'quote " and \\ slash', '\u2028', 'emoji 🎉'),
  fc.integer({ min: 200, max: 3000 }).map((length) => 'y'.repeat(length)),
);

const { value } = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(key, tie('value'), { maxKeys: 3 }),
  ),
}));

function render(json: Json, style: Style, depth: number): string {
  if (json === null || typeof json !== 'object') return JSON.stringify(json);
  const entries: string[] = Array.isArray(json)
    ? json.map((item) => render(item, style, depth + 1))
    : Object.entries(json).map(
        ([name, item]) => `${JSON.stringify(name)}${style.colon}${render(item, style, depth + 1)}`,
      );
  const [open, close] = Array.isArray(json) ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) return open + close;
  if (style.indent === '') return open + entries.join(`,${style.comma}`) + close;
  const inner = style.indent.repeat(depth + 1);
  const separator = `,${style.blankLines ? style.eol : ''}${style.eol}${inner}`;
  return `${open}${style.eol}${inner}${entries.join(separator)}${style.eol}${style.indent.repeat(depth)}${close}`;
}

const style: fc.Arbitrary<Style> = fc.record({
  indent: fc.constantFrom('', '  ', '    ', '\t'),
  colon: fc.constantFrom(':', ': ', ' : ', ':\t'),
  comma: fc.constantFrom('', ' '),
  eol: fc.constantFrom('\n', '\r\n'),
  blankLines: fc.boolean(),
});

/** A user's settings file: a JSON object with at least one member, none of Baton's keys. */
export const userJsonFile: fc.Arbitrary<{ text: string; value: Record<string, Json> }> = fc
  .record({
    members: fc.dictionary(key, value, { minKeys: 1, maxKeys: 5 }),
    style,
    finalNewline: fc.boolean(),
  })
  .filter(({ members }) => !('$schema' in members) && !('model' in members))
  .map(({ members, style: chosen, finalNewline }) => ({
    text: render(members, chosen, 0) + (finalNewline ? chosen.eol : ''),
    value: members,
  }));

/** True when every character of `before` appears in `after`, in order. */
export function isSubsequence(before: string, after: string): boolean {
  let cursor = 0;
  for (let index = 0; index < after.length && cursor < before.length; index += 1) {
    if (after[index] === before[cursor]) cursor += 1;
  }
  return cursor === before.length;
}
