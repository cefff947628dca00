import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { editYaml, type YamlEdit } from './yaml-edit.js';

/*
 * Generated Hermes/LiteLLM-like config.yaml files in block style: nested mappings and
 * sequences (indented or compact `- ` style, 2- or 4-space indentation), comments on their
 * own lines (at any indentation) and after values, blank lines, plain/quoted/unicode keys,
 * plain, quoted, flow and block (`|`, `>`, `|-`) scalars, long lines a YAML printer would
 * fold, an optional `---` start, LF or CRLF, an optional BOM and final newline. The user may
 * already have `providers`, `model` and `model_list` (with their own entries/items).
 */

const RUNS = { numRuns: 150 };

type YamlTree =
  | { kind: 'map'; entries: [string, YamlTree][] }
  | { kind: 'seq'; items: YamlTree[] }
  | { kind: 'scalar'; text: string }
  | { kind: 'block'; header: string; lines: string[] };

const word = fc.constantFrom(
  'alpha',
  'beta',
  'gamma',
  'ünïcode',
  'http://127.0.0.1:9/v1',
  'a b c',
  'x-y_z',
);
const comment = fc
  .string({ unit: 'grapheme', maxLength: 10 })
  .map((text) => text.replace(/[\r\n\u0085\u2028\u2029\uFEFF]/g, ''));

const scalar: fc.Arbitrary<YamlTree> = fc.oneof(
  word.map((text): YamlTree => ({ kind: 'scalar', text })),
  fc.integer().map((value): YamlTree => ({ kind: 'scalar', text: String(value) })),
  fc
    .string({ unit: 'grapheme', maxLength: 12 })
    .map((text): YamlTree => ({ kind: 'scalar', text: JSON.stringify(text) })),
  fc
    .string({ unit: 'grapheme', maxLength: 12 })
    .map((text) => text.replace(/[\r\n\u0085\u2028\u2029\uFEFF]/g, ''))
    .map((text): YamlTree => ({ kind: 'scalar', text: `'${text.replace(/'/g, "''")}'` })),
  fc
    .constantFrom('~', 'null', 'true', '"yes"', '[a, b]', '{ a: 1, b: two }', '[]', '1.5e3')
    .map((text): YamlTree => ({ kind: 'scalar', text })),
  fc.integer({ min: 100, max: 400 }).map(
    (length): YamlTree => ({
      kind: 'scalar',
      text: Array.from({ length: Math.ceil(length / 6) }, () => 'lorem').join(' '),
    }),
  ),
  fc
    .tuple(fc.constantFrom('|', '>', '|-'), fc.array(word, { minLength: 1, maxLength: 3 }))
    .map(([header, lines]): YamlTree => ({ kind: 'block', header, lines })),
);

const keyOf = (index: number) =>
  fc.constantFrom(
    `k${index}`,
    `"quoted key ${index}"`,
    `ключ${index}`,
    `'single ${index}'`,
    `key with space ${index}`,
  );

const tree: fc.Arbitrary<YamlTree> = fc.letrec<{ node: YamlTree; map: YamlTree }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    tie('map'),
    fc
      .array(tie('node'), { minLength: 1, maxLength: 3 })
      .map((items): YamlTree => ({ kind: 'seq', items })),
  ),
  map: fc.array(tie('node'), { minLength: 1, maxLength: 4 }).chain((values) =>
    fc.tuple(...values.map((_, index) => keyOf(index))).map((keys) => ({
      kind: 'map' as const,
      entries: values.map((value, index) => [keys[index]!, value] as [string, YamlTree]),
    })),
  ),
})).map;

interface Style {
  unit: number;
  compact: boolean;
  comments: boolean;
  comment: string;
}

function printEntry(
  key: string,
  value: YamlTree,
  indent: number,
  style: Style,
  position: number,
): string[] {
  const pad = ' '.repeat(indent);
  const lines: string[] = [];
  if (style.comments && position % 2 === 1)
    lines.push(`${' '.repeat(indent + (position % 3 === 0 ? style.unit : 0))}# ${style.comment}`);
  if (style.comments && position % 3 === 2) lines.push('');
  if (value.kind === 'scalar') {
    lines.push(
      `${pad}${key}: ${value.text}${style.comments && position % 2 === 0 ? ` # ${style.comment}` : ''}`,
    );
  } else if (value.kind === 'block') {
    lines.push(
      `${pad}${key}: ${value.header}`,
      ...value.lines.map((line) => `${' '.repeat(indent + style.unit)}${line}`),
    );
  } else {
    lines.push(
      `${pad}${key}:`,
      ...printNode(
        value,
        value.kind === 'seq' && style.compact ? indent : indent + style.unit,
        style,
      ),
    );
  }
  return lines;
}

function printNode(node: YamlTree, indent: number, style: Style): string[] {
  if (node.kind === 'map')
    return node.entries.flatMap(([key, value], index) =>
      printEntry(key, value, indent, style, index),
    );
  if (node.kind === 'seq') {
    return node.items.flatMap((item) => {
      const pad = ' '.repeat(indent);
      if (item.kind === 'scalar') return [`${pad}- ${item.text}`];
      const inner = printNode(
        item.kind === 'block' ? { kind: 'map', entries: [['text', item]] } : item,
        indent + 2,
        style,
      );
      const first = inner.findIndex((line) => line.trim() !== '' && !line.trim().startsWith('#'));
      return inner.map((line, index) =>
        index === first ? `${pad}- ${line.slice(indent + 2)}` : line,
      );
    });
  }
  return [];
}

