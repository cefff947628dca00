/**
 * Generated user-written opencode.json / opencode.jsonc files for the setup property tests:
 * line and block comments (also between members and after values), trailing commas, nested
 * objects and arrays, providers and other agents, unicode keys and values, escapes, very
 * long strings, compact and pretty layouts (two or four spaces, tabs), odd spacing around
 * colons, blank lines, LF or CRLF, with or without a final line break. None defines the
 * agent Baton owns, so setup followed by revert must give back the exact bytes.
 */
import fc from 'fast-check';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Style {
  readonly indent: string;
  readonly colon: string;
  readonly eol: string;
  readonly comments: boolean;
  readonly trailingComma: boolean;
  readonly blankLines: boolean;
}

const key = fc.oneof(
  fc.constantFrom('model', 'small_model', 'theme', 'share', 'ü-key', 'ключ', 'permission', ''),
  fc.string({ unit: 'grapheme', maxLength: 10 }),
);

const leaf: fc.Arbitrary<Json> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('// not a comment', '/* nor this */', 'tab\there', 'quote " \\ slash', '🎉'),
  fc.integer({ min: 200, max: 3000 }).map((length) => 'q'.repeat(length)),
);

const { value } = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(key, tie('value'), { maxKeys: 3 }),
  ),
}));

const commentText = fc
  .string({ unit: 'grapheme', maxLength: 12 })
  .map((text) => text.replace(/[\r\n\u2028\u2029]/g, '').replace(/\*\//g, ''));

function render(json: Json, style: Style, depth: number, notes: string[]): string {
  if (json === null || typeof json !== 'object') return JSON.stringify(json);
  const entries: string[] = Array.isArray(json)
    ? json.map((item) => render(item, style, depth + 1, notes))
    : Object.entries(json).map(
        ([name, item]) =>
          `${JSON.stringify(name)}${style.colon}${render(item, style, depth + 1, notes)}`,
      );
  const [open, close] = Array.isArray(json) ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) return open + close;
  const note = () => notes[(depth + entries.length) % Math.max(notes.length, 1)] ?? '';
  if (style.indent === '') {
    const inner = style.comments ? ` /* ${note()} */ ` : '';
    return `${open}${inner}${entries.join(', ')}${style.trailingComma ? ',' : ''}${close}`;
  }
  const inner = style.indent.repeat(depth + 1);
  const lines = entries.map((entry, index) => {
    const last = index === entries.length - 1;
    const comma = last ? (style.trailingComma ? ',' : '') : ',';
    const trailing = style.comments && index % 2 === 0 ? ` // ${note()}` : '';
    const before = style.comments && index === 1 ? `${inner}/* ${note()} */${style.eol}` : '';
    const blank = style.blankLines && index > 0 ? style.eol : '';
    return `${blank}${before}${inner}${entry}${comma}${trailing}`;
  });
  return `${open}${style.eol}${lines.join(style.eol)}${style.eol}${style.indent.repeat(depth)}${close}`;
}

const style: fc.Arbitrary<Style> = fc.record({
  indent: fc.constantFrom('', '  ', '    ', '\t'),
  colon: fc.constantFrom(':', ': ', ' : '),
  eol: fc.constantFrom('\n', '\r\n'),
  comments: fc.boolean(),
  trailingComma: fc.boolean(),
  blankLines: fc.boolean(),
});

/** Other agents and providers a real opencode.json holds, beside Baton's agent. */
const agents = fc.dictionary(
  fc.constantFrom('build', 'plan', 'reviewer', 'docs'),
  fc.record({
    mode: fc.constantFrom('primary', 'subagent'),
    temperature: fc.double({ min: 0, max: 1, noNaN: true }),
  }),
  { minKeys: 1, maxKeys: 2 },
);

/** A user's opencode.json(c): an object with at least one member, Baton's agent absent. */
export const userJsoncFile: fc.Arbitrary<{ text: string; value: Record<string, Json> }> = fc
  .record({
    members: fc.dictionary(key, value, { minKeys: 1, maxKeys: 4 }),
    agents: fc.option(agents, { nil: undefined }),
    style,
    notes: fc.array(commentText, { minLength: 1, maxLength: 3 }),
    leading: fc.boolean(),
    finalNewline: fc.boolean(),
  })
  .filter(({ members }) => !('agent' in members) && !('$schema' in members))
  .map(({ members, agents: others, style: chosen, notes, leading, finalNewline }) => {
    const document: Record<string, Json> = { ...members };
    if (others !== undefined) document.agent = others as unknown as Json;
    const body = render(document, chosen, 0, notes);
    const head = leading && chosen.comments ? `// ${notes[0]}${chosen.eol}` : '';
    return {
      text: head + body + (finalNewline ? chosen.eol : ''),
      value: JSON.parse(JSON.stringify(document)) as Record<string, Json>,
    };
  });

/** True when every character of `before` appears in `after`, in order. */
export function isSubsequence(before: string, after: string): boolean {
  let cursor = 0;
  for (let index = 0; index < after.length && cursor < before.length; index += 1) {
    if (after[index] === before[cursor]) cursor += 1;
  }
  return cursor === before.length;
}
