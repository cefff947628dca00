import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { BatonError } from '../errors.js';
import {
  editToml,
  formatTomlValue,
  removeTomlKeys,
  removeTomlTable,
  setTomlValues,
} from './toml-edit.js';

const MARKER = '# managed by baton: [model_providers.baton] — edit outside this block freely';

const CONFIG = `# My Codex config
model = "o3"   # keep this comment

approval_policy = 'on-request'

[model_providers.openai_proxy]
name = "Proxy"
base_url = "http://proxy.local/v1"

# MCP servers
[mcp_servers.docs]
command = "docs-mcp"
args = [
  "--port", # the port
  "8080",
]
`;

function errorOf(run: () => unknown): BatonError {
  try {
    run();
  } catch (error) {
    if (BatonError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a BatonError');
}

describe('setTomlValues', () => {
  it('replaces only the value of an existing key and inserts new keys after the last one', () => {
    const result = setTomlValues(CONFIG, [], { model: 'gpt-5', model_provider: 'baton' });
    expect(result).toBe(
      CONFIG.replace('model = "o3"   #', 'model = "gpt-5"   #').replace(
        "approval_policy = 'on-request'\n",
        'approval_policy = \'on-request\'\nmodel_provider = "baton"\n',
      ),
    );
  });

  it('adds a missing table after its sibling tables, with a marker and a blank line', () => {
    const result = setTomlValues(CONFIG, ['model_providers', 'baton'], {
      name: 'Baton',
      base_url: 'http://127.0.0.1:4000/v1',
      wire_api: 'responses',
    });
    expect(result).toBe(
      CONFIG.replace(
        'base_url = "http://proxy.local/v1"\n',
        `base_url = "http://proxy.local/v1"\n\n${MARKER}\n[model_providers.baton]\nname = "Baton"\nbase_url = "http://127.0.0.1:4000/v1"\nwire_api = "responses"\n`,
      ),
    );
  });

  it('appends a table without siblings at the end, keeping a missing final newline missing', () => {
    const source = 'model = "o3"';
    const result = setTomlValues(source, ['features'], { web_search: true });
    expect(result).toBe(
      'model = "o3"\n\n# managed by baton: [features] — edit outside this block freely\n[features]\nweb_search = true',
    );
    expect(removeTomlTable(result, ['features'])).toBe(source);
  });

  it('is a no-op (same string) when the values are already there, whatever their spelling', () => {
    const source = "model = 'gpt-5'\nretries = 0x3\n";
    expect(setTomlValues(source, [], { model: 'gpt-5', retries: 3 })).toBe(source);
  });

  it('keeps the key spelling, spacing, trailing comment, CRLF and byte-order mark', () => {
    const source = '\uFEFF# c\r\n"model"\t=   "old"\t# why\r\n[t]\r\nx = 1\r\n';
    const result = setTomlValues(source, [], { model: 'new', extra: 'é' });
    expect(result).toBe(
      '\uFEFF# c\r\n"model"\t=   "new"\t# why\r\nextra = "é"\r\n[t]\r\nx = 1\r\n',
    );
  });

  it('inserts into an existing table after its last key, with its indentation', () => {
    const source =
      '[model_providers.baton]\n  name = "Mine"\n  # note about the next table\n[other]\na = 1\n';
    const result = setTomlValues(source, ['model_providers', 'baton'], {
      name: 'Mine',
      env_key: 'KEY',
    });
    expect(result).toBe(
      '[model_providers.baton]\n  name = "Mine"\n  env_key = "KEY"\n  # note about the next table\n[other]\na = 1\n',
    );
  });

  it('never mistakes text inside multi-line strings and arrays for headers or keys', () => {
    const source = [
      'prompt = """',
      '[model_providers.baton]',
      'model = "inside a string"',
      '"""',
      "literal = '''",
      '[x]',
      "'''",
      'list = [ # [not.a.table]',
      '  "a#b", "[c]",',
      ']',
      'model = "real"',
      '',
    ].join('\n');
    const result = setTomlValues(source, [], { model: 'gpt-5' });
    expect(result).toBe(source.replace('model = "real"', 'model = "gpt-5"'));
    const withTable = setTomlValues(source, ['model_providers', 'baton'], { name: 'B' });
    expect(withTable).toBe(`${source}\n${MARKER}\n[model_providers.baton]\nname = "B"\n`);
  });

  it('writes strings with line breaks as multi-line strings that read back exactly', () => {
    const value = 'line 1\n"quoted" \\ back\\slash\n\tTab — ünïcode 🚀\n""""\nends with "';
    const result = setTomlValues('', [], { developer_instructions: value });
    expect(result).toBe(
      'developer_instructions = """\nline 1\n"quoted" \\\\ back\\\\slash\n\tTab — ünïcode 🚀\n\\"\\"\\""\nends with \\""""\n',
    );
    expect(parse(result).developer_instructions).toBe(value);
  });

  it('escapes strings on one line in CRLF files so the value cannot change on reading', () => {
    const result = setTomlValues('a = 1\r\n', [], { text: 'x\ny\r\n\u0001' });
    expect(result).toBe('a = 1\r\ntext = "x\\ny\\r\\n\\u0001"\r\n');
    expect(parse(result).text).toBe('x\ny\r\n\u0001');
  });

  it('formats every kind of value Baton writes', () => {
    expect(formatTomlValue(['a', 1, true, 1.5, { k: 'v', 'odd key': [] }])).toBe(
      '["a", 1, true, 1.5, { k = "v", "odd key" = [] }]',
    );
    expect(formatTomlValue(2n ** 60n)).toBe('1152921504606846976');
    expect(formatTomlValue(Number.NaN)).toBe('nan');
    expect(formatTomlValue(-Infinity)).toBe('-inf');
    expect(formatTomlValue(1e21)).toBe('1e+21');
    expect(formatTomlValue({})).toBe('{}');
  });

  it('refuses values TOML cannot hold', () => {
    expect(() => setTomlValues('', [], { big: 2n ** 63n })).toThrow(RangeError);
    expect(() => setTomlValues('', [], { text: '\uD800' })).toThrow(/lone UTF-16 surrogate/);
  });
});

describe('conflicts and malformed input', () => {
  it('reports malformed TOML with its line and column', () => {
    const error = errorOf(() => setTomlValues('a = 1\nb = = 2\n', [], { model: 'x' }));
    expect(error.code).toBe('NATIVE_CONFIG');
    expect(error.message).toBe(
      'the TOML text is not valid TOML at line 2, column 5: invalid value. Fix it by hand and rerun; nothing was changed.',
    );
    expect(error.details).toMatchObject({ line: 2, column: 5 });
  });

  it('names the file when told', () => {
    const error = errorOf(() =>
      setTomlValues('[a]\n[a]\n', [], { model: 'x' }, { file: 'config.toml' }),
    );
    expect(error.message).toMatch(/^config\.toml is not valid TOML at line 2, column 2:/);
  });

  it('refuses a scalar where a table is needed', () => {
    const error = errorOf(() =>
      setTomlValues('model_providers = "none"\n', ['model_providers', 'baton'], { name: 'B' }),
    );
    expect(error.message).toBe(
      'the TOML text: `model_providers` is a string (line 1), but Baton needs a table there to write [model_providers.baton]. Rename or remove it by hand and rerun. Nothing was changed.',
    );
  });

  it('refuses a table defined with dotted keys', () => {
    const dotted = errorOf(() =>
      setTomlValues('model_providers.baton.name = "B"\n', ['model_providers', 'baton'], {
        name: 'C',
      }),
    );
    expect(dotted.message).toMatch(
      /\[model_providers\.baton\] is defined with dotted keys at line 1/,
    );
    const insideInline = errorOf(() =>
      setTomlValues('model_providers = { baton.name = "B" }\n', ['model_providers', 'baton'], {
        name: 'C',
      }),
    );
    expect(insideInline.message).toMatch(
      /\[model_providers\.baton\] is defined with dotted keys at line 1/,
    );
  });

  it('edits an inline table the user wrote in place, on its line, and removes back exactly', () => {
    const cases: [string, string][] = [
      [
        '[model_providers]\nbaton = { name = "B" }  # mine\n',
        '[model_providers]\nbaton = { name = "B", x = 1 }  # mine\n',
      ],
      ['model_providers = {}\n', 'model_providers = { baton = { x = 1 } }\n'],
      [
        'model_providers = { other = { x = 2 } }\r\n',
        'model_providers = { other = { x = 2 }, baton = { x = 1 } }\r\n',
      ],
      ['model_providers.baton = { }\n', 'model_providers.baton = { x = 1 }\n'],
    ];
    for (const [source, expected] of cases) {
      const result = setTomlValues(source, ['model_providers', 'baton'], { x: 1 });
      expect(result).toBe(expected);
      expect(setTomlValues(result, ['model_providers', 'baton'], { x: 1 })).toBe(result);
      expect(
        removeTomlKeys(result, ['model_providers', 'baton'], ['x'], { original: source }),
      ).toBe(source);
    }
    // Without a record of the original, the inline tables a removal empties go.
    expect(
      removeTomlKeys(
        'model_providers = { baton = { x = 1 } }\nk = 1\n',
        ['model_providers', 'baton'],
        ['x'],
      ),
    ).toBe('k = 1\n');
  });

  it('refuses an array of tables on the path', () => {
    const error = errorOf(() =>
      setTomlValues('[[model_providers]]\nname = "x"\n', ['model_providers', 'baton'], {
        name: 'B',
      }),
    );
    expect(error.message).toMatch(/`model_providers` is an array \(line 1\)/);
  });

  it('refuses a value where a table already is', () => {
    const error = errorOf(() =>
      setTomlValues('[features.web]\non = true\n', ['features'], { web: false }),
    );
    expect(error.message).toMatch(/`features\.web` is already defined as a table \(line 1\)/);
  });

  it('allows a table that exists only implicitly through its sub-tables', () => {
    const source = '[model_providers.baton.http_headers]\nX = "1"\n';
    const result = setTomlValues(source, ['model_providers', 'baton'], { name: 'B' });
    expect(result).toBe(`${source}\n${MARKER}\n[model_providers.baton]\nname = "B"\n`);
    expect(parse(result)).toEqual({
      model_providers: { baton: { name: 'B', http_headers: { X: '1' } } },
    });
  });
});

describe('removal', () => {
  it('removes keys and the table they leave empty, marker and blank line included', () => {
    const added = setTomlValues(CONFIG, ['model_providers', 'baton'], {
      name: 'B',
      wire_api: 'responses',
    });
    const once = removeTomlKeys(added, ['model_providers', 'baton'], ['name']);
    expect(once).toBe(added.replace('name = "B"\n', ''));
    expect(removeTomlKeys(once, ['model_providers', 'baton'], ['wire_api'])).toBe(CONFIG);
  });

  it('keeps the tables the original had, even empty, and removes the ones Baton added', () => {
    for (const original of [
      '[model_providers.baton]\n',
      '[model_providers.baton]\n# mine\n',
      '\uFEFF[model_providers.baton]',
      '[model_providers]\r\n',
      '',
    ]) {
      const result = setTomlValues(original, ['model_providers', 'baton'], { name: 'B' });
      expect(removeTomlKeys(result, ['model_providers', 'baton'], ['name'], { original })).toBe(
        original,
      );
    }
    expect(
      removeTomlKeys(
        '[model_providers.baton]\nname = "B"\n',
        ['model_providers', 'baton'],
        ['name'],
        {
          original: null,
        },
      ),
    ).toBe('');
  });

  it('treats an original that no longer parses as no original', () => {
    const result = setTomlValues('model_providers = {}\n', ['model_providers', 'baton'], { x: 1 });
    expect(
      removeTomlKeys(result, ['model_providers', 'baton'], ['x'], { original: '[broken\n' }),
    ).toBe(removeTomlKeys(result, ['model_providers', 'baton'], ['x']));
  });

  it('keeps a table the user wrote comments in', () => {
    const source = '[t]\n# mine\nx = 1\n';
    expect(removeTomlKeys(source, ['t'], ['x'])).toBe('[t]\n# mine\n');
  });

  it('removes a whole table with its sub-tables, keeping the comment on the next table', () => {
    const source =
      'a = 1\n\n[p]\nx = 1\n\n[p.sub]\ny = 2\n# about q\n[q]\nz = 3\n[[p.list]]\nw = 4\n';
    expect(removeTomlTable(source, ['p'])).toBe('a = 1\n\n\n# about q\n[q]\nz = 3\n');
  });

  it('is a no-op for keys and tables that are not there', () => {
    expect(removeTomlKeys(CONFIG, ['nope'], ['x'])).toBe(CONFIG);
    expect(removeTomlTable(CONFIG, ['nope'])).toBe(CONFIG);
  });

  it('refuses to remove keys written in another form', () => {
    const error = errorOf(() => removeTomlKeys('[t]\nsub.x = 1\n', ['t'], ['sub']));
    expect(error.message).toMatch(/`t\.sub` is not written as `sub = …` under \[t\] \(line 2\)/);
  });

  it('applies several edits in one pass and checks them together', () => {
    const result = editToml(CONFIG, [
      { op: 'set', table: [], key: 'model', value: 'gpt-5' },
      { op: 'remove', table: [], key: 'approval_policy' },
      { op: 'remove-table', table: ['mcp_servers', 'docs'] },
    ]);
    expect(result).toBe(
      '# My Codex config\nmodel = "gpt-5"   # keep this comment\n\n\n[model_providers.openai_proxy]\nname = "Proxy"\nbase_url = "http://proxy.local/v1"\n\n# MCP servers\n',
    );
  });
});