const providers = fc.option(
  fc
    .array(fc.constantFrom('openai', 'mine', 'local'), { minLength: 1, maxLength: 3 })
    .map((names) => [...new Set(names)]),
);
const modelList = fc.option(fc.integer({ min: 1, max: 3 }));

const documentArbitrary = fc
  .record({
    user: tree,
    providers,
    model: fc.option(word),
    modelList,
    unit: fc.constantFrom(2, 4),
    compact: fc.boolean(),
    comments: fc.boolean(),
    comment,
    eol: fc.constantFrom('\n', '\r\n'),
    bom: fc.boolean(),
    start: fc.boolean(),
    finalNewline: fc.boolean(),
    positions: fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
  })
  .map((document) => {
    const entries = [...(document.user as Extract<YamlTree, { kind: 'map' }>).entries];
    const insert = (position: number, entry: [string, YamlTree]) =>
      entries.splice(position % (entries.length + 1), 0, entry);
    if (document.providers !== null) {
      insert(document.positions[0]!, [
        'providers',
        {
          kind: 'map',
          entries: document.providers.map((name) => [
            name,
            {
              kind: 'map',
              entries: [['api', { kind: 'scalar', text: `http://${name}.local/v1` }]],
            },
          ]),
        },
      ]);
    }
    if (document.model !== null) {
      insert(document.positions[1]!, [
        'model',
        { kind: 'map', entries: [['provider', { kind: 'scalar', text: document.model }]] },
      ]);
    }
    if (document.modelList !== null) {
      const items: YamlTree[] = Array.from({ length: document.modelList }, (_, index) => ({
        kind: 'map',
        entries: [
          ['model_name', { kind: 'scalar', text: `user-${index}` }],
          [
            'litellm_params',
            { kind: 'map', entries: [['model', { kind: 'scalar', text: `openai/m${index}` }]] },
          ],
        ],
      }));
      insert(document.positions[2]!, ['model_list', { kind: 'seq', items }]);
    }
    const style = {
      unit: document.unit,
      compact: document.compact,
      comments: document.comments,
      comment: document.comment,
    };
    const lines = printNode({ kind: 'map', entries }, 0, style);
    const body = (document.start ? ['---', ...lines] : lines).join(document.eol);
    return `${document.bom ? '\uFEFF' : ''}${body}${document.finalNewline ? document.eol : ''}`;
  })
  .filter((source) => {
    const doc = parse(source.replace(/^\uFEFF/, ''));
    return typeof doc === 'object' && doc !== null;
  });

const WORKER = {
  model_name: 'baton-worker',
  litellm_params: {
    model: 'openai/stub-model',
    api_base: 'http://127.0.0.1:18080/v1',
    timeout: 30,
  },
};

const owned = fc.record({
  api: fc.string({ unit: 'grapheme', maxLength: 16 }),
  key_env: fc.constant('BATON_API_KEY'),
  transport: fc.constantFrom('chat_completions', 'yes'),
  discover_models: fc.constant(false),
  models: fc.constant(['baton/worker', 'on']),
});

function edits(provider: Record<string, unknown>): YamlEdit[] {
  return [
    { op: 'set', path: ['providers', 'baton'], value: provider as Record<string, string> },
    { op: 'set', path: ['model', 'default'], value: 'baton/worker' },
    { op: 'upsert-item', path: ['model_list'], matchKey: 'model_name', item: WORKER },
  ];
}

function read(text: string): Record<string, unknown> {
  return parse(text.replace(/^\uFEFF/, '')) as Record<string, unknown>;
}

function withoutOwned(value: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(value);
  for (const [parent, child] of [
    ['providers', 'baton'],
    ['model', 'default'],
  ] as const) {
    const object = copy[parent] as Record<string, unknown> | undefined;
    if (object === undefined) continue;
    delete object[child];
    if (Object.keys(object).length === 0) delete copy[parent];
  }
  if (Array.isArray(copy.model_list)) {
    const items = (copy.model_list as Record<string, unknown>[]).filter(
      (item) => item.model_name !== 'baton-worker',
    );
    if (items.length === 0) delete copy.model_list;
    else copy.model_list = items;
  }
  return copy;
}

describe('YAML editing properties', () => {
  it('writes owned values, keeps every other value, is idempotent, and removal restores the bytes', () => {
    fc.assert(
      fc.property(documentArbitrary, owned, (source, provider) => {
        const result = editYaml(source, edits(provider));
        const parsed = read(result);
        expect((parsed.providers as Record<string, unknown>).baton).toEqual(provider);
        expect((parsed.model as Record<string, unknown>).default).toBe('baton/worker');
        expect(
          (parsed.model_list as unknown[]).filter(
            (item) => (item as Record<string, unknown>).model_name === 'baton-worker',
          ),
        ).toEqual([WORKER]);
        expect(withoutOwned(parsed)).toEqual(withoutOwned(read(source)));
        expect(result.includes('\r\n')).toBe(source.includes('\r\n'));
        expect(editYaml(result, edits(provider))).toBe(result);
        const removed = editYaml(result, [
          {
            op: 'remove-item',
            path: ['model_list'],
            matchKey: 'model_name',
            matchValue: 'baton-worker',
          },
          { op: 'remove', path: ['model', 'default'] },
          { op: 'remove', path: ['providers', 'baton'] },
        ]);
        expect(removed).toBe(source);
      }),
      RUNS,
    );
  });
});
