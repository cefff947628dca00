/**
 * Generated user-written YAML files for the setup property tests: comments (own-line and
 * trailing), blank lines, plain, single- and double-quoted scalars with unicode and escapes,
 * very long strings, literal and folded block scalars, block and flow sequences (indented and
 * not), nested mappings, anchors and aliases, an optional `---`, two- or four-space
 * indentation, LF or CRLF, a byte-order mark, with or without a final line break.
 *
 * The mappings Baton writes into come in every shape a user may have left them: missing,
 * empty (`agent: {}`, a bare `agent:`, `agent: ~`, with a comment after it, or holding only
 * comment lines), or holding the user's own keys with comments between them; likewise a
 * mapping nested in one of them (`providers.baton`) and a LiteLLM-style `model_list`
 * (`[]`, bare, or the user's entries). They never hold a key Baton owns, so setup followed by
 * revert must give back the exact bytes.
 *
 * For adapters' native-config writers (YAML configs: Hermes, LiteLLM) and third parties
 * testing theirs. Imported as `@baton/core/testing/yaml-files`; needs `fast-check`. The
 * helpers shared with the TOML and JSON generators are in `./config-files`.
 */

import fc from 'fast-check';
import { editYaml } from '../native-config/index.js';
import type { KeyPath } from '../native-config/values.js';

export { addedLines, linesOf } from './config-files.js';

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

type Tree =
  | { kind: 'map'; entries: [string, Tree][] }
  | { kind: 'seq'; items: Tree[] }
  | { kind: 'scalar'; text: string };

const treeKey = (index: number) =>
  fc.constantFrom(
    `k${index}`,
    `"quoted key ${index}"`,
    `ключ${index}`,
    `'single ${index}'`,
    `key with space ${index}`,
  );

/** Mappings and sequences nested a few levels, sequences of mappings included. */
const tree: fc.Arbitrary<Tree> = fc.letrec<{ node: Tree; map: Tree }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar.map((text): Tree => ({ kind: 'scalar', text })),
    tie('map'),
    fc
      .array(tie('node'), { minLength: 1, maxLength: 3 })
      .map((items): Tree => ({ kind: 'seq', items })),
  ),
  map: fc.array(tie('node'), { minLength: 1, maxLength: 4 }).chain((values) =>
    fc.tuple(...values.map((_, index) => treeKey(index))).map(
      (keys): Tree => ({
        kind: 'map',
        entries: values.map((value, index) => [keys[index]!, value] as [string, Tree]),
      }),
    ),
  ),
})).map;

interface TreeStyle {
  readonly unit: number;
  /** Sequences at their key's indentation (`key:` then `- item` below it, unindented). */
  readonly compact: boolean;
  /** Comment lines (at odd indentation), trailing comments and blank lines among entries. */
  readonly comments: boolean;
  readonly comment: string;
}

function printTreeEntry(
  key: string,
  value: Tree,
  indent: number,
  style: TreeStyle,
  position: number,
): string[] {
  const pad = ' '.repeat(indent);
  const lines: string[] = [];
  if (style.comments && position % 2 === 1)
    lines.push(`${' '.repeat(indent + (position % 3 === 0 ? style.unit : 0))}# ${style.comment}`);
  if (style.comments && position % 3 === 2) lines.push('');
  if (value.kind === 'scalar') {
    const trailing = style.comments && position % 2 === 0 ? ` # ${style.comment}` : '';
    lines.push(`${pad}${key}: ${value.text}${trailing}`);
  } else {
    const childIndent = value.kind === 'seq' && style.compact ? indent : indent + style.unit;
    lines.push(`${pad}${key}:`, ...printTree(value, childIndent, style));
  }
  return lines;
}

