import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BatonError } from '../errors.js';
import {
  editYaml,
  removeYamlSequenceItem,
  removeYamlValue,
  setYamlValue,
  setYamlValueInItem,
  upsertYamlSequenceItem,
} from './yaml-edit.js';

const HERMES = `# Hermes config
model:
  default: my-model   # the one I like
  provider: custom:mine

providers:
  mine:
    api: "http://localhost:9000/v1"
    models: [a, b]
  # keep this note

long_text: >
  This folded text is long enough that a YAML printer would reflow it somewhere past eighty columns wide.
`;

const LITELLM = `model_list:
- model_name: gpt-4o # the main one
  litellm_params:
    model: openai/gpt-4o
    api_key: os.environ/OPENAI_API_KEY

litellm_settings:
  drop_params: true
`;

const WORKER = {
  model_name: 'baton-worker',
  litellm_params: { model: 'openai/stub-model', api_base: 'http://127.0.0.1:18080/v1' },
};

function errorOf(run: () => unknown): BatonError {
  try {
    run();
  } catch (error) {
    if (BatonError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a BatonError');
}

describe('setYamlValue', () => {
  it('replaces a scalar in place, keeping its spacing and comment', () => {
    expect(setYamlValue(HERMES, ['model', 'default'], 'baton-worker')).toBe(
      HERMES.replace('default: my-model   #', 'default: baton-worker   #'),
    );
  });

  it('adds a block under an existing mapping with a marker, and removes it exactly', () => {
    const result = setYamlValue(HERMES, ['providers', 'baton'], {
      api: 'http://127.0.0.1:4000/v1',
      key_env: 'BATON_KEY',
      transport: 'chat_completions',
      discover_models: false,
    });
    expect(result).toBe(
      HERMES.replace(
        '    models: [a, b]\n',
        '    models: [a, b]\n  # managed by baton: providers.baton — edit outside this block freely\n  baton:\n    api: http://127.0.0.1:4000/v1\n    key_env: BATON_KEY\n    transport: chat_completions\n    discover_models: false\n',
      ),
    );
    expect(removeYamlValue(result, ['providers', 'baton'])).toBe(HERMES);
  });

  it('creates missing parents at the end and prunes them on removal', () => {
    const source = 'a: 1 # no final newline';
    const result = setYamlValue(source, ['x', 'deep', 'z'], 'on');
    expect(result).toBe('a: 1 # no final newline\nx:\n  deep:\n    z: "on"');
    expect(removeYamlValue(result, ['x', 'deep', 'z'])).toBe(source);
  });

  it('adds after a block scalar that keeps its trailing blank lines (`>+`, `|+`), not inside them', () => {
    for (const header of ['>+', '|+', '|2+', '>+2']) {
      const source = `t494: ${header}\n  !\n\n`;
      const value = parse(source).t494;
      const result = setYamlValue(source, ['model', 'default'], 'baton/worker');
      expect(parse(result)).toEqual({ t494: value, model: { default: 'baton/worker' } });
      expect(removeYamlValue(result, ['model', 'default'])).toBe(source);
    }
    const nested = 'model:\n  note: |+\n    kept\n\n\nother: 1\n';
    const result = setYamlValue(nested, ['model', 'default'], 'x');
    expect(parse(result)).toEqual({ model: { note: 'kept\n\n\n', default: 'x' }, other: 1 });
  });

  it('fills an empty value', () => {
    expect(setYamlValue('providers:\nother: 1\n', ['providers', 'baton', 'api'], 'u')).toBe(
      'providers:\n  baton:\n    api: u\nother: 1\n',
    );
    expect(setYamlValue('providers: ~\n', ['providers', 'b'], 1)).toBe('providers:\n  b: 1\n');
    // The comment stays on the user's line: removing Baton's line later cannot take it along.
    expect(setYamlValue('providers: {} # none yet\n', ['providers', 'b'], 1)).toBe(
      'providers: # none yet\n  b: 1\n',
    );
  });

  it('gives back a mapping or sequence the user had, in its own spelling, when told the original', () => {
    for (const original of [
      'agent: {}\nmodel:\n',
      'agent:\n',
      'agent: {} # none yet\r\nx: 1\r\n',
      'agent: ~\n',
      'agent:\n  {}\n',
      'agent:\n  # nothing yet\nother: 1\n',
      '\uFEFFagent: {}',
    ]) {
      const result = setYamlValue(original, ['agent', 'api_max_retries'], 0);
      expect(removeYamlValue(result, ['agent', 'api_max_retries'], { original })).toBe(original);
      // Without the original (or for a file Baton created) the emptied mapping goes.
      expect(removeYamlValue(result, ['agent', 'api_max_retries'])).not.toContain('agent:');
      expect(
        removeYamlValue(result, ['agent', 'api_max_retries'], { original: null }),
      ).not.toContain('agent:');
    }
    for (const original of ['model_list: []\n', 'model_list:\n', 'model_list: [] # none\nx: 1\n']) {
      const result = upsertYamlSequenceItem(original, ['model_list'], 'model_name', {
        model_name: 'baton-worker',
      });
      expect(
        removeYamlSequenceItem(result, ['model_list'], 'model_name', 'baton-worker', { original }),
      ).toBe(original);
    }
  });

  it('treats an original that no longer parses as no original', () => {
    const result = setYamlValue('agent: {}\n', ['agent', 'api_max_retries'], 0);
    expect(
      removeYamlValue(result, ['agent', 'api_max_retries'], { original: 'agent: [unclosed\n' }),
    ).toBe(removeYamlValue(result, ['agent', 'api_max_retries']));
  });

  it('removes the mappings Baton created, not the ones the original had', () => {
    const original = 'agent: {}\n';
    const result = setYamlValue(
      setYamlValue(original, ['agent', 'api_max_retries'], 0),
      ['providers', 'baton', 'api'],
      'http://127.0.0.1:4000/v1',
    );
    expect(
      editYaml(
        result,
        [
          { op: 'remove', path: ['agent', 'api_max_retries'] },
          { op: 'remove', path: ['providers', 'baton', 'api'] },
        ],
        { original },
      ),
    ).toBe(original);
  });

  it('quotes what YAML 1.1 readers would misread', () => {
    const result = setYamlValue(
      '',
      ['v'],
      ['yes', 'No', '1.0', '', 'a: b', '#x', 'line\nbreak', '~', 'plain/ok:1'],
    );
    expect(result).toBe(
      '# managed by baton: v — edit outside this block freely\nv:\n  - "yes"\n  - "No"\n  - "1.0"\n  - ""\n  - "a: b"\n  - "#x"\n  - "line\\nbreak"\n  - "~"\n  - plain/ok:1\n',
    );
    expect(parse(result).v).toEqual([
      'yes',
      'No',
      '1.0',
      '',
      'a: b',
      '#x',
      'line\nbreak',
      '~',
      'plain/ok:1',
    ]);
  });

  it('keeps CRLF, a byte-order mark and four-space indentation', () => {
    const source = '\uFEFFtop:\r\n    inner: 1\r\n';
    const result = setYamlValue(source, ['top', 'more'], { deep: true });
    expect(result).toBe(
      '\uFEFFtop:\r\n    inner: 1\r\n    # managed by baton: top.more — edit outside this block freely\r\n    more:\r\n        deep: true\r\n',
    );
    expect(removeYamlValue(result, ['top', 'more'])).toBe(source);
  });

  it('writes into a document that holds only `---` and removes back to it', () => {
    for (const source of ['---', '---\n', '---\n# notes\n', '---\r\n']) {
      const eol = source.includes('\r\n') ? '\r\n' : '\n';
      const result = setYamlValue(source, ['agent', 'api_max_retries'], 0);
      expect(result).toBe(
        source.endsWith('\n')
          ? `${source}agent:${eol}  api_max_retries: 0${eol}`
          : `${source}${eol}agent:${eol}  api_max_retries: 0`,
      );
      expect(removeYamlValue(result, ['agent', 'api_max_retries'])).toBe(source);
    }
    expect(() => setYamlValue('--- ~\n', ['a'], 1)).toThrow(/`\(top level\)` is a scalar/);
  });

  it('is a no-op when the value is already there', () => {
    expect(setYamlValue(HERMES, ['providers', 'mine', 'models'], ['a', 'b'])).toBe(HERMES);
  });

  it('replaces a collection value with a block', () => {
    expect(setYamlValue(HERMES, ['providers', 'mine', 'models'], ['c'])).toBe(
      HERMES.replace('models: [a, b]', 'models:\n      - c'),
    );
  });
});

describe('sequence items', () => {
  it('appends an item with a marker at the sequence indentation and removes it exactly', () => {
    const result = upsertYamlSequenceItem(LITELLM, ['model_list'], 'model_name', WORKER);
    expect(result).toBe(
      LITELLM.replace(
        '    api_key: os.environ/OPENAI_API_KEY\n',
        '    api_key: os.environ/OPENAI_API_KEY\n# managed by baton: model_list[model_name=baton-worker] — edit outside this block freely\n- model_name: baton-worker\n  litellm_params:\n    model: openai/stub-model\n    api_base: http://127.0.0.1:18080/v1\n',
      ),
    );
    expect(upsertYamlSequenceItem(result, ['model_list'], 'model_name', WORKER)).toBe(result);
    expect(removeYamlSequenceItem(result, ['model_list'], 'model_name', 'baton-worker')).toBe(
      LITELLM,
    );
  });

  it('replaces a changed item in place', () => {
    const first = upsertYamlSequenceItem(LITELLM, ['model_list'], 'model_name', WORKER);
    const second = upsertYamlSequenceItem(first, ['model_list'], 'model_name', {
      ...WORKER,
      litellm_params: { model: 'openai/other' },
    });
    expect(second).toBe(
      first.replace(
        '    model: openai/stub-model\n    api_base: http://127.0.0.1:18080/v1\n',
        '    model: openai/other\n',
      ),
    );
  });

  it('creates the sequence when missing and removes it with the last item', () => {
    const source = '# proxy\ngeneral_settings:\n  master_key: sk-1\n';
    const result = upsertYamlSequenceItem(source, ['model_list'], 'model_name', WORKER);
    expect(result).toBe(
      `${source}model_list:\n  # managed by baton: model_list[model_name=baton-worker] — edit outside this block freely\n  - model_name: baton-worker\n    litellm_params:\n      model: openai/stub-model\n      api_base: http://127.0.0.1:18080/v1\n`,
    );
    expect(parse(result).model_list).toEqual([WORKER]);
    expect(removeYamlSequenceItem(result, ['model_list'], 'model_name', 'baton-worker')).toBe(
      source,
    );
  });

  it('leaves comment lines that trail the last item outside Baton’s item', () => {
    const source =
      'model_list:\n- model_name: user-0\n  litellm_params:\n      model: openai/m0\n    # trailing\nk0: 1\n';
    const result = upsertYamlSequenceItem(source, ['model_list'], 'model_name', {
      model_name: 'baton-worker',
    });
    expect(result).toBe(
      source.replace(
        '      model: openai/m0\n',
        '      model: openai/m0\n# managed by baton: model_list[model_name=baton-worker] — edit outside this block freely\n- model_name: baton-worker\n',
      ),
    );
    expect(removeYamlSequenceItem(result, ['model_list'], 'model_name', 'baton-worker')).toBe(
      source,
    );
  });

  it('sets one value inside a matched item, keeping its other keys, comments and spelling', () => {
    const source = `model_list:
  - model_name: baton-worker   # mine
    litellm_params:
      model: "openai/old"   # was this
      api_key: os.environ/OPENAI_API_KEY
    model_info: {mode: chat}
  - model_name: other
    litellm_params: {model: x}
`;
    const result = setYamlValueInItem(
      source,
      ['model_list'],
      'model_name',
      'baton-worker',
      ['litellm_params', 'model'],
      'openai/new',
    );
    expect(result).toBe(source.replace('"openai/old"', 'openai/new'));
    expect(
      setYamlValueInItem(
        result,
        ['model_list'],
        'model_name',
        'baton-worker',
        ['litellm_params', 'model'],
        'openai/new',
      ),
    ).toBe(result);
    const added = setYamlValueInItem(
      source,
      ['model_list'],
      'model_name',
      'baton-worker',
      ['litellm_params', 'rpm'],
      60,
    );
    expect(added).toBe(
      source.replace(
        '      api_key: os.environ/OPENAI_API_KEY\n',
        '      api_key: os.environ/OPENAI_API_KEY\n      rpm: 60\n',
      ),
    );
  });

  it('appends a new item with a marker when none matches, and removes it exactly', () => {
    const source = 'model_list:\n- model_name: a\n  litellm_params:\n    model: x\n';
    const result = setYamlValueInItem(
      source,
      ['model_list'],
      'model_name',
      'baton-worker',
      ['litellm_params', 'model'],
      'openai/gpt-4o',
    );
    expect(result).toBe(
      `${source}# managed by baton: model_list[model_name=baton-worker] — edit outside this block freely\n- model_name: baton-worker\n  litellm_params:\n    model: openai/gpt-4o\n`,
    );
    expect(removeYamlSequenceItem(result, ['model_list'], 'model_name', 'baton-worker')).toBe(
      source,
    );
    expect(
      setYamlValueInItem('', ['model_list'], 'model_name', 'b', ['litellm_params', 'model'], 'm'),
    ).toBe(
      'model_list:\n  # managed by baton: model_list[model_name=b] — edit outside this block freely\n  - model_name: b\n    litellm_params:\n      model: m\n',
    );
  });

  it('refuses a scalar where the item needs a mapping, naming the item', () => {
    const source = 'model_list:\n  - model_name: b\n    litellm_params: none\n';
    expect(() =>
      setYamlValueInItem(
        source,
        ['model_list'],
        'model_name',
        'b',
        ['litellm_params', 'model'],
        'm',
      ),
    ).toThrow(
      '`model_list[model_name=b].litellm_params` is a scalar at line 3, but Baton needs a mapping there.',
    );
  });

  it('refuses duplicate matching items', () => {
    const source = 'l:\n  - n: a\n  - n: a\n';
    expect(() => upsertYamlSequenceItem(source, ['l'], 'n', { n: 'a', x: 1 })).toThrow(
      /has 2 items with n: a/,
    );
  });
});

describe('errors and fallbacks', () => {
  it('reports malformed YAML with line and column', () => {
    const error = errorOf(() => setYamlValue('a: 1\nb: [\n', ['c'], 1, { file: 'config.yaml' }));
    expect(error.code).toBe('NATIVE_CONFIG');
    expect(error.message).toMatch(/^config\.yaml is not valid YAML at line \d+, column \d+: /);
    const tab = errorOf(() => setYamlValue('a:\n\tb: 1\n', ['c'], 1));
    expect(tab.message).toBe(
      'the YAML text is not valid YAML at line 2, column 1: Tabs are not allowed as indentation. Fix it by hand and rerun; nothing was changed.',
    );
  });

  it('refuses a scalar or sequence where a mapping is needed', () => {
    expect(errorOf(() => setYamlValue('providers: none\n', ['providers', 'b'], 1)).message).toBe(
      'the YAML text: `providers` is a scalar at line 1, but Baton needs a mapping there. Change it by hand and rerun. Nothing was changed.',
    );
    expect(() =>
      upsertYamlSequenceItem('model_list:\n  a: 1\n', ['model_list'], 'n', { n: 'x' }),
    ).toThrow(/`model_list` is a mapping at line 2, but Baton needs a sequence there/);
  });

  it('refuses several documents and anchors', () => {
    expect(() => setYamlValue('a: 1\n---\nb: 2\n', ['c'], 1)).toThrow(/several YAML documents/);
    expect(() => setYamlValue('base: &b\n  x: 1\nother: *b\n', ['base', 'y'], 2)).toThrow(
      /anchor or alias/,
    );
  });

  it('uses the Document API inside a flow mapping only when it reprints the file exactly', () => {
    expect(setYamlValue('a: { b: 1 }\n', ['a', 'c'], 2)).toBe('a: { b: 1, c: 2 }\n');
    expect(() => setYamlValue('a: {b: 1}\n', ['a', 'c'], 2)).toThrow(
      /cannot make this change without reformatting the file \(a flow mapping on the path at line 1\)/,
    );
  });

  it('applies several edits in one pass', () => {
    const result = editYaml(HERMES, [
      { op: 'set', path: ['model', 'provider'], value: 'custom:baton' },
      { op: 'remove', path: ['long_text'] },
    ]);
    expect(result).toBe(
      '# Hermes config\nmodel:\n  default: my-model   # the one I like\n  provider: custom:baton\n\nproviders:\n  mine:\n    api: "http://localhost:9000/v1"\n    models: [a, b]\n  # keep this note\n\n',
    );
  });
});
