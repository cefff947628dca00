import { describe, expect, it } from 'vitest';
import {
  codexHome,
  codexProfileMapping,
  findLegacyProfileEntries,
  nativeProfileName,
  profileFilePath,
  profileNameProblem,
} from './profile.js';

describe('profile mapping', () => {
  it('maps worker to baton-worker', () => {
    expect(nativeProfileName('worker')).toBe('baton-worker');
    expect(codexProfileMapping.nativeName('worker')).toBe('baton-worker');
  });

  it('places the profile file in $CODEX_HOME, defaulting to ~/.codex', () => {
    expect(profileFilePath('worker', { CODEX_HOME: '/srv/codex' })).toBe(
      '/srv/codex/baton-worker.config.toml',
    );
    expect(profileFilePath('worker', { HOME: '/home/ada' })).toBe(
      '/home/ada/.codex/baton-worker.config.toml',
    );
    expect(codexHome({ CODEX_HOME: '', HOME: '/home/ada' })).toBe('/home/ada/.codex');
    expect(codexProfileMapping.describe('worker', { CODEX_HOME: '/srv/codex' })).toBe(
      '/srv/codex/baton-worker.config.toml (selected with `codex exec --profile baton-worker`)',
    );
  });

  it('accepts only names Codex accepts', () => {
    expect(profileNameProblem('baton-worker_2')).toBeNull();
    expect(profileNameProblem('baton-my.profile')).toBe(
      '"baton-my.profile" is not a valid Codex profile name (letters, digits, "-" and "_" only)',
    );
    expect(profileNameProblem('baton-a b')).not.toBeNull();
  });
});

describe('findLegacyProfileEntries', () => {
  it('finds the legacy table, its sub-tables, quoted and dotted forms', () => {
    const text = [
      'model = "gpt-5.5"',
      '[profiles.baton-worker]',
      'model = "x"',
      '[profiles.baton-worker.features]',
      '[ profiles . "baton-worker" ]',
      '[profiles.other]',
      'x = 1',
      '[tools]',
      'profiles.baton-worker.model = "y"',
    ].join('\n');
    expect(findLegacyProfileEntries(text, 'baton-worker')).toEqual([
      { line: 2, text: '[profiles.baton-worker]', reason: 'table' },
      { line: 4, text: '[profiles.baton-worker.features]', reason: 'table' },
      { line: 5, text: '[ profiles . "baton-worker" ]', reason: 'table' },
    ]);
  });

  it('finds top-level dotted keys and the selector, but not keys inside other tables', () => {
    const text = [
      'profile = "baton-worker"',
      'profiles.baton-worker.model = "y"',
      '[mcp_servers.x]',
      'profile = "not top-level"',
    ].join('\n');
    expect(findLegacyProfileEntries(text, 'baton-worker')).toEqual([
      { line: 1, text: 'profile = "baton-worker"', reason: 'selector' },
      { line: 2, text: 'profiles.baton-worker.model = "y"', reason: 'table' },
    ]);
  });

  it('reports any top-level selector, also without a profile name', () => {
    expect(findLegacyProfileEntries("  'profile' = 'other' # old\n", null)).toEqual([
      { line: 1, text: "'profile' = 'other' # old", reason: 'selector' },
    ]);
    expect(findLegacyProfileEntries('[profiles.baton-worker]\n', null)).toEqual([]);
  });

  it('tolerates other profiles and ignores look-alikes inside strings, arrays and comments', () => {
    const text = [
      '# [profiles.baton-worker]',
      'developer_instructions = """',
      '[profiles.baton-worker]',
      'profile = "inside a string"',
      '"""',
      'matrix = [',
      '  ["profiles.baton-worker"],',
      '  [1],',
      ']',
      "notes = '''",
      '[profiles.baton-worker]',
      "'''",
      '[profiles.baton-workers]',
      '[profiles.other.baton-worker]',
    ].join('\n');
    expect(findLegacyProfileEntries(text, 'baton-worker')).toEqual([]);
  });

  it('keeps scanning after single-line strings and inline tables', () => {
    const text = ['a = "x [ y"', 'b = { c = 1 }', "d = 'x ] y'", '[profiles.baton-worker]'].join(
      '\r\n',
    );
    expect(findLegacyProfileEntries(text, 'baton-worker')).toEqual([
      { line: 4, text: '[profiles.baton-worker]', reason: 'table' },
    ]);
  });
});