function printTree(node: Tree, indent: number, style: TreeStyle): string[] {
  if (node.kind === 'map')
    return node.entries.flatMap(([key, value], index) =>
      printTreeEntry(key, value, indent, style, index),
    );
  if (node.kind === 'seq') {
    return node.items.flatMap((item) => {
      const pad = ' '.repeat(indent);
      if (item.kind === 'scalar') return [`${pad}- ${item.text}`];
      const inner = printTree(item, indent + 2, style);
      const first = inner.findIndex((line) => line.trim() !== '' && !line.trim().startsWith('#'));
      return inner.map((line, index) =>
        index === first ? `${pad}- ${line.slice(indent + 2)}` : line,
      );
    });
  }
  return [];
}

const deepValue: fc.Arbitrary<Render> = fc
  .tuple(tree, fc.boolean(), fc.boolean(), text)
  .map(([node, compact, comments, note]) => (indent, layout) => [
    ':',
    ...printTree(node, indent.length + layout.unit, {
      unit: layout.unit,
      compact,
      comments,
      comment: note,
    }),
  ]);

const valueKind = fc.oneof(
  { weight: 4, arbitrary: scalarValue },
  { weight: 1, arbitrary: blockScalar },
  { weight: 1, arbitrary: flowValue },
  { weight: 1, arbitrary: blockSequence },
  { weight: 1, arbitrary: nestedMapping },
  { weight: 1, arbitrary: deepValue },
);

const filler = fc.oneof(
  text.map((value) => `# ${value}`),
  fc.constant(''),
);

/** How a mapping the user has but left empty is written. */
const emptyMapping = fc.constantFrom(
  ': {}',
  ': {}  # nothing yet',
  ':',
  ': # to fill in',
  ': ~',
  ': null',
  ':\n# only a comment',
);

/** The lines of an empty value at `indent` (a comment-only body goes one level deeper). */
function emptyLines(spelling: string, indent: string, layout: Layout): string[] {
  const [first, ...rest] = spelling.split('\n');
  return [first!, ...rest.map((line) => `${indent}${' '.repeat(layout.unit)}${line}`)];
}

/** A mapping Baton writes into, one level below the top (`providers.baton`). */
export interface NestedMapping {
  readonly path: KeyPath;
  /** Keys the user may have in it (never Baton's). */
  readonly userKeys: readonly string[];
}

/** One of the mappings Baton writes into: empty in some spelling, or the user's keys. */
function mappingShape(
  name: string,
  children: readonly string[],
  nested: NestedMapping | undefined,
): fc.Arbitrary<Render> {
  const members = fc
    .tuple(
      fc.uniqueArray(fc.constantFrom(...children), { minLength: 1, maxLength: children.length }),
      fc.array(scalar, { minLength: children.length, maxLength: children.length }),
      comment,
      fc.array(
        fc.oneof(
          text.map((value) => `# ${value}`),
          fc.constant(''),
        ),
        { maxLength: 2 },
      ),
      nested === undefined
        ? fc.constant(undefined)
        : fc.option(
            fc.oneof(
              emptyMapping.map((spelling) => ({ spelling, keys: [] as string[] })),
              fc
                .uniqueArray(fc.constantFrom(...nested.userKeys), {
                  minLength: 1,
                  maxLength: nested.userKeys.length,
                })
                .map((keys) => ({ spelling: ':', keys })),
            ),
            { nil: undefined },
          ),
      fc.nat(),
    )
    .map(
      ([keys, values, note, extras, inner, at]): Render =>
        (indent, layout) => {
          const pad = `${indent}${' '.repeat(layout.unit)}`;
          const lines = keys.map((key, index) => `${pad}${key}: ${values[index]}`);
          // Comment lines (and a blank line) inside the mapping, among the user's keys.
          for (const extra of extras)
            lines.splice(at % (lines.length + 1), 0, extra && `${pad}${extra}`);
          if (inner !== undefined) {
            const child = nested!.path.at(-1)!;
            const childLines = emptyLines(inner.spelling, pad, layout);
            childLines[0] = `${pad}${child}${childLines[0]}`;
            const deeper = `${pad}${' '.repeat(layout.unit)}`;
            lines.splice(
              (at + 1) % (lines.length + 1),
              0,
              ...childLines,
              ...inner.keys.map(
                (key) => `${deeper}${key}: ${key === 'discover_models' ? 'false' : 'x'}`,
              ),
            );
          }
          return [`${indent}${name}:${note}`, ...lines];
        },
    );
  const empty = emptyMapping.map(
    (spelling): Render =>
      (indent, layout) => {
        const lines = emptyLines(spelling, indent, layout);
        lines[0] = `${indent}${name}${lines[0]}`;
        return lines;
      },
  );
  return fc.oneof({ weight: 2, arbitrary: members }, { weight: 1, arbitrary: empty });
}

