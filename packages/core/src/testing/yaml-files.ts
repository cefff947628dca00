/**
 * Generated user-written YAML files for the setup property tests: comments (own-line and
 * trailing), blank lines, plain, single- and double-quoted scalars with unicode and escapes,
 * very long strings, literal and folded block scalars, block and flow sequences (indented and
 * not), nested mappings, anchors and aliases, an optional `---`, two- or four-space
 * indentation, LF or CRLF, with or without a final line break.
 *
 * `parents` names top-level keys that may appear as block mappings holding other keys, with
 * the keys they may hold (never the keys Baton owns, so that setup followed by revert must
 * give back the exact bytes); `withModelList` adds a LiteLLM-style `model_list` of user
 * entries (never the alias Baton owns).
 *
 * For adapters' native-config writers (YAML configs: Hermes, LiteLLM) and third parties
 * testing theirs. Imported as `@baton/core/testing/yaml-files`; needs `fast-check`.
 */

import fc from 'fast-check';
import { editYaml } from '../native-config/index.js';

const text = fc
  .string({ unit: 'grapheme', maxLength: 12 })
  .map((value) => value.replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029\ufeff]/g, ''));

const plainScalar = fc.constantFrom(
  'plain',
  'two words',
  'http://127.0.0.1:4000/v1',
  'os.environ/OPENAI_API_KEY',
  '42',
  '3.5',
  'true',
  'null',
  '~',
  'üñíçødé',
  '日本語',
);
const scalar = fc.oneof(
  plainScalar,
  text.map((value) => JSON.stringify(value)),
  text.map((value) => `'${value.replace(/'/g, "''")}'`),
  fc.integer({ min: 200, max: 2000 }).map((length) => `"${'z'.repeat(length)}"`),
);
const comment = fc.option(
  text.map((value) => ` # ${value}`),
  { nil: '' },
);
const keyName = (index: number) =>
  fc.constantFrom(
    `k${index}`,
    `"ü key ${index}"`,
    `'quoted ${index}'`,
    `ключ${index}`,
    `key_${index}`,
  );

interface Layout {
  readonly unit: number;
  readonly eol: string;
}

/** The lines of one `key: value` entry at `indent`, value chosen by `kind`. */
function entry(
  key: string,
  kind: fc.Arbitrary<(indent: string, layout: Layout) => string[]>,
): fc.Arbitrary<(indent: string, layout: Layout) => string[]> {
  return kind.map((render) => (indent, layout) => {
    const lines = render(indent, layout);
    lines[0] = `${indent}${key}${lines[0]}`;
    return lines;
  });
}

type Render = (indent: string, layout: Layout) => string[];

const scalarValue: fc.Arbitrary<Render> = fc.tuple(scalar, comment).map(([value, note]) => () => [
  `: ${value}${note}`,
]);

const blockScalar: fc.Arbitrary<Render> = fc
  .tuple(
    fc.constantFrom('|', '>', '|-', '>+'),
    fc.array(
      text.filter((line) => line.trim() !== ''),
      { minLength: 1, maxLength: 3 },
    ),
  )
  .map(([style, lines]) => (indent, layout) => [
    `: ${style}`,
    ...lines.map((line) => `${indent}${' '.repeat(layout.unit)}${line.trim()}`),
  ]);

const flowValue: fc.Arbitrary<Render> = fc
  .constantFrom('[a, b, "c d"]', '{x: 1, "y": [2, 3]}', '[]', '{}')
  .map((value) => () => [`: ${value}`]);

const blockSequence: fc.Arbitrary<Render> = fc
  .tuple(fc.array(scalar, { minLength: 1, maxLength: 3 }), fc.boolean())
  .map(([items, indented]) => (indent, layout) => [
    ':',
    ...items.map((item) => `${indent}${indented ? ' '.repeat(layout.unit) : ''}- ${item}`),
  ]);

const nestedMapping: fc.Arbitrary<Render> = fc
  .array(fc.tuple(scalar, comment), { minLength: 1, maxLength: 3 })
  .map((items) => (indent, layout) => [
    ':',
    ...items.map(
      ([value, note], index) => `${indent}${' '.repeat(layout.unit)}n${index}: ${value}${note}`,
    ),
  ]);

/** An anchored mapping, then an alias to it: keys Baton never edits through. */
function anchoredPair(index: number): Render {
  return (indent, layout) => [
    `${indent}anchor${index}: &base${index}`,
    `${indent}${' '.repeat(layout.unit)}a: 1`,
    `${indent}copy${index}: *base${index}`,
  ];
}

