import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { withoutKeys } from '../testing/config-files.js';
import { userYamlFile } from '../testing/yaml-files.js';
import { editYaml, type YamlEdit } from './yaml-edit.js';

/*
 * Generated Hermes/LiteLLM-like config.yaml files (the generator every YAML setup property
 * test uses): comments on their own lines and after values, blank lines, plain, quoted,
 * flow and block scalars, nested mappings and sequences, anchors, two- or four-space
 * indentation, an optional `---` start, LF or CRLF, a BOM and an optional final newline.
 * The user may already have `providers`, `model` and `model_list`: with their own entries,
 * or empty (`providers: {}`, a bare `model:`, `model_list: []`, a comment only).
 */

const RUNS = { numRuns: 150 };

const documentArbitrary = userYamlFile({
  mappings: { model: ['provider', 'context_length'], providers: ['openai', 'mine', 'local'] },
  modelList: true,
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

function withoutOwned(value: Record<string, unknown>): unknown {
  const copy = withoutKeys(value, [
    ['providers', 'baton'],
    ['model', 'default'],
  ]) as Record<string, unknown>;
  const list = copy.model_list;
  const rest = Array.isArray(list)
    ? list.filter((item) => (item as Record<string, unknown>).model_name !== 'baton-worker')
    : list;
  if (rest === null || (Array.isArray(rest) && rest.length === 0)) delete copy.model_list;
  else if (rest !== undefined) copy.model_list = rest;
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
        if (source.includes('\r\n')) expect(/(^|[^\r])\n/.test(result)).toBe(false);
        expect(editYaml(result, edits(provider))).toBe(result);
        const removed = editYaml(
          result,
          [
            {
              op: 'remove-item',
              path: ['model_list'],
              matchKey: 'model_name',
              matchValue: 'baton-worker',
            },
            { op: 'remove', path: ['model', 'default'] },
            { op: 'remove', path: ['providers', 'baton'] },
          ],
          { original: source },
        );
        expect(removed).toBe(source);
      }),
      RUNS,
    );
  });
});