/** A `model_list` of entries the user wrote (indented or not, with comments and extras), or an empty one. */
const modelList: fc.Arbitrary<Render> = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.constantFrom(': []', ': []  # aliases go here', ':', ':\n# none yet').map(
      (spelling): Render =>
        (indent, layout) => {
          const lines = emptyLines(spelling, indent, layout);
          lines[0] = `${indent}model_list${lines[0]}`;
          return lines;
        },
    ),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.uniqueArray(fc.constantFrom('gpt-4o', 'claude-x', 'coder', 'ü-model', 'baton-other'), {
          minLength: 1,
          maxLength: 3,
        }),
        fc.boolean(),
        comment,
        fc.boolean(),
      )
      .map(
        ([names, indented, note, extras]): Render =>
          (indent, layout) => {
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
          },
      ),
  },
);

function isYaml(source: string): boolean {
  try {
    editYaml(source, []);
    return true;
  } catch {
    return false;
  }
}

export interface YamlFileOptions {
  /**
   * Top-level mappings Baton writes into, with the keys the user may have in each (never
   * Baton's). Each may be missing, empty in any spelling, or hold the user's keys.
   */
  readonly mappings?: Readonly<Record<string, readonly string[]>>;
  /** A mapping inside one of `mappings` that Baton writes into, in the same shapes. */
  readonly nested?: NestedMapping;
  /** Adds a LiteLLM-style `model_list` (the user's entries, never Baton's alias, or empty). */
  readonly modelList?: boolean;
}

/** A user's YAML file (a mapping at the top level, Baton's keys absent). */
export function userYamlFile(options: YamlFileOptions = {}): fc.Arbitrary<string> {
  const mappings = options.mappings ?? {};
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
        .subarray(Object.keys(mappings))
        .chain((names) =>
          fc.tuple(
            ...names.map((name) =>
              mappingShape(
                name,
                mappings[name]!,
                options.nested?.path[0] === name ? options.nested : undefined,
              ),
            ),
          ),
        ),
      options.modelList === true
        ? fc.option(modelList, { nil: undefined })
        : fc.constant(undefined),
    )
    .map(([shapes, list]) => (list === undefined ? shapes : [...shapes, list]));
  return fc
    .record({
      entries: top,
      parents: parentEntries,
      parentsFirst: fc.boolean(),
      unit: fc.constantFrom(2, 4),
      eol: fc.constantFrom('\n', '\r\n'),
      documentStart: fc.boolean(),
      bom: fc.boolean(),
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
      const body = document.finalNewline && joined !== '' ? joined + document.eol : joined;
      return (document.bom ? '\uFEFF' : '') + body;
    })
    .filter(isYaml);
}

/**
 * `text` with the lines of the mappings and sequences Baton fills (`keys`) as setup leaves
 * them: their empty value (`{}`, `[]`, `~`, `null`) is dropped from the key's line, since the
 * entries go on the lines below. Tests check that every other line is kept, in order:
 * `addedLines(openEmptyValues(original, keys), after)`.
 */
export function openEmptyValues(text: string, keys: readonly string[]): string {
  const names = keys.map((key) => key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  if (names === '') return text;
  const bom = text.startsWith('\uFEFF') ? '\uFEFF' : '';
  return (
    bom +
    text
      .slice(bom.length)
      .replace(
        new RegExp(
          `^([ \\t]*(?:${names}):)[ \\t]+(?:\\{\\}|\\[\\]|~|null)(?=[ \\t]*(?:#|\\r?$))`,
          'gm',
        ),
        '$1',
      )
  );
}