const valueKind = fc.oneof(
  { weight: 4, arbitrary: scalarValue },
  { weight: 1, arbitrary: blockScalar },
  { weight: 1, arbitrary: flowValue },
  { weight: 1, arbitrary: blockSequence },
  { weight: 1, arbitrary: nestedMapping },
);

const filler = fc.oneof(
  text.map((value) => `# ${value}`),
  fc.constant(''),
);

function parentMapping(name: string, children: readonly string[]): fc.Arbitrary<Render> {
  return fc
    .tuple(
      fc.uniqueArray(fc.constantFrom(...children), { minLength: 1, maxLength: children.length }),
      fc.array(scalar, { minLength: children.length, maxLength: children.length }),
      comment,
    )
    .map(([keys, values, note]) => (indent, layout) => [
      `${name}:${note}`,
      ...keys.map((key, index) => `${indent}${' '.repeat(layout.unit)}${key}: ${values[index]}`),
    ]);
}

/** A `model_list` of entries the user wrote: indented or not, with comments and extras. */
const modelList: fc.Arbitrary<Render> = fc
  .tuple(
    fc.uniqueArray(fc.constantFrom('gpt-4o', 'claude-x', 'coder', 'ü-model', 'baton-other'), {
      minLength: 1,
      maxLength: 3,
    }),
    fc.boolean(),
    comment,
    fc.boolean(),
  )
  .map(([names, indented, note, extras]) => (indent, layout) => {
    const dash = `${indent}${indented ? ' '.repeat(layout.unit) : ''}`;
    const inner = `${dash}  `;
    return [
      `model_list:${note}`,
      ...names.flatMap((name, index) => [
        ...(index === 1 ? [`${dash}# the second one`] : []),
        `${dash}- model_name: ${name}${note}`,
        `${inner}litellm_params:`,
        `${inner}${' '.repeat(layout.unit)}model: openai/${name}`,
        ...(extras
          ? [
              `${inner}${' '.repeat(layout.unit)}api_key: os.environ/OPENAI_API_KEY`,
              `${inner}model_info: {mode: chat}`,
            ]
          : []),
      ]),
    ];
  });

function isYaml(source: string): boolean {
  try {
    editYaml(source, []);
    return true;
  } catch {
    return false;
  }
}

/** A user's YAML file (a mapping at the top level, Baton's keys absent). */
export function userYamlFile(
  parents: Readonly<Record<string, readonly string[]>>,
  withModelList = false,
): fc.Arbitrary<string> {
  const top = fc.array(
    fc.oneof(
      {
        weight: 4,
        arbitrary: fc.nat({ max: 1000 }).chain((index) => entry(`t${index}`, valueKind)),
      },
      {
        weight: 1,
        arbitrary: fc
          .nat({ max: 1000 })
          .chain((index) => keyName(index).chain((key) => entry(key, valueKind))),
      },
      {
        weight: 1,
        arbitrary: filler.map(
          (line): Render =>
            () => [line],
        ),
      },
      { weight: 1, arbitrary: fc.nat({ max: 1000 }).map(anchoredPair) },
    ),
    { maxLength: 6 },
  );
  const parentEntries = fc
    .tuple(
      fc
        .subarray(Object.keys(parents))
        .chain((names) => fc.tuple(...names.map((name) => parentMapping(name, parents[name]!)))),
      withModelList ? fc.option(modelList, { nil: undefined }) : fc.constant(undefined),
    )
    .map(([mappings, list]) => (list === undefined ? mappings : [...mappings, list]));
  return fc
    .record({
      entries: top,
      parents: parentEntries,
      parentsFirst: fc.boolean(),
      unit: fc.constantFrom(2, 4),
      eol: fc.constantFrom('\n', '\r\n'),
      documentStart: fc.boolean(),
      finalNewline: fc.boolean(),
    })
    .map((document) => {
      const layout: Layout = { unit: document.unit, eol: document.eol };
      const renders = document.parentsFirst
        ? [...document.parents, ...document.entries]
        : [...document.entries, ...document.parents];
      const lines = renders.flatMap((render) => render('', layout));
      if (document.documentStart) lines.unshift('---');
      const joined = lines.join(document.eol);
      return document.finalNewline && joined !== '' ? joined + document.eol : joined;
    })
    .filter(isYaml);
}

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
  const added: string[] = [];
  let cursor = 0;
  for (const line of linesOf(after)) {
    if (cursor < original.length && line === original[cursor]) cursor += 1;
    else added.push(line);
  }
  return cursor === original.length ? added : undefined;
}
