import { describe, expect, it } from 'vitest';
import { BatonError } from '../errors.js';
import { extractLegacyProfile, findLegacyProfile } from './toml-legacy-profile.js';

const CONFIG = `model = "o3"
profile = "fast"

# Fast profile
[profiles.fast]
model = "gpt-5-mini" # cheap
# effort below
model_reasoning_effort = "low"

[profiles.fast.sandbox_workspace_write]
network_access = true

[profiles.slow]
model = "o3-pro"

[[profiles.fast.notify]]
command = "say"
`;

describe('findLegacyProfile', () => {
  it('locates the table, its sub-tables and the selector, as whole lines', () => {
    const location = findLegacyProfile(CONFIG, 'fast');
    const lines = (range: { start: number; end: number; startLine: number; endLine: number }) => ({
      text: CONFIG.slice(range.start, range.end),
      lines: [range.startLine, range.endLine],
    });
    expect(
      location?.tables.map((table) => ({
        path: table.path.join('.'),
        array: table.array,
        ...lines(table.range),
      })),
    ).toEqual([
      {
        path: 'profiles.fast',
        array: false,
        text: '[profiles.fast]\nmodel = "gpt-5-mini" # cheap\n# effort below\nmodel_reasoning_effort = "low"\n',
        lines: [5, 8],
      },
      {
        path: 'profiles.fast.sandbox_workspace_write',
        array: false,
        text: '[profiles.fast.sandbox_workspace_write]\nnetwork_access = true\n',
        lines: [10, 11],
      },
      {
        path: 'profiles.fast.notify',
        array: true,
        text: '[[profiles.fast.notify]]\ncommand = "say"\n',
        lines: [16, 17],
      },
    ]);
    expect(location?.keys).toEqual([]);
    expect(location?.selector && lines(location.selector.range)).toEqual({
      text: 'profile = "fast"\n',
      lines: [2, 2],
    });
  });

  it('returns undefined when there is no such profile, and ignores other selectors', () => {
    expect(
      findLegacyProfile('profile = "slow"\n[profiles.slow]\nmodel = "x"\n', 'fast'),
    ).toBeUndefined();
  });

  it('reports offsets in the text as given when it starts with a byte-order mark', () => {
    const location = findLegacyProfile('\uFEFF[profiles.fast]\nmodel = "x"\n', 'fast');
    expect(location?.tables[0]?.range).toEqual({ start: 1, end: 29, startLine: 1, endLine: 2 });
  });
});

describe('extractLegacyProfile', () => {
  it('moves exactly those lines, keeping comments and value spelling, and nothing else', () => {
    const extracted = extractLegacyProfile(CONFIG, 'fast');
    expect(extracted?.profileText).toBe(
      'model = "gpt-5-mini" # cheap\n# effort below\nmodel_reasoning_effort = "low"\n\n[sandbox_workspace_write]\nnetwork_access = true\n\n[[notify]]\ncommand = "say"\n',
    );
    expect(extracted?.configText).toBe(`model = "o3"

# Fast profile


[profiles.slow]
model = "o3-pro"

`);
  });

  it('moves dotted keys defining the profile from another table', () => {
    const source =
      '[profiles]\nslow.model = "a"\nfast.model = "b" # mine\nfast.features.x = true\n';
    const extracted = extractLegacyProfile(source, 'fast');
    expect(extracted?.profileText).toBe('model = "b" # mine\nfeatures.x = true\n');
    expect(extracted?.configText).toBe('[profiles]\nslow.model = "a"\n');
    expect(extracted?.location.keys.map((key) => key.key.join('.'))).toEqual([
      'profiles.fast.model',
      'profiles.fast.features.x',
    ]);
  });

  it('moves an inline-table profile and keeps CRLF', () => {
    const source =
      'a = 1\r\n[profiles]\r\nfast = { model = "m", features = { x = true } }\r\nother = { model = "n" }\r\n';
    const extracted = extractLegacyProfile(source, 'fast');
    expect(extracted?.profileText).toBe('model = "m"\r\nfeatures = { x = true }\r\n');
    expect(extracted?.configText).toBe('a = 1\r\n[profiles]\r\nother = { model = "n" }\r\n');
  });

  it('handles a profile at the end of a file without a final newline', () => {
    const extracted = extractLegacyProfile('a = 1\n[profiles.fast]\nmodel = "m"', 'fast');
    expect(extracted?.configText).toBe('a = 1');
    expect(extracted?.profileText).toBe('model = "m"\n');
  });

  it('removes a lone selector', () => {
    const extracted = extractLegacyProfile('profile = "fast" # old\nmodel = "o3"\n', 'fast');
    expect(extracted).toMatchObject({ profileText: '', configText: 'model = "o3"\n' });
  });

  it('refuses a profile inside a whole-profiles inline table', () => {
    let error: unknown;
    try {
      extractLegacyProfile('profiles = { fast = { model = "m" } }\n', 'fast');
    } catch (caught) {
      error = caught;
    }
    expect(BatonError.isInstance(error)).toBe(true);
    expect((error as BatonError).message).toMatch(
      /sits inside the inline table `profiles` at line 1/,
    );
  });

  it('refuses malformed files with the line and column', () => {
    expect(() => extractLegacyProfile('[profiles.fast\nmodel = 1\n', 'fast')).toThrow(
      /at line 1, column \d+/,
    );
  });
});
